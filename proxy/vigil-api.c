/* vigil-api.c: the local HTTP API's server and thread.
 *
 * A SoupServer on its own thread and GMainContext, so that neither the engine thread nor
 * the console's main loop ever waits on an HTTP client. Requests are authenticated
 * (vigil-api-auth.c), then routed (vigil-api-routes.c); the event stream lives in
 * vigil-api-events.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>

#include "vigil-api-private.h"
#include "vigil-engine-private.h"
#include "vigil-listen.h"

G_DEFINE_FINAL_TYPE (VigilApi, vigil_api, G_TYPE_OBJECT)

/* ---- responses ------------------------------------------------------------------------ */

void
_vigil_api_respond_json (SoupServerMessage *msg,
                         guint              status,
                         const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    json, strlen (json));
}

void
_vigil_api_respond_error (SoupServerMessage *msg,
                          guint              status,
                          const char        *format,
                          ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *message = NULL;
  g_autofree char *json = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  _vigil_api_respond_json (msg, status, json);
}

/* ---- requests ------------------------------------------------------------------------- */

static void
request_free (ApiRequest *request)
{
  g_signal_handlers_disconnect_by_data (request->msg, request);
  g_object_unref (request->msg);
  g_free (request->path);
  g_clear_pointer (&request->query, g_hash_table_unref);
  g_free (request->caller.name);
  g_free (request);
}

static void
request_finished_cb (SoupServerMessage *msg,
                     ApiRequest        *request)
{
  request->finished = TRUE;
}

static void
authenticated_cb (ApiRequest *request)
{
  if (request->finished)
    ;
  else if (request->caller.name == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                    "WWW-Authenticate", "Bearer realm=\"vigil\"");
      _vigil_api_respond_error (request->msg, SOUP_STATUS_UNAUTHORIZED,
                                "a valid bearer token is required");
    }
  else
    _vigil_api_route (request);
  request_free (request);
}

static void
health (SoupServerMessage *msg)
{
  g_autofree char *json = g_strdup_printf ("{\"status\":\"ok\",\"version\":\"%s\"}",
                                           VIGIL_VERSION);

  _vigil_api_respond_json (msg, SOUP_STATUS_OK, json);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  VigilApi *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  ApiRequest *request;

  if (body->length > VIGIL_API_MAX_BODY)
    {
      _vigil_api_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                "request bodies are limited to %d bytes", VIGIL_API_MAX_BODY);
      return;
    }
  if (g_strcmp0 (path, "/api/v1/health") == 0)
    {
      if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
        _vigil_api_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET");
      else
        health (msg);
      return;
    }
  request = g_new0 (ApiRequest, 1);
  request->api = self;
  request->msg = g_object_ref (msg);
  request->path = g_strdup (path);
  request->query = query ? g_hash_table_ref (query) : NULL;
  g_signal_connect (msg, "finished", G_CALLBACK (request_finished_cb), request);
  _vigil_api_authenticate (request, authenticated_cb);
}

/* Marks MSG as refused: the handler will not run, and what is left of the body is read
 * (HTTP/1.1 needs that to go on) but no longer kept. */
static void
refuse_body (SoupServerMessage *msg)
{
  if (soup_server_message_get_status (msg) != 0)
    return;
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  _vigil_api_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                            "request bodies are limited to %d bytes", VIGIL_API_MAX_BODY);
}

/* A chunked body is counted as it arrives. */
static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  gsize *received = g_object_get_data (G_OBJECT (msg), "vigil-api-received");

  *received += g_bytes_get_size (chunk);
  if (*received > VIGIL_API_MAX_BODY)
    refuse_body (msg);
}

/* Refuses an announced oversized body from the headers: with "Expect: 100-continue" the
 * client never sends it. */
static void
got_headers_cb (SoupServerMessage *msg,
                gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) > VIGIL_API_MAX_BODY)
        refuse_body (msg);
      break;
    case SOUP_ENCODING_CHUNKED:
      g_object_set_data_full (G_OBJECT (msg), "vigil-api-received", g_new0 (gsize, 1), g_free);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), NULL);
      break;
    default:
      break;
    }
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
}

/* ---- the thread ----------------------------------------------------------------------- */

