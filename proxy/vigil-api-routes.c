/* vigil-api-routes.c: the API's endpoints, on the API thread.
 *
 * Everything a client sends is checked here: a bad request is a 400 with a JSON error,
 * never a 500. The calls into SQLite are short and run on the API thread, which is
 * neither the engine's nor the console's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "vigil-api-private.h"
#include "vigil-audit-query.h"
#include "vigil-engine-private.h"
#include "vigil-policy.h"

#define MAX_REASON         1000
#define MAX_MINUTES        (7 * 24 * 60)
#define MAX_LIST           1000
#define MAX_AUDIT_LIMIT    10000
#define DEFAULT_AUDIT_LIMIT 100

/* ---- helpers -------------------------------------------------------------------------- */

static gboolean
method_is (ApiRequest *request,
           const char *method)
{
  return g_strcmp0 (soup_server_message_get_method (request->msg), method) == 0;
}

static void
not_allowed (ApiRequest *request,
             const char *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                "Allow", allow);
  _vigil_api_respond_error (request->msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                            "%s is not allowed here (use %s)",
                            soup_server_message_get_method (request->msg), allow);
}

/* FALSE (and a 403) unless the caller is at least KIND (agent < human < admin). */
static gboolean
require_kind (ApiRequest        *request,
              VigilIdentityKind  kind)
{
  if (request->caller.kind >= kind)
    return TRUE;
  _vigil_api_respond_error (request->msg, SOUP_STATUS_FORBIDDEN, "%s identities may not do this",
                            vigil_identity_kind_to_string (request->caller.kind));
  return FALSE;
}

/* FALSE (and a 400) when the query has a parameter not in ALLOWED. */
static gboolean
check_query (ApiRequest         *request,
             const char * const *allowed)
{
  GHashTableIter iter;
  gpointer key;

  if (request->query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, request->query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_strv_contains (allowed, key))
      {
        _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                                  "unknown parameter \"%s\"", (const char *) key);
        return FALSE;
      }
  return TRUE;
}

static const char *
query_get (ApiRequest *request,
           const char *name)
{
  return request->query ? g_hash_table_lookup (request->query, name) : NULL;
}

static gboolean
query_number (ApiRequest *request,
              const char *name,
              guint64     min,
              guint64     max,
              guint64    *inout)
{
  const char *text = query_get (request, name);

  if (text == NULL)
    return TRUE;
  if (g_ascii_string_to_unsigned (text, 10, min, max, inout, NULL))
    return TRUE;
  _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                            "%s must be a number from %" G_GUINT64_FORMAT " to %"
                            G_GUINT64_FORMAT, name, min, max);
  return FALSE;
}

/* The request body as a JSON object; NULL with a 400 already sent when it is not one.
 * An empty body is an empty object when EMPTY_OK. */
static JsonNode *
body_json (ApiRequest *request,
           gboolean    empty_ok)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len == 0 && empty_ok)
    return json_node_init_object (json_node_alloc (), json_object_new ());
  if (len == 0 || !g_utf8_validate (data, len, NULL) ||
      !json_parser_load_from_data (parser, data, len, &error))
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST, "the body is not JSON%s%s",
                                error ? ": " : "", error ? error->message : "");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                                "the body must be a JSON object");
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

static char *
join_json (GPtrArray *objects)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; i < objects->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, g_ptr_array_index (objects, i));
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

static void
store_failed (ApiRequest   *request,
              const GError *error)
{
  g_warning ("API: %s", error->message);
  _vigil_api_respond_error (request->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                            "the store is unavailable");
}

/* ---- /metrics ------------------------------------------------------------------------- */

static void
get_metrics (ApiRequest *request)
{
  VigilApi *self = request->api;
  g_autoptr(GPtrArray) decided = vigil_approvals_list (self->approvals, FALSE, MAX_LIST, NULL);
  g_autofree char *text = NULL;
  gsize len;

  for (guint i = 0; decided != NULL && i < decided->len; i++)
    vigil_metrics_add_approval (self->metrics, g_ptr_array_index (decided, i));
  text = vigil_metrics_render (self->metrics, _vigil_engine_get_audit (self->engine),
                               g_get_real_time ());
  len = strlen (text);
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (request->msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, g_steal_pointer (&text), len);
}

/* ---- /api/v1/approvals ---------------------------------------------------------------- */

