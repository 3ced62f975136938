/* test-proxy-api.c: the HTTP API against a real engine and PostgreSQL.
 *
 * The engine and the API run in this process (vigil_engine_* and vigil_api_*, each on its
 * own thread); clients are libpq and a SoupSession, as a chat bot or a CI script would be.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "vigil-api.h"
#include "vigil-engine.h"
#include "vigil-store.h"
#include "vigil-test-proxy.h"

#define WAIT_MS 10000
#define POLICY \
  "{\"version\": 1, \"default_action\": \"allow\", \"rules\": [" \
  "{\"name\": \"mass\", \"match\": {\"class\": [\"unbounded-write\"]}, \"action\": \"review\"," \
  " \"message\": \"changes every row\"}]}"

static struct
{
  char        *skip;
  VigilTestPg *pg;
  char        *dir;
  VigilStore  *store;
  VigilEngine *engine;
  VigilApi    *api;
  SoupSession *session;
  char        *agent_token;   /* agent1 */
  char        *human_token;   /* alice */
  char        *admin_token;   /* root */
} env;

/* ---- helpers -------------------------------------------------------------------------- */

static gboolean
ready (void)
{
  if (env.skip != NULL)
    g_test_skip (env.skip);
  return env.skip == NULL;
}

static char *
url (const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", vigil_api_get_port (env.api), path);
}

/* Sends one request; returns the status and (nullable) the body. */
static guint
http (const char  *method,
      const char  *path,
      const char  *credential,
      const char  *body,
      char       **out_body)
{
  g_autofree char *uri = url (path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (credential != NULL)
    {
      g_autofree char *header = g_strconcat ("Bearer ", credential, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    header);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (env.session, msg, NULL, &error);
  g_assert_no_error (error);
  if (out_body != NULL)
    *out_body = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  return soup_message_get_status (msg);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static void
assert_json_error (const char *text)
{
  g_autoptr(JsonNode) node = parse (text);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_true (json_object_has_member (json_node_get_object (node), "error"));
}

static PGconn *
connect_as (const char *name,
            const char *token)
{
  g_autofree char *conninfo =
    g_strdup_printf ("host=127.0.0.1 port=%u user=%s password=%s dbname=appdb sslmode=disable",
                     vigil_engine_get_port (env.engine), name, token);
  PGconn *conn = PQconnectdb (conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("connect as %s: %s", name, PQerrorMessage (conn));
  return conn;
}

/* The id of NAME's newest pending request, waiting for it to appear. */
static gint64
wait_pending (const char *identity)
{
  for (int i = 0; i < WAIT_MS / 50; i++)
    {
      g_autofree char *body = NULL;
      g_autoptr(JsonNode) node = NULL;
      JsonArray *rows;

      g_assert_cmpuint (http ("GET", "/api/v1/approvals", env.admin_token, NULL, &body), ==, 200);
      node = parse (body);
      rows = json_node_get_array (node);
      for (guint r = 0; r < json_array_get_length (rows); r++)
        {
          JsonObject *o = json_array_get_object_element (rows, r);

          if (g_strcmp0 (json_object_get_string_member (o, "identity"), identity) == 0)
            return json_object_get_int_member (o, "id");
        }
      g_usleep (50 * 1000);
    }
  g_error ("no pending request from %s", identity);
  return 0;
}

static PGresult *
wait_result (PGconn *conn)
{
  while (PQisBusy (conn))
    g_assert_true (vigil_test_wait_input (conn, WAIT_MS));
  return PQgetResult (conn);
}

static void
drain (PGconn *conn)
{
  PGresult *res;

  while ((res = PQgetResult (conn)) != NULL)
    PQclear (res);
}

/* ---- cases ---------------------------------------------------------------------------- */

static void
test_health (void)
{
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!ready ())
    return;
  g_assert_cmpuint (http ("GET", "/api/v1/health", NULL, NULL, &body), ==, 200);
  node = parse (body);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "status"), ==, "ok");
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (node), "version"));
  g_assert_cmpuint (http ("POST", "/api/v1/health", NULL, "{}", NULL), ==, 405);
}