static void
report_started (VigilApi *self,
                GError   *error,
                guint16   port)
{
  g_mutex_lock (&self->lock);
  self->start_error = error;
  self->port = port;
  self->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
listen_on (VigilApi         *self,
           GSocketAddress   *address,
           guint16          *out_port,
           GError          **error)
{
  g_autoptr(GSocket) socket = NULL;
  GSList *uris;

  self->server = soup_server_new ("server-header", "vigil/" VIGIL_VERSION " ", NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (request_started_cb), self);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);
  /* soup_server_listen would listen with GLib's backlog of 10. */
  if ((socket = vigil_listen_socket_new (address, TRUE, error)) == NULL ||
      !soup_server_listen_socket (self->server, socket, 0, error))
    return FALSE;
  uris = soup_server_get_uris (self->server);
  *out_port = uris ? (guint16) g_uri_get_port (uris->data) : 0;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

static void
thread_cleanup (VigilApi *self)
{
  _vigil_api_events_stop (self);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->approvals);
  self->metrics = NULL;
  _vigil_api_auth_clear (self);
}

static gpointer
thread_main (gpointer data)
{
  VigilApi *self = data;
  GSocketAddress *address = g_object_get_data (G_OBJECT (self), "vigil-api-address");
  GError *error = NULL;
  guint16 port = 0;

  g_main_context_push_thread_default (self->context);
  self->metrics = _vigil_engine_get_metrics (self->engine);
  _vigil_api_auth_init (self);
  self->approvals = vigil_approvals_open (self->data_dir, &error);
  if (self->approvals != NULL && listen_on (self, address, &port, &error))
    {
      _vigil_api_events_start (self);
      report_started (self, NULL, port);
      g_main_loop_run (self->loop);
    }
  else
    report_started (self, error, 0);
  thread_cleanup (self);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static GSocketAddress *
parse_address (const char  *host_port,
               GError     **error)
{
  g_autoptr(GSocketConnectable) parsed = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *host;

  parsed = g_network_address_parse (host_port ? host_port : "127.0.0.1",
                                    VIGIL_DEFAULT_API_PORT, error);
  if (parsed == NULL)
    return NULL;
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed));
  if (g_strcmp0 (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "the API address must be a numeric IP address or localhost: %s", host);
      return NULL;
    }
  return g_inet_socket_address_new (inet, g_network_address_get_port (G_NETWORK_ADDRESS (parsed)));
}

/* ---- GObject -------------------------------------------------------------------------- */

static void
vigil_api_dispose (GObject *object)
{
  VigilApi *self = VIGIL_API (object);

  vigil_api_stop (self);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (vigil_api_parent_class)->dispose (object);
}

static void
vigil_api_finalize (GObject *object)
{
  VigilApi *self = VIGIL_API (object);

  g_free (self->data_dir);
  g_clear_error (&self->start_error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (vigil_api_parent_class)->finalize (object);
}

static void
vigil_api_class_init (VigilApiClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_api_dispose;
  object_class->finalize = vigil_api_finalize;
}

static void
vigil_api_init (VigilApi *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

/* ---- public API ----------------------------------------------------------------------- */

VigilApi *
vigil_api_new (VigilEngine *engine,
               VigilStore  *store,
               const char  *data_dir)
{
  VigilApi *self;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);
  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_API, NULL);
  self->engine = g_object_ref (engine);
  self->store = g_object_ref (store);
  self->data_dir = g_strdup (data_dir);
  return self;
}

gboolean
vigil_api_start (VigilApi    *self,
                 const char  *host_port,
                 GError     **error)
{
  g_autoptr(GSocketAddress) address = NULL;

  g_return_val_if_fail (VIGIL_IS_API (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  address = parse_address (host_port, error);
  if (address == NULL)
    return FALSE;
  g_object_set_data_full (G_OBJECT (self), "vigil-api-address", g_object_ref (address),
                          g_object_unref);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->ready = FALSE;
  self->thread = g_thread_new ("vigil-api", thread_main, self);
  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  if (self->start_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&self->start_error),
                                  "cannot start the API on %s: ",
                                  host_port ? host_port : "127.0.0.1");
      vigil_api_stop (self);
      return FALSE;
    }
  return TRUE;
}

guint16
vigil_api_get_port (VigilApi *self)
{
  g_return_val_if_fail (VIGIL_IS_API (self), 0);
  return self->port;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
vigil_api_stop (VigilApi *self)
{
  g_return_if_fail (VIGIL_IS_API (self));

  if (self->thread == NULL)
    return;
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (g_steal_pointer (&self->thread));
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->port = 0;
}
