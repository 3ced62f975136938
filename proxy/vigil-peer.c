/* vigil-peer.c: the local process behind a client socket.
 *
 * Unix sockets carry the peer's credentials (SO_PEERCRED). Loopback TCP does not, so we
 * find the client's end of the connection (its inode and owner) through the kernel's
 * socket diagnostics (vigil-peer-diag.c), or in /proc/net/tcp{,6} where those cannot be
 * asked, and look for the process holding "socket:[INODE]" among /proc/PID/fd: first
 * among the few processes found last (a client that connects again and again), then
 * among the owner's processes, then among the rest, the newest first.
 *
 * Runs on worker threads: reentrant libc calls only; the recent processes are shared
 * under a lock.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE

#include "vigil-peer.h"
#include "vigil-peer-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMDLINE_MAX      4096
#define PROC_LINE_MAX    512
#define PROC_LINES_MAX   (1 << 18)   /* sockets read from one /proc/net file */
#define PROC_FDS_MAX     (1 << 20)   /* fd links inspected while looking for a pid */
#define PROC_PIDS_MAX    (1 << 16)   /* processes inspected while looking for a pid */
#define PWBUF_MAX        (1 << 20)

#define RECENT_PIDS      4           /* processes found last, looked at first */

static GMutex recent_lock;
static gint recent_pids[RECENT_PIDS];

static VigilPeer *
peer_new_unknown (void)
{
  VigilPeer *self = g_new0 (VigilPeer, 1);

  self->pid = 0;
  self->uid = -1;
  return self;
}

/* Paths and argument lists may hold any bytes; logs and JSON want UTF-8 without
 * control characters (a newline in argv must not forge a log line). */
static char *
sanitize_for_display (const char *bytes,
                      gssize      len)
{
  char *str = g_utf8_make_valid (bytes, len);

  for (char *p = str; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p == 0x7f)
      *p = ' ';
  return str;
}

static char *
read_exe (gint pid)
{
  char path[64];
  g_autofree char *target = NULL;

  g_snprintf (path, sizeof path, "/proc/%d/exe", pid);
  target = g_file_read_link (path, NULL);
  if (target == NULL)
    return NULL;
  return sanitize_for_display (target, -1);
}

