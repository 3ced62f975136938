/* vigilctl-approvals.c: `vigilctl approvals list | approve ID | deny ID`.
 *
 * With a token (--token or VIGIL_TOKEN), the commands go through a running engine's HTTP
 * API (--api or VIGIL_API, default http://127.0.0.1:6544) and decisions are recorded as the
 * token's identity. Without one, or when nothing answers there, decisions go to the
 * approval queue in the store; a running engine picks them up within a fraction of a
 * second, and the CLI is recorded as the local OS user, "os:USER".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#include "vigil-approvals.h"
#include "vigil-store.h"
#include "vigilctl.h"

typedef struct
{
  char     *data_dir;
  gboolean  json;
  gboolean  all;
  char     *reason;
  int       minutes;
  char     *api;
  char     *token;
} ApprovalsOptions;

#define DEFAULT_API_URL "http://127.0.0.1:6544"

static int
fail (const char *what,
      GError     *error)
{
  fprintf (stderr, "vigilctl approvals: %s%s%s\n", what, error ? ": " : "",
           error ? error->message : "");
  return VIGILCTL_EXIT_ERROR;
}

static VigilApprovals *
open_queue (ApprovalsOptions  *o,
            GError           **error)
{
  g_autofree char *data_dir = vigilctl_resolve_data_dir (o->data_dir);
  /* Opening the store migrates the schema the queue lives in. */
  g_autoptr(VigilStore) store = vigil_store_open (data_dir, error);

  if (store == NULL)
    return NULL;
  return vigil_approvals_open (data_dir, error);
}

/* ---- through the HTTP API ------------------------------------------------------------ */

typedef enum {
  API_DONE,
  API_FAILED,
  API_UNAVAILABLE,   /* no token, or nothing listening: use the store */
} ApiOutcome;

/* Sends METHOD PATH with BODY; NULL with ERROR unset when the API is not there. */
static GBytes *
api_send (ApprovalsOptions  *o,
          const char        *method,
          const char        *path,
          const char        *body,
          guint             *out_status,
          GError           **error)
{
  const char *token = o->token ? o->token : g_getenv ("VIGIL_TOKEN");
  const char *base = o->api ? o->api : g_getenv ("VIGIL_API");
  g_autofree char *url = NULL;
  g_autofree char *auth = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) local = NULL;
  GBytes *reply;

  if (token == NULL || *token == '\0')
    return NULL;
  url = g_strconcat (base && *base ? base : DEFAULT_API_URL, path, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad API URL %s", url);
      return NULL;
    }
  auth = g_strconcat ("Bearer ", token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  session = soup_session_new_with_options ("timeout", 30, NULL);
  reply = soup_session_send_and_read (session, msg, NULL, &local);
  if (reply == NULL)
    {
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  *out_status = soup_message_get_status (msg);
  return reply;
}

static JsonNode *
api_json (GBytes  *reply,
          guint    status,
          GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (reply, &len);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data ? data : "", data ? len : 0, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u, not JSON", status);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *message = JSON_NODE_HOLDS_OBJECT (root)
        ? json_object_get_string_member_with_default (json_node_get_object (root), "error", "")
        : "";
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "HTTP %u: %s", status, message);
      return NULL;
    }
  return json_node_copy (root);
}

static gint64
parse_time (const char *text)
{
  g_autoptr(GDateTime) dt = text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return dt ? g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt) : 0;
}

static const char *
member (JsonObject *o,
        const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_string (node) : NULL;
}

/* The API's JSON (vigil_approval_to_json's shape) back into a request. */
static VigilApproval *
approval_from_json (JsonObject *o)
{
  VigilApproval *a = vigil_approval_new ();
  JsonObject *process = json_object_get_object_member (o, "process");

  a->id = json_object_get_int_member_with_default (o, "id", 0);
  a->created_us = parse_time (member (o, "time"));
  a->identity = g_strdup (member (o, "identity"));
  a->connection = g_strdup (member (o, "connection"));
  if (process != NULL)
    {
      a->pid = (gint) json_object_get_int_member_with_default (process, "pid", 0);
      a->exe = g_strdup (member (process, "exe"));
      a->os_user = g_strdup (member (process, "user"));
    }
  a->statement = g_strdup (member (o, "statement"));
  a->class = g_strdup (member (o, "class"));
  a->relations = g_strdup (member (o, "relations"));
  a->rule = g_strdup (member (o, "rule"));
  a->reason = g_strdup (member (o, "reason"));
  a->estimated_rows = json_object_get_int_member_with_default (o, "estimated_rows", -1);
  a->status = g_strdup (member (o, "status"));
  a->decided_by = g_strdup (member (o, "decided_by"));
  a->decision_reason = g_strdup (member (o, "decision_reason"));
  a->decided_us = parse_time (member (o, "decided"));
  return a;
}

/* The queue through the API; NULL with ERROR unset when the API is not there. */
static GPtrArray *
api_list (ApprovalsOptions  *o,
          GError           **error)
{
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonNode) root = NULL;
  GPtrArray *rows;
  JsonArray *array;
  guint status = 0;

  reply = api_send (o, "GET", o->all ? "/api/v1/approvals?all=true" : "/api/v1/approvals",
                    NULL, &status, error);
  if (reply == NULL || (root = api_json (reply, status, error)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the API did not answer with a list");
      return NULL;
    }
  array = json_node_get_array (root);
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_approval_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      g_ptr_array_add (rows, approval_from_json (json_array_get_object_element (array, i)));
  return rows;
}

