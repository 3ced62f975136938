/* vigil-audit.c: the write-ahead, hash-chained flight recorder.
 *
 * Schema and chain (data/sql/0002-audit.sql): audit_log holds ENTRIES, ids contiguous
 * from 1 and assigned by the writer inside its write transaction. An entry is a
 * 'statement' (the record's fields) or an 'outcome' (statement_id, rows, duration_us,
 * masked, error_sqlstate, error_message, bytes), so outcomes are chained like everything
 * else. hash = SHA-256 ("vigil-audit-entry-v1\0" || prev_hash (32 raw bytes) ||
 * u64be (25) || the 25 content columns in VIGIL_AUDIT_CONTENT_COLUMNS order, id and kind
 * first), each column encoded as a type byte ('N' null; 'I' + i64be; 'T' + u64be length +
 * bytes), so no two different entries encode alike. The genesis prev_hash is 32 zero
 * bytes; hashes are stored as lowercase hex. Each batch also updates the single-row
 * audit_checkpoint (entries, head_hash) in its transaction, and after COMMIT the head is
 * copied to DATA_DIR/audit.head (atomic rename), which may therefore lag the log by one
 * batch after a crash but is never ahead of it; verify accepts that lag and nothing else.
 *
 * Failure policy: a batch that cannot be committed is rolled back; its statements get a
 * VIGIL_ERROR_STORE error (the engine refuses them) and its outcomes are kept in memory
 * and retried first in later batches (at most OUTCOME_RETRY_MAX, oldest dropped with a
 * warning past that, since their statements already ran). The head is re-read from the
 * database inside every write transaction, so a failed batch leaves nothing behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <gio/gio.h>

#include "vigil-audit-private.h"

#define BATCH_MAX           512
#define OUTCOME_RETRY_MAX   8192
#define RETRY_DELAY_US      (100 * G_TIME_SPAN_MILLISECOND)
#define BUSY_TIMEOUT_MS     5000
#define HEAD_FILE_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
#define OUTCOME_LINGER_US   (2 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  guint64              seq;
  gint64               id;            /* assigned in the write transaction */
  VigilAuditRecord    *record;        /* statement entries; NULL for outcomes */

  /* statement entries */
  GMainContext        *context;
  VigilAuditCommitted  callback;
  gpointer             user_data;

  /* outcome entries */
  gint64               time_us;
  gint64               statement_id;
  gint64               rows;
  gint64               duration_us;
  guint                masked;
  char                *error_sqlstate;
  char                *error_message;
  guint64              bytes;
} Item;

typedef struct
{
  VigilAuditCommitted callback;
  gpointer            user_data;
  gint64              id;
} Note;

typedef struct
{
  GArray *notes;
  GError *error;
} NoteBatch;

struct _VigilAudit
{
  GObject       parent_instance;

  /* immutable after construction */
  char         *data_dir;
  GThread      *thread;

  /* writer thread only */
  sqlite3      *db;
  sqlite3_stmt *insert;
  sqlite3_stmt *update_checkpoint;
  sqlite3_stmt *select_head;
  int           applied_busy_timeout;
  gint64        head_entries;   /* the chain head as last committed */
  char          head_hash[VIGIL_AUDIT_HEX_LEN + 1];
  gint64        head_written;   /* ... and as the head file last says */
  gint64        head_written_at;

  /* shared, under lock */
  GMutex        lock;
  GCond         cond;
  GQueue        pending;        /* Item, oldest first */
  GQueue        retry;          /* outcome Items whose batch failed */
  guint64       appended_seq;
  guint64       done_seq;
  gboolean      stopping;
  guint         pending_statements;  /* statement Items in pending */
  gint64        outcomes_since;      /* when the oldest waiting outcome came */
  guint         flushing;            /* callers in vigil_audit_flush */
  gboolean      kicked;              /* commit waiting outcomes now */

  gint64        last_commit_us;

  /* shared, atomic */
  int           busy_timeout_ms;
};

