/* vigil-audit-journal.c: the audit's write-ahead journal, DATA_DIR/audit.journal.
 *
 * A statement's entry is stored here before the statement goes upstream. The journal is
 * a MAP_SHARED mapping of a file grown in chunks (posix_fallocate, so a store never
 * meets a full disk): a frame is encoded straight into the mapping, and once the store
 * is done it is in the kernel's page cache, exactly as durable against the proxy being
 * killed as a write(2) would make it (and, like it, not against power loss), without a
 * system call, a thread hop or a database transaction in the statement's way. The writer
 * thread copies entries into audit_log in large batches and rewinds the journal once the
 * database holds everything it has. Whoever opens the audit for writing first replays
 * the entries the database does not have yet.
 *
 * File: a header, "VGJH" | u32be 2 | u64be generation | 16 zero bytes, then frames:
 * "VGJ2" | u32be payload length | u64be generation | prev hash (32 raw bytes) |
 * hash (32 raw bytes) | the entry's canonical encoding (vigil-audit-verify.c), and
 * whatever the file held before (zeros, or frames of an earlier generation). A rewind
 * bumps the generation, so frames left from before it are never taken again. Replay
 * stops at the first frame that is not intact: wrong magic (zeros), another generation,
 * a prev hash that does not continue the frame before, or a hash that is not the chain
 * hash of PREV and the encoding (a frame torn by a kill). Journals written before the
 * mapping (frames "VGJ1" | u32be length | prev | hash | encoding from the start of the
 * file, no generation) are still replayed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "vigil-audit-private.h"

#define HEADER_MAGIC       "VGJH"
#define HEADER_VERSION     2
#define HEADER_LEN         32
#define FRAME_MAGIC        "VGJ2"
#define FRAME_HEADER_LEN   16
#define LEGACY_MAGIC       "VGJ1"
#define LEGACY_HEADER_LEN  8
#define FRAME_HASHES_LEN   (2 * VIGIL_AUDIT_HASH_LEN)
#define FRAME_OVERHEAD     (FRAME_HEADER_LEN + FRAME_HASHES_LEN)

struct _VigilAuditJournal
{
  char    *path;
  int      fd;
  guint8  *map;         /* the file's first CAPACITY bytes, once locked and rewound */
  gsize    capacity;
  gsize    used;        /* the header and the frames of this generation */
  gsize    begun;       /* the encoded length of the frame begun, 0 when none */
  guint64  generation;
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

static void
put_u32 (guint8  *out,
         guint32  v)
{
  v = GUINT32_TO_BE (v);
  memcpy (out, &v, sizeof v);
}

static void
put_u64 (guint8  *out,
         guint64  v)
{
  v = GUINT64_TO_BE (v);
  memcpy (out, &v, sizeof v);
}

static guint32
get_u32 (const guint8 *in)
{
  guint32 v;

  memcpy (&v, in, sizeof v);
  return GUINT32_FROM_BE (v);
}

static guint64
get_u64 (const guint8 *in)
{
  guint64 v;

  memcpy (&v, in, sizeof v);
  return GUINT64_FROM_BE (v);
}

/* The generation a header names, 0 when there is none (an empty or older journal). */
static guint64
header_generation (const guint8 *header)
{
  if (memcmp (header, HEADER_MAGIC, 4) != 0 || get_u32 (header + 4) != HEADER_VERSION)
    return 0;
  return get_u64 (header + 8);
}

VigilAuditJournal *
_vigil_audit_journal_open (const char  *data_dir,
                           GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  VigilAuditJournal *self;
  int fd;

  /* Nothing is written before the lock is held (_vigil_audit_journal_reset maps it). */
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      set_errno_error (error, errno, "open", path);
      return NULL;
    }
  self = g_new0 (VigilAuditJournal, 1);
  self->path = g_steal_pointer (&path);
  self->fd = fd;
  return self;
}

