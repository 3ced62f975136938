/* vigil-audit.c: the write-ahead, hash-chained flight recorder.
 *
 * Schema and chain (data/sql/0002-audit.sql): audit_log holds ENTRIES, ids contiguous
 * from 1. An entry is a 'statement' (the record's fields) or an 'outcome' (statement_id,
 * rows, duration_us, masked, error_sqlstate, error_message, bytes), so outcomes are
 * chained like everything else. hash = SHA-256 ("vigil-audit-entry-v1\0" || prev_hash
 * (32 raw bytes) || u64be (25) || the 25 content columns in VIGIL_AUDIT_CONTENT_COLUMNS
 * order, id and kind first), each column encoded as a type byte ('N' null; 'I' + i64be;
 * 'T' + u64be length + bytes), so no two different entries encode alike. The genesis
 * prev_hash is 32 zero bytes; hashes are stored as lowercase hex.
 *
 * Write-ahead: an entry gets its id and hash when it is appended, on the caller's thread,
 * and is encoded straight into the journal's mapping (vigil-audit-journal.c) before
 * vigil_audit_log_statement() returns; the statement may then run. That is as durable as
 * a SQLite commit in WAL mode with synchronous=NORMAL (it survives kill -9, not power
 * loss) and costs no system call, thread hop or transaction. An outcome the journal
 * cannot take (it could not grow) waits for the next statement or batch (outcomes are not
 * a write-ahead promise).
 *
 * The writer thread copies entries into audit_log in large batches (group commit), each
 * batch also updating the single-row audit_checkpoint; DATA_DIR/audit.head is a copy of
 * the head outside SQLite written at most every HEAD_FILE_INTERVAL, so it may lag the log
 * but is never ahead of it; verify accepts that lag and nothing else. The journal is reset
 * once the database holds all of it. Opening the audit replays whatever the journal has
 * that the database lacks (after a crash), and only one process may write a data
 * directory's audit at a time (the journal is locked).
 *
 * Failure policy: fail closed. A journal that cannot be written refuses the statement
 * (VIGIL_ERROR_STORE: the engine answers 58030). A batch the database refuses is rolled
 * back and retried after RETRY_DELAY; its entries are safe in the journal, and while the
 * database refuses batches every new statement is refused too, so the backlog stays
 * bounded and the failure is seen at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sched.h>
#include <string.h>

#include <gio/gio.h>

#include "vigil-audit-private.h"

/* Large batches: a commit rewrites the pages it touches in the WAL, a small one mostly
 * those; the journal, not the commit, is what makes an entry durable. */
#define BATCH_EAGER           1024  /* commit at once with this many waiting */
#define BATCH_MAX             4096
#define BATCH_MIN_RETRY       16    /* a refused batch is retried smaller, down to this */
#define LINGER_US             (50 * G_TIME_SPAN_MILLISECOND)
#define RETRY_DELAY_US        (100 * G_TIME_SPAN_MILLISECOND)
#define HEAD_FILE_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
#define ROOM_WAIT_US          (1 * G_TIME_SPAN_SECOND)
#define JOURNAL_RESET_BYTES   (4 * 1024 * 1024)
#define JOURNAL_FORCE_BYTES   (6 * 1024 * 1024)
#define BUFFER_KEEP_BYTES     (1024 * 1024)

/* A journal kept under its bound never leaves its resident pages (maybe_reset_journal). */
G_STATIC_ASSERT (JOURNAL_RESET_BYTES < JOURNAL_FORCE_BYTES
                 && JOURNAL_FORCE_BYTES + VIGIL_AUDIT_JOURNAL_CHUNK <= VIGIL_AUDIT_JOURNAL_RESIDENT);

/* A chained entry on its way to the database, followed by its canonical encoding (as
 * hashed, LEN bytes) padded to 8 bytes. */
typedef struct
{
  gint64  id;
  guint8  prev[VIGIL_AUDIT_HASH_LEN];
  guint8  hash[VIGIL_AUDIT_HASH_LEN];
  guint64 len;
} Item;

#define ITEM_SIZE(len) (sizeof (Item) + (((len) + 7) & ~(guint64) 7))

/* Items back to back, in id order, from START: one buffer, no allocation an entry. */
typedef struct
{
  GByteArray *bytes;
  guint       start;     /* the bytes before it were taken */
  guint       n_items;
} Items;

struct _VigilAudit
{
  GObject            parent_instance;

  /* immutable after construction */
  char              *data_dir;
  GThread           *thread;

  /* writer thread only */
  VigilAuditDb       store;
  Items              batch;          /* being committed */
  int                applied_busy_timeout;
  gint64             head_entries;   /* the database's head as last committed */
  char               head_hash[VIGIL_AUDIT_HEX_LEN + 1];
  gint64             head_written;   /* ... and as the head file last says */
  gint64             head_written_at;

