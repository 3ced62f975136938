/* vigil-audit-query.c: searching the audit log in SQL, a page at a time.
 *
 * Pages are keyset pages over the statement id, so records appended between two pages
 * never shift them: no gaps, no repeats. Without text a query reads vigil.db alone;
 * with text it runs on the search index's connection (vigil-audit-index.c), vigil.db
 * attached read-only, after the index has caught up with the log.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include <sqlite3.h>

#include "vigil-audit-private.h"
#include "vigil-audit-query-private.h"
#include "vigil-audit-read.h"
#include "vigil-types.h"

#define BUSY_TIMEOUT_MS 10000

#define RECORD_COLUMNS                                                                  \
  "s.id, s.time_us, s.identity, s.identity_kind, s.pid, s.exe, s.os_user,"              \
  " s.connection, s.session, s.protocol, s.statement, s.params, s.class,"               \
  " s.relations, s.decision, s.rule, s.approver,"                                       \
  " o.rows, o.duration_us, o.masked, o.error_sqlstate, o.error_message, o.bytes"
#define RECORD_FROM                                                                     \
  " FROM audit_log s LEFT JOIN audit_log o ON o.id ="                                   \
  " (SELECT max (id) FROM audit_log WHERE kind = 'outcome' AND statement_id = s.id)"

G_DEFINE_BOXED_TYPE (VigilAuditQuery, vigil_audit_query,
                     vigil_audit_query_copy, vigil_audit_query_free)

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
prepare (sqlite3       *db,
         const char    *sql,
         sqlite3_stmt **stmt,
         GError       **error)
{
  return sqlite3_prepare_v2 (db, sql, -1, stmt, NULL) == SQLITE_OK
         || store_error (db, "read the audit log", error);
}

static gboolean
has_text (const VigilAuditQuery *query)
{
  for (const char *p = query->text; p != NULL && *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      return TRUE;
  return FALSE;
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gint64
column_int_or (sqlite3_stmt *stmt,
               int           column,
               gint64        fallback)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return fallback;
  return sqlite3_column_int64 (stmt, column);
}

/* A row of RECORD_COLUMNS. */
static VigilAuditRecord *
record_from_row (sqlite3_stmt *stmt)
{
  VigilAuditRecord *record = vigil_audit_record_new ();

  record->id = sqlite3_column_int64 (stmt, 0);
  record->time_us = sqlite3_column_int64 (stmt, 1);
  record->identity = column_dup (stmt, 2);
  record->identity_kind = column_dup (stmt, 3);
  record->pid = (gint) column_int_or (stmt, 4, 0);
  record->exe = column_dup (stmt, 5);
  record->os_user = column_dup (stmt, 6);
  record->connection = column_dup (stmt, 7);
  record->session = (guint64) column_int_or (stmt, 8, 0);
  record->protocol = column_dup (stmt, 9);
  record->statement = column_dup (stmt, 10);
  record->params = column_dup (stmt, 11);
  record->class = column_dup (stmt, 12);
  record->relations = column_dup (stmt, 13);
  record->decision = column_dup (stmt, 14);
  record->rule = column_dup (stmt, 15);
  record->approver = column_dup (stmt, 16);
  record->rows = column_int_or (stmt, 17, -1);
  record->duration_us = column_int_or (stmt, 18, -1);
  record->masked = (guint) column_int_or (stmt, 19, 0);
  record->error_sqlstate = column_dup (stmt, 20);
  record->error_message = column_dup (stmt, 21);
  record->bytes_to_client = (guint64) column_int_or (stmt, 22, 0);
  return record;
}

static void
reverse (GPtrArray *array)
{
  for (guint i = 0, j = array->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = array->pdata[i];

      array->pdata[i] = array->pdata[j - 1];
      array->pdata[j - 1] = tmp;
    }
}

/* Connections */

static sqlite3 *
open_log (const char  *data_dir,
          GError     **error)
{
  return _vigil_audit_open_readonly (data_dir, BUSY_TIMEOUT_MS, error);
}

/* Searching */

/* The filters as SQL over "s", parameters bound by name. */
static char *
where_clause (const VigilAuditQuery *query,
              gboolean               paged)
{
  GString *sql = g_string_new (" WHERE s.kind = 'statement'");

  if (query->identity != NULL)
    g_string_append (sql, " AND s.identity = :identity");
  if (query->connection != NULL)
    g_string_append (sql, " AND s.connection = :connection");
  if (query->decision != NULL)
    g_string_append (sql, " AND s.decision = :decision");
  if (query->since_us != 0)
    g_string_append (sql, " AND s.time_us >= :since");
  if (query->until_us != 0)
    g_string_append (sql, " AND s.time_us <= :until");
  if (paged && query->before_id > 0)
    g_string_append (sql, " AND s.id < :before");
  if (paged && query->after_id > 0)
    g_string_append (sql, " AND s.id > :after");
  if (has_text (query))
    g_string_append (sql, " AND s.id IN (SELECT rowid FROM audit_fts WHERE audit_fts MATCH :text)");
  return g_string_free (sql, FALSE);
}