static ApiOutcome
api_decide (ApprovalsOptions  *o,
            gint64             id,
            gboolean           approve,
            char             **inout_by,
            GError           **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *path = g_strdup_printf ("/api/v1/approvals/%" G_GINT64_FORMAT "/%s", id,
                                           approve ? "approve" : "deny");
  guint status = 0;

  json_builder_begin_object (b);
  if (o->reason != NULL)
    {
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, o->reason);
    }
  json_builder_set_member_name (b, "minutes");
  json_builder_add_int_value (b, MAX (o->minutes, 0));
  json_builder_end_object (b);
  body = json_builder_get_root (b);
  json = json_to_string (body, FALSE);
  reply = api_send (o, "POST", path, json, &status, error);
  if (reply == NULL)
    return *error ? API_FAILED : API_UNAVAILABLE;
  root = api_json (reply, status, error);
  if (root == NULL)
    return API_FAILED;
  if (JSON_NODE_HOLDS_OBJECT (root) && member (json_node_get_object (root), "decided_by"))
    {
      g_free (*inout_by);
      *inout_by = g_strdup (member (json_node_get_object (root), "decided_by"));
    }
  return API_DONE;
}

static void
print_row (const VigilApproval *a)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (a->created_us / G_USEC_PER_SEC);
  g_autofree char *when = g_date_time_format (dt, "%F %T");
  g_autofree char *statement = g_strndup (a->statement, 60);

  for (char *p = statement; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  printf ("#%-5" G_GINT64_FORMAT " %-19s %-9s %-12s pid=%-7d %-14s %-10s %s\n", a->id, when,
          a->status, a->identity, a->pid, a->class, a->rule ? a->rule : "-", statement);
}

static int
print_requests (ApprovalsOptions *o,
                GPtrArray        *rows)
{
  for (guint i = 0; i < rows->len; i++)
    {
      const VigilApproval *a = g_ptr_array_index (rows, i);

      if (o->json)
        {
          g_autofree char *line = vigil_approval_to_json (a);
          printf ("%s\n", line);
        }
      else
        print_row (a);
    }
  if (!o->json && rows->len == 0)
    printf ("No statements are waiting for approval.\n");
  return VIGILCTL_EXIT_OK;
}

static int
list_requests (ApprovalsOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovals) queue = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  rows = api_list (o, &error);
  if (rows == NULL && error != NULL)
    return fail ("the API refused", error);
  if (rows != NULL)
    return print_requests (o, rows);
  queue = open_queue (o, &error);
  if (queue == NULL)
    return fail ("cannot open the approval queue", error);
  rows = vigil_approvals_list (queue, !o->all, 1000, &error);
  if (rows == NULL)
    return fail ("cannot read the approval queue", error);
  return print_requests (o, rows);
}

static int
decide_request (ApprovalsOptions *o,
                const char       *id_text,
                gboolean          approve)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovals) queue = NULL;
  g_autofree char *by = g_strconcat ("os:", g_get_user_name (), NULL);
  guint64 id;

  if (!g_ascii_string_to_unsigned (id_text[0] == '#' ? id_text + 1 : id_text, 10, 1,
                                   G_MAXINT64, &id, NULL))
    return fail ("the request id must be a number", NULL);
  if (!approve && (o->reason == NULL || *o->reason == '\0'))
    return fail ("deny needs --reason TEXT", NULL);
  switch (api_decide (o, (gint64) id, approve, &by, &error))
    {
    case API_DONE:
      printf ("request #%" G_GUINT64_FORMAT " %s by %s\n", id, approve ? "approved" : "denied",
              by);
      return VIGILCTL_EXIT_OK;
    case API_FAILED:
      return fail ("cannot decide", error);
    case API_UNAVAILABLE:
      break;
    }
  queue = open_queue (o, &error);
  if (queue == NULL)
    return fail ("cannot open the approval queue", error);
  if (!vigil_approvals_decide (queue, (gint64) id, approve, by, o->reason, o->minutes, &error))
    return fail ("cannot decide", error);
  printf ("request #%" G_GUINT64_FORMAT " %s by %s\n", id, approve ? "approved" : "denied", by);
  return VIGILCTL_EXIT_OK;
}

static void
options_clear (ApprovalsOptions *o)
{
  g_free (o->data_dir);
  g_free (o->reason);
  g_free (o->api);
  g_free (o->token);
}

int
vigilctl_approvals_main (int    argc,
                         char **argv)
{
  ApprovalsOptions o = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "One JSON object per line", NULL },
    { "all", 0, 0, G_OPTION_ARG_NONE, &o.all, "Decided requests too", NULL },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &o.reason, "Why (required to deny)", "TEXT" },
    { "for", 0, 0, G_OPTION_ARG_INT, &o.minutes,
      "Approve this statement's fingerprint for this identity for MINUTES", "MINUTES" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.data_dir, "Vigil's data directory", "DIR" },
    { "api", 0, 0, G_OPTION_ARG_STRING, &o.api,
      "A running engine's API (default $VIGIL_API, else " DEFAULT_API_URL ")", "URL" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &o.token,
      "Your identity's token for the API (default $VIGIL_TOKEN)", "[NAME:]TOKEN" },
    G_OPTION_ENTRY_NULL
  };
  int status;

  context = g_option_context_new ("list | approve ID | deny ID --reason TEXT");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = fail (error->message, NULL);
  else if (argc == 2 && strcmp (argv[1], "list") == 0)
    status = list_requests (&o);
  else if (argc == 3 && strcmp (argv[1], "approve") == 0)
    status = decide_request (&o, argv[2], TRUE);
  else if (argc == 3 && strcmp (argv[1], "deny") == 0)
    status = decide_request (&o, argv[2], FALSE);
  else
    status = fail ("usage: vigilctl approvals list [--json] | approve ID [--for MINUTES] | "
                   "deny ID --reason TEXT", NULL);
  options_clear (&o);
  return status;
}
