/* test-peer.c: attributing Unix and loopback TCP clients to local processes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil-peer.h"
#include "vigil-peer-private.h"

/* A connected pair of loopback sockets: CLIENT connected to a listener, SERVER accepted. */
typedef struct
{
  GSocket *listener;
  GSocket *client;
  GSocket *server;
} TcpPair;

static char *
self_exe (void)
{
  return g_file_read_link ("/proc/self/exe", NULL);
}

static char *
pid_exe (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/exe", pid);

  return g_file_read_link (path, NULL);
}

static GSocket *
listen_on (GSocketFamily   family,
           const char     *host,
           gboolean        dual_stack,
           GError        **error)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (addr, 0);

  sock = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6 &&
      !g_socket_set_option (sock, IPPROTO_IPV6, IPV6_V6ONLY, !dual_stack, error))
    return NULL;
  g_socket_set_timeout (sock, 10);
  if (!g_socket_bind (sock, sa, TRUE, error) || !g_socket_listen (sock, error))
    return NULL;
  return g_steal_pointer (&sock);
}

static guint16
socket_port (GSocket *sock)
{
  g_autoptr(GSocketAddress) sa = g_socket_get_local_address (sock, NULL);

  g_assert_nonnull (sa);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa));
}

static gboolean
tcp_pair_open (TcpPair       *pair,
               GSocketFamily  listen_family,
               const char    *listen_host,
               const char    *connect_host,
               GError       **error)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (connect_host);
  g_autoptr(GSocketAddress) sa = NULL;

  memset (pair, 0, sizeof *pair);
  pair->listener = listen_on (listen_family, listen_host,
                              g_strcmp0 (listen_host, connect_host) != 0, error);
  if (pair->listener == NULL)
    return FALSE;
  sa = g_inet_socket_address_new (addr, socket_port (pair->listener));
  pair->client = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, error);
  if (pair->client == NULL || !g_socket_connect (pair->client, sa, NULL, error))
    return FALSE;
  pair->server = g_socket_accept (pair->listener, NULL, error);
  return pair->server != NULL;
}

static void
tcp_pair_close (TcpPair *pair)
{
  g_clear_object (&pair->server);
  g_clear_object (&pair->client);
  g_clear_object (&pair->listener);
}

/* tcp_pair_open, or the test skipped (a machine without that loopback) and FALSE. */
static gboolean
tcp_pair_open_or_skip (TcpPair       *pair,
                       GSocketFamily  listen_family,
                       const char    *listen_host,
                       const char    *connect_host)
{
  g_autoptr(GError) error = NULL;

  if (tcp_pair_open (pair, listen_family, listen_host, connect_host, &error))
    return TRUE;
  g_test_skip_printf ("no %s loopback: %s", listen_host, error->message);
  tcp_pair_close (pair);
  return FALSE;
}

/* Attributes the accepted socket SERVER the way the engine does. */
static VigilPeer *
attribute_accepted (GSocket *server)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (server, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (server, NULL);

  g_assert_true (G_IS_INET_SOCKET_ADDRESS (local));
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (remote));
  return vigil_peer_from_tcp (G_INET_SOCKET_ADDRESS (local), G_INET_SOCKET_ADDRESS (remote));
}

static void
assert_is_self (const VigilPeer *peer)
{
  g_autofree char *exe = self_exe ();
  g_autofree char *str = NULL;
  g_autofree char *pid_str = g_strdup_printf ("pid=%d ", getpid ());

  g_assert_cmpint (peer->pid, ==, getpid ());
  g_assert_cmpint (peer->uid, ==, (gint64) getuid ());
  g_assert_cmpstr (peer->exe, ==, exe);
  g_assert_nonnull (peer->cmdline);
  g_assert_nonnull (strstr (peer->cmdline, g_get_prgname ()));

  str = vigil_peer_to_string (peer);
  g_assert_true (g_str_has_prefix (str, pid_str));
  g_assert_nonnull (strstr (str, "exe="));
}

typedef gboolean (*FindSocketFunc) (const Endpoint *local,
                                    const Endpoint *remote,
                                    ProcSocket     *out);

/* The fallback's signature as the diagnostics': the file the client's family is listed in
 * (IPv4, v4-mapped included, in tcp), as vigil_peer_from_tcp tries them both. */
static gboolean
proc_find_socket (const Endpoint *local,
                  const Endpoint *remote,
                  ProcSocket     *out)
{
  return _vigil_peer_proc_find_socket ("/proc/net/tcp", local, remote, out) ||
         _vigil_peer_proc_find_socket ("/proc/net/tcp6", local, remote, out);
}