  /* the chain, under chain_lock (taken before lock when both are needed) */
  GMutex             chain_lock;
  VigilAuditJournal *journal;
  GByteArray        *unwritten;      /* chained frames not yet in the journal (outcomes) */
  GByteArray        *scratch;
  gint64             chain_id;
  guint8             chain_hash[VIGIL_AUDIT_HASH_LEN];
  goffset            journal_reset_bytes;
  goffset            journal_force_bytes;

  /* shared, under lock */
  GMutex             lock;
  GCond              cond;
  GCond              room;           /* with chain_lock: the journal was rewound */
  Items              pending;
  gint64             pending_since;  /* when the oldest pending item came */
  guint64            appended;       /* items ever queued */
  guint64            committed;      /* ... and ever committed */
  guint64            failed_batches;
  guint              batch_limit;    /* writer thread: BATCH_MAX, less after a refusal */
  GError            *failure;        /* the database's refusal, while it lasts */
  gint               failing;        /* atomic: failure != NULL, read without the lock */
  gboolean           batch_polite;   /* writer thread: the batch may yield (insert_items) */
  gboolean           stopping;
  guint              flushing;       /* callers in vigil_audit_flush */
  gboolean           kicked;         /* commit what is pending now */
  gint64             last_commit_us;

  /* shared, atomic */
  int                busy_timeout_ms;
};

G_DEFINE_FINAL_TYPE (VigilAudit, vigil_audit, G_TYPE_OBJECT)

/* Helpers */

static void
items_init (Items *items)
{
  items->bytes = g_byte_array_sized_new (64 * 1024);
  items->start = 0;
  items->n_items = 0;
}

static void
items_clear (Items *items)
{
  g_clear_pointer (&items->bytes, g_byte_array_unref);
  items->start = 0;
  items->n_items = 0;
}

/* Empties ITEMS, letting go of a buffer a burst made large. */
static void
items_reset (Items *items)
{
  if (items->bytes->len > BUFFER_KEEP_BYTES)
    {
      items_clear (items);
      items_init (items);
    }
  g_byte_array_set_size (items->bytes, 0);
  items->start = 0;
  items->n_items = 0;
}

/* Drops the bytes already taken. */
static void
items_compact (Items *items)
{
  g_byte_array_remove_range (items->bytes, 0, items->start);
  items->start = 0;
}

static void
items_append (Items        *items,
              gint64        id,
              const guint8 *prev,
              const guint8 *hash,
              const guint8 *encoded,
              gsize         len)
{
  guint at = items->bytes->len;
  Item *item;

  g_assert (ITEM_SIZE (len) <= G_MAXUINT - at);
  g_byte_array_set_size (items->bytes, at + (guint) ITEM_SIZE (len));
  item = (Item *) (gpointer) (items->bytes->data + at);
  item->id = id;
  memcpy (item->prev, prev, VIGIL_AUDIT_HASH_LEN);
  memcpy (item->hash, hash, VIGIL_AUDIT_HASH_LEN);
  item->len = len;
  memcpy (item + 1, encoded, len);
  items->n_items++;
}

/* Moves all of FROM to the front of TO. */
static void
items_prepend (Items *to,
               Items *from)
{
  items_compact (to);
  g_byte_array_prepend (to->bytes, from->bytes->data + from->start,
                        from->bytes->len - from->start);
  to->n_items += from->n_items;
  items_reset (from);
}

static void
entry_clear (VigilAuditEntry *entry,
             const char      *kind)
{
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    _vigil_audit_value_set_text (&entry->v[i], NULL);
  _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_ID], 0);  /* chain_locked's */
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_KIND], kind);
}

/* Borrows R's strings. */
static void
entry_from_record (VigilAuditEntry        *entry,
                   const VigilAuditRecord *r)
{
  entry_clear (entry, "statement");
  _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_TIME_US], r->time_us);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_IDENTITY], r->identity);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_IDENTITY_KIND], r->identity_kind);
  _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_PID], r->pid);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_EXE], r->exe);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_OS_USER], r->os_user);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_CONNECTION], r->connection);
  _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_SESSION], (gint64) r->session);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_PROTOCOL], r->protocol);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_STATEMENT], r->statement);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_PARAMS], r->params);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_CLASS], r->class);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_RELATIONS], r->relations);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_DECISION], r->decision);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_RULE], r->rule);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_APPROVER], r->approver);
}

/* The batch's items in order, decoded in groups of VIGIL_AUDIT_DB_GROUP rows: each group
 * is one INSERT. The decoded values point into the batch, which outlives the call.
 *
 * A batch is milliseconds of CPU, and whatever waits for this CPU meanwhile (the engine
 * thread, a statement's backend or client) would wait that long. With POLITE, the writer
 * offers the CPU back after each group, holding it some 50 us at a time. */
