/* vigil-audit-db.c: the audit tables (audit_log, audit_checkpoint) through one SQLite
 * connection: appending entries that continue the chain, in one transaction with the
 * checkpoint, and replaying the journal after a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-audit-private.h"


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

#define ALL_FIELDS ((guint32) ((1u << VIGIL_AUDIT_N_FIELDS) - 1))
#define WAL_AUTOCHECKPOINT_PAGES 1000  /* SQLite's default threshold */

/* VIGIL_AUDIT_CONTENT_COLUMNS one by one (checked against it when the store opens). */
static const char * const column_names[VIGIL_AUDIT_N_FIELDS] = {
  "id", "kind", "time_us", "identity", "identity_kind", "pid", "exe", "os_user",
  "connection", "session", "protocol", "statement", "params", "class", "relations",
  "decision", "rule", "approver", "statement_id", "rows", "duration_us", "masked",
  "error_sqlstate", "error_message", "bytes",
};

static gboolean
column_names_match (void)
{
  g_autoptr(GString) joined = g_string_new (NULL);

  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    g_string_append_printf (joined, "%s%s", i > 0 ? ", " : "", column_names[i]);
  return strcmp (joined->str, VIGIL_AUDIT_CONTENT_COLUMNS) == 0;
}

/* The columns ENTRY has a value for. */
static guint32
entry_fields (const VigilAuditEntry *entry)
{
  guint32 fields = 0;

  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    if (entry->v[i].type != 'N')
      fields |= 1u << i;
  return fields;
}

/* An INSERT of ROWS rows of FIELDS' columns, prev_hash and hash; NULL if SQLite refuses
 * it. The columns left out have no DEFAULT (data/sql/0002-audit.sql): they are NULL, as
 * when bound NULL, so the row is the same whichever INSERT wrote it. */
