/* vigil-audit-journal.c: the audit's write-ahead journal, DATA_DIR/audit.journal.
 *
 * A statement's entry is appended here with one write(2) before the statement goes
 * upstream. Once write() has returned the entry survives the proxy being killed (it sits
 * in the kernel's page cache, exactly as a commit of SQLite's WAL with synchronous=NORMAL
 * would), without a thread hop or a database transaction in the statement's way. The
 * writer thread then copies entries into audit_log in large batches, and resets the
 * journal once the database holds everything it has. Whoever opens the audit for writing
 * first replays the entries the database does not have yet.
 *
 * Frame: "VGJ1" | u32be payload length | prev hash (32 raw bytes) | hash (32 raw bytes) |
 * the entry's canonical encoding (vigil-audit-verify.c). A frame is intact when HASH is
 * the chain hash of PREV and the encoding; replay stops at the first frame that is not,
 * which can only be a torn tail (the process died inside write(), or power was lost).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vigil-audit-private.h"

#define FRAME_MAGIC        "VGJ1"
#define FRAME_HEADER_LEN   8
#define FRAME_HASHES_LEN   (2 * VIGIL_AUDIT_HASH_LEN)

struct _VigilAuditJournal
{
  char   *path;
  int     fd;
  goffset size;
};

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot %s the audit journal %s: %s",
               what, path, g_strerror (saved_errno));
  return FALSE;
}

VigilAuditJournal *
_vigil_audit_journal_open (const char  *data_dir,
                           GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  VigilAuditJournal *self;
  struct stat st;
  int fd;

  fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      set_errno_error (error, errno, "open", path);
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, "read", path);
      close (fd);
      return NULL;
    }
  self = g_new0 (VigilAuditJournal, 1);
  self->path = g_steal_pointer (&path);
  self->fd = fd;
  self->size = st.st_size;
  return self;
}

void
_vigil_audit_journal_free (VigilAuditJournal *self)
{
  if (self == NULL)
    return;
  close (self->fd);
  g_free (self->path);
  g_free (self);
}

void
_vigil_audit_journal_frame (GByteArray   *out,
                            const guint8 *prev,
                            const guint8 *hash,
                            const guint8 *encoded,
                            gsize         encoded_len)
{
  guint32 length = GUINT32_TO_BE ((guint32) (FRAME_HASHES_LEN + encoded_len));

  g_assert (encoded_len <= G_MAXUINT32 - FRAME_HASHES_LEN);
  g_byte_array_append (out, (const guint8 *) FRAME_MAGIC, 4);
  g_byte_array_append (out, (const guint8 *) &length, 4);
  g_byte_array_append (out, prev, VIGIL_AUDIT_HASH_LEN);
  g_byte_array_append (out, hash, VIGIL_AUDIT_HASH_LEN);
  g_byte_array_append (out, encoded, (guint) encoded_len);
}

/* All of DATA or nothing: a short write (disk full) is cut off again, so the journal
 * never ends in a frame that was reported as failed. */
gboolean
_vigil_audit_journal_write (VigilAuditJournal  *self,
                            const guint8       *data,
                            gsize               len,
                            GError            **error)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = write (self->fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = n < 0 ? errno : ENOSPC;

          if (done > 0 && ftruncate (self->fd, self->size) != 0)
            g_warning ("Cannot cut a failed write off %s: %s", self->path, g_strerror (errno));
          return set_errno_error (error, saved_errno, "write", self->path);
        }
      done += (gsize) n;
    }
  self->size += (goffset) len;
  return TRUE;
}

/* FALSE when another open journal of the data directory holds the lock. */
gboolean
_vigil_audit_journal_lock (VigilAuditJournal *self)
{
  return flock (self->fd, LOCK_EX | LOCK_NB) == 0;
}

goffset
_vigil_audit_journal_get_size (VigilAuditJournal *self)
{
  return self->size;
}

/* Only when the database holds every entry the journal has. */
gboolean
_vigil_audit_journal_reset (VigilAuditJournal  *self,
                            GError            **error)
{
  if (ftruncate (self->fd, 0) != 0)
    return set_errno_error (error, errno, "reset", self->path);
  self->size = 0;
  return TRUE;
}

/* ---- replay ----------------------------------------------------------------------- */

gboolean
_vigil_audit_journal_has_frames (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 && st.st_size > 0;
}

static gboolean
read_full (int     fd,
           guint8 *buf,
           gsize   len)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = read (fd, buf + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

/* One frame into FRAME; FALSE at the end of the journal or at a torn frame. */
static gboolean
read_frame (int         fd,
            goffset    *remaining,
            GByteArray *frame)
{
  guint8 header[FRAME_HEADER_LEN];
  guint32 length;

  if (*remaining < FRAME_HEADER_LEN || !read_full (fd, header, sizeof header)
      || memcmp (header, FRAME_MAGIC, 4) != 0)
    return FALSE;
  memcpy (&length, header + 4, sizeof length);
  length = GUINT32_FROM_BE (length);
  /* Bounded by what the file holds before anything is allocated. */
  if (length < FRAME_HASHES_LEN || length > *remaining - FRAME_HEADER_LEN)
    return FALSE;
  g_byte_array_set_size (frame, length);
  if (!read_full (fd, frame->data, length))
    return FALSE;
  *remaining -= FRAME_HEADER_LEN + (goffset) length;
  return TRUE;
}

static gboolean
frame_intact (const GByteArray *frame,
              VigilAuditEntry  *entry,
              char             *prev_hex,
              char             *hash_hex)
{
  const guint8 *prev = frame->data;
  const guint8 *hash = frame->data + VIGIL_AUDIT_HASH_LEN;
  const guint8 *encoded = frame->data + FRAME_HASHES_LEN;
  gsize encoded_len = frame->len - FRAME_HASHES_LEN;
  guint8 computed[VIGIL_AUDIT_HASH_LEN];

  if (!_vigil_audit_entry_decode (encoded, encoded_len, entry)
      || entry->v[VIGIL_AUDIT_FIELD_ID].type != 'I')
    return FALSE;
  _vigil_audit_hash_encoded (prev, encoded, encoded_len, computed);
  if (memcmp (computed, hash, sizeof computed) != 0)
    return FALSE;
  _vigil_audit_hash_to_hex (prev, prev_hex);
  _vigil_audit_hash_to_hex (hash, hash_hex);
  return TRUE;
}

gboolean
_vigil_audit_journal_replay (const char              *data_dir,
                             VigilAuditJournalFunc    func,
                             gpointer                 user_data,
                             GError                 **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  gboolean ok = TRUE;
  struct stat st;
  goffset remaining;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0)
    return errno == ENOENT || set_errno_error (error, errno, "open", path);
  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, "read", path);
      close (fd);
      return FALSE;
    }
  remaining = st.st_size;
  while (ok && read_frame (fd, &remaining, frame))
    {
      VigilAuditEntry entry;
      char prev_hex[VIGIL_AUDIT_HEX_LEN + 1];
      char hash_hex[VIGIL_AUDIT_HEX_LEN + 1];

      if (!frame_intact (frame, &entry, prev_hex, hash_hex))
        break;
      ok = func (&entry, prev_hex, hash_hex, user_data, error);
    }
  close (fd);
  return ok;
}