static gboolean
insert_items (VigilAuditDb  *store,
              Items         *items,
              gboolean       polite,
              gint64        *head_id,
              char          *head_hash,
              GError       **error)
{
  VigilAuditDbRow rows[VIGIL_AUDIT_DB_GROUP];
  const Item *last = NULL;
  guint n = 0;

  for (guint at = items->start; at < items->bytes->len;)
    {
      const Item *item = (const Item *) (gconstpointer) (items->bytes->data + at);
      VigilAuditDbRow *row = &rows[n];

      at += (guint) ITEM_SIZE (item->len);
      if (!_vigil_audit_entry_decode ((const guint8 *) (item + 1), item->len, &row->entry))
        g_error ("The audit writer cannot read back entry %" G_GINT64_FORMAT, item->id);
      /* An entry's prev is the hash before it, already in hex. */
      if (last == NULL || memcmp (item->prev, last->hash, VIGIL_AUDIT_HASH_LEN) != 0)
        _vigil_audit_hash_to_hex (item->prev, row->prev_hex);
      else
        memcpy (row->prev_hex, rows[n == 0 ? VIGIL_AUDIT_DB_GROUP - 1 : n - 1].hash_hex,
                sizeof row->prev_hex);
      _vigil_audit_hash_to_hex (item->hash, row->hash_hex);
      last = item;
      if (++n == VIGIL_AUDIT_DB_GROUP)
        {
          if (!_vigil_audit_db_append_rows (store, rows, n, head_id, head_hash, error))
            return FALSE;
          n = 0;
          if (polite)
            sched_yield ();
        }
    }
  return _vigil_audit_db_append_rows (store, rows, n, head_id, head_hash, error);
}

typedef struct
{
  Items    *items;
  gboolean  polite;  /* yield between groups; never while appends wait for the batch */
} InsertRequest;

static gboolean
insert_request (VigilAuditDb  *store,
                gpointer       data,
                gint64        *head_id,
                char          *head_hash,
                GError       **error)
{
  InsertRequest *request = data;

  return insert_items (store, request->items, request->polite, head_id, head_hash, error);
}

/* ---- the writer thread -------------------------------------------------------------- */

static void
apply_busy_timeout (VigilAudit *self)
{
  int wanted = g_atomic_int_get (&self->busy_timeout_ms);

  if (wanted != self->applied_busy_timeout)
    {
      sqlite3_busy_timeout (self->store.db, wanted);
      self->applied_busy_timeout = wanted;
    }
}

/* The head file is a second witness against cutting the newest entries off; it may lag
 * the log (verify accepts that), so it is written at most every HEAD_FILE_INTERVAL. */
static void
write_head_file (VigilAudit *self)
{
  g_autoptr(GError) error = NULL;

  if (self->head_entries == self->head_written)
    return;
  if (!_vigil_audit_head_write (self->data_dir, self->head_entries, self->head_hash, &error))
    g_warning ("Cannot update the audit head file: %s", error->message);
  self->head_written = self->head_entries;
  self->head_written_at = g_get_monotonic_time ();
}

static gboolean
head_file_due (VigilAudit *self,
               gint64      now)
{
  return self->head_entries != self->head_written
         && now >= self->head_written_at + HEAD_FILE_INTERVAL_US;
}

/* Chained frames that are not in the journal yet go now (outcomes wait for this or the
 * next statement). Called with chain_lock held. */
static gboolean
write_unwritten_locked (VigilAudit  *self,
                        GError     **error)
{
  if (self->unwritten->len == 0)
    return TRUE;
  if (!_vigil_audit_journal_write (self->journal, self->unwritten->data, self->unwritten->len,
                                   error))
    return FALSE;
  if (self->unwritten->len > BUFFER_KEEP_BYTES)
    {
      g_byte_array_unref (self->unwritten);
      self->unwritten = g_byte_array_sized_new (4096);
    }
  else
    g_byte_array_set_size (self->unwritten, 0);
  return TRUE;
}

static void
flush_journal (VigilAudit *self)
{
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&self->chain_lock);
  if (!write_unwritten_locked (self, &error))
    g_warning ("%s", error->message);
  g_mutex_unlock (&self->chain_lock);
}

typedef enum {
  WORK_BATCH,
  WORK_HEAD_FILE,
  WORK_STOP,
} Work;

/* Called with the lock held. */
static gboolean
batch_due_locked (VigilAudit *self,
                  gint64      now,
                  gboolean    last_failed,
                  gint64      retry_at)
{
  if (self->pending.n_items == 0)
    return FALSE;
  if (last_failed)
    return now >= retry_at;
  return self->stopping || self->flushing || self->kicked
         || self->pending.n_items >= BATCH_EAGER
         || now >= self->pending_since + LINGER_US;
}