/* The client's socket as FIND finds it from the accepted end: its inode and owner, for
 * IPv4, IPv6 and an IPv4 client of a dual-stack listener; asked the other way round, the
 * server's end. */
static void
assert_finds_client (FindSocketFunc  find,
                     GSocketFamily   listen_family,
                     const char     *listen_host,
                     const char     *connect_host)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  Endpoint our_local, our_remote;
  ProcSocket found;
  struct stat st;
  TcpPair pair;

  if (!tcp_pair_open_or_skip (&pair, listen_family, listen_host, connect_host))
    return;
  local = g_socket_get_local_address (pair.server, NULL);
  remote = g_socket_get_remote_address (pair.server, NULL);
  g_assert_true (_vigil_peer_endpoint_from_inet (G_INET_SOCKET_ADDRESS (local), &our_local));
  g_assert_true (_vigil_peer_endpoint_from_inet (G_INET_SOCKET_ADDRESS (remote), &our_remote));
  g_assert_cmpint (fstat (g_socket_get_fd (pair.client), &st), ==, 0);

  g_assert_true (find (&our_remote, &our_local, &found));
  g_assert_cmpuint (found.inode, ==, (guint64) st.st_ino);
  g_assert_cmpuint (found.uid, ==, getuid ());
  g_assert_cmpint (fstat (g_socket_get_fd (pair.server), &st), ==, 0);
  g_assert_true (find (&our_local, &our_remote, &found));
  g_assert_cmpuint (found.inode, ==, (guint64) st.st_ino);
  tcp_pair_close (&pair);
}

static void
assert_finds_clients (FindSocketFunc find)
{
  assert_finds_client (find, G_SOCKET_FAMILY_IPV4, "127.0.0.1", "127.0.0.1");
  assert_finds_client (find, G_SOCKET_FAMILY_IPV6, "::1", "::1");
  assert_finds_client (find, G_SOCKET_FAMILY_IPV6, "::", "127.0.0.1");
}

static void
test_tcp_diag (void)
{
  assert_finds_clients (_vigil_peer_diag_find_socket);
}

/* The fallback where netlink cannot be asked. */
static void
test_tcp_proc (void)
{
  assert_finds_clients (proc_find_socket);
}

static void
test_unix_self (void)
{
  g_autoptr(VigilPeer) peer = NULL;
  g_autoptr(VigilPeer) copy = NULL;
  struct passwd *pw = getpwuid (getuid ());
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  peer = vigil_peer_from_unix_fd (fds[0]);
  close (fds[0]);
  close (fds[1]);

  assert_is_self (peer);
  if (pw != NULL)
    g_assert_cmpstr (peer->user, ==, pw->pw_name);

  copy = vigil_peer_copy (peer);
  g_assert_cmpint (copy->pid, ==, peer->pid);
  g_assert_cmpint (copy->uid, ==, peer->uid);
  g_assert_cmpstr (copy->user, ==, peer->user);
  g_assert_cmpstr (copy->exe, ==, peer->exe);
  g_assert_cmpstr (copy->cmdline, ==, peer->cmdline);
  g_assert_true (copy->exe != peer->exe);
}

static void
test_unix_not_socket (void)
{
  g_autoptr(VigilPeer) peer = NULL;
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  peer = vigil_peer_from_unix_fd (fds[0]);
  close (fds[0]);
  close (fds[1]);

  g_assert_cmpint (peer->pid, ==, 0);
  g_assert_cmpint (peer->uid, ==, -1);
  g_assert_null (peer->exe);
}

static void
run_tcp_self (GSocketFamily  family,
              const char    *listen_host,
              const char    *connect_host)
{
  g_autoptr(VigilPeer) peer = NULL;
  TcpPair pair;

  if (!tcp_pair_open_or_skip (&pair, family, listen_host, connect_host))
    return;

  peer = attribute_accepted (pair.server);
  assert_is_self (peer);
  tcp_pair_close (&pair);
}

static void
test_tcp_self (void)
{
  run_tcp_self (G_SOCKET_FAMILY_IPV4, "127.0.0.1", "127.0.0.1");
}

static void
test_tcp_ipv6 (void)
{
  run_tcp_self (G_SOCKET_FAMILY_IPV6, "::1", "::1");
}

/* An IPv4 client of a dual-stack listener: we see ::ffff:127.0.0.1, /proc/net/tcp has it. */
static void
test_tcp_v4_mapped (void)
{
  run_tcp_self (G_SOCKET_FAMILY_IPV6, "::", "127.0.0.1");
}

static GSubprocess *
spawn_connecting_child (const char  *bash,
                        guint16      port,
                        GError     **error)
{
  g_autofree char *script = NULL;

  /* `read` is a builtin: bash itself holds the socket until we close its stdin. */
  script = g_strdup_printf ("exec 3<>/dev/tcp/127.0.0.1/%u && read -r -t 30 _", port);
  return g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE, error,
                           bash, "-c", script, NULL);
}

