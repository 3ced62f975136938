/* vigil-audit-index.c: the audit's full-text index, DATA_DIR/audit-search.db.
 *
 * A contentless FTS5 table whose rowids are audit_log ids. Searchers index what was
 * appended since the last search, in batches, each in its own write transaction on this
 * file, with vigil.db attached read-only (a read transaction there: the audit writer
 * never waits on it, and nothing is added to its commit path). The index records the
 * hash of the log's first entry, so an index left by another log, or one ahead of its
 * log, is rebuilt rather than trusted; a file that is not an index is replaced.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>

#include "vigil-audit-private.h"
#include "vigil-audit-query-private.h"

#define INDEX_BATCH     2000
#define BUSY_TIMEOUT_MS 10000

#define INDEX_SCHEMA                                                                    \
  "CREATE TABLE IF NOT EXISTS search_state ("                                           \
  "  id INTEGER PRIMARY KEY CHECK (id = 1), last_id INTEGER NOT NULL, first_hash TEXT);" \
  "INSERT OR IGNORE INTO search_state (id, last_id, first_hash) VALUES (1, 0, NULL);"  \
  "CREATE VIRTUAL TABLE IF NOT EXISTS audit_fts USING fts5 ("                           \
  "  statement, identity, connection, process, relations, class, rule,"                 \
  "  content = '', prefix = '2 3', tokenize = 'unicode61');"

#define INDEX_INSERT                                                                    \
  "INSERT INTO audit_fts (rowid, statement, identity, connection, process, relations,"  \
  "                       class, rule)"                                                 \
  " SELECT id, statement, identity, connection,"                                        \
  "        trim (coalesce (exe, '') || ' ' || coalesce (os_user, '')), relations, class, rule"                  \
  "   FROM audit_log WHERE kind = 'statement' AND id > ?1 AND id <= ?2"

/* Helpers */

static gboolean
store_error (sqlite3     *db,
             const char  *what,
             GError     **error)
{
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot %s: %s", what,
               db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      const char  *what,
      GError     **error)
{
  return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK || store_error (db, what, error);
}

static gboolean
prepare (sqlite3       *db,
         const char    *sql,
         sqlite3_stmt **stmt,
         GError       **error)
{
  return sqlite3_prepare_v2 (db, sql, -1, stmt, NULL) == SQLITE_OK
         || store_error (db, "read the audit log", error);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Connections */

static gboolean
attach_log (sqlite3     *db,
            const char  *data_dir,
            GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_DB_NAME, NULL);
  g_autofree char *uri = NULL;
  g_autofree char *ro = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      || (uri = g_filename_to_uri (path, NULL, NULL)) == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot open the audit log %s: %s",
                   path, "no such file");
      return FALSE;
    }
  ro = g_strconcat (uri, "?mode=ro", NULL);
  if (!prepare (db, "ATTACH ?1 AS log", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, ro, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || store_error (db, "open the audit log", error);
}

static sqlite3 *
open_index_file (const char  *path,
                 GError     **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
                       NULL) != SQLITE_OK)
    {
      store_error (db, "open the search index", error);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  /* Searches read while another searcher indexes; losing this race is harmless. */
  sqlite3_exec (db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
  if (sqlite3_exec (db, "BEGIN IMMEDIATE;" INDEX_SCHEMA "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      store_error (db, "create the search index", error);
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

/* The index's connection, the log attached read-only. A file that is not an index (or not
 * a database) is only a cache: it is replaced. */
sqlite3 *
_vigil_audit_index_open (const char  *data_dir,
                         GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_SEARCH_DB_NAME, NULL);
  g_autoptr(GError) local_error = NULL;
  sqlite3 *db;

  if ((db = open_index_file (path, &local_error)) == NULL)
    {
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (path, "-shm", NULL);

      g_debug ("Rebuilding %s: %s", path, local_error->message);
      /* A stale -wal would be replayed into the new file. */
      g_unlink (wal);
      g_unlink (shm);
      g_unlink (path);
      if ((db = open_index_file (path, error)) == NULL)
        return NULL;
    }
  if (!attach_log (db, data_dir, error))
    {
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

/* Indexing */

static char *
select_text (sqlite3    *db,
             const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    text = column_dup (stmt, 0);
  sqlite3_finalize (stmt);
  return text;
}

static gint64
select_int (sqlite3    *db,
            const char *sql)
{
  g_autofree char *text = select_text (db, sql);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

static gboolean
set_first_hash (sqlite3     *db,
                const char  *first_hash,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!prepare (db, "UPDATE search_state SET first_hash = ?1", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, first_hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || store_error (db, "update the search index", error);
}

/* In the batch's write transaction: forgets everything when the index does not belong to
 * this log (another first entry, or more entries than the log has). */
static gboolean
check_index_owner (sqlite3  *db,
                   gint64   *inout_last_id,
                   gint64    max_id,
                   GError  **error)
{
  g_autofree char *first_hash = select_text (db, "SELECT hash FROM log.audit_log WHERE id = 1");
  g_autofree char *indexed_hash = select_text (db, "SELECT first_hash FROM search_state");

  if (*inout_last_id == 0)
    return g_strcmp0 (first_hash, indexed_hash) == 0 || set_first_hash (db, first_hash, error);
  if (*inout_last_id <= max_id && g_strcmp0 (first_hash, indexed_hash) == 0)
    return TRUE;
  g_debug ("The search index belongs to another audit log: rebuilding it");
  *inout_last_id = 0;
  return exec (db, "INSERT INTO audit_fts (audit_fts) VALUES ('delete-all');"
                   "UPDATE search_state SET last_id = 0", "reset the search index", error)
         && set_first_hash (db, first_hash, error);
}

static gboolean
index_range (sqlite3  *db,
             gint64    after,
             gint64    upto,
             GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!prepare (db, INDEX_INSERT, &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, upto);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || store_error (db, "index the audit log", error);
}

/* One batch in its own write transaction. *OUT_DONE: nothing left to index. Whoever holds
 * the lock first indexes; the next one finds the work done. */
static gboolean
index_batch (sqlite3   *db,
             gboolean  *out_done,
             GError   **error)
{
  g_autofree char *state = NULL;
  gint64 last_id, max_id, upto;
  gboolean ok;

  if (!exec (db, "BEGIN IMMEDIATE", "lock the search index", error))
    return FALSE;
  last_id = select_int (db, "SELECT last_id FROM search_state");
  max_id = select_int (db, "SELECT coalesce (max (id), 0) FROM log.audit_log");
  ok = check_index_owner (db, &last_id, max_id, error);
  upto = MIN (max_id, last_id + INDEX_BATCH);
  if (ok && upto > last_id)
    {
      state = g_strdup_printf ("UPDATE search_state SET last_id = %" G_GINT64_FORMAT, upto);
      ok = index_range (db, last_id, upto, error) && exec (db, state, "index the audit log", error);
    }
  if (!ok)
    {
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  *out_done = upto >= max_id;
  return exec (db, "COMMIT", "index the audit log", error);
}

gboolean
_vigil_audit_index_update (sqlite3  *db,
                           GError  **error)
{
  gboolean done = FALSE;

  while (!done)
    if (!index_batch (db, &done, error))
      return FALSE;
  return TRUE;
}

/* Public API */

gboolean
vigil_audit_query_update_index (const char  *data_dir,
                                GError     **error)
{
  gboolean ok;
  sqlite3 *db;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((db = _vigil_audit_index_open (data_dir, error)) == NULL)
    return FALSE;
  ok = _vigil_audit_index_update (db, error);
  sqlite3_close (db);
  return ok;
}