/* Waits for something to do. Called with the lock held. */
static Work
wait_for_work_locked (VigilAudit *self,
                      gboolean    last_failed)
{
  gint64 retry_at = g_get_monotonic_time () + RETRY_DELAY_US;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 deadline = G_MAXINT64;

      /* Stopping after a refusal: what is left is safe in the journal. */
      if (self->stopping && (self->pending.n_items == 0 || last_failed))
        return WORK_STOP;
      if (batch_due_locked (self, now, last_failed, retry_at))
        return WORK_BATCH;
      if (head_file_due (self, now))
        return WORK_HEAD_FILE;
      if (self->pending.n_items > 0)
        deadline = last_failed ? retry_at : self->pending_since + LINGER_US;
      if (self->head_entries != self->head_written)
        deadline = MIN (deadline, self->head_written_at + HEAD_FILE_INTERVAL_US);
      if (deadline == G_MAXINT64)
        g_cond_wait (&self->cond, &self->lock);
      else
        g_cond_wait_until (&self->cond, &self->lock, deadline);
    }
}

/* Moves the first N of FROM's items (not all) to the end of TO; what FROM keeps moves
 * down only once it is less than half of its buffer, so a long queue is not copied again
 * for every batch taken off it. */
static void
items_move_head (Items *to,
                 Items *from,
                 guint  n)
{
  guint at = from->start;

  for (guint i = 0; i < n; i++)
    at += (guint) ITEM_SIZE (((const Item *) (gconstpointer) (from->bytes->data + at))->len);
  g_byte_array_append (to->bytes, from->bytes->data + from->start, at - from->start);
  from->start = at;
  to->n_items += n;
  from->n_items -= n;
  if (from->start > from->bytes->len / 2)
    items_compact (from);
}

/* Up to MAX pending items become the batch (which is empty): usually all of them, and
 * then the buffers swap. A batch's length bounds how much the journal can grow while it
 * is committed. */
static void
take_batch_locked (VigilAudit *self,
                   guint       max)
{
  Items batch = self->batch;

  g_assert (batch.n_items == 0);
  if (self->pending.n_items <= max)
    {
      self->batch = self->pending;
      self->pending = batch;
    }
  else
    items_move_head (&self->batch, &self->pending, max);
  /* A writer that keeps up (a batch of usual size, little behind it) yields between
   * groups; one that has fallen behind keeps the CPU, so it cannot be starved. Decided
   * here, not group by group: reading the queue's length as it grows would pull the
   * cache line every statement writes away from the engine thread. */
  self->batch_polite = self->batch.n_items <= 2 * BATCH_EAGER &&
                       self->pending.n_items < BATCH_EAGER;
  self->pending_since = g_get_monotonic_time ();
  self->kicked = FALSE;
}