static void
bind_text (sqlite3_stmt *stmt,
           const char   *name,
           const char   *value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
}

static void
bind_int (sqlite3_stmt *stmt,
          const char   *name,
          gint64        value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_int64 (stmt, index, value);
}

static void
bind_query (sqlite3_stmt          *stmt,
            const VigilAuditQuery *query)
{
  bind_text (stmt, ":identity", query->identity);
  bind_text (stmt, ":connection", query->connection);
  bind_text (stmt, ":decision", query->decision);
  bind_text (stmt, ":text", query->text);
  bind_int (stmt, ":since", query->since_us);
  bind_int (stmt, ":until", query->until_us);
  bind_int (stmt, ":before", query->before_id);
  bind_int (stmt, ":after", query->after_id);
  bind_int (stmt, ":limit", (gint64) (query->limit > 0 ? query->limit : VIGIL_AUDIT_QUERY_LIMIT) + 1);
}

/* FTS5 reports a malformed query only when it runs: try it alone, so that the caller
 * learns it is the text that is wrong and not the store. */
static gboolean
check_text (sqlite3     *db,
            const char  *text,
            GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!prepare (db, "SELECT rowid FROM audit_fts WHERE audit_fts MATCH ?1 LIMIT 1", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "Invalid search text “%s”: %s", text,
                 sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* A connection that can answer QUERY: the index (brought up to date, the log attached)
 * for text, the log alone otherwise. */
static sqlite3 *
open_for (const char            *data_dir,
          const VigilAuditQuery *query,
          GError               **error)
{
  sqlite3 *db;

  if (!has_text (query))
    return open_log (data_dir, error);
  if ((db = _vigil_audit_index_open (data_dir, error)) == NULL)
    return NULL;
  if (!_vigil_audit_index_update (db, error) || !check_text (db, query->text, error))
    {
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

static GPtrArray *
read_page (sqlite3               *db,
           const VigilAuditQuery *query,
           gboolean              *out_more,
           GError               **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_audit_record_free);
  g_autofree char *where = where_clause (query, TRUE);
  g_autofree char *sql = NULL;
  guint limit = query->limit > 0 ? query->limit : VIGIL_AUDIT_QUERY_LIMIT;
  gboolean newer = query->after_id > 0;
  sqlite3_stmt *stmt = NULL;
  int rc;

  /* One more than the page: whether there is more to turn to. */
  sql = g_strconcat ("SELECT " RECORD_COLUMNS RECORD_FROM, where, " ORDER BY s.id ",
                     newer ? "ASC" : "DESC", " LIMIT :limit", NULL);
  if (!prepare (db, sql, &stmt, error))
    return NULL;
  bind_query (stmt, query);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (stmt));
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      store_error (db, "read the audit log", error);
      return NULL;
    }
  *out_more = records->len > limit;
  if (records->len > limit)
    g_ptr_array_set_size (records, limit);
  if (newer)
    reverse (records);
  return g_steal_pointer (&records);
}

static gboolean
count (sqlite3                *db,
       const char             *sql,
       const VigilAuditQuery  *query,
       gint64                 *out_n,
       GError                **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!prepare (db, sql, &stmt, error))
    return FALSE;
  if (query != NULL)
    bind_query (stmt, query);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    *out_n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || store_error (db, "count the audit log", error);
}

/* Times */

static gboolean
parse_relative (const char *text,
                gint64      now_us,
                gint64     *out_us)
{
  static const struct { char unit; gint64 us; } units[] = {
    { 's', G_USEC_PER_SEC }, { 'm', 60 * G_USEC_PER_SEC }, { 'h', G_TIME_SPAN_HOUR },
    { 'd', G_TIME_SPAN_DAY }, { 'w', 7 * G_TIME_SPAN_DAY },
  };
  guint64 n = 0;
  char *end = NULL;

  if (g_ascii_strcasecmp (text, "now") == 0)
    {
      *out_us = now_us;
      return TRUE;
    }
  if (text[0] != '-' || !g_ascii_isdigit (text[1]))
    return FALSE;
  n = g_ascii_strtoull (text + 1, &end, 10);
  while (g_ascii_isspace (*end))
    end++;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_ascii_tolower (end[0]) == units[i].unit && end[1] == '\0'
        && n <= (guint64) (G_MAXINT64 / 2 / units[i].us))
      {
        *out_us = now_us - (gint64) n * units[i].us;
        return TRUE;
      }
  return FALSE;
}

