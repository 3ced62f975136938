/* vigil-approvals.c: the approval queue in the store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "vigil-approvals.h"

struct _VigilApprovals
{
  GObject  parent_instance;
  GMutex   lock;
  sqlite3 *db;   /* under lock */
};

G_DEFINE_FINAL_TYPE (VigilApprovals, vigil_approvals, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (VigilApproval, vigil_approval, vigil_approval_copy, vigil_approval_free)

#define COLUMNS "id, created_us, session, identity, connection, pid, exe, os_user, statement, " \
                "class, relations, rule, reason, fingerprint, estimated_rows, status, " \
                "decided_by, decision_reason, decided_us, approve_minutes"

/* ---- the boxed request --------------------------------------------------------------- */

VigilApproval *
vigil_approval_new (void)
{
  VigilApproval *self = g_new0 (VigilApproval, 1);

  self->estimated_rows = -1;
  self->status = g_strdup ("pending");
  return self;
}

VigilApproval *
vigil_approval_copy (const VigilApproval *self)
{
  VigilApproval *copy = g_memdup2 (self, sizeof *self);

  copy->identity = g_strdup (self->identity);
  copy->connection = g_strdup (self->connection);
  copy->exe = g_strdup (self->exe);
  copy->os_user = g_strdup (self->os_user);
  copy->statement = g_strdup (self->statement);
  copy->class = g_strdup (self->class);
  copy->relations = g_strdup (self->relations);
  copy->rule = g_strdup (self->rule);
  copy->reason = g_strdup (self->reason);
  copy->fingerprint = g_strdup (self->fingerprint);
  copy->status = g_strdup (self->status);
  copy->decided_by = g_strdup (self->decided_by);
  copy->decision_reason = g_strdup (self->decision_reason);
  return copy;
}

void
vigil_approval_free (VigilApproval *self)
{
  if (self == NULL)
    return;
  g_free (self->identity);
  g_free (self->connection);
  g_free (self->exe);
  g_free (self->os_user);
  g_free (self->statement);
  g_free (self->class);
  g_free (self->relations);
  g_free (self->rule);
  g_free (self->reason);
  g_free (self->fingerprint);
  g_free (self->status);
  g_free (self->decided_by);
  g_free (self->decision_reason);
  g_free (self);
}

gboolean
vigil_approval_is_pending (const VigilApproval *self)
{
  return g_strcmp0 (self->status, "pending") == 0;
}

static void
add_time (JsonBuilder *b,
          const char  *name,
          gint64       us)
{
  g_autoptr(GDateTime) secs = us > 0 ? g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC) : NULL;
  g_autoptr(GDateTime) dt = secs ? g_date_time_add (secs, us % G_USEC_PER_SEC) : NULL;
  g_autofree char *text = dt ? g_date_time_format_iso8601 (dt) : NULL;

  json_builder_set_member_name (b, name);
  if (text != NULL)
    json_builder_add_string_value (b, text);
  else
    json_builder_add_null_value (b);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

char *
vigil_approval_to_json (const VigilApproval *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, self->id);
  add_time (b, "time", self->created_us);
  add_string (b, "identity", self->identity);
  json_builder_set_member_name (b, "process");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pid");
  json_builder_add_int_value (b, self->pid);
  add_string (b, "exe", self->exe);
  add_string (b, "user", self->os_user);
  json_builder_end_object (b);
  add_string (b, "connection", self->connection);
  add_string (b, "statement", self->statement);
  add_string (b, "class", self->class);
  add_string (b, "relations", self->relations);
  add_string (b, "rule", self->rule);
  add_string (b, "reason", self->reason);
  json_builder_set_member_name (b, "estimated_rows");
  json_builder_add_int_value (b, self->estimated_rows);
  add_string (b, "status", self->status);
  add_string (b, "decided_by", self->decided_by);
  add_string (b, "decision_reason", self->decision_reason);
  add_time (b, "decided", self->decided_us);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* ---- SQLite -------------------------------------------------------------------------- */

static gboolean
sql_error (VigilApprovals  *self,
           GError         **error,
           const char      *what)
{
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

static char *
column_text (sqlite3_stmt *stmt,
             int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text ? g_strdup ((const char *) text) : NULL;
}

static VigilApproval *
row_to_approval (sqlite3_stmt *stmt)
{
  VigilApproval *a = g_new0 (VigilApproval, 1);

  a->id = sqlite3_column_int64 (stmt, 0);
  a->created_us = sqlite3_column_int64 (stmt, 1);
  a->session = (guint64) sqlite3_column_int64 (stmt, 2);
  a->identity = column_text (stmt, 3);
  a->connection = column_text (stmt, 4);
  a->pid = sqlite3_column_int (stmt, 5);
  a->exe = column_text (stmt, 6);
  a->os_user = column_text (stmt, 7);
  a->statement = column_text (stmt, 8);
  a->class = column_text (stmt, 9);
  a->relations = column_text (stmt, 10);
  a->rule = column_text (stmt, 11);
  a->reason = column_text (stmt, 12);
  a->fingerprint = column_text (stmt, 13);
  a->estimated_rows = sqlite3_column_int64 (stmt, 14);
  a->status = column_text (stmt, 15);
  a->decided_by = column_text (stmt, 16);
  a->decision_reason = column_text (stmt, 17);
  a->decided_us = sqlite3_column_int64 (stmt, 18);
  a->approve_minutes = sqlite3_column_int (stmt, 19);
  return a;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           col,
           const char   *value)
{
  if (value != NULL)
    sqlite3_bind_text (stmt, col, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, col);
}

gboolean
vigil_approvals_create (VigilApprovals  *self,
                        VigilApproval   *r,
                        GError         **error)
{
  static const char sql[] =
    "INSERT INTO approvals (created_us, session, identity, connection, pid, exe, os_user,"
    " statement, class, relations, rule, reason, fingerprint, estimated_rows)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (VIGIL_IS_APPROVALS (self), FALSE);

  g_mutex_lock (&self->lock);
  ok = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, r->created_us);
      sqlite3_bind_int64 (stmt, 2, (gint64) r->session);
      bind_text (stmt, 3, r->identity);
      bind_text (stmt, 4, r->connection);
      sqlite3_bind_int (stmt, 5, r->pid);
      bind_text (stmt, 6, r->exe);
      bind_text (stmt, 7, r->os_user);
      bind_text (stmt, 8, r->statement);
      bind_text (stmt, 9, r->class);
      bind_text (stmt, 10, r->relations);
      bind_text (stmt, 11, r->rule);
      bind_text (stmt, 12, r->reason);
      bind_text (stmt, 13, r->fingerprint);
      sqlite3_bind_int64 (stmt, 14, r->estimated_rows);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
    }
  if (ok)
    r->id = sqlite3_last_insert_rowid (self->db);
  else
    sql_error (self, error, "cannot queue the approval request");
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);
  return ok;
}