static void
test_auth (void)
{
  g_autofree char *body = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) reply = NULL;
  const char *plain = strchr (env.human_token, ':') + 1;

  if (!ready ())
    return;
  uri = url ("/api/v1/approvals");
  msg = soup_message_new ("GET", uri);
  reply = soup_session_send_and_read (env.session, msg, NULL, NULL);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                 "WWW-Authenticate"), ==, "Bearer realm=\"vigil\"");
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", "vgl_not-a-token", NULL, &body), ==, 401);
  assert_json_error (body);
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", "alice:vgl_wrong", NULL, NULL), ==, 401);
  g_assert_cmpuint (http ("GET", "/metrics", NULL, NULL, NULL), ==, 401);
  /* The bare token is found among the identities, twice (the second from the cache). */
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", plain, NULL, NULL), ==, 200);
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", plain, NULL, NULL), ==, 200);
  g_assert_cmpuint (http ("GET", "/api/v1/nothing", env.human_token, NULL, NULL), ==, 404);
  g_assert_cmpuint (http ("GET", "/elsewhere", env.human_token, NULL, NULL), ==, 404);
  g_assert_cmpuint (http ("DELETE", "/api/v1/approvals", env.human_token, NULL, NULL), ==, 405);
  g_assert_cmpuint (http ("GET", "/api/v1/approvals?colour=red", env.human_token, NULL, &body),
                    ==, 400);
}

/* Headers announcing 100 KB and expecting 100-continue: refused before any body is sent. */
static void
test_body_limit (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  g_autofree char *big = NULL;
  char answer[64] = { 0 };
  gsize n = 0;

  if (!ready ())
    return;
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", vigil_api_get_port (env.api),
                                          NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("POST /api/v1/policy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
                             "\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n",
                             env.admin_token);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (conn)), answer,
                           sizeof answer - 1, &n, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 413"));

  /* Sent whole anyway: still refused. Just under the limit is read, and judged. */
  big = g_strnfill (VIGIL_API_MAX_BODY + 1, ' ');
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.admin_token, big, NULL), ==, 413);
  big[VIGIL_API_MAX_BODY - 10] = '\0';
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.admin_token, big, NULL), ==, 400);
}

static void
test_approval (void)
{
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *approve = NULL;
  g_autofree char *deny = NULL;
  g_autoptr(JsonNode) node = NULL;
  PGconn *agent, *human;
  PGresult *res;
  gint64 id;

  if (!ready ())
    return;
  agent = connect_as ("agent1", strchr (env.agent_token, ':') + 1);
  g_assert_cmpint (PQsendQuery (agent, "delete from api_items"), ==, 1);
  id = wait_pending ("agent1");
  approve = g_strdup_printf ("/api/v1/approvals/%" G_GINT64_FORMAT "/approve", id);
  deny = g_strdup_printf ("/api/v1/approvals/%" G_GINT64_FORMAT "/deny", id);

  /* The agent sees its own request, and may not decide. */
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", env.agent_token, NULL, &body), ==, 200);
  node = parse (body);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 1);
  g_assert_cmpuint (http ("POST", approve, env.agent_token, "{}", NULL), ==, 403);
  g_assert_cmpuint (http ("GET", approve, env.human_token, NULL, NULL), ==, 405);
  g_assert_cmpuint (http ("POST", approve, env.human_token, "{not json", &body), ==, 400);
  assert_json_error (body);
  g_assert_cmpuint (http ("POST", approve, env.human_token, "{\"colour\": 1}", NULL), ==, 400);
  g_assert_cmpuint (http ("POST", approve, env.human_token, "{\"minutes\": -3}", NULL), ==, 400);
  g_assert_cmpuint (http ("POST", approve, env.human_token, "[1]", NULL), ==, 400);
  g_assert_cmpuint (http ("POST", "/api/v1/approvals/999999/approve", env.human_token, "{}",
                          NULL), ==, 404);
  g_assert_cmpuint (http ("POST", "/api/v1/approvals/x1/approve", env.human_token, "{}", NULL),
                    ==, 404);

  g_assert_cmpuint (http ("POST", approve, env.human_token, "{\"reason\": \"ok, cleanup\"}", &body),
                    ==, 200);
  g_clear_pointer (&node, json_node_unref);
  node = parse (body);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "status"), ==,
                   "approved");
  res = wait_result (agent);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  drain (agent);
  g_assert_cmpuint (http ("POST", deny, env.admin_token, "{}", NULL), ==, 409);

  /* A human's own request: not theirs to approve; an admin denies it. */
  human = connect_as ("alice", strchr (env.human_token, ':') + 1);
  g_assert_cmpint (PQsendQuery (human, "update api_items set n = 0"), ==, 1);
  id = wait_pending ("alice");
  path = g_strdup_printf ("/api/v1/approvals/%" G_GINT64_FORMAT "/approve", id);
  g_assert_cmpuint (http ("POST", path, env.human_token, "{}", NULL), ==, 403);
  g_free (path);
  path = g_strdup_printf ("/api/v1/approvals/%" G_GINT64_FORMAT "/deny", id);
  g_assert_cmpuint (http ("POST", path, env.admin_token, "{\"reason\": \"no\"}", NULL), ==, 200);
  res = wait_result (human);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "42501");
  PQclear (res);
  drain (human);
  PQfinish (human);
  PQfinish (agent);
}