static gboolean
write_batch (VigilAudit  *self,
             GError     **error)
{
  gint64 started = g_get_monotonic_time ();
  InsertRequest request = { &self->batch, self->batch_polite };

  flush_journal (self);
  apply_busy_timeout (self);
  if (!_vigil_audit_db_transaction (&self->store, insert_request, &request, &self->head_entries,
                                    self->head_hash, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->last_commit_us = g_get_monotonic_time () - started;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* A refused batch goes back to the front of the queue, in order. */
static void
batch_done (VigilAudit *self,
            GError     *error)
{
  g_mutex_lock (&self->lock);
  if (error != NULL)
    {
      items_prepend (&self->pending, &self->batch);
      g_clear_error (&self->failure);
      self->failure = g_error_copy (error);
      g_atomic_int_set (&self->failing, TRUE);
      g_cond_broadcast (&self->room);  /* statements are refused now: none waits */
      self->failed_batches++;
    }
  else
    {
      g_clear_error (&self->failure);
      g_atomic_int_set (&self->failing, FALSE);
      self->committed += self->batch.n_items;
      items_reset (&self->batch);
    }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Called with chain_lock held, so nothing can be appended meanwhile: whatever is pending
 * goes into the database in one transaction, after which the journal holds nothing the
 * database lacks. */
static gboolean
catch_up_locked (VigilAudit  *self,
                 GError     **error)
{
  /* Appends wait for this one (chain_lock is held): no yielding. */
  InsertRequest request = { &self->batch, FALSE };
  gboolean ok;

  if (!write_unwritten_locked (self, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  take_batch_locked (self, G_MAXUINT);
  g_mutex_unlock (&self->lock);
  apply_busy_timeout (self);
  /* The WAL is copied back into the database by the writer's next batch, not here. */
  _vigil_audit_db_set_autocheckpoint (&self->store, FALSE);
  ok = _vigil_audit_db_transaction (&self->store, insert_request, &request, &self->head_entries,
                                    self->head_hash, error);
  _vigil_audit_db_set_autocheckpoint (&self->store, TRUE);
  batch_done (self, ok ? NULL : *error);
  return ok;
}

/* Once the database has everything the journal has, the journal starts over. A busy
 * engine never leaves the writer caught up at the end of a batch (statements came while
 * it committed), so past journal_reset_bytes the writer catches up with those while
 * appends wait for it (under a millisecond: a batch's worth of statements, once per few
 * MB) and rewinds. The journal so stays inside the pages it keeps mapped
 * (VIGIL_AUDIT_JOURNAL_RESIDENT): a journal left to grow faults a page in on the engine's
 * path every few statements, and a page fault costs more than the statement's record.
 * Statements past journal_force_bytes wait for the rewind (wait_for_room_locked): the
 * bound holds even when the writer is kept from the end of its batch. A writer that stops
 * caught up leaves an empty journal (nothing to replay at the next start). */
static void
maybe_reset_journal (VigilAudit *self,
                     gboolean    stopping)
{
  g_autoptr(GError) error = NULL;
  goffset size;

  g_mutex_lock (&self->chain_lock);
  size = _vigil_audit_journal_get_size (self->journal);
  if (size >= self->journal_reset_bytes || stopping)
    {
      gboolean caught_up = self->unwritten->len == 0 && self->chain_id == self->head_entries;

      if (!caught_up && !stopping)
        caught_up = catch_up_locked (self, &error);
      if (caught_up && !_vigil_audit_journal_reset (self->journal, &error))
        caught_up = FALSE;
      if (error != NULL)
        g_warning ("%s", error->message);
      if (caught_up)
        g_cond_broadcast (&self->room);
    }
  g_mutex_unlock (&self->chain_lock);
}

/* A full disk refuses a large backlog's transaction (its WAL needs room) long after it
 * would take a small one: after a refusal the WAL's space is given back and the next
 * batch is a quarter of the last, and batches grow again as commits succeed. */
static void
adapt_batch_limit (VigilAudit *self,
                   gboolean    failed)
{
  if (failed)
    {
      _vigil_audit_db_release_wal (&self->store);
      self->batch_limit = MAX (BATCH_MIN_RETRY, self->batch_limit / 4);
    }
  else
    self->batch_limit = MIN (BATCH_MAX, self->batch_limit * 2);
}

static gpointer
writer_thread (gpointer data)
{
  VigilAudit *self = data;
  gboolean last_failed = FALSE;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      Work work;

      g_mutex_lock (&self->lock);
      work = wait_for_work_locked (self, last_failed);
      if (work == WORK_BATCH)
        take_batch_locked (self, self->batch_limit);
      g_mutex_unlock (&self->lock);

      if (work == WORK_STOP)
        break;
      if (work == WORK_HEAD_FILE)
        {
          write_head_file (self);
          continue;
        }
      last_failed = !write_batch (self, &error);
      if (last_failed)
        g_warning ("%s", error->message);
      batch_done (self, error);
      adapt_batch_limit (self, last_failed);
      if (!last_failed)
        maybe_reset_journal (self, FALSE);
    }
  flush_journal (self);
  if (!last_failed)
    maybe_reset_journal (self, TRUE);
  write_head_file (self);
  return NULL;
}

/* ---- appending ---------------------------------------------------------------------- */

static void
enqueue_locked (VigilAudit   *self,
                gint64        id,
                const guint8 *hash,
                const guint8 *encoded,
                gsize         len)
{
  if (self->pending.n_items == 0)
    self->pending_since = g_get_monotonic_time ();
  items_append (&self->pending, id, self->chain_hash, hash, encoded, len);
  self->appended++;
  /* The writer sleeps without a deadline when idle: it needs this item's. */
  if (self->pending.n_items == 1 || self->pending.n_items == BATCH_EAGER)
    g_cond_broadcast (&self->cond);
}

/* Encodes ENTRY straight into the journal and hashes it (HASH_OUT): the encoding, valid
 * until the next append. An outcome the journal cannot take now waits in unwritten for
 * the next entry; a statement's is refused (NULL with ERROR). Called with chain_lock held. */
static const guint8 *
journal_entry_locked (VigilAudit             *self,
                      const VigilAuditEntry  *entry,
                      gsize                   len,
                      gboolean                write_now,
                      guint8                 *hash_out,
                      GError                **error)
{
  g_autoptr(GError) local_error = NULL;
  guint8 *encoded = NULL;

  if (write_unwritten_locked (self, &local_error))
    encoded = _vigil_audit_journal_begin (self->journal, len, &local_error);
  if (encoded != NULL)
    {
      _vigil_audit_entry_encode_to (entry, encoded);
      _vigil_audit_hash_encoded (self->chain_hash, encoded, len, hash_out);
      _vigil_audit_journal_commit (self->journal, self->chain_hash, hash_out);
      return encoded;
    }
  if (write_now)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_byte_array_set_size (self->scratch, (guint) len);
  _vigil_audit_entry_encode_to (entry, self->scratch->data);
  _vigil_audit_hash_encoded (self->chain_hash, self->scratch->data, len, hash_out);
  _vigil_audit_journal_frame (self->journal, self->unwritten, self->chain_hash, hash_out,
                              self->scratch->data, len);
  return self->scratch->data;
}

/* Gives ENTRY the next id and its chain hash, stores its frame in the journal (a
 * statement's at once, WRITE_NOW) and hands it to the writer: its id, or 0 when the
 * journal refused it. Called with chain_lock held. */
static gint64
chain_locked (VigilAudit       *self,
              VigilAuditEntry  *entry,
              gboolean          write_now,
              GError          **error)
{
  guint8 hash[VIGIL_AUDIT_HASH_LEN];
  gint64 id = self->chain_id + 1;
  const guint8 *encoded;
  gsize len;

  _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_ID], id);
  len = _vigil_audit_entry_encoded_len (entry);
  g_assert (len <= G_MAXUINT);
  encoded = journal_entry_locked (self, entry, len, write_now, hash, error);
  if (encoded == NULL)
    return 0;
  g_mutex_lock (&self->lock);
  enqueue_locked (self, id, hash, encoded, len);
  g_mutex_unlock (&self->lock);
  memcpy (self->chain_hash, hash, sizeof hash);
  self->chain_id = id;
  if (self->scratch->len > BUFFER_KEEP_BYTES)
    {
      g_byte_array_unref (self->scratch);
      self->scratch = g_byte_array_sized_new (1024);
    }
  return id;
}

/* Past journal_force_bytes a statement waits (chain_lock let go) for the writer to catch
 * up and rewind the journal: the journal stays bounded however long the writer was kept
 * from its batch (a loaded machine), not only once the batch ends. A database refusing
 * batches wakes the waiters (statements are refused then); ROOM_WAIT_US at most. */
static void
wait_for_room_locked (VigilAudit *self)
{
  gint64 deadline;

  if (_vigil_audit_journal_get_size (self->journal) < self->journal_force_bytes)
    return;
  deadline = g_get_monotonic_time () + ROOM_WAIT_US;
  vigil_audit_commit_soon (self);
  while (_vigil_audit_journal_get_size (self->journal) >= self->journal_force_bytes
         && !g_atomic_int_get (&self->failing)
         && g_cond_wait_until (&self->room, &self->chain_lock, deadline))
    ;
}

static gboolean
check_accepting (VigilAudit  *self,
                 GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  /* Every statement asks: not a lock taken from the writer each time. */
  if (!g_atomic_int_get (&self->failing))
    return TRUE;
  locker = g_mutex_locker_new (&self->lock);
  if (self->failure == NULL)
    return TRUE;
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "%s", self->failure->message);
  return FALSE;
}

/* ---- opening ------------------------------------------------------------------------ */

/* Refuses to append over a log that audit.head says was cut short: appending and then
 * rewriting audit.head would hide the truncation. */
static gboolean
check_head_file (VigilAudit  *self,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *file_hash = NULL;
  gint64 file_entries = 0;

  if (_vigil_audit_head_read (self->data_dir, &file_entries, &file_hash, &local_error))
    {
      if (file_entries <= self->head_entries)
        return TRUE;  /* the full check is vigil_audit_verify's */
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                   "The audit log has %" G_GINT64_FORMAT " entries but %s records %"
                   G_GINT64_FORMAT ": newest entries removed? Run `vigilctl audit verify`",
                   self->head_entries, VIGIL_AUDIT_HEAD_NAME, file_entries);
      return FALSE;
    }
  if (self->head_entries == 0 && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return _vigil_audit_head_write (self->data_dir, 0, VIGIL_AUDIT_GENESIS_HEX, error);
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
               "Cannot check the audit log against %s: %s", VIGIL_AUDIT_HEAD_NAME,
               local_error->message);
  return FALSE;
}

/* One writer per data directory: a second one would fork the chain. */
static gboolean
open_journal (VigilAudit  *self,
              GError     **error)
{
  g_autofree char *path = g_build_filename (self->data_dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);

  self->journal = _vigil_audit_journal_open (self->data_dir, error);
  if (self->journal == NULL)
    return FALSE;
  if (!_vigil_audit_journal_lock (self->journal))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                   "Another process is writing the audit log of %s (%s is locked)",
                   self->data_dir, path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_chain (VigilAudit  *self,
            gboolean     synchronous_full,
            GError     **error)
{
  guint64 replayed = 0;

  if (!_vigil_audit_db_open (&self->store, self->data_dir, synchronous_full, error)
      || !open_journal (self, error)
      || !_vigil_audit_db_recover (&self->store, self->data_dir, &self->head_entries, self->head_hash,
                   &replayed, error)
      || !check_head_file (self, error)
      || !_vigil_audit_journal_reset (self->journal, error))
    return FALSE;
  if (replayed > 0)
    g_message ("Audit: recovered %" G_GUINT64_FORMAT " entries from the journal", replayed);
  self->chain_id = self->head_entries;
  _vigil_audit_hex_to_hash (self->head_hash, self->chain_hash);
  self->head_written = -1;
  write_head_file (self);
  return TRUE;
}

/* GObject overrides */

static void
vigil_audit_dispose (GObject *object)
{
  VigilAudit *self = (VigilAudit *) object;

  if (self->thread != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stopping = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
      g_clear_pointer (&self->thread, g_thread_join);
    }

  G_OBJECT_CLASS (vigil_audit_parent_class)->dispose (object);
}

static void
vigil_audit_finalize (GObject *object)
{
  VigilAudit *self = (VigilAudit *) object;

  if (self->pending.n_items > 0)
    g_warning ("Audit log closed with %u entries only in the journal: they are replayed when "
               "it is opened again", self->pending.n_items);
  items_clear (&self->pending);
  items_clear (&self->batch);
  g_clear_error (&self->failure);
  _vigil_audit_db_close (&self->store);
  g_clear_pointer (&self->journal, _vigil_audit_journal_free);
  g_clear_pointer (&self->unwritten, g_byte_array_unref);
  g_clear_pointer (&self->scratch, g_byte_array_unref);
  g_clear_pointer (&self->data_dir, g_free);
  g_mutex_clear (&self->chain_lock);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_cond_clear (&self->room);

  G_OBJECT_CLASS (vigil_audit_parent_class)->finalize (object);
}

static void
vigil_audit_class_init (VigilAuditClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_audit_dispose;
  object_class->finalize = vigil_audit_finalize;
}

static void
vigil_audit_init (VigilAudit *self)
{
  g_mutex_init (&self->chain_lock);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_cond_init (&self->room);
  items_init (&self->pending);
  items_init (&self->batch);
  self->unwritten = g_byte_array_sized_new (4096);
  self->batch_limit = BATCH_MAX;
  self->scratch = g_byte_array_sized_new (1024);
  self->journal_reset_bytes = JOURNAL_RESET_BYTES;
  self->journal_force_bytes = JOURNAL_FORCE_BYTES;
  self->busy_timeout_ms = VIGIL_AUDIT_BUSY_TIMEOUT_MS;
  self->applied_busy_timeout = VIGIL_AUDIT_BUSY_TIMEOUT_MS;
}

/* Internal API */

VigilAudit *
_vigil_audit_new_full (const char  *data_dir,
                       gboolean     synchronous_full,
                       GError     **error)
{
  g_autoptr(VigilAudit) self = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (VIGIL_TYPE_AUDIT, NULL);
  self->data_dir = g_strdup (data_dir);
  if (!open_chain (self, synchronous_full, error))
    return NULL;
  self->thread = g_thread_new ("vigil-audit", writer_thread, self);
  return g_steal_pointer (&self);
}

void
_vigil_audit_set_busy_timeout (VigilAudit *self,
                               int         milliseconds)
{
  g_return_if_fail (VIGIL_IS_AUDIT (self));

  g_atomic_int_set (&self->busy_timeout_ms, milliseconds);
}

void
_vigil_audit_set_journal_limits (VigilAudit *self,
                                 goffset     reset_bytes,
                                 goffset     force_bytes)
{
  g_return_if_fail (VIGIL_IS_AUDIT (self));

  g_mutex_lock (&self->chain_lock);
  self->journal_reset_bytes = reset_bytes;
  self->journal_force_bytes = force_bytes;
  g_mutex_unlock (&self->chain_lock);
}

/* Public API */

VigilAudit *
vigil_audit_new (const char  *data_dir,
                 GError     **error)
{
  /* NORMAL in WAL mode: the database's batches need not survive power loss either, the
   * journal in front of them is written the same way. */
  return _vigil_audit_new_full (data_dir, FALSE, error);
}

gboolean
vigil_audit_recover (const char  *data_dir,
                     guint64     *out_replayed,
                     GError     **error)
{
  VigilAuditDb store = { NULL, };
  char head_hash[VIGIL_AUDIT_HEX_LEN + 1];
  gint64 head_id = 0;
  gboolean ok;

  g_return_val_if_fail (data_dir != NULL, FALSE);

  if (out_replayed != NULL)
    *out_replayed = 0;
  /* Nothing to replay: no write transaction (the directory may even be read-only). */
  if (!_vigil_audit_journal_has_frames (data_dir))
    return TRUE;
  ok = _vigil_audit_db_open (&store, data_dir, FALSE, error)
       && _vigil_audit_db_recover (&store, data_dir, &head_id, head_hash, out_replayed, error);
  _vigil_audit_db_close (&store);
  return ok;
}

gint64
vigil_audit_log_statement (VigilAudit              *self,
                           const VigilAuditRecord  *record,
                           GError                 **error)
{
  VigilAuditEntry entry;
  gint64 id;

  g_return_val_if_fail (VIGIL_IS_AUDIT (self), 0);
  g_return_val_if_fail (record != NULL, 0);

  if (!check_accepting (self, error))
    return 0;
  entry_from_record (&entry, record);
  g_mutex_lock (&self->chain_lock);
  wait_for_room_locked (self);
  id = chain_locked (self, &entry, TRUE, error);
  g_mutex_unlock (&self->chain_lock);
  return id;
}

typedef struct
{
  VigilAuditCommitted  callback;
  gpointer             user_data;
  gint64               id;
  GError              *error;
} Committed;

static gboolean
committed_cb (gpointer data)
{
  Committed *note = data;

  note->callback (note->id, note->error, note->user_data);
  return G_SOURCE_REMOVE;
}

static void
committed_free (gpointer data)
{
  Committed *note = data;

  g_clear_error (&note->error);
  g_free (note);
}

void
vigil_audit_append_statement (VigilAudit          *self,
                              VigilAuditRecord    *record,
                              GMainContext        *notify_context,
                              VigilAuditCommitted  callback,
                              gpointer             user_data)
{
  Committed *note;

  g_return_if_fail (VIGIL_IS_AUDIT (self));
  g_return_if_fail (record != NULL);

  note = g_new0 (Committed, 1);
  note->callback = callback;
  note->user_data = user_data;
  note->id = vigil_audit_log_statement (self, record, &note->error);
  vigil_audit_record_free (record);
  if (callback == NULL)
    {
      committed_free (note);
      return;
    }
  g_main_context_invoke_full (notify_context != NULL ? notify_context : g_main_context_default (),
                              G_PRIORITY_DEFAULT, committed_cb, note, committed_free);
}

void
vigil_audit_append_outcome (VigilAudit *self,
                            gint64      record_id,
                            gint64      rows,
                            gint64      duration_us,
                            guint       masked,
                            const char *error_sqlstate,
                            const char *error_message,
                            guint64     bytes_to_client)
{
  VigilAuditEntry entry;

  g_return_if_fail (VIGIL_IS_AUDIT (self));
  g_return_if_fail (record_id > 0);

  entry_clear (&entry, "outcome");
  _vigil_audit_value_set_int (&entry.v[VIGIL_AUDIT_FIELD_TIME_US], g_get_real_time ());
  _vigil_audit_value_set_int (&entry.v[VIGIL_AUDIT_FIELD_STATEMENT_ID], record_id);
  _vigil_audit_value_set_int (&entry.v[VIGIL_AUDIT_FIELD_ROWS], rows);
  _vigil_audit_value_set_int (&entry.v[VIGIL_AUDIT_FIELD_DURATION_US], duration_us);
  _vigil_audit_value_set_int (&entry.v[VIGIL_AUDIT_FIELD_MASKED], masked);
  _vigil_audit_value_set_text (&entry.v[VIGIL_AUDIT_FIELD_ERROR_SQLSTATE], error_sqlstate);
  _vigil_audit_value_set_text (&entry.v[VIGIL_AUDIT_FIELD_ERROR_MESSAGE], error_message);
  _vigil_audit_value_set_int (&entry.v[VIGIL_AUDIT_FIELD_BYTES], (gint64) bytes_to_client);
  g_mutex_lock (&self->chain_lock);
  chain_locked (self, &entry, FALSE, NULL);
  g_mutex_unlock (&self->chain_lock);
}

gboolean
vigil_audit_flush (VigilAudit *self)
{
  guint64 target, failed_before;
  gboolean ok;

  g_return_val_if_fail (VIGIL_IS_AUDIT (self), FALSE);

  g_mutex_lock (&self->lock);
  target = self->appended;
  failed_before = self->failed_batches;
  self->flushing++;
  g_cond_broadcast (&self->cond);
  while (self->committed < target && self->failed_batches == failed_before)
    g_cond_wait (&self->cond, &self->lock);
  ok = self->committed >= target;
  self->flushing--;
  g_mutex_unlock (&self->lock);
  return ok;
}

void
vigil_audit_commit_soon (VigilAudit *self)
{
  g_return_if_fail (VIGIL_IS_AUDIT (self));

  g_mutex_lock (&self->lock);
  if (self->pending.n_items > 0)
    {
      self->kicked = TRUE;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);
}

guint
vigil_audit_get_queue_depth (VigilAudit *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (VIGIL_IS_AUDIT (self), 0);

  locker = g_mutex_locker_new (&self->lock);
  return self->pending.n_items;
}

gint64
vigil_audit_get_last_commit_us (VigilAudit *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (VIGIL_IS_AUDIT (self), 0);

  locker = g_mutex_locker_new (&self->lock);
  return self->last_commit_us;
}