G_DEFINE_FINAL_TYPE (VigilAudit, vigil_audit, G_TYPE_OBJECT)

/* Helpers */

static void
item_free (Item *item)
{
  if (item == NULL)
    return;
  vigil_audit_record_free (item->record);
  g_clear_pointer (&item->context, g_main_context_unref);
  g_free (item->error_sqlstate);
  g_free (item->error_message);
  g_free (item);
}

static gboolean
set_db_error (GError     **error,
              sqlite3     *db,
              const char  *what)
{
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot write the audit log (%s): %s",
               what, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  return set_db_error (error, db, sql);
}

static void
entry_from_item (VigilAuditEntry *entry,
                 const Item      *item)
{
  const VigilAuditRecord *r = item->record;

  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    _vigil_audit_value_set_text (&entry->v[i], NULL);
  _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_ID], item->id);
  _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_KIND],
                               r != NULL ? "statement" : "outcome");
  if (r == NULL)
    {
      _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_TIME_US], item->time_us);
      _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_STATEMENT_ID], item->statement_id);
      _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_ROWS], item->rows);
      _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_DURATION_US], item->duration_us);
      _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_MASKED], item->masked);
      _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_ERROR_SQLSTATE],
                                   item->error_sqlstate);
      _vigil_audit_value_set_text (&entry->v[VIGIL_AUDIT_FIELD_ERROR_MESSAGE],
                                   item->error_message);
      _vigil_audit_value_set_int (&entry->v[VIGIL_AUDIT_FIELD_BYTES], (gint64) item->bytes);
      return;
    }
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

/* Binds the entry exactly as it was hashed, so the row re-encodes to the same bytes. */
static void
bind_entry (sqlite3_stmt          *stmt,
            const VigilAuditEntry *entry,
            const char            *prev_hash,
            const char            *hash)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    {
      const VigilAuditValue *value = &entry->v[i];

      if (value->type == 'I')
        sqlite3_bind_int64 (stmt, i + 1, value->i);
      else if (value->type == 'T')
        sqlite3_bind_text (stmt, i + 1, (const char *) value->data, (int) value->len,
                           SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, i + 1);
    }
  sqlite3_bind_text (stmt, VIGIL_AUDIT_N_FIELDS + 1, prev_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, VIGIL_AUDIT_N_FIELDS + 2, hash, -1, SQLITE_STATIC);
}

static gboolean
read_head (VigilAudit  *self,
           gint64      *out_id,
           char        *out_hash,
           GError     **error)
{
  int rc;

  sqlite3_reset (self->select_head);
  rc = sqlite3_step (self->select_head);
  *out_id = 0;
  g_strlcpy (out_hash, VIGIL_AUDIT_GENESIS_HEX, VIGIL_AUDIT_HEX_LEN + 1);
  if (rc == SQLITE_ROW)
    {
      *out_id = sqlite3_column_int64 (self->select_head, 0);
      g_strlcpy (out_hash, (const char *) sqlite3_column_text (self->select_head, 1),
                 VIGIL_AUDIT_HEX_LEN + 1);
    }
  sqlite3_reset (self->select_head);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (error, self->db, "reading the head");
  return TRUE;
}

static gboolean
insert_items (VigilAudit  *self,
              GPtrArray   *items,
              gint64      *head_id,
              char        *head_hash,
              GError     **error)
{
  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      char hash[VIGIL_AUDIT_HEX_LEN + 1];
      VigilAuditEntry entry;
      int rc;

      item->id = ++*head_id;
      entry_from_item (&entry, item);
      if (!_vigil_audit_entry_hash (&entry, head_hash, hash))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                       "Cannot write the audit log: the newest entry's hash is malformed");
          return FALSE;
        }
      bind_entry (self->insert, &entry, head_hash, hash);
      rc = sqlite3_step (self->insert);
      sqlite3_reset (self->insert);
      if (rc != SQLITE_DONE)
        return set_db_error (error, self->db, "insert");
      memcpy (head_hash, hash, sizeof hash);
    }
  return TRUE;
}