static gpointer
watchdog_thread (gpointer data)
{
  GCancellable *cancellable = data;

  for (int i = 0; i < WAIT_MS / 50 && !g_cancellable_is_cancelled (cancellable); i++)
    g_usleep (50 * 1000);
  g_cancellable_cancel (cancellable);
  return NULL;
}

/* Reads the stream until a data line containing NEEDLE (or the watchdog fires). */
static char *
read_event (GDataInputStream *lines,
            GCancellable     *cancellable,
            const char       *needle)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, cancellable, &error);

      if (line == NULL)
        return NULL;
      if (g_str_has_prefix (line, "data: ") && strstr (line, needle) != NULL)
        return g_steal_pointer (&line);
    }
}

static GDataInputStream *
open_events (const char   *credential,
             GCancellable *cancellable)
{
  g_autofree char *uri = url ("/api/v1/events");
  g_autofree char *header = g_strconcat ("Bearer ", credential, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", header);
  stream = soup_session_send (env.session, msg, cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                          NULL), ==, "text/event-stream");
  return g_data_input_stream_new (stream);
}

static void
test_events (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GDataInputStream) mine = NULL;
  g_autoptr(GDataInputStream) theirs = NULL;
  g_autofree char *line = NULL;
  g_autofree char *other = NULL;
  GThread *watchdog;
  PGconn *agent, *human;

  if (!ready ())
    return;
  watchdog = g_thread_new ("watchdog", watchdog_thread, cancellable);
  mine = open_events (env.agent_token, cancellable);
  theirs = open_events (env.admin_token, cancellable);
  human = connect_as ("alice", strchr (env.human_token, ':') + 1);
  g_free (vigil_test_query_value (human, "select 'alice_was_here'"));
  agent = connect_as ("agent1", strchr (env.agent_token, ':') + 1);
  g_free (vigil_test_query_value (agent, "select 'sse_marker', 'bob@example.com'"));

  /* The admin sees both; the agent only its own, its literals masked as audited. */
  other = read_event (theirs, cancellable, "alice_was_here");
  g_assert_nonnull (other);
  line = read_event (mine, cancellable, "sse_marker");
  g_assert_nonnull (line);
  g_assert_null (strstr (line, "alice_was_here"));
  g_assert_nonnull (strstr (line, "\"identity\":\"agent1\""));
  g_cancellable_cancel (cancellable);
  g_thread_join (watchdog);
  PQfinish (agent);
  PQfinish (human);
}

static void
test_audit (void)
{
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *rows;

  if (!ready ())
    return;
  g_assert_cmpuint (http ("GET", "/api/v1/audit?limit=3", env.human_token, NULL, &body), ==, 200);
  node = parse (body);
  rows = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (rows), >, 0);
  g_assert_cmpuint (json_array_get_length (rows), <=, 3);
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?identity=agent1&since=2000-01-01T00:00:00Z",
                          env.agent_token, NULL, &body), ==, 200);
  g_clear_pointer (&node, json_node_unref);
  node = parse (body);
  rows = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (rows), >, 0);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, i),
                                                    "identity"), ==, "agent1");
  g_assert_cmpuint (http ("GET", "/api/v1/audit?identity=alice", env.agent_token, NULL, NULL),
                    ==, 403);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?limit=abc", env.human_token, NULL, NULL), ==, 400);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?limit=0", env.human_token, NULL, NULL), ==, 400);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?since=yesterday", env.human_token, NULL, NULL),
                    ==, 400);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?until=99999999999999999999", env.human_token,
                          NULL, NULL), ==, 400);
  g_assert_cmpuint (http ("POST", "/api/v1/audit", env.human_token, "{}", NULL), ==, 405);
}