/* A writer that stops leaves the file no longer than its frames. */
void
_vigil_audit_journal_free (VigilAuditJournal *self)
{
  if (self == NULL)
    return;
  if (self->map != NULL)
    {
      munmap (self->map, self->capacity);
      if (ftruncate (self->fd, (off_t) self->used) != 0)
        g_warning ("Cannot shorten %s: %s", self->path, g_strerror (errno));
    }
  close (self->fd);
  g_free (self->path);
  g_free (self);
}

#define CHUNK VIGIL_AUDIT_JOURNAL_CHUNK

/* The file and the mapping cover at least SIZE bytes, whole chunks. */
static gboolean
grow (VigilAuditJournal  *self,
      gsize               size,
      GError            **error)
{
  gsize capacity;
  void *map;
  int rc;

  if (size <= self->capacity)
    return TRUE;
  if (size > G_MAXSIZE - CHUNK || size > (gsize) G_MAXINT64 - CHUNK)
    return set_errno_error (error, EFBIG, "grow", self->path);
  capacity = (size + CHUNK - 1) / CHUNK * CHUNK;
  /* Allocated, not sparse: a store into a hole on a full disk would be SIGBUS. */
  rc = posix_fallocate (self->fd, (off_t) self->capacity, (off_t) (capacity - self->capacity));
  if (rc != 0)
    return set_errno_error (error, rc, "grow", self->path);
  if (self->map == NULL)
    map = mmap (NULL, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
  else
    map = mremap (self->map, self->capacity, capacity, MREMAP_MAYMOVE);
  if (map == MAP_FAILED)
    return set_errno_error (error, errno, "map", self->path);
  self->map = map;
  self->capacity = capacity;
  return TRUE;
}

/* The first rewind maps the file, after reading the generation it had (a file a huge
 * statement grew is cut back first). */
static gboolean
map_file (VigilAuditJournal  *self,
          GError            **error)
{
  guint8 header[HEADER_LEN] = { 0, };
  struct stat st;

  if (fstat (self->fd, &st) != 0)
    return set_errno_error (error, errno, "read", self->path);
  if (st.st_size >= HEADER_LEN && pread (self->fd, header, sizeof header, 0) != HEADER_LEN)
    return set_errno_error (error, errno, "read", self->path);
  self->generation = header_generation (header);
  if (st.st_size > VIGIL_AUDIT_JOURNAL_KEEP && ftruncate (self->fd, (off_t) CHUNK) != 0)
    return set_errno_error (error, errno, "shorten", self->path);
  return grow (self, CHUNK, error);
}

/* Later rewinds keep the mapping, cut back to a chunk when a huge statement grew it: a
 * mapping shrinks in place, and a file that cannot be shortened is only larger. */
static void
shrink (VigilAuditJournal *self)
{
  if (self->capacity <= VIGIL_AUDIT_JOURNAL_KEEP
      || mremap (self->map, self->capacity, CHUNK, 0) == MAP_FAILED)
    return;
  self->capacity = CHUNK;
  if (ftruncate (self->fd, (off_t) CHUNK) != 0)
    g_warning ("Cannot shorten %s: %s", self->path, g_strerror (errno));
}

/* After a rewind the journal fills again from its start: the pages of a normal cycle stay
 * mapped, so appends do not fault each one in again (a fault per page, on the engine's
 * path). The pages past VIGIL_AUDIT_JOURNAL_RESIDENT, which only a burst grew into, leave
 * the process (they stay in the page cache and reach the file as any dirty page does), so
 * a journal that grew under a burst does not stay resident. */
static void
release_pages (VigilAuditJournal *self)
{
  gsize keep = VIGIL_AUDIT_JOURNAL_RESIDENT;

  if (self->capacity > keep && madvise (self->map + keep, self->capacity - keep, MADV_DONTNEED) != 0)
    g_debug ("madvise on %s: %s", self->path, g_strerror (errno));
}

/* ---- writing ---------------------------------------------------------------------- */

guint8 *
_vigil_audit_journal_begin (VigilAuditJournal  *self,
                            gsize               encoded_len,
                            GError            **error)
{
  g_assert (self->map != NULL && self->begun == 0);

  if (encoded_len == 0 || encoded_len > G_MAXUINT32 - FRAME_HASHES_LEN)
    {
      set_errno_error (error, EFBIG, "write", self->path);
      return NULL;
    }
  if (!grow (self, self->used + FRAME_OVERHEAD + encoded_len, error))
    return NULL;
  self->begun = encoded_len;
  return self->map + self->used + FRAME_OVERHEAD;
}

/* The header goes last: until then the frame is torn, whatever the place held before. */
void
_vigil_audit_journal_commit (VigilAuditJournal *self,
                             const guint8      *prev,
                             const guint8      *hash)
{
  guint8 *frame = self->map + self->used;

  g_assert (self->begun > 0);
  memcpy (frame + FRAME_HEADER_LEN, prev, VIGIL_AUDIT_HASH_LEN);
  memcpy (frame + FRAME_HEADER_LEN + VIGIL_AUDIT_HASH_LEN, hash, VIGIL_AUDIT_HASH_LEN);
  put_u64 (frame + 8, self->generation);
  put_u32 (frame + 4, (guint32) (FRAME_HASHES_LEN + self->begun));
  memcpy (frame, FRAME_MAGIC, 4);
  self->used += FRAME_OVERHEAD + self->begun;
  self->begun = 0;
}

void
_vigil_audit_journal_frame (VigilAuditJournal *self,
                            GByteArray        *out,
                            const guint8      *prev,
                            const guint8      *hash,
                            const guint8      *encoded,
                            gsize              encoded_len)
{
  guint8 header[FRAME_HEADER_LEN];

  g_assert (encoded_len <= G_MAXUINT32 - FRAME_HASHES_LEN);
  memcpy (header, FRAME_MAGIC, 4);
  put_u32 (header + 4, (guint32) (FRAME_HASHES_LEN + encoded_len));
  put_u64 (header + 8, self->generation);
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, prev, VIGIL_AUDIT_HASH_LEN);
  g_byte_array_append (out, hash, VIGIL_AUDIT_HASH_LEN);
  g_byte_array_append (out, encoded, (guint) encoded_len);
}

