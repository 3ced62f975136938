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

/* Binds the entry exactly as it was hashed, so the row re-encodes to the same bytes.
 * Every parameter is bound each time, so nothing needs clearing. */
static void
bind_entry (sqlite3_stmt          *stmt,
            const VigilAuditEntry *entry,
            const char            *prev_hash,
            const char            *hash)
{
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
  int rc;

  if (id <= *head_id)
    return TRUE;
  if (id != *head_id + 1 || strcmp (prev_hex, head_hash) != 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE,
                   "Cannot write the audit log: entry %" G_GINT64_FORMAT " does not continue "
                   "its head (entry %" G_GINT64_FORMAT "); is another process writing it?",
                   id, *head_id);
      return FALSE;
    }
  bind_entry (store->insert, entry, prev_hex, hash_hex);
  rc = sqlite3_step (store->insert);
  sqlite3_reset (store->insert);
  if (rc != SQLITE_DONE)
    return set_db_error (error, store->db, "insert");
  *head_id = id;
  memcpy (head_hash, hash_hex, VIGIL_AUDIT_HEX_LEN + 1);
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
  g_clear_pointer (&store->insert, sqlite3_finalize);
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
  const char *insert = "INSERT INTO audit_log (" VIGIL_AUDIT_CONTENT_COLUMNS
                       ", prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

  if ((store->db = open_db (path, synchronous_full, error)) == NULL)
    return FALSE;
  if (sqlite3_prepare_v3 (store->db, insert, -1, SQLITE_PREPARE_PERSISTENT, &store->insert, NULL)
      != SQLITE_OK
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