/* GET /api/v1/audit?... as the admin: the rows, oldest first, each checked for order. */
static JsonArray *
audit_rows (const char *query,
            JsonNode  **out_node)
{
  g_autofree char *path = g_strconcat ("/api/v1/audit?", query, NULL);
  g_autofree char *body = NULL;
  JsonArray *rows;

  g_assert_cmpuint (http ("GET", path, env.admin_token, NULL, &body), ==, 200);
  *out_node = parse (body);
  rows = json_node_get_array (*out_node);
  for (guint i = 1; i < json_array_get_length (rows); i++)
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rows, i - 1), "id"),
                     <, json_object_get_int_member (json_array_get_object_element (rows, i), "id"));
  return rows;
}

static gint64
row_time_us (JsonArray *rows,
             guint      i)
{
  const char *time = json_object_get_string_member (json_array_get_object_element (rows, i), "time");
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (time, NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

static void
test_audit_range (void)
{
  g_autoptr(JsonNode) all_node = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *query = NULL;
  JsonArray *all, *rows;
  gint64 since, until, before_id = 0;
  guint n, expected = 0, paged = 0;
  PGconn *human;

  if (!ready ())
    return;
  human = connect_as ("alice", strchr (env.human_token, ':') + 1);
  for (guint i = 0; i < 6; i++)
    g_free (vigil_test_query_value (human, "select 'api_range_probe'"));
  PQfinish (human);

  all = audit_rows ("limit=10000", &all_node);
  n = json_array_get_length (all);
  g_assert_cmpuint (n, >=, 6);

  /* since and until are inclusive, whatever else lies around them. */
  since = row_time_us (all, n - 5);
  until = row_time_us (all, n - 2);
  for (guint i = 0; i < n; i++)
    expected += row_time_us (all, i) >= since && row_time_us (all, i) <= until;
  query = g_strdup_printf ("limit=10000&since=%s&until=%s",
                           json_object_get_string_member (json_array_get_object_element (all, n - 5), "time"),
                           json_object_get_string_member (json_array_get_object_element (all, n - 2), "time"));
  rows = audit_rows (query, &node);
  g_assert_cmpuint (json_array_get_length (rows), ==, expected);
  g_assert_cmpuint (expected, >=, 4);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      g_assert_cmpint (row_time_us (rows, i), >=, since);
      g_assert_cmpint (row_time_us (rows, i), <=, until);
    }
  g_clear_pointer (&node, json_node_unref);

  /* Text through the search index. */
  rows = audit_rows ("text=api_range_probe&identity=alice", &node);
  g_assert_cmpuint (json_array_get_length (rows), ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (rows, i),
                                                             "statement"), "api_range_probe"));
  g_clear_pointer (&node, json_node_unref);

  /* before_id pages back through everything, each record once. */
  do
    {
      g_clear_pointer (&query, g_free);
      query = before_id > 0 ? g_strdup_printf ("limit=4&before_id=%" G_GINT64_FORMAT, before_id)
                            : g_strdup ("limit=4");
      g_clear_pointer (&node, json_node_unref);
      rows = audit_rows (query, &node);
      for (guint i = json_array_get_length (rows); i > 0; i--, paged++)
        g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rows, i - 1), "id"),
                         ==, json_object_get_int_member (json_array_get_object_element (all, n - 1 - paged), "id"));
      if (json_array_get_length (rows) > 0)
        before_id = json_object_get_int_member (json_array_get_object_element (rows, 0), "id");
    }
  while (json_array_get_length (rows) > 0);
  g_assert_cmpuint (paged, ==, n);

  g_assert_cmpuint (http ("GET", "/api/v1/audit?text=%22unbalanced", env.admin_token, NULL, NULL),
                    ==, 400);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?decision=maybe", env.admin_token, NULL, NULL),
                    ==, 400);
  g_assert_cmpuint (http ("GET", "/api/v1/audit?before_id=abc", env.admin_token, NULL, NULL),
                    ==, 400);
}

