/* vigil-session-hold.c: a statement that needs a human waits here.
 *
 * The session parks on the message (it stays unconsumed in the input buffer, nothing
 * after it is read), the request goes to the approval queue in the store, and the
 * client gets a NoticeResponse with the request's number. A decision, a timeout or the
 * client leaving ends the wait; the parked message is then handled again and proceeds
 * as allowed or denied.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libpq-fe.h>
#include <json-glib/json-glib.h>

#include "vigil-session-private.h"

#define ESTIMATE_TIMEOUT "2s"

static void
send_notice (VigilSession *self,
             const char   *message)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();

  vigil_wire_write_notice (msg, "01000", message);
  _vigil_session_send_to_client (self, msg);
}

static void
clear_hold_timeout (VigilSession *self)
{
  if (self->hold_timeout == NULL)
    return;
  g_source_destroy (self->hold_timeout);
  g_clear_pointer (&self->hold_timeout, g_source_unref);
}

/* ---- closing requests without a human (worker) ---------------------------------------- */

typedef struct
{
  gint64      id;
  const char *status;
  char       *reason;
} CloseRequest;

static void
close_request_free (gpointer data)
{
  CloseRequest *c = data;

  g_free (c->reason);
  g_free (c);
}

static void
close_request_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  CloseRequest *c = task_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_approvals_close (source_object, c->id, c->status, c->reason, &error) &&
      !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    g_warning ("cannot close approval request #%" G_GINT64_FORMAT ": %s", c->id, error->message);
  g_task_return_boolean (task, TRUE);
}

static void
close_request (VigilSession *self,
               gint64        id,
               const char   *status,
               const char   *reason)
{
  g_autoptr(GTask) task = g_task_new (_vigil_engine_get_approvals (self->engine), NULL, NULL, NULL);
  CloseRequest *c = g_new0 (CloseRequest, 1);

  c->id = id;
  c->status = status;
  c->reason = g_strdup (reason);
  g_task_set_source_tag (task, close_request);
  g_task_set_task_data (task, c, close_request_free);
  g_task_run_in_thread (task, close_request_thread);
}

/* ---- timeout ------------------------------------------------------------------------- */

static gboolean
hold_timed_out_cb (gpointer data)
{
  VigilSession *self = data;
  g_autofree char *reason = NULL;

  g_clear_pointer (&self->hold_timeout, g_source_unref);
  if (self->hold != HOLD_WAITING)
    return G_SOURCE_REMOVE;
  reason = g_strdup_printf ("approval request #%" G_GINT64_FORMAT " timed out after %u s",
                            self->hold_id, _vigil_engine_get_approval_timeout (self->engine));
  close_request (self, self->hold_id, "expired", reason);
  vigil_session_resolve_hold (self, self->hold_id, FALSE, NULL, reason);
  return G_SOURCE_REMOVE;
}

/* ---- the request --------------------------------------------------------------------- */

typedef struct
{
  VigilApproval *request;
  char          *conninfo;
  char          *single_statement;  /* the deciding statement alone, for EXPLAIN */
} RequestData;

static void
request_data_free (gpointer data)
{
  RequestData *rd = data;

  vigil_approval_free (rd->request);
  g_free (rd->conninfo);
  g_free (rd->single_statement);
  g_free (rd);
}

static gint64
plan_rows (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *plans;
  JsonObject *plan;

  if (!json_parser_load_from_data (parser, json, -1, NULL))
    return -1;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root) || json_array_get_length (plans = json_node_get_array (root)) < 1)
    return -1;
  plan = json_object_get_object_member (json_array_get_object_element (plans, 0), "Plan");
  if (plan == NULL || !json_object_has_member (plan, "Plan Rows"))
    return -1;
  return (gint64) json_object_get_double_member (plan, "Plan Rows");
}

/* The planner's guess of the rows the statement touches: EXPLAIN without ANALYZE (it
 * never runs the statement), one statement only (the extended protocol refuses more),
 * in a read-only transaction, on a connection of its own. -1 when there is none. */
static gint64
estimate_rows (const char *conninfo,
               const char *statement)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN (FORMAT JSON) ", statement, NULL);
  PGconn *conn = PQconnectdb (conninfo);
  PGresult *res;
  gint64 rows = -1;

  if (PQstatus (conn) != CONNECTION_OK)
    {
      PQfinish (conn);
      return -1;
    }
  PQclear (PQexec (conn, "BEGIN READ ONLY"));
  PQclear (PQexec (conn, "SET LOCAL statement_timeout = '" ESTIMATE_TIMEOUT "'"));
  res = PQexecParams (conn, explain, 0, NULL, NULL, NULL, NULL, 0);
  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
    rows = plan_rows (PQgetvalue (res, 0, 0));
  PQclear (res);
  PQclear (PQexec (conn, "ROLLBACK"));
  PQfinish (conn);
  return rows;
}

static void
create_request_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  RequestData *rd = task_data;
  VigilApproval *request = rd->request;
  GError *error = NULL;

  if (rd->conninfo != NULL && rd->single_statement != NULL)
    request->estimated_rows = estimate_rows (rd->conninfo, rd->single_statement);

  if (vigil_approvals_create (source_object, request, &error))
    g_task_return_int (task, request->id);
  else
    g_task_return_error (task, error);
}