static gboolean
update_checkpoint (VigilAudit  *self,
                   gint64       entries,
                   const char  *hash,
                   GError     **error)
{
  int rc;

  sqlite3_reset (self->update_checkpoint);
  sqlite3_bind_int64 (self->update_checkpoint, 1, entries);
  sqlite3_bind_text (self->update_checkpoint, 2, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (self->update_checkpoint, 3, g_get_real_time ());
  rc = sqlite3_step (self->update_checkpoint);
  sqlite3_reset (self->update_checkpoint);
  if (rc != SQLITE_DONE || sqlite3_changes (self->db) != 1)
    return set_db_error (error, self->db, "checkpoint");
  return TRUE;
}

static void
write_head_file (VigilAudit *self,
                 gint64      entries,
                 const char *hash)
{
  g_autoptr(GError) error = NULL;

  /* It only ever lags; the next batch rewrites it. */
  if (!_vigil_audit_head_write (self->data_dir, entries, hash, &error))
    g_warning ("Cannot update the audit head file: %s", error->message);
}

static void
apply_busy_timeout (VigilAudit *self)
{
  int wanted = g_atomic_int_get (&self->busy_timeout_ms);

  if (wanted != self->applied_busy_timeout)
    {
      sqlite3_busy_timeout (self->db, wanted);
      self->applied_busy_timeout = wanted;
    }
}

/* One transaction for the whole batch (group commit). */
static gboolean
write_batch (VigilAudit  *self,
             GPtrArray   *items,
             gint64      *out_latency_us,
             GError     **error)
{
  char head_hash[VIGIL_AUDIT_HEX_LEN + 1];
  gint64 started = g_get_monotonic_time ();
  gint64 head_id = 0;

  apply_busy_timeout (self);
  if (!exec_sql (self->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!read_head (self, &head_id, head_hash, error)
      || !insert_items (self, items, &head_id, head_hash, error)
      || !update_checkpoint (self, head_id, head_hash, error)
      || !exec_sql (self->db, "COMMIT", error))
    {
      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  *out_latency_us = g_get_monotonic_time () - started;
  self->head_entries = head_id;
  memcpy (self->head_hash, head_hash, sizeof self->head_hash);
  return TRUE;
}

/* The head file is a second witness against cutting the newest entries off; it may lag
 * the log (verify accepts that), so it is written after the sessions were told, and at
 * most every HEAD_FILE_INTERVAL, never in a statement's way. */
static void
maybe_write_head_file (VigilAudit *self,
                       gboolean    force)
{
  gint64 now = g_get_monotonic_time ();

  if (self->head_entries == self->head_written)
    return;
  if (!force && now - self->head_written_at < HEAD_FILE_INTERVAL_US)
    return;
  write_head_file (self, self->head_entries, self->head_hash);
  self->head_written = self->head_entries;
  self->head_written_at = now;
}

static gboolean
run_notes_cb (gpointer data)
{
  NoteBatch *batch = data;

  for (guint i = 0; i < batch->notes->len; i++)
    {
      Note *note = &g_array_index (batch->notes, Note, i);

      note->callback (batch->error != NULL ? 0 : note->id, batch->error, note->user_data);
    }
  return G_SOURCE_REMOVE;
}

static void
note_batch_free (gpointer data)
{
  NoteBatch *batch = data;

  g_array_unref (batch->notes);
  g_clear_error (&batch->error);
  g_free (batch);
}

/* One invocation per context per batch, never one per record. */
static void
notify_batch (GPtrArray    *items,
              const GError *error)
{
  g_autoptr(GHashTable) by_context = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer context, value;

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      Note note = { item->callback, item->user_data, item->id };
      NoteBatch *batch;

      if (item->record == NULL || item->callback == NULL)
        continue;
      batch = g_hash_table_lookup (by_context, item->context);
      if (batch == NULL)
        {
          batch = g_new0 (NoteBatch, 1);
          batch->notes = g_array_new (FALSE, FALSE, sizeof (Note));
          batch->error = error != NULL ? g_error_copy (error) : NULL;
          g_hash_table_insert (by_context, item->context, batch);
        }
      g_array_append_val (batch->notes, note);
    }
  g_hash_table_iter_init (&iter, by_context);
  while (g_hash_table_iter_next (&iter, &context, &value))
    g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, run_notes_cb, value,
                                note_batch_free);
}

/* Failed outcomes go back to the retry queue, oldest first; statements are dropped
 * (their callbacks were told). Called with the lock held. */
static void
keep_outcomes_locked (VigilAudit *self,
                      GPtrArray  *items)
{
  for (guint i = items->len; i > 0; i--)
    {
      Item *item = g_ptr_array_index (items, i - 1);

      if (item->record != NULL)
        continue;
      g_ptr_array_index (items, i - 1) = NULL;
      g_queue_push_head (&self->retry, item);
    }
  while (self->retry.length > OUTCOME_RETRY_MAX)
    {
      Item *dropped = g_queue_pop_head (&self->retry);

      g_warning ("Audit store unavailable: dropping the outcome of entry %" G_GINT64_FORMAT,
                 dropped->statement_id);
      item_free (dropped);
    }
}

/* Waits for work; FALSE when stopping with nothing left. Called with the lock held. */
static gboolean
take_batch_locked (VigilAudit *self,
                   GPtrArray  *items,
                   gboolean    last_failed)
{
  gint64 retry_at = g_get_monotonic_time () + RETRY_DELAY_US;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();

      /* A flush or a kick hurries what is pending, never a retry still in its delay. */
      if (self->stopping || self->pending_statements > 0 ||
          ((self->flushing || self->kicked) && self->pending.length > 0))
        break;
      if (self->pending.length > 0 && now >= self->outcomes_since + OUTCOME_LINGER_US)
        break;
      if (self->retry.length > 0 && (!last_failed || now >= retry_at))
        break;
      if (self->pending.length > 0)
        g_cond_wait_until (&self->cond, &self->lock, self->outcomes_since + OUTCOME_LINGER_US);
      else if (self->retry.length > 0)
        g_cond_wait_until (&self->cond, &self->lock, retry_at);
      else
        g_cond_wait (&self->cond, &self->lock);
    }
  if (self->stopping && self->pending.length == 0 && (self->retry.length == 0 || last_failed))
    return FALSE;
  while (items->len < BATCH_MAX && self->retry.length > 0)
    g_ptr_array_add (items, g_queue_pop_head (&self->retry));
  while (items->len < BATCH_MAX && self->pending.length > 0)
    {
      Item *item = g_queue_pop_head (&self->pending);

      if (item->record != NULL)
        self->pending_statements--;
      g_ptr_array_add (items, item);
    }
  self->outcomes_since = g_get_monotonic_time ();
  self->kicked = FALSE;
  return TRUE;
}