static sqlite3_stmt *
prepare_insert (sqlite3 *db,
                guint32  fields,
                guint    rows)
{
  g_autoptr(GString) sql = g_string_new ("INSERT INTO audit_log (");
  sqlite3_stmt *stmt = NULL;
  guint n = 0;

  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    if (fields & (1u << i))
      {
        g_string_append_printf (sql, "%s, ", column_names[i]);
        n++;
      }
  g_string_append (sql, "prev_hash, hash) VALUES ");
  for (guint r = 0; r < rows; r++)
    {
      g_string_append (sql, r == 0 ? "(" : ", (");
      for (guint i = 0; i < n + 2; i++)
        g_string_append (sql, i == 0 ? "?" : ",?");
      g_string_append_c (sql, ')');
    }
  if (sqlite3_prepare_v3 (db, sql->str, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    g_clear_pointer (&stmt, sqlite3_finalize);
  return stmt;
}

/* The INSERT for entries with FIELDS, prepared on first use; *OUT_FIELDS the columns it
 * takes (all of them when the few kept shapes are taken). */
static sqlite3_stmt *
insert_for (VigilAuditDb *store,
            guint32       fields,
            guint32      *out_fields)
{
  VigilAuditDbShape *shape;

  for (guint i = 0; i < store->n_shapes; i++)
    if (store->shapes[i].fields == fields)
      {
        *out_fields = fields;
        return store->shapes[i].insert;
      }
  *out_fields = ALL_FIELDS;
  if (store->n_shapes == VIGIL_AUDIT_DB_SHAPES)
    return store->insert;
  shape = &store->shapes[store->n_shapes];
  shape->insert = prepare_insert (store->db, fields, 1);
  if (shape->insert == NULL)
    return store->insert;
  shape->fields = fields;
  store->n_shapes++;
  *out_fields = fields;
  return shape->insert;
}

/* Binds the entry exactly as it was hashed, so the row re-encodes to the same bytes: the
 * columns in FIELDS, in order, from parameter FIRST. Every parameter is bound each time,
 * so nothing needs clearing, except that with NULL_BOUND (one flag a column in FIELDS:
 * the parameter holds NULL now) a NULL already bound is left as it is: bindings outlive
 * sqlite3_reset, and a statement's row and its outcome's leave most columns NULL. The
 * next row's first parameter. */
static int
bind_entry (sqlite3_stmt          *stmt,
            int                    first,
            const VigilAuditEntry *entry,
            guint32                fields,
            gboolean              *null_bound,
            const char            *prev_hash,
            const char            *hash)
{
  int param = first;

  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    {
      const VigilAuditValue *value = &entry->v[i];
      gboolean is_null = value->type != 'I' && value->type != 'T';

      if ((fields & (1u << i)) == 0)
        continue;
      if (null_bound != NULL && is_null && null_bound[i])
        {
          param++;
          continue;
        }
      if (value->type == 'I')
        sqlite3_bind_int64 (stmt, param, value->i);
      else if (value->type == 'T')
        sqlite3_bind_text (stmt, param, (const char *) value->data, (int) value->len,
                           SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, param);
      if (null_bound != NULL)
        null_bound[i] = is_null;
      param++;
    }
  sqlite3_bind_text (stmt, param, prev_hash, VIGIL_AUDIT_HEX_LEN, SQLITE_STATIC);
  sqlite3_bind_text (stmt, param + 1, hash, VIGIL_AUDIT_HEX_LEN, SQLITE_STATIC);
  return param + 2;
}

static gboolean
read_head (VigilAuditDb     *store,
           gint64      *out_id,
           char        *out_hash,
           GError     **error)
{
  int rc;

  sqlite3_reset (store->select_head);
  rc = sqlite3_step (store->select_head);
  *out_id = 0;
  g_strlcpy (out_hash, VIGIL_AUDIT_GENESIS_HEX, VIGIL_AUDIT_HEX_LEN + 1);
  if (rc == SQLITE_ROW)
    {
      *out_id = sqlite3_column_int64 (store->select_head, 0);
      g_strlcpy (out_hash, (const char *) sqlite3_column_text (store->select_head, 1),
                 VIGIL_AUDIT_HEX_LEN + 1);
    }
  sqlite3_reset (store->select_head);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (error, store->db, "reading the head");
  return TRUE;
}

/* Whether the entry ID, chained after PREV_HEX, continues the head HEAD_ID/HEAD_HASH. */
static gboolean
check_continues (gint64       id,
                 const char  *prev_hex,
                 gint64       head_id,
                 const char  *head_hash,
                 GError     **error)
{
  if (id == head_id + 1 && strcmp (prev_hex, head_hash) == 0)
    return TRUE;
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
               "Cannot write the audit log: entry %" G_GINT64_FORMAT " does not continue "
               "its head (entry %" G_GINT64_FORMAT "); is another process writing it?",
               id, head_id);
  return FALSE;
}

static gboolean
step_insert (VigilAuditDb  *store,
             sqlite3_stmt  *insert,
             GError       **error)
{
  int rc = sqlite3_step (insert);

  sqlite3_reset (insert);
  if (rc != SQLITE_DONE)
    return set_db_error (error, store->db, "insert");
  return TRUE;
}

/* Appends ENTRY after the head HEAD_ID/HEAD_HASH, which it must continue; an entry the
 * database already has (another process replayed the journal) is skipped. */
gboolean
_vigil_audit_db_append (VigilAuditDb               *store,
              const VigilAuditEntry *entry,
              const char            *prev_hex,
              const char            *hash_hex,
              gint64                *head_id,
              char                  *head_hash,
              GError               **error)
{
  gint64 id = entry->v[VIGIL_AUDIT_FIELD_ID].i;
  sqlite3_stmt *insert;
  guint32 fields;

  if (id <= *head_id)
    return TRUE;
  if (!check_continues (id, prev_hex, *head_id, head_hash, error))
    return FALSE;
  insert = insert_for (store, entry_fields (entry), &fields);
  bind_entry (insert, 1, entry, fields, NULL, prev_hex, hash_hex);
  if (!step_insert (store, insert, error))
    return FALSE;
  *head_id = id;
  memcpy (head_hash, hash_hex, VIGIL_AUDIT_HEX_LEN + 1);
  return TRUE;
}

/* A full group of rows that all continue the head, one after the other: one INSERT. */
static gboolean
append_group (VigilAuditDb           *store,
              const VigilAuditDbRow  *rows,
              gint64                 *head_id,
              char                   *head_hash,
              GError                **error)
{
  gint64 id = *head_id;
  const char *hash = head_hash;
  int param = 1;

  for (guint r = 0; r < VIGIL_AUDIT_DB_GROUP; r++)
    {
      if (!check_continues (rows[r].entry.v[VIGIL_AUDIT_FIELD_ID].i, rows[r].prev_hex, id, hash,
                            error))
        return FALSE;
      id++;
      hash = rows[r].hash_hex;
      param = bind_entry (store->insert_group, param, &rows[r].entry, ALL_FIELDS,
                          store->group_null_bound[r], rows[r].prev_hex, rows[r].hash_hex);
    }
  if (!step_insert (store, store->insert_group, error))
    return FALSE;
  *head_id = id;
  memcpy (head_hash, hash, VIGIL_AUDIT_HEX_LEN + 1);
  return TRUE;
}

gboolean
_vigil_audit_db_append_rows (VigilAuditDb           *store,
                             const VigilAuditDbRow  *rows,
                             guint                   n,
                             gint64                 *head_id,
                             char                   *head_hash,
                             GError                **error)
{
  if (n == VIGIL_AUDIT_DB_GROUP && store->insert_group != NULL
      && rows[0].entry.v[VIGIL_AUDIT_FIELD_ID].i > *head_id)
    return append_group (store, rows, head_id, head_hash, error);
  for (guint r = 0; r < n; r++)
    if (!_vigil_audit_db_append (store, &rows[r].entry, rows[r].prev_hex, rows[r].hash_hex,
                                 head_id, head_hash, error))
      return FALSE;
  return TRUE;
}

static gboolean
update_checkpoint (VigilAuditDb     *store,
                   gint64       entries,
                   const char  *hash,
                   GError     **error)
{
  int rc;

  sqlite3_reset (store->update_checkpoint);
  sqlite3_bind_int64 (store->update_checkpoint, 1, entries);
  sqlite3_bind_text (store->update_checkpoint, 2, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (store->update_checkpoint, 3, g_get_real_time ());
  rc = sqlite3_step (store->update_checkpoint);
  sqlite3_reset (store->update_checkpoint);
  if (rc != SQLITE_DONE || sqlite3_changes (store->db) != 1)
    return set_db_error (error, store->db, "checkpoint");
  return TRUE;
}


/* One write transaction: FUNC appends after the head, the checkpoint follows. */
gboolean
_vigil_audit_db_transaction (VigilAuditDb     *store,
                VigilAuditDbInsertFunc   func,
                gpointer     data,
                gint64      *out_head_id,
                char        *out_head_hash,
                GError     **error)
{
  char head_hash[VIGIL_AUDIT_HEX_LEN + 1];
  gint64 head_id = 0;
  gint64 before;

  if (!exec_sql (store->db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!read_head (store, &head_id, head_hash, error))
    goto failed;
  before = head_id;
  if (!func (store, data, &head_id, head_hash, error)
      || (head_id != before && !update_checkpoint (store, head_id, head_hash, error))
      || !exec_sql (store->db, "COMMIT", error))
    goto failed;
  *out_head_id = head_id;
  memcpy (out_head_hash, head_hash, sizeof head_hash);
  return TRUE;

failed:
  if (!sqlite3_get_autocommit (store->db))
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

void
_vigil_audit_db_release_wal (VigilAuditDb *store)
{
  sqlite3_exec (store->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

/* Whether a commit that leaves the WAL past WAL_AUTOCHECKPOINT_PAGES also copies it back
 * into the database, there and then (milliseconds). */
void
_vigil_audit_db_set_autocheckpoint (VigilAuditDb *store,
                                    gboolean      enabled)
{
  sqlite3_wal_autocheckpoint (store->db, enabled ? WAL_AUTOCHECKPOINT_PAGES : 0);
}

typedef struct
{
  VigilAuditDb *store;
  gint64  *head_id;
  char    *head_hash;
  guint64  replayed;
} Replay;

static gboolean
replay_entry_cb (const VigilAuditEntry  *entry,
                 const char             *prev_hex,
                 const char             *hash_hex,
                 gpointer                user_data,
                 GError                **error)
{
  Replay *replay = user_data;
  gint64 before = *replay->head_id;

  if (!_vigil_audit_db_append (replay->store, entry, prev_hex, hash_hex, replay->head_id,
                     replay->head_hash, error))
    return FALSE;
  replay->replayed += *replay->head_id != before;
  return TRUE;
}

typedef struct
{
  const char *data_dir;
  guint64     replayed;
} ReplayRequest;

static gboolean
insert_journal (VigilAuditDb    *store,
                gpointer    data,
                gint64     *head_id,
                char       *head_hash,
                GError    **error)
{
  ReplayRequest *request = data;
  Replay replay = { store, head_id, head_hash, 0 };

  if (!_vigil_audit_journal_replay (request->data_dir, replay_entry_cb, &replay, error))
    return FALSE;
  request->replayed = replay.replayed;
  return TRUE;
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
  sqlite3_busy_timeout (db, VIGIL_AUDIT_BUSY_TIMEOUT_MS);
  if (!exec_sql (db, "PRAGMA journal_mode = WAL", error)
      || !exec_sql (db, synchronous_full ? "PRAGMA synchronous = FULL"
                                         : "PRAGMA synchronous = NORMAL", error))
    {
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

void
_vigil_audit_db_close (VigilAuditDb *store)
{
  for (guint i = 0; i < store->n_shapes; i++)
    g_clear_pointer (&store->shapes[i].insert, sqlite3_finalize);
  store->n_shapes = 0;
  g_clear_pointer (&store->insert, sqlite3_finalize);
  g_clear_pointer (&store->insert_group, sqlite3_finalize);
  g_clear_pointer (&store->update_checkpoint, sqlite3_finalize);
  g_clear_pointer (&store->select_head, sqlite3_finalize);
  g_clear_pointer (&store->db, sqlite3_close);
}

gboolean
_vigil_audit_db_open (VigilAuditDb     *store,
               const char  *data_dir,
               gboolean     synchronous_full,
               GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_DB_NAME, NULL);

  g_assert (column_names_match ());
  if ((store->db = open_db (path, synchronous_full, error)) == NULL)
    return FALSE;
  if ((store->insert = prepare_insert (store->db, ALL_FIELDS, 1)) == NULL
      || (store->insert_group = prepare_insert (store->db, ALL_FIELDS, VIGIL_AUDIT_DB_GROUP)) == NULL
      || sqlite3_prepare_v3 (store->db, "UPDATE audit_checkpoint SET entries = ?,"
                             " head_hash = ?, updated_us = ? WHERE id = 1", -1,
                             SQLITE_PREPARE_PERSISTENT, &store->update_checkpoint, NULL) != SQLITE_OK
      || sqlite3_prepare_v3 (store->db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                             -1, SQLITE_PREPARE_PERSISTENT, &store->select_head, NULL) != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                   "The audit tables are missing (open the store first): %s",
                   sqlite3_errmsg (store->db));
      _vigil_audit_db_close (store);
      return FALSE;
    }
  /* A statement just prepared has every parameter NULL. */
  for (guint r = 0; r < VIGIL_AUDIT_DB_GROUP; r++)
    for (guint i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
      store->group_null_bound[r][i] = TRUE;
  return TRUE;
}

/* Replays the journal into the database: what a crash left only in the journal. */
gboolean
_vigil_audit_db_recover (VigilAuditDb     *store,
         const char  *data_dir,
         gint64      *out_head_id,
         char        *out_head_hash,
         guint64     *out_replayed,
         GError     **error)
{
  ReplayRequest request = { data_dir, 0 };

  if (!_vigil_audit_db_transaction (store, insert_journal, &request, out_head_id, out_head_hash, error))
    return FALSE;
  if (out_replayed != NULL)
    *out_replayed = request.replayed;
  return TRUE;
}