/* All of DATA (whole frames of this generation) or, when the journal cannot grow,
 * nothing. */
gboolean
_vigil_audit_journal_write (VigilAuditJournal  *self,
                            const guint8       *data,
                            gsize               len,
                            GError            **error)
{
  g_assert (self->map != NULL && self->begun == 0);

  if (len > G_MAXSIZE - self->used)
    return set_errno_error (error, EFBIG, "write", self->path);
  if (!grow (self, self->used + len, error))
    return FALSE;
  memcpy (self->map + self->used, data, len);
  self->used += len;
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
  return (goffset) self->used;
}

/* Only when the database holds every entry the journal has (and with the lock held):
 * a new generation, so what follows the rewind is never taken for a frame. */
gboolean
_vigil_audit_journal_reset (VigilAuditJournal  *self,
                            GError            **error)
{
  g_assert (self->begun == 0);

  if (self->map == NULL && !map_file (self, error))
    return FALSE;
  shrink (self);
  /* Before the header changes: whoever reads the new generation finds the rewind done. */
  release_pages (self);
  /* Each store leaves a journal that replays nothing the database lacks. */
  memset (self->map + HEADER_LEN, 0, FRAME_HEADER_LEN);
  put_u64 (self->map + 8, ++self->generation);
  memset (self->map + 16, 0, HEADER_LEN - 16);
  put_u32 (self->map + 4, HEADER_VERSION);
  memcpy (self->map, HEADER_MAGIC, 4);
  self->used = HEADER_LEN;
  return TRUE;
}

/* ---- replay ----------------------------------------------------------------------- */

/* How DATA_DIR's journal is laid out, from its first bytes. */
typedef struct
{
  gboolean legacy;      /* "VGJ1" frames from the start, no generation */
  guint64  generation;  /* else frames of this generation after the header */
} Layout;

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