static void
test_tcp_child (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocket) server = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(VigilPeer) peer = NULL;
  g_autofree char *bash = g_find_program_in_path ("bash");
  g_autofree char *exe = NULL;
  GPid child_pid;

  if (bash == NULL)
    {
      g_test_skip ("bash is not installed");
      return;
    }

  listener = listen_on (G_SOCKET_FAMILY_IPV4, "127.0.0.1", FALSE, &error);
  g_assert_no_error (error);
  child = spawn_connecting_child (bash, socket_port (listener), &error);
  g_assert_no_error (error);
  child_pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (child), NULL, 10);

  server = g_socket_accept (listener, NULL, &error);
  g_assert_no_error (error);
  peer = attribute_accepted (server);
  exe = pid_exe (child_pid);

  g_assert_cmpint (peer->pid, ==, child_pid);
  g_assert_cmpint (peer->uid, ==, (gint64) getuid ());
  g_assert_nonnull (exe);
  g_assert_cmpstr (peer->exe, ==, exe);
  g_assert_true (g_str_has_suffix (peer->exe, "bash"));
  g_assert_nonnull (peer->cmdline);
  g_assert_nonnull (strstr (peer->cmdline, "/dev/tcp/127.0.0.1/"));

  g_output_stream_close (g_subprocess_get_stdin_pipe (child), NULL, NULL);
  g_assert_true (g_subprocess_wait (child, NULL, &error));
  g_assert_no_error (error);
}

static VigilPeer *
attribute_strings (const char *local_host,
                   guint16     local_port,
                   const char *remote_host,
                   guint16     remote_port)
{
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string (local_host,
                                                                           local_port);
  g_autoptr(GSocketAddress) remote = g_inet_socket_address_new_from_string (remote_host,
                                                                            remote_port);

  return vigil_peer_from_tcp (G_INET_SOCKET_ADDRESS (local), G_INET_SOCKET_ADDRESS (remote));
}

static void
assert_unknown (const VigilPeer *peer)
{
  g_autofree char *str = vigil_peer_to_string (peer);

  g_assert_cmpint (peer->pid, ==, 0);
  g_assert_cmpint (peer->uid, ==, -1);
  g_assert_null (peer->user);
  g_assert_null (peer->exe);
  g_assert_null (peer->cmdline);
  g_assert_cmpstr (str, ==, "");
}

static void
test_tcp_unknown (void)
{
  const struct { const char *local; guint16 lport; const char *remote; guint16 rport; } cases[] = {
    { "127.0.0.1", 1, "127.0.0.1", 2 },
    { "127.0.0.1", 0, "127.0.0.1", 0 },
    { "0.0.0.0", 0, "0.0.0.0", 0 },
    { "::1", 1, "::1", 2 },
    { "::", 0, "::", 0 },
    { "127.0.0.1", 65535, "::1", 65535 },
    { "192.0.2.1", 5432, "198.51.100.7", 40000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VigilPeer) peer = attribute_strings (cases[i].local, cases[i].lport,
                                                     cases[i].remote, cases[i].rport);
      assert_unknown (peer);
    }
}

static void
test_to_string (void)
{
  VigilPeer peer = { 123, 1000, (char *) "alice", (char *) "/usr/bin/psql", NULL };
  g_autofree char *full = vigil_peer_to_string (&peer);
  g_autofree char *no_user = NULL;

  g_assert_cmpstr (full, ==, "pid=123 user=alice exe=/usr/bin/psql");
  peer.user = NULL;
  no_user = vigil_peer_to_string (&peer);
  g_assert_cmpstr (no_user, ==, "pid=123 uid=1000 exe=/usr/bin/psql");
  vigil_peer_free (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/peer/unix/self", test_unix_self);
  g_test_add_func ("/peer/unix/not-socket", test_unix_not_socket);
  g_test_add_func ("/peer/tcp/self", test_tcp_self);
  g_test_add_func ("/peer/tcp/ipv6", test_tcp_ipv6);
  g_test_add_func ("/peer/tcp/v4-mapped", test_tcp_v4_mapped);
  g_test_add_func ("/peer/tcp/child", test_tcp_child);
  g_test_add_func ("/peer/tcp/unknown", test_tcp_unknown);
  g_test_add_func ("/peer/tcp/diag", test_tcp_diag);
  g_test_add_func ("/peer/tcp/proc", test_tcp_proc);
  g_test_add_func ("/peer/to-string", test_to_string);

  return g_test_run ();
}