static gpointer
writer_thread (gpointer data)
{
  VigilAudit *self = data;
  gboolean last_failed = FALSE;
  gboolean idle;

  for (;;)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
      g_autoptr(GError) error = NULL;
      guint64 batch_seq = 0;
      gint64 latency_us = -1;

      g_mutex_lock (&self->lock);
      if (!take_batch_locked (self, items, last_failed))
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      g_mutex_unlock (&self->lock);

      for (guint i = 0; i < items->len; i++)
        batch_seq = MAX (batch_seq, ((Item *) g_ptr_array_index (items, i))->seq);
      last_failed = !write_batch (self, items, &latency_us, &error);
      if (last_failed)
        g_warning ("%s", error->message);
      notify_batch (items, error);
      g_mutex_lock (&self->lock);
      idle = self->pending.length == 0;
      g_mutex_unlock (&self->lock);
      maybe_write_head_file (self, idle);

      g_mutex_lock (&self->lock);
      if (last_failed)
        keep_outcomes_locked (self, items);
      else
        self->last_commit_us = latency_us;
      self->done_seq = MAX (self->done_seq, batch_seq);
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
    }
  return NULL;
}

static void
enqueue (VigilAudit *self,
         Item       *item)
{
  g_mutex_lock (&self->lock);
  item->seq = ++self->appended_seq;
  g_queue_push_tail (&self->pending, item);
  /* A statement waits for its commit; an outcome does not, and rides along with the next
   * statement's batch (or goes within OUTCOME_LINGER_US), saving a commit per statement. */
  if (item->record != NULL)
    {
      self->pending_statements++;
      g_cond_broadcast (&self->cond);
    }
  else if (self->pending.length == 1)
    {
      /* The writer may sleep without a deadline: give it this outcome's. */
      self->outcomes_since = g_get_monotonic_time ();
      g_cond_broadcast (&self->cond);
    }
  if (self->flushing)
    g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static sqlite3 *
open_db (const char  *path,
         gboolean     synchronous_full,
         GError     **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot open %s: %s", path,
                   db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  if (!exec_sql (db, "PRAGMA journal_mode = WAL", error)
      || !exec_sql (db, synchronous_full ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = NORMAL", error))
    {
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

static gboolean
prepare_statements (VigilAudit  *self,
                    GError     **error)
{
  const char *insert = "INSERT INTO audit_log (" VIGIL_AUDIT_CONTENT_COLUMNS
                       ", prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

  if (sqlite3_prepare_v3 (self->db, insert, -1, SQLITE_PREPARE_PERSISTENT, &self->insert, NULL)
      != SQLITE_OK
      || sqlite3_prepare_v3 (self->db, "UPDATE audit_checkpoint SET entries = ?,"
                             " head_hash = ?, updated_us = ? WHERE id = 1", -1,
                             SQLITE_PREPARE_PERSISTENT, &self->update_checkpoint, NULL) != SQLITE_OK
      || sqlite3_prepare_v3 (self->db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                             -1, SQLITE_PREPARE_PERSISTENT, &self->select_head, NULL) != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                   "The audit tables are missing (open the store first): %s",
                   sqlite3_errmsg (self->db));
      return FALSE;
    }
  return TRUE;
}

/* Refuses to append over a log that audit.head says was cut short: appending and then
 * rewriting audit.head would hide the truncation. */
static gboolean
check_head_file (VigilAudit  *self,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *file_hash = NULL;
  char head_hash[VIGIL_AUDIT_HEX_LEN + 1];
  gint64 head_id = 0;
  gint64 file_entries = 0;

  if (!read_head (self, &head_id, head_hash, error))
    return FALSE;
  if (_vigil_audit_head_read (self->data_dir, &file_entries, &file_hash, &local_error))
    {
      if (file_entries <= head_id)
        return TRUE;  /* the full check is vigil_audit_verify's */
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                   "The audit log has %" G_GINT64_FORMAT " entries but %s records %"
                   G_GINT64_FORMAT ": newest entries removed? Run `vigilctl audit verify`",
                   head_id, VIGIL_AUDIT_HEAD_NAME, file_entries);
      return FALSE;
    }
  if (head_id == 0 && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return _vigil_audit_head_write (self->data_dir, 0, VIGIL_AUDIT_GENESIS_HEX, error);
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
               "Cannot check the audit log against %s: %s", VIGIL_AUDIT_HEAD_NAME,
               local_error->message);
  return FALSE;
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
  Item *item;

  while ((item = g_queue_pop_head (&self->retry)) != NULL)
    {
      g_warning ("Audit log closed: the outcome of entry %" G_GINT64_FORMAT " was not written",
                 item->statement_id);
      item_free (item);
    }
  g_queue_clear_full (&self->pending, (GDestroyNotify) item_free);
  g_clear_pointer (&self->insert, sqlite3_finalize);
  g_clear_pointer (&self->update_checkpoint, sqlite3_finalize);
  g_clear_pointer (&self->select_head, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->data_dir, g_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

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
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
  g_queue_init (&self->retry);
  self->busy_timeout_ms = BUSY_TIMEOUT_MS;
  self->applied_busy_timeout = BUSY_TIMEOUT_MS;
}

/* Internal API */

VigilAudit *
_vigil_audit_new_full (const char  *data_dir,
                       gboolean     synchronous_full,
                       GError     **error)
{
  g_autoptr(VigilAudit) self = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (VIGIL_TYPE_AUDIT, NULL);
  self->data_dir = g_strdup (data_dir);
  path = g_build_filename (data_dir, VIGIL_AUDIT_DB_NAME, NULL);
  if ((self->db = open_db (path, synchronous_full, error)) == NULL
      || !prepare_statements (self, error)
      || !check_head_file (self, error))
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

/* Public API */

/* synchronous=FULL: a commit reported to the engine survives power loss, not just a
 * crash of the process; see the measurements in tests/test-audit.c. */
VigilAudit *
vigil_audit_new (const char  *data_dir,
                 GError     **error)
{
  /* NORMAL in WAL mode: a committed record survives the proxy being killed (kill -9),
   * which is the write-ahead promise; FULL adds an fsync per batch (power loss) and
   * costs ~7x the commit latency. */
  return _vigil_audit_new_full (data_dir, FALSE, error);
}

void
vigil_audit_append_statement (VigilAudit          *self,
                              VigilAuditRecord    *record,
                              GMainContext        *notify_context,
                              VigilAuditCommitted  callback,
                              gpointer             user_data)
{
  Item *item;

  g_return_if_fail (VIGIL_IS_AUDIT (self));
  g_return_if_fail (record != NULL);

  item = g_new0 (Item, 1);
  item->record = record;
  item->context = g_main_context_ref (notify_context != NULL ? notify_context
                                                            : g_main_context_default ());
  item->callback = callback;
  item->user_data = user_data;
  enqueue (self, item);
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
  Item *item;

  g_return_if_fail (VIGIL_IS_AUDIT (self));
  g_return_if_fail (record_id > 0);

  item = g_new0 (Item, 1);
  item->time_us = g_get_real_time ();
  item->statement_id = record_id;
  item->rows = rows;
  item->duration_us = duration_us;
  item->masked = masked;
  item->error_sqlstate = g_strdup (error_sqlstate);
  item->error_message = g_strdup (error_message);
  item->bytes = bytes_to_client;
  enqueue (self, item);
}

void
vigil_audit_flush (VigilAudit *self)
{
  guint64 target;

  g_return_if_fail (VIGIL_IS_AUDIT (self));

  g_mutex_lock (&self->lock);
  target = self->appended_seq;
  /* Lingering outcomes go now. */
  self->flushing++;
  g_cond_broadcast (&self->cond);
  while (self->done_seq < target)
    g_cond_wait (&self->cond, &self->lock);
  self->flushing--;
  g_mutex_unlock (&self->lock);
}

void
vigil_audit_commit_soon (VigilAudit *self)
{
  g_return_if_fail (VIGIL_IS_AUDIT (self));

  g_mutex_lock (&self->lock);
  if (self->pending.length > 0)
    {
      self->kicked = TRUE;
      g_cond_broadcast (&self->cond);
    }
  g_mutex_unlock (&self->lock);
}

guint
vigil_audit_get_queue_depth (VigilAudit *self)
{
  guint depth;

  g_return_val_if_fail (VIGIL_IS_AUDIT (self), 0);

  g_mutex_lock (&self->lock);
  depth = self->pending.length + self->retry.length;
  g_mutex_unlock (&self->lock);
  return depth;
}

gint64
vigil_audit_get_last_commit_us (VigilAudit *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (VIGIL_IS_AUDIT (self), 0);

  locker = g_mutex_locker_new (&self->lock);
  return self->last_commit_us;
}