static GPtrArray *
query_approvals (VigilApprovals  *self,
                 const char      *sql,
                 gint64           arg,
                 GError         **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_approval_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      sql_error (self, error, "cannot read approvals");
      g_mutex_unlock (&self->lock);
      g_ptr_array_unref (out);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, arg);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, row_to_approval (stmt));
  if (rc != SQLITE_DONE)
    {
      sql_error (self, error, "cannot read approvals");
      g_clear_pointer (&out, g_ptr_array_unref);
    }
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);
  return out;
}

VigilApproval *
vigil_approvals_get (VigilApprovals  *self,
                     gint64           id,
                     GError         **error)
{
  g_autoptr(GPtrArray) rows = query_approvals (self, "SELECT " COLUMNS
                                               " FROM approvals WHERE id = ?1", id, error);

  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "no approval request #%"
                   G_GINT64_FORMAT, id);
      return NULL;
    }
  return g_ptr_array_steal_index (rows, 0);
}

GPtrArray *
vigil_approvals_list (VigilApprovals  *self,
                      gboolean         pending_only,
                      guint            limit,
                      GError         **error)
{
  if (pending_only)
    return query_approvals (self, "SELECT " COLUMNS " FROM approvals WHERE status = 'pending'"
                            " ORDER BY id DESC LIMIT ?1", limit, error);
  return query_approvals (self, "SELECT " COLUMNS " FROM approvals ORDER BY id DESC LIMIT ?1",
                          limit, error);
}

static gboolean
update_pending (VigilApprovals  *self,
                gint64           id,
                const char      *status,
                const char      *by,
                const char      *reason,
                gint             minutes,
                GError         **error)
{
  static const char sql[] =
    "UPDATE approvals SET status = ?2, decided_by = ?3, decision_reason = ?4, decided_us = ?5,"
    " approve_minutes = ?6 WHERE id = ?1 AND status = 'pending'";
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, id);
      bind_text (stmt, 2, status);
      bind_text (stmt, 3, by);
      bind_text (stmt, 4, reason);
      sqlite3_bind_int64 (stmt, 5, g_get_real_time ());
      sqlite3_bind_int (stmt, 6, MAX (minutes, 0));
      ok = sqlite3_step (stmt) == SQLITE_DONE;
    }
  if (!ok)
    sql_error (self, error, "cannot record the decision");
  else if (sqlite3_changes (self->db) == 0)
    {
      ok = FALSE;
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND,
                   "approval request #%" G_GINT64_FORMAT " is not pending", id);
    }
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
vigil_approvals_decide (VigilApprovals  *self,
                        gint64           id,
                        gboolean         approve,
                        const char      *by,
                        const char      *reason,
                        gint             approve_minutes,
                        GError         **error)
{
  g_autoptr(VigilApproval) request = NULL;

  g_return_val_if_fail (VIGIL_IS_APPROVALS (self), FALSE);
  g_return_val_if_fail (by != NULL, FALSE);

  request = vigil_approvals_get (self, id, error);
  if (request == NULL)
    return FALSE;
  if (g_strcmp0 (request->identity, by) == 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "%s may not decide their own request #%" G_GINT64_FORMAT, by, id);
      return FALSE;
    }
  return update_pending (self, id, approve ? "approved" : "denied", by, reason,
                         approve ? approve_minutes : 0, error);
}

gboolean
vigil_approvals_close (VigilApprovals  *self,
                       gint64           id,
                       const char      *status,
                       const char      *reason,
                       GError         **error)
{
  g_return_val_if_fail (g_strcmp0 (status, "expired") == 0 ||
                        g_strcmp0 (status, "withdrawn") == 0, FALSE);
  return update_pending (self, id, status, NULL, reason, 0, error);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
vigil_approvals_finalize (GObject *object)
{
  VigilApprovals *self = VIGIL_APPROVALS (object);

  sqlite3_close (self->db);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (vigil_approvals_parent_class)->finalize (object);
}

static void
vigil_approvals_class_init (VigilApprovalsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_approvals_finalize;
}

static void
vigil_approvals_init (VigilApprovals *self)
{
  g_mutex_init (&self->lock);
}

VigilApprovals *
vigil_approvals_open (const char  *data_dir,
                      GError     **error)
{
  g_autoptr(VigilApprovals) self = g_object_new (VIGIL_TYPE_APPROVALS, NULL);
  g_autofree char *path = g_build_filename (data_dir, "vigil.db", NULL);

  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                       NULL) != SQLITE_OK)
    {
      sql_error (self, error, path);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);
  return g_steal_pointer (&self);
}