static void
list_approvals (ApiRequest *request)
{
  static const char * const allowed[] = { "all", "limit", NULL };
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  const char *all = query_get (request, "all");
  guint64 limit = MAX_LIST;

  if (!check_query (request, allowed) || !query_number (request, "limit", 1, MAX_LIST, &limit))
    return;
  if (all != NULL && !g_strv_contains ((const char * const[]) { "true", "false", "1", "0", NULL },
                                       all))
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST, "all must be true or false");
      return;
    }
  rows = vigil_approvals_list (request->api->approvals,
                               !(g_strcmp0 (all, "true") == 0 || g_strcmp0 (all, "1") == 0),
                               (guint) limit, &error);
  if (rows == NULL)
    {
      store_failed (request, error);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      const VigilApproval *a = g_ptr_array_index (rows, i);

      if (request->caller.kind == VIGIL_IDENTITY_KIND_AGENT &&
          g_strcmp0 (a->identity, request->caller.name) != 0)
        continue;
      g_ptr_array_add (objects, vigil_approval_to_json (a));
    }
  json = join_json (objects);
  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, json);
}

/* Reads {"reason": "...", "minutes": N}; FALSE with a 400 sent otherwise. */
static gboolean
decision_body (ApiRequest  *request,
               char       **out_reason,
               gint        *out_minutes)
{
  g_autoptr(JsonNode) root = body_json (request, TRUE);
  JsonObject *object;
  g_autoptr(GList) members = NULL;

  if (root == NULL)
    return FALSE;
  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);
      GType type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_NONE;

      if (g_str_equal (l->data, "reason") && type == G_TYPE_STRING &&
          strlen (json_node_get_string (value)) <= MAX_REASON)
        *out_reason = g_strdup (json_node_get_string (value));
      else if (g_str_equal (l->data, "minutes") && type == G_TYPE_INT64 &&
               json_node_get_int (value) >= 0 && json_node_get_int (value) <= MAX_MINUTES)
        *out_minutes = (gint) json_node_get_int (value);
      else
        {
          _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                                    "bad or unknown field \"%s\" (reason: a string of at most %d "
                                    "bytes, minutes: 0 to %d)", (const char *) l->data,
                                    MAX_REASON, MAX_MINUTES);
          return FALSE;
        }
    }
  return TRUE;
}

static void
respond_decided (ApiRequest *request,
                 gint64      id)
{
  g_autoptr(VigilApproval) after = vigil_approvals_get (request->api->approvals, id, NULL);
  g_autofree char *json = after ? vigil_approval_to_json (after) : g_strdup ("{}");

  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, json);
}

static void
decide_approval (ApiRequest *request,
                 const char *id_text,
                 gboolean    approve)
{
  VigilApprovals *approvals = request->api->approvals;
  g_autoptr(VigilApproval) before = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  gint minutes = 0;
  guint64 id;

  if (!require_kind (request, VIGIL_IDENTITY_KIND_HUMAN))
    return;
  if (!g_ascii_string_to_unsigned (id_text, 10, 1, G_MAXINT64, &id, NULL))
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_NOT_FOUND, "no approval request %s",
                                id_text);
      return;
    }
  if (!decision_body (request, &reason, &minutes))
    return;
  before = vigil_approvals_get (approvals, (gint64) id, &error);
  if (before == NULL && g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    _vigil_api_respond_error (request->msg, SOUP_STATUS_NOT_FOUND, "%s", error->message);
  else if (before == NULL)
    store_failed (request, error);
  else if (g_strcmp0 (before->identity, request->caller.name) == 0)
    _vigil_api_respond_error (request->msg, SOUP_STATUS_FORBIDDEN,
                              "%s may not decide their own request", request->caller.name);
  else if (!vigil_approval_is_pending (before))
    _vigil_api_respond_error (request->msg, SOUP_STATUS_CONFLICT, "request #%" G_GUINT64_FORMAT
                              " is already %s", id, before->status);
  else if (vigil_approvals_decide (approvals, (gint64) id, approve, request->caller.name,
                                   reason, minutes, &error))
    respond_decided (request, (gint64) id);
  else if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    _vigil_api_respond_error (request->msg, SOUP_STATUS_CONFLICT, "%s", error->message);
  else
    store_failed (request, error);
}

/* ---- /api/v1/audit -------------------------------------------------------------------- */

/* Unix seconds or RFC 3339; FALSE with a 400 sent when neither. */
static gboolean
query_time (ApiRequest *request,
            const char *name,
            gint64     *inout_us)
{
  const char *text = query_get (request, name);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = NULL;
  gint64 seconds;

  if (text == NULL)
    return TRUE;
  if (g_ascii_string_to_signed (text, 10, 0, G_MAXINT64 / G_USEC_PER_SEC, &seconds, NULL))
    {
      *inout_us = seconds * G_USEC_PER_SEC;
      return TRUE;
    }
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt != NULL)
    {
      *inout_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
      return TRUE;
    }
  _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                            "%s must be unix seconds or an RFC 3339 time", name);
  return FALSE;
}