/* FALSE when the journal holds no frame at all; the file offset is at the first frame. */
static gboolean
read_layout (int     fd,
             goffset size,
             Layout *layout)
{
  guint8 header[HEADER_LEN];

  memset (layout, 0, sizeof *layout);
  if (size < LEGACY_HEADER_LEN || !read_full (fd, header, LEGACY_HEADER_LEN))
    return FALSE;
  if (memcmp (header, LEGACY_MAGIC, 4) == 0)
    {
      layout->legacy = TRUE;
      return lseek (fd, 0, SEEK_SET) == 0;
    }
  if (size < HEADER_LEN + FRAME_HEADER_LEN
      || !read_full (fd, header + LEGACY_HEADER_LEN, HEADER_LEN - LEGACY_HEADER_LEN))
    return FALSE;
  layout->generation = header_generation (header);
  return layout->generation > 0;
}

/* One frame's payload into FRAME; FALSE at the end of the journal or at a frame that is
 * torn or of another generation. */
static gboolean
read_frame (int           fd,
            const Layout *layout,
            goffset      *remaining,
            GByteArray   *frame)
{
  guint8 header[FRAME_HEADER_LEN];
  gsize header_len = layout->legacy ? LEGACY_HEADER_LEN : FRAME_HEADER_LEN;
  guint32 length;

  if (*remaining < (goffset) header_len || !read_full (fd, header, header_len)
      || memcmp (header, layout->legacy ? LEGACY_MAGIC : FRAME_MAGIC, 4) != 0
      || (!layout->legacy && get_u64 (header + 8) != layout->generation))
    return FALSE;
  length = get_u32 (header + 4);
  /* Bounded by what the file holds before anything is allocated. */
  if (length < FRAME_HASHES_LEN || length > *remaining - (goffset) header_len)
    return FALSE;
  g_byte_array_set_size (frame, length);
  if (!read_full (fd, frame->data, length))
    return FALSE;
  *remaining -= (goffset) header_len + (goffset) length;
  return TRUE;
}

gboolean
_vigil_audit_journal_has_frames (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  gboolean has_frames;
  struct stat st;
  Layout layout;
  goffset remaining;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0)
    return FALSE;
  has_frames = fstat (fd, &st) == 0 && read_layout (fd, st.st_size, &layout);
  if (has_frames)
    {
      remaining = st.st_size - (layout.legacy ? 0 : HEADER_LEN);
      has_frames = read_frame (fd, &layout, &remaining, frame);
    }
  close (fd);
  return has_frames;
}

/* Intact: HASH is the chain hash of PREV and the encoding, and PREV continues LAST (the
 * hash of the frame before, NULL for the first). */
static gboolean
frame_intact (const GByteArray *frame,
              const guint8     *last,
              VigilAuditEntry  *entry,
              char             *prev_hex,
              char             *hash_hex)
{
  const guint8 *prev = frame->data;
  const guint8 *hash = frame->data + VIGIL_AUDIT_HASH_LEN;
  const guint8 *encoded = frame->data + FRAME_HASHES_LEN;
  gsize encoded_len = frame->len - FRAME_HASHES_LEN;
  guint8 computed[VIGIL_AUDIT_HASH_LEN];

  if ((last != NULL && memcmp (prev, last, VIGIL_AUDIT_HASH_LEN) != 0)
      || !_vigil_audit_entry_decode (encoded, encoded_len, entry)
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
  guint8 last[VIGIL_AUDIT_HASH_LEN];
  gboolean have_last = FALSE;
  gboolean ok = TRUE;
  struct stat st;
  Layout layout;
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
  if (!read_layout (fd, st.st_size, &layout))
    {
      close (fd);
      return TRUE;
    }
  remaining = st.st_size - (layout.legacy ? 0 : HEADER_LEN);
  while (ok && read_frame (fd, &layout, &remaining, frame))
    {
      VigilAuditEntry entry;
      char prev_hex[VIGIL_AUDIT_HEX_LEN + 1];
      char hash_hex[VIGIL_AUDIT_HEX_LEN + 1];

      if (!frame_intact (frame, have_last ? last : NULL, &entry, prev_hex, hash_hex))
        break;
      memcpy (last, frame->data + VIGIL_AUDIT_HASH_LEN, sizeof last);
      have_last = TRUE;
      ok = func (&entry, prev_hex, hash_hex, user_data, error);
    }
  close (fd);
  return ok;
}