static gssize
read_bounded (int    fd,
              char  *buf,
              gsize  size)
{
  gsize len = 0;

  while (len < size)
    {
      gssize n = read (fd, buf + len, size - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      len += (gsize) n;
    }
  return (gssize) len;
}

static char *
read_cmdline (gint pid)
{
  char path[64];
  char buf[CMDLINE_MAX];
  gssize len;
  int fd;

  g_snprintf (path, sizeof path, "/proc/%d/cmdline", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  len = read_bounded (fd, buf, sizeof buf);
  close (fd);

  /* Arguments are NUL-separated; kernel threads have none. */
  while (len > 0 && buf[len - 1] == '\0')
    len--;
  if (len <= 0)
    return NULL;
  for (gssize i = 0; i < len; i++)
    if (buf[i] == '\0')
      buf[i] = ' ';
  return sanitize_for_display (buf, len);
}

static char *
lookup_user_name (gint64 uid)
{
  long hint = sysconf (_SC_GETPW_R_SIZE_MAX);
  gsize size = hint > 0 ? (gsize) hint : 1024;

  if (uid < 0 || uid > G_MAXUINT32)
    return NULL;

  while (size <= PWBUF_MAX)
    {
      g_autofree char *buf = g_malloc (size);
      struct passwd pw;
      struct passwd *result = NULL;
      int rc = getpwuid_r ((uid_t) uid, &pw, buf, size, &result);

      if (rc == ERANGE)
        {
          size *= 2;
          continue;
        }
      if (rc != 0 || result == NULL || result->pw_name == NULL)
        return NULL;
      return sanitize_for_display (result->pw_name, -1);
    }
  return NULL;
}

static void
peer_fill_process (VigilPeer *self)
{
  if (self->pid > 0)
    {
      self->exe = read_exe (self->pid);
      self->cmdline = read_cmdline (self->pid);
    }
  if (self->uid >= 0)
    self->user = lookup_user_name (self->uid);
}

/* /proc/net/tcp{,6} ------------------------------------------------------------------ */

gboolean
_vigil_peer_endpoint_from_inet (GInetSocketAddress *sa,
                                Endpoint           *out)
{
  GInetAddress *ia = g_inet_socket_address_get_address (sa);
  const guint8 *bytes = g_inet_address_to_bytes (ia);
  gsize size = g_inet_address_get_native_size (ia);

  memset (out, 0, sizeof *out);
  out->port = g_inet_socket_address_get_port (sa);
  if (size == 4)
    {
      out->addr[10] = 0xff;
      out->addr[11] = 0xff;
      memcpy (out->addr + 12, bytes, 4);
      return TRUE;
    }
  if (size == 16)
    {
      memcpy (out->addr, bytes, 16);
      return TRUE;
    }
  return FALSE;
}

/* The kernel prints each 32-bit word of the address in host order with %08X. */
static gboolean
endpoint_from_proc (const char *hex,
                    guint       port,
                    Endpoint   *out)
{
  gsize len = strlen (hex);
  guint8 *dst = out->addr;

  memset (out, 0, sizeof *out);
  if ((len != 8 && len != 32) || port > G_MAXUINT16)
    return FALSE;
  if (len == 8)
    {
      out->addr[10] = 0xff;
      out->addr[11] = 0xff;
      dst = out->addr + 12;
    }
  for (gsize i = 0; i < len / 8; i++)
    {
      char word[9];
      guint32 value;

      memcpy (word, hex + i * 8, 8);
      word[8] = '\0';
      value = (guint32) g_ascii_strtoull (word, NULL, 16);
      memcpy (dst + i * 4, &value, 4);
    }
  out->port = (guint16) port;
  return TRUE;
}

static gboolean
endpoint_equal (const Endpoint *a,
                const Endpoint *b)
{
  return a->port == b->port && memcmp (a->addr, b->addr, sizeof a->addr) == 0;
}

static gboolean
parse_proc_socket (const char *line,
                   ProcSocket *out)
{
  char local_hex[33];
  char remote_hex[33];
  guint local_port;
  guint remote_port;
  int n;

  /* sl local:port rem:port st tx:rx tr:when retrnsmt uid timeout inode ... */
  n = sscanf (line, " %*u: %32[0-9A-Fa-f]:%4x %32[0-9A-Fa-f]:%4x %*x %*x:%*x %*x:%*x %*x"
              " %u %*u %" G_GUINT64_FORMAT,
              local_hex, &local_port, remote_hex, &remote_port, &out->uid, &out->inode);
  if (n != 6)
    return FALSE;
  return endpoint_from_proc (local_hex, local_port, &out->local) &&
         endpoint_from_proc (remote_hex, remote_port, &out->remote);
}

/* Reads one line into BUF, dropping whatever does not fit. FALSE at end of file. */
static gboolean
read_line (FILE  *file,
           char  *buf,
           gsize  size)
{
  gsize len;

  if (fgets (buf, (int) size, file) == NULL)
    return FALSE;
  len = strlen (buf);
  if (len > 0 && buf[len - 1] != '\n' && !feof (file))
    {
      int c;

      while ((c = getc (file)) != EOF && c != '\n')
        ;
    }
  return TRUE;
}

/* Finds the socket whose local end is LOCAL and remote end is REMOTE. */
gboolean
_vigil_peer_proc_find_socket (const char     *path,
                              const Endpoint *local,
                              const Endpoint *remote,
                              ProcSocket     *out)
{
  char line[PROC_LINE_MAX];
  gboolean found = FALSE;
  FILE *file;

  file = fopen (path, "re");
  if (file == NULL)
    return FALSE;

  for (guint i = 0; !found && i < PROC_LINES_MAX && read_line (file, line, sizeof line); i++)
    {
      if (!parse_proc_socket (line, out) || out->inode == 0)
        continue;
      found = endpoint_equal (&out->local, local) && endpoint_equal (&out->remote, remote);
    }
  fclose (file);
  return found;
}

/* /proc/PID/fd ------------------------------------------------------------------------ */

static gboolean
process_has_link (gint        pid,
                  const char *target,
                  guint      *budget)
{
  char path[64];
  char link[64];
  gsize target_len = strlen (target);
  gboolean found = FALSE;
  struct dirent *entry;
  DIR *dir;

  g_snprintf (path, sizeof path, "/proc/%d/fd", pid);
  dir = opendir (path);
  if (dir == NULL)
    return FALSE;

  while (!found && *budget > 0 && (entry = readdir (dir)) != NULL)
    {
      gssize len;

      if (entry->d_name[0] == '.')
        continue;
      (*budget)--;
      len = readlinkat (dirfd (dir), entry->d_name, link, sizeof link);
      found = len == (gssize) target_len && memcmp (link, target, target_len) == 0;
    }
  closedir (dir);
  return found;
}

static gint
parse_pid (const char *name)
{
  guint64 value;

  if (!g_ascii_isdigit (name[0]))
    return 0;
  if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &value, NULL))
    return 0;
  return (gint) value;
}

/* Whether the process PID is the one holding TARGET ("socket:[INODE]"). */
static gboolean
process_holds (gint        pid,
               const char *target,
               guint      *fd_budget)
{
  return pid > 0 && process_has_link (pid, target, fd_budget);
}

static gint
find_among_recent (const char *target,
                   guint      *fd_budget)
{
  gint pids[RECENT_PIDS];

  g_mutex_lock (&recent_lock);
  memcpy (pids, recent_pids, sizeof pids);
  g_mutex_unlock (&recent_lock);
  for (guint i = 0; i < RECENT_PIDS; i++)
    if (process_holds (pids[i], target, fd_budget))
      return pids[i];
  return 0;
}

static void
remember_pid (gint pid)
{
  g_mutex_lock (&recent_lock);
  memmove (recent_pids + 1, recent_pids, (RECENT_PIDS - 1) * sizeof recent_pids[0]);
  recent_pids[0] = pid;
  g_mutex_unlock (&recent_lock);
}