/* FALSE with a 400 sent when DECISION is not one the log records. */
static gboolean
query_decision (ApiRequest *request,
                char      **out_decision)
{
  static const char * const decisions[] = { "allow", "deny", "review", NULL };
  const char *text = query_get (request, "decision");

  if (text == NULL || g_strv_contains (decisions, text))
    {
      *out_decision = g_strdup (text);
      return TRUE;
    }
  _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                            "decision must be allow, deny or review");
  return FALSE;
}

/* The query's filters; FALSE with a 400 or 403 sent when one is wrong. Agents read only
 * their own records. */
static gboolean
audit_query_from_request (ApiRequest      *request,
                          VigilAuditQuery *query)
{
  static const char * const allowed[] = {
    "since", "until", "identity", "connection", "decision", "text", "before_id", "limit", NULL,
  };
  const char *identity = query_get (request, "identity");
  gint64 since = G_MININT64, until = G_MAXINT64;
  guint64 limit = DEFAULT_AUDIT_LIMIT, before_id = 0;

  if (!check_query (request, allowed) ||
      !query_number (request, "limit", 1, MAX_AUDIT_LIMIT, &limit) ||
      !query_number (request, "before_id", 1, G_MAXINT64, &before_id) ||
      !query_time (request, "since", &since) || !query_time (request, "until", &until) ||
      !query_decision (request, &query->decision))
    return FALSE;
  if (request->caller.kind == VIGIL_IDENTITY_KIND_AGENT)
    {
      if (identity != NULL && g_strcmp0 (identity, request->caller.name) != 0)
        {
          _vigil_api_respond_error (request->msg, SOUP_STATUS_FORBIDDEN,
                                    "agents may only read their own records");
          return FALSE;
        }
      identity = request->caller.name;
    }
  query->identity = g_strdup (identity);
  query->connection = g_strdup (query_get (request, "connection"));
  query->text = g_strdup (query_get (request, "text"));
  /* The query's 0 means unbounded; the epoch itself is as good as no bound for since. */
  query->since_us = since != G_MININT64 ? since : 0;
  query->until_us = until != G_MAXINT64 ? (until != 0 ? until : -1) : 0;
  query->before_id = (gint64) before_id;
  query->limit = (guint) limit;
  return TRUE;
}

/* The newest LIMIT matching records (older than BEFORE_ID), oldest first. */
static void
get_audit (ApiRequest *request)
{
  g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  if (!audit_query_from_request (request, query))
    return;
  /* Read your own statements: what is only in the journal goes into SQLite first. */
  if (request->api->engine != NULL && vigil_engine_get_audit (request->api->engine) != NULL)
    vigil_audit_flush (vigil_engine_get_audit (request->api->engine));
  records = vigil_audit_query_run (request->api->data_dir, query, NULL, &error);
  if (records == NULL && g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_INVALID))
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }
  if (records == NULL)
    {
      store_failed (request, error);
      return;
    }
  for (guint i = records->len; i > 0; i--)
    g_ptr_array_add (objects, vigil_audit_record_to_json (g_ptr_array_index (records, i - 1)));
  json = join_json (objects);
  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, json);
}

/* ---- /api/v1/policy ------------------------------------------------------------------- */

static void
get_policy (ApiRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  if (!require_kind (request, VIGIL_IDENTITY_KIND_HUMAN))
    return;
  json = vigil_store_policy_load_current (request->api->store, NULL, &error);
  if (json == NULL && error != NULL)
    {
      store_failed (request, error);
      return;
    }
  if (json == NULL)
    {
      g_autoptr(VigilPolicy) policy = vigil_policy_new_default ();
      json = vigil_policy_to_json (policy);
    }
  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, json);
}

static void
post_policy (ApiRequest *request)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(VigilPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  gint64 version = 0;
  gsize len;
  const char *data;

  if (!require_kind (request, VIGIL_IDENTITY_KIND_ADMIN))
    return;
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  if (len == 0 || !g_utf8_validate (data, len, NULL) || memchr (data, '\0', len) != NULL)
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                                "the body must be a policy in JSON");
      return;
    }
  text = g_strndup (data, len);
  policy = vigil_policy_new_from_json (text, &error);
  if (policy == NULL)
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }
  if (!vigil_store_policy_save (request->api->store, text, request->caller.name,
                                "through the HTTP API", &version, &error))
    {
      store_failed (request, error);
      return;
    }
  vigil_engine_reload_policy (request->api->engine);
  json = g_strdup_printf ("{\"version\":%" G_GINT64_FORMAT "}", version);
  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, json);
}

/* ---- /api/v1/identities --------------------------------------------------------------- */