static void
test_policy (void)
{
  g_autofree char *body = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!ready ())
    return;
  g_assert_cmpuint (http ("GET", "/api/v1/policy", env.agent_token, NULL, NULL), ==, 403);
  g_assert_cmpuint (http ("GET", "/api/v1/policy", env.human_token, NULL, &body), ==, 200);
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.agent_token, POLICY, NULL), ==, 403);
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.human_token, POLICY, NULL), ==, 403);
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.admin_token, "{\"version\": 1, "
                          "\"rules\": [{\"action\": \"explode\"}]}", &body), ==, 400);
  assert_json_error (body);
  g_clear_pointer (&body, g_free);
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.admin_token, "\xff\xfe", NULL), ==, 400);
  g_assert_cmpuint (http ("POST", "/api/v1/policy", env.admin_token, POLICY, &body), ==, 200);
  node = parse (body);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "version"), >, 1);
}

static void
test_identities (void)
{
  g_autofree char *body = NULL;
  g_autofree char *credential = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!ready ())
    return;
  g_assert_cmpuint (http ("GET", "/api/v1/identities", env.human_token, NULL, NULL), ==, 403);
  g_assert_cmpuint (http ("GET", "/api/v1/identities", env.admin_token, NULL, NULL), ==, 200);
  g_assert_cmpuint (http ("POST", "/api/v1/identities", env.admin_token,
                          "{\"name\": \"ci\", \"kind\": \"robot\"}", NULL), ==, 400);
  g_assert_cmpuint (http ("POST", "/api/v1/identities", env.admin_token,
                          "{\"name\": \"ci\", \"kind\": \"agent\"}", &body), ==, 201);
  node = parse (body);
  credential = g_strconcat ("ci:", json_object_get_string_member (json_node_get_object (node),
                                                                  "token"), NULL);
  g_assert_cmpuint (http ("POST", "/api/v1/identities", env.admin_token,
                          "{\"name\": \"ci\"}", NULL), ==, 409);
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", credential, NULL, NULL), ==, 200);
  g_assert_cmpuint (http ("DELETE", "/api/v1/identities/ci", env.admin_token, NULL, NULL), ==, 200);
  g_assert_cmpuint (http ("GET", "/api/v1/approvals", credential, NULL, NULL), ==, 401);
  g_assert_cmpuint (http ("DELETE", "/api/v1/identities/nobody", env.admin_token, NULL, NULL),
                    ==, 404);
}

static void
test_metrics (void)
{
  g_autofree char *body = NULL;

  if (!ready ())
    return;
  g_assert_cmpuint (http ("GET", "/metrics", env.agent_token, NULL, &body), ==, 200);
  g_test_message ("%s", body);
  g_assert_nonnull (strstr (body, "vigil_statements_total{class=\"read\",decision=\"allow\"} "));
  g_assert_nonnull (strstr (body, "decision=\"review\"} "));
  g_assert_nonnull (strstr (body, "\nvigil_held_total 2\n"));
  g_assert_nonnull (strstr (body, "vigil_held_wait_seconds_count 2\n"));
  g_assert_nonnull (strstr (body, "\nvigil_masked_values_total "));
  g_assert_null (strstr (body, "\nvigil_sessions 0\n"));
  g_assert_nonnull (strstr (body, "\nvigil_audit_queue_depth "));
  g_assert_nonnull (strstr (body, "\nvigil_audit_commit_seconds "));
  g_assert_nonnull (strstr (body, "vigil_statement_duration_seconds_bucket{le=\"+Inf\"} "));
  g_assert_null (strstr (body, "vigil_statement_duration_seconds_count 0\n"));
}

/* `vigilctl approvals` goes through the API when given a token. */
static void
test_vigilctl (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *api = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (!ready ())
    return;
  api = url ("");
  vigil_test_run ((const char * const[]) { g_getenv ("VIGILCTL"), "approvals", "list", "--json",
                                           "--all", "--api", api, "--token", env.human_token,
                                           "--data-dir", "/nonexistent/vigil-api-test", NULL },
                  NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "\"decided_by\":\"alice\""));
  g_clear_pointer (&out, g_free);
  vigil_test_run ((const char * const[]) { g_getenv ("VIGILCTL"), "approvals", "approve", "999999",
                                           "--api", api, "--token", env.human_token, NULL },
                  NULL, &out, &err, &status, &error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "HTTP 404"));
}

/* ---- fixture -------------------------------------------------------------------------- */