/* The first of PIDS, newest first, that holds TARGET. */
static gint
find_among_newest (GArray     *pids,
                   const char *target,
                   guint      *fd_budget)
{
  for (guint i = pids->len; i > 0 && *fd_budget > 0; i--)
    if (process_holds (g_array_index (pids, gint, i - 1), target, fd_budget))
      return g_array_index (pids, gint, i - 1);
  return 0;
}

/* Walks /proc: the processes UID owns first, the others (a socket's holder may have
 * changed its uid since, or been handed the socket) only if none of those holds it; in
 * each, the newest process first, since /proc lists them by pid (a client started for
 * one connection, as a script's psql, is among the last few). */
static gint
find_in_proc (const char *target,
              guint       uid,
              guint      *fd_budget)
{
  g_autoptr(GArray) owned = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr(GArray) others = g_array_new (FALSE, FALSE, sizeof (gint));
  struct dirent *entry;
  gint found;
  DIR *proc = opendir ("/proc");

  if (proc == NULL)
    return 0;
  while (owned->len + others->len < PROC_PIDS_MAX && (entry = readdir (proc)) != NULL)
    {
      gint pid = parse_pid (entry->d_name);
      struct stat st;

      if (pid <= 0)
        continue;
      if (fstatat (dirfd (proc), entry->d_name, &st, 0) == 0 && st.st_uid != uid)
        g_array_append_val (others, pid);
      else
        g_array_append_val (owned, pid);
    }
  closedir (proc);
  found = find_among_newest (owned, target, fd_budget);
  return found != 0 ? found : find_among_newest (others, target, fd_budget);
}

static gint
find_pid_for_inode (guint64 inode,
                    guint   uid)
{
  char target[64];
  guint fd_budget = PROC_FDS_MAX;
  gint found;

  g_snprintf (target, sizeof target, "socket:[%" G_GUINT64_FORMAT "]", inode);
  found = find_among_recent (target, &fd_budget);
  if (found == 0)
    {
      found = find_in_proc (target, uid, &fd_budget);
      if (found > 0)
        remember_pid (found);
    }
  return found;
}

/* Public API -------------------------------------------------------------------------- */

VigilPeer *
vigil_peer_from_unix_fd (int fd)
{
  VigilPeer *self = peer_new_unknown ();
  struct ucred cred = { 0, };
  socklen_t len = sizeof cred;

  g_return_val_if_fail (fd >= 0, self);

  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
    return self;

  /* pid 0: the peer lives in another pid namespace. */
  self->pid = cred.pid > 0 ? cred.pid : 0;
  self->uid = cred.uid;
  peer_fill_process (self);
  return self;
}

VigilPeer *
vigil_peer_from_tcp (GInetSocketAddress *local,
                     GInetSocketAddress *remote)
{
  VigilPeer *self = peer_new_unknown ();
  Endpoint our_local;
  Endpoint our_remote;
  ProcSocket sock;

  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (local), self);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (remote), self);

  if (!_vigil_peer_endpoint_from_inet (local, &our_local)
      || !_vigil_peer_endpoint_from_inet (remote, &our_remote))
    return self;

  /* The client's socket is the mirror of ours. IPv4 clients of a dual-stack listener
   * appear in /proc/net/tcp while we see them v4-mapped, hence both files. */
  if (!_vigil_peer_diag_find_socket (&our_remote, &our_local, &sock) &&
      !_vigil_peer_proc_find_socket ("/proc/net/tcp", &our_remote, &our_local, &sock) &&
      !_vigil_peer_proc_find_socket ("/proc/net/tcp6", &our_remote, &our_local, &sock))
    return self;

  self->uid = sock.uid;
  self->pid = find_pid_for_inode (sock.inode, sock.uid);
  peer_fill_process (self);
  return self;
}

VigilPeer *
vigil_peer_copy (const VigilPeer *self)
{
  VigilPeer *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (VigilPeer, 1);
  copy->pid = self->pid;
  copy->uid = self->uid;
  copy->user = g_strdup (self->user);
  copy->exe = g_strdup (self->exe);
  copy->cmdline = g_strdup (self->cmdline);
  return copy;
}

void
vigil_peer_free (VigilPeer *self)
{
  if (self == NULL)
    return;

  g_free (self->user);
  g_free (self->exe);
  g_free (self->cmdline);
  g_free (self);
}

char *
vigil_peer_to_string (const VigilPeer *self)
{
  GString *str;

  g_return_val_if_fail (self != NULL, NULL);

  str = g_string_new (NULL);
  if (self->pid > 0)
    g_string_append_printf (str, "pid=%d", self->pid);
  if (self->user != NULL)
    g_string_append_printf (str, "%suser=%s", str->len ? " " : "", self->user);
  else if (self->uid >= 0)
    g_string_append_printf (str, "%suid=%" G_GINT64_FORMAT, str->len ? " " : "", self->uid);
  if (self->exe != NULL)
    g_string_append_printf (str, "%sexe=%s", str->len ? " " : "", self->exe);
  return g_string_free (str, FALSE);
}