static GDateTime *
parse_local (const char *text,
             gboolean    end_of_range)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) day = NULL;
  int y, mo, d, h, mi, s = 0, used = 0;

  if (sscanf (text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && text[used] == '\0')
    {
      if ((day = g_date_time_new (local, y, mo, d, 0, 0, 0)) == NULL)
        return NULL;
      return end_of_range ? g_date_time_add (day, G_TIME_SPAN_DAY - 1) : g_date_time_ref (day);
    }
  used = 0;
  if ((sscanf (text, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &used) == 5 && text[used] == '\0')
      || (sscanf (text, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) == 6
          && text[used] == '\0'))
    return g_date_time_new (local, y, mo, d, h, mi, s);
  return g_date_time_new_from_iso8601 (text, local);
}

/* Public API */

VigilAuditQuery *
vigil_audit_query_new (void)
{
  return g_new0 (VigilAuditQuery, 1);
}

VigilAuditQuery *
vigil_audit_query_copy (const VigilAuditQuery *self)
{
  VigilAuditQuery *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->text = g_strdup (self->text);
  copy->identity = g_strdup (self->identity);
  copy->connection = g_strdup (self->connection);
  copy->decision = g_strdup (self->decision);
  return copy;
}

void
vigil_audit_query_free (VigilAuditQuery *self)
{
  if (self == NULL)
    return;
  g_free (self->text);
  g_free (self->identity);
  g_free (self->connection);
  g_free (self->decision);
  g_free (self);
}

GPtrArray *
vigil_audit_query_run (const char            *data_dir,
                       const VigilAuditQuery *query,
                       gboolean              *out_more,
                       GError               **error)
{
  GPtrArray *records;
  gboolean more = FALSE;
  sqlite3 *db;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((db = open_for (data_dir, query, error)) == NULL)
    return NULL;
  records = read_page (db, query, &more, error);
  sqlite3_close (db);
  if (out_more != NULL)
    *out_more = more;
  return records;
}

gboolean
vigil_audit_query_count (const char            *data_dir,
                         const VigilAuditQuery *query,
                         gint64                *out_matching,
                         gint64                *out_total,
                         GError               **error)
{
  g_autofree char *where = NULL;
  g_autofree char *sql = NULL;
  gint64 matching = 0, total = 0;
  gboolean ok;
  sqlite3 *db;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (query != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((db = open_for (data_dir, query, error)) == NULL)
    return FALSE;
  where = where_clause (query, FALSE);
  sql = g_strconcat ("SELECT count (*) FROM audit_log s", where, NULL);
  /* One snapshot for both numbers. */
  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  ok = count (db, sql, query, &matching, error)
       && count (db, "SELECT count (*) FROM audit_log WHERE kind = 'statement'", NULL, &total, error);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (db);
  if (out_matching != NULL)
    *out_matching = matching;
  if (out_total != NULL)
    *out_total = total;
  return ok;
}

gboolean
vigil_audit_query_count_entries (const char  *data_dir,
                                 gint64       since_us,
                                 gint64       until_us,
                                 gint64      *out_entries,
                                 GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n = 0;
  int rc;
  sqlite3 *db;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((db = open_log (data_dir, error)) == NULL)
    return FALSE;
  if (!prepare (db, "SELECT count (*) FROM audit_log WHERE time_us >= ?1 AND time_us <= ?2",
                &stmt, error))
    {
      sqlite3_close (db);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, since_us != 0 ? since_us : G_MININT64);
  sqlite3_bind_int64 (stmt, 2, until_us != 0 ? until_us : G_MAXINT64);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    store_error (db, "count the audit log", error);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  if (out_entries != NULL)
    *out_entries = n;
  return rc == SQLITE_ROW;
}

gboolean
vigil_audit_query_parse_time (const char  *text,
                              gint64       now_us,
                              gboolean     end_of_range,
                              gint64      *out_us,
                              GError     **error)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (text != NULL && out_us != NULL, FALSE);

  trimmed = g_strstrip (g_strdup (text));
  if (parse_relative (trimmed, now_us, out_us))
    return TRUE;
  if ((dt = parse_local (trimmed, end_of_range)) == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "Invalid time “%s”: use 2026-11-25 14:00, 2026-11-25, RFC 3339 or -1h", text);
      return FALSE;
    }
  *out_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

GPtrArray *
vigil_audit_read_latest (const char  *data_dir,
                         guint        limit,
                         gint64       after_id,
                         GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  int rc;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((db = open_log (data_dir, error)) == NULL)
    return NULL;
  if (!prepare (db, "SELECT " RECORD_COLUMNS RECORD_FROM " WHERE s.kind = 'statement'"
                    " AND s.id > ?1 ORDER BY s.id DESC LIMIT ?2", &stmt, error))
    {
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
  records = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_audit_record_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (stmt));
  if (rc != SQLITE_DONE)
    store_error (db, "read the audit log", error);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  if (rc != SQLITE_DONE)
    return NULL;
  /* Newest first from SQL; callers want oldest first. */
  reverse (records);
  return g_steal_pointer (&records);
}