static char *
add_identity (const char        *name,
              VigilIdentityKind  kind)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  g_assert_true (vigil_store_identity_add (env.store, name, kind, &token, &error));
  g_assert_no_error (error);
  return g_strconcat (name, ":", token, NULL);
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *sockets = NULL;

  if (!vigil_test_pg_available (&env.skip))
    return;
  env.pg = vigil_test_pg_start (&error);
  g_assert_no_error (error);
  g_assert_true (vigil_test_pg_exec (env.pg, "create table api_items (n int); insert into "
                                     "api_items values (1), (2); grant all on api_items to "
                                     VIGIL_TEST_PG_APP_ROLE, &error));
  env.dir = g_dir_make_tmp ("vigil-api-XXXXXX", &error);
  g_assert_no_error (error);
  env.store = vigil_store_open (env.dir, &error);
  g_assert_no_error (error);
  env.agent_token = add_identity ("agent1", VIGIL_IDENTITY_KIND_AGENT);
  env.human_token = add_identity ("alice", VIGIL_IDENTITY_KIND_HUMAN);
  env.admin_token = add_identity ("root", VIGIL_IDENTITY_KIND_ADMIN);
  g_assert_true (vigil_store_policy_save (env.store, POLICY, "test", NULL, NULL, &error));

  env.engine = vigil_engine_new (env.store);
  conninfo = vigil_test_pg_conninfo (env.pg, "sslmode=disable");
  g_assert_true (vigil_engine_add_connection (env.engine, "appdb", conninfo, &error));
  g_assert_true (vigil_engine_set_listen (env.engine, "127.0.0.1:0", &error));
  sockets = g_build_filename (env.dir, "run", NULL);
  vigil_engine_set_socket_dir (env.engine, sockets);
  g_assert_true (vigil_engine_start (env.engine, &error));
  g_assert_no_error (error);
  vigil_engine_reload_policy (env.engine);

  env.api = vigil_api_new (env.engine, env.store, env.dir);
  g_assert_true (vigil_api_start (env.api, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_api_get_port (env.api), >, 0);
  env.session = soup_session_new_with_options ("timeout", 20, NULL);
}

static void
teardown (void)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&env.session);
  if (env.api != NULL)
    vigil_api_stop (env.api);
  g_clear_object (&env.api);
  if (env.engine != NULL)
    vigil_engine_stop (env.engine);
  g_clear_object (&env.engine);
  g_clear_object (&env.store);
  g_clear_pointer (&env.pg, vigil_test_pg_stop);
  if (env.dir != NULL)
    {
      g_autoptr(GSubprocess) rm = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "rm", "-rf",
                                                    env.dir, NULL);
      if (rm != NULL)
        g_subprocess_wait (rm, NULL, NULL);
    }
  g_free (env.dir);
  g_free (env.agent_token);
  g_free (env.human_token);
  g_free (env.admin_token);
  g_free (env.skip);
}

/* Starting and stopping without clients, and a port already taken. */
static void
test_start_stop (void)
{
  g_autoptr(VigilApi) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *taken = NULL;

  if (!ready ())
    return;
  other = vigil_api_new (env.engine, env.store, env.dir);
  taken = g_strdup_printf ("127.0.0.1:%u", vigil_api_get_port (env.api));
  g_assert_false (vigil_api_start (other, taken, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (vigil_api_start (other, "example.com:1", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (vigil_api_start (other, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  vigil_api_stop (other);
  vigil_api_stop (other);
}

int
main (int    argc,
      char **argv)
{
  int status;

  vigil_test_init (&argc, &argv);
  g_test_add_func ("/api/health/ok", test_health);
  g_test_add_func ("/api/auth/tokens", test_auth);
  g_test_add_func ("/api/body/limit", test_body_limit);
  g_test_add_func ("/api/approvals/decide", test_approval);
  g_test_add_func ("/api/events/stream", test_events);
  g_test_add_func ("/api/audit/read", test_audit);
  g_test_add_func ("/api/audit/range", test_audit_range);
  g_test_add_func ("/api/policy/change", test_policy);
  g_test_add_func ("/api/identities/manage", test_identities);
  g_test_add_func ("/api/metrics/prometheus", test_metrics);
  g_test_add_func ("/api/server/start-stop", test_start_stop);
  g_test_add_func ("/api/vigilctl/approvals", test_vigilctl);
  setup ();
  status = g_test_run ();
  teardown ();
  return status;
}