static void
list_identities (ApiRequest *request)
{
  g_autoptr(GPtrArray) identities = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  if (!require_kind (request, VIGIL_IDENTITY_KIND_ADMIN))
    return;
  identities = vigil_store_identity_list (request->api->store, &error);
  if (identities == NULL)
    {
      store_failed (request, error);
      return;
    }
  json_builder_begin_array (b);
  for (guint i = 0; i < identities->len; i++)
    {
      const VigilIdentity *identity = g_ptr_array_index (identities, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, identity->name);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, vigil_identity_kind_to_string (identity->kind));
      json_builder_set_member_name (b, "created_at");
      json_builder_add_int_value (b, identity->created_at);
      json_builder_set_member_name (b, "revoked");
      json_builder_add_boolean_value (b, identity->revoked_at != 0);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, json);
}

static void
add_identity (ApiRequest *request)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *json = NULL;
  JsonObject *object;
  const char *name, *kind_text;
  VigilIdentityKind kind;

  if (!require_kind (request, VIGIL_IDENTITY_KIND_ADMIN) || (root = body_json (request, FALSE)) == NULL)
    return;
  object = json_node_get_object (root);
  name = json_object_get_string_member_with_default (object, "name", NULL);
  kind_text = json_object_get_string_member_with_default (object, "kind", "agent");
  if (json_object_get_size (object) > (json_object_has_member (object, "kind") ? 2u : 1u) ||
      name == NULL || !vigil_identity_kind_from_string (kind_text, &kind))
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_BAD_REQUEST,
                                "expected {\"name\": NAME, \"kind\": \"agent|human|admin\"}");
      return;
    }
  if (!vigil_store_identity_add (request->api->store, name, kind, &token, &error))
    {
      guint status = g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_EXISTS) ? SOUP_STATUS_CONFLICT
                     : g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_INVALID)
                     ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_SERVICE_UNAVAILABLE;

      _vigil_api_respond_error (request->msg, status, "%s", error->message);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, vigil_identity_kind_to_string (kind));
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_end_object (b);
  answer = json_builder_get_root (b);
  json = json_to_string (answer, FALSE);
  _vigil_api_respond_json (request->msg, SOUP_STATUS_CREATED, json);
}

static void
revoke_identity (ApiRequest *request,
                 const char *name)
{
  g_autoptr(GError) error = NULL;

  if (!require_kind (request, VIGIL_IDENTITY_KIND_ADMIN))
    return;
  if (!vigil_store_identity_revoke (request->api->store, name, &error))
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        _vigil_api_respond_error (request->msg, SOUP_STATUS_NOT_FOUND, "%s", error->message);
      else
        store_failed (request, error);
      return;
    }
  /* Revocation takes effect on the API at once, not when the cache expires. */
  g_hash_table_remove_all (request->api->auth_cache);
  _vigil_api_respond_json (request->msg, SOUP_STATUS_OK, "{\"revoked\":true}");
}

/* ---- dispatch ------------------------------------------------------------------------- */

static void
route_v1 (ApiRequest  *request,
          const char **parts,
          guint        n)
{
  const char *what = parts[0];

  if (n == 1 && g_str_equal (what, "approvals"))
    method_is (request, "GET") ? list_approvals (request) : not_allowed (request, "GET");
  else if (n == 3 && g_str_equal (what, "approvals") &&
           (g_str_equal (parts[2], "approve") || g_str_equal (parts[2], "deny")))
    method_is (request, "POST") ? decide_approval (request, parts[1],
                                                   g_str_equal (parts[2], "approve"))
                                : not_allowed (request, "POST");
  else if (n == 1 && g_str_equal (what, "events"))
    method_is (request, "GET") ? _vigil_api_events_attach (request) : not_allowed (request, "GET");
  else if (n == 1 && g_str_equal (what, "audit"))
    method_is (request, "GET") ? get_audit (request) : not_allowed (request, "GET");
  else if (n == 1 && g_str_equal (what, "policy"))
    method_is (request, "GET") ? get_policy (request)
    : method_is (request, "POST") ? post_policy (request) : not_allowed (request, "GET, POST");
  else if (n == 1 && g_str_equal (what, "identities"))
    method_is (request, "GET") ? list_identities (request)
    : method_is (request, "POST") ? add_identity (request) : not_allowed (request, "GET, POST");
  else if (n == 2 && g_str_equal (what, "identities"))
    method_is (request, "DELETE") ? revoke_identity (request, parts[1])
                                  : not_allowed (request, "DELETE");
  else
    _vigil_api_respond_error (request->msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
}

void
_vigil_api_route (ApiRequest *request)
{
  g_auto(GStrv) parts = g_strsplit (request->path + (request->path[0] == '/'), "/", 16);
  guint n = g_strv_length (parts);

  if (g_str_equal (request->path, "/metrics"))
    method_is (request, "GET") ? get_metrics (request) : not_allowed (request, "GET");
  else if (n >= 3 && g_str_equal (parts[0], "api") && g_str_equal (parts[1], "v1"))
    route_v1 (request, (const char **) parts + 2, n - 2);
  else
    _vigil_api_respond_error (request->msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
}