static void
request_created_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VigilSession *self = user_data;
  g_autoptr(GError) error = NULL;
  VigilApproval *request = ((RequestData *) g_task_get_task_data (G_TASK (result)))->request;
  gint64 id = g_task_propagate_int (G_TASK (result), &error);
  g_autofree char *notice = NULL;
  GSource *timeout;

  if (error != NULL)
    {
      g_warning ("cannot queue an approval request: %s", error->message);
      if (self->hold == HOLD_REQUESTING)
        vigil_session_resolve_hold (self, 0, FALSE, NULL, "the approval queue is unavailable");
    }
  else if (self->state == SESSION_CLOSED || self->hold != HOLD_REQUESTING)
    close_request (self, id, "withdrawn", "the client disconnected");
  else
    {
      self->hold = HOLD_WAITING;
      self->hold_id = id;
      _vigil_engine_hold_register (self->engine, id, self);
      g_autofree char *estimate = request->estimated_rows >= 0
        ? g_strdup_printf (" (the planner expects %" G_GINT64_FORMAT " rows)",
                           request->estimated_rows)
        : g_strdup ("");

      notice = g_strdup_printf ("held for approval #%" G_GINT64_FORMAT ": %s%s", id,
                                request->reason ? request->reason : "the policy asks for review",
                                estimate);
      send_notice (self, notice);
      timeout = g_timeout_source_new_seconds (_vigil_engine_get_approval_timeout (self->engine));
      g_source_set_callback (timeout, hold_timed_out_cb, vigil_session_ref (self),
                             (GDestroyNotify) vigil_session_unref);
      g_source_attach (timeout, _vigil_engine_get_context (self->engine));
      self->hold_timeout = timeout;
      g_message ("session=%" G_GUINT64_FORMAT " identity=%s held for approval #%" G_GINT64_FORMAT,
                 self->id, self->user, id);
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

static void
request_approval (VigilSession         *self,
                  const VigilStatement *st,
                  const char           *text,
                  const VigilVerdict   *verdict)
{
  VigilApproval *request = vigil_approval_new ();
  RequestData *rd = g_new0 (RequestData, 1);
  g_autoptr(GTask) task = NULL;

  request->created_us = g_get_real_time ();
  request->session = self->id;
  request->identity = g_strdup (self->user);
  request->connection = g_strdup (self->database);
  if (self->peer != NULL)
    {
      request->pid = self->peer->pid;
      request->exe = g_strdup (self->peer->exe);
      request->os_user = g_strdup (self->peer->user);
    }
  request->statement = g_strdup (text);
  request->class = vigil_class_set_to_string (st->classes);
  request->relations = st->relations ? g_strjoinv (",", st->relations) : NULL;
  request->rule = g_strdup (verdict->rule);
  request->reason = g_strdup (verdict->message);
  request->fingerprint = g_strdup (st->fingerprint);

  self->hold = HOLD_REQUESTING;
  task = g_task_new (_vigil_engine_get_approvals (self->engine), NULL, request_created_cb,
                     vigil_session_ref (self));
  g_task_set_source_tag (task, request_approval);
  rd->request = request;
  rd->conninfo = g_strdup (_vigil_engine_lookup_connection (self->engine, self->database));
  rd->single_statement = g_strdup (st->text);
  g_task_set_task_data (task, rd, request_data_free);
  g_task_run_in_thread (task, create_request_thread);
}

/* ---- public to the session ------------------------------------------------------------ */

gboolean
_vigil_session_hold_settle (VigilSession         *self,
                            const VigilStatement *st,
                            const char           *text,
                            VigilVerdict         *verdict)
{
  g_assert (verdict->decision == VIGIL_DECISION_REVIEW);

  if (st->fingerprint != NULL &&
      _vigil_engine_fingerprint_approved (self->engine, self->user, st->fingerprint))
    {
      verdict->decision = VIGIL_DECISION_ALLOW;
      return TRUE;
    }
  switch (self->hold)
    {
    case HOLD_NONE:
      request_approval (self, st, text, verdict);
      return FALSE;
    case HOLD_APPROVED:
      verdict->decision = VIGIL_DECISION_ALLOW;
      return TRUE;
    case HOLD_DENIED:
      verdict->decision = VIGIL_DECISION_DENY;
      verdict->message = self->hold_reason;
      return TRUE;
    default:
      return FALSE;
    }
}

void
vigil_session_resolve_hold (VigilSession *self,
                            gint64        id,
                            gboolean      approved,
                            const char   *by,
                            const char   *reason)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());

  if (self->state == SESSION_CLOSED || (self->hold != HOLD_WAITING && self->hold != HOLD_REQUESTING))
    return;
  if (id != 0 && id != self->hold_id)
    return;
  if (self->hold_id != 0)
    _vigil_engine_hold_unregister (self->engine, self->hold_id);
  clear_hold_timeout (self);
  self->hold = approved ? HOLD_APPROVED : HOLD_DENIED;
  vigil_set_str (&self->hold_by, by);
  g_free (self->hold_reason);
  if (approved)
    self->hold_reason = NULL;
  else if (by != NULL)
    self->hold_reason = g_strdup_printf ("denied by %s%s%s", by, reason ? ": " : "",
                                         reason ? reason : "");
  else
    self->hold_reason = g_strdup (reason);
  _vigil_session_pump (self);
}

void
_vigil_session_hold_clear (VigilSession *self)
{
  if (self->hold != HOLD_APPROVED && self->hold != HOLD_DENIED)
    return;
  self->hold = HOLD_NONE;
  self->hold_id = 0;
  g_clear_pointer (&self->hold_by, g_free);
  g_clear_pointer (&self->hold_reason, g_free);
}

void
_vigil_session_hold_withdraw (VigilSession *self)
{
  clear_hold_timeout (self);
  if (self->hold == HOLD_WAITING)
    {
      _vigil_engine_hold_unregister (self->engine, self->hold_id);
      close_request (self, self->hold_id, "withdrawn", "the client disconnected");
    }
  if (self->hold != HOLD_REQUESTING)
    self->hold = HOLD_NONE;
  g_clear_pointer (&self->hold_by, g_free);
  g_clear_pointer (&self->hold_reason, g_free);
}
