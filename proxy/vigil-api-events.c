/* vigil-api-events.c: the live statement stream as server-sent events. One subscription
 * to the engine's events serves every client, and exists only while a client does: the
 * engine copies each record for a subscriber. Agents only see their own statements. The
 * records are masked as the engine emits them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-api-private.h"

#define KEEPALIVE_SECONDS 15
#define MAX_CLIENTS       64

typedef struct
{
  VigilApi          *api;
  SoupServerMessage *msg;       /* a reference */
  char              *identity;  /* only this identity's records; NULL for all */
} EventClient;

static void
client_free (EventClient *client)
{
  g_signal_handlers_disconnect_by_data (client->msg, client);
  g_object_unref (client->msg);
  g_free (client->identity);
  g_free (client);
}

static void
client_send (EventClient *client,
             const char  *text)
{
  soup_message_body_append (soup_server_message_get_response_body (client->msg),
                            SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_unpause (client->msg);
}

static void
unsubscribe (VigilApi *self)
{
  if (self->events_id != 0)
    vigil_engine_unsubscribe_events (self->engine, self->events_id);
  self->events_id = 0;
}

static void
client_finished_cb (SoupServerMessage *msg,
                    EventClient       *client)
{
  VigilApi *self = client->api;

  g_ptr_array_remove_fast (self->event_clients, client);
  if (self->event_clients->len == 0)
    unsubscribe (self);
}

static void
events_cb (GPtrArray *records,
           gpointer   user_data)
{
  VigilApi *self = user_data;

  if (self->event_clients == NULL)
    return;
  for (guint c = 0; c < self->event_clients->len; c++)
    {
      EventClient *client = g_ptr_array_index (self->event_clients, c);
      g_autoptr(GString) out = g_string_new (NULL);

      for (guint i = 0; i < records->len; i++)
        {
          const VigilAuditRecord *r = g_ptr_array_index (records, i);
          g_autofree char *json = NULL;

          if (client->identity != NULL && g_strcmp0 (client->identity, r->identity) != 0)
            continue;
          json = vigil_audit_record_to_json (r);
          g_string_append_printf (out, "data: %s\n\n", json);
        }
      if (out->len > 0)
        client_send (client, out->str);
    }
}

static gboolean
keepalive_cb (gpointer user_data)
{
  VigilApi *self = user_data;

  for (guint c = 0; c < self->event_clients->len; c++)
    client_send (g_ptr_array_index (self->event_clients, c), ": keep-alive\n\n");
  return G_SOURCE_CONTINUE;
}

void
_vigil_api_events_start (VigilApi *self)
{
  g_autoptr(GSource) source = g_timeout_source_new_seconds (KEEPALIVE_SECONDS);

  self->event_clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_free);
  g_source_set_callback (source, keepalive_cb, self, NULL);
  self->keepalive_id = g_source_attach (source, self->context);
}

void
_vigil_api_events_stop (VigilApi *self)
{
  unsubscribe (self);
  if (self->keepalive_id != 0)
    g_source_destroy (g_main_context_find_source_by_id (self->context, self->keepalive_id));
  self->keepalive_id = 0;
  g_clear_pointer (&self->event_clients, g_ptr_array_unref);
}

void
_vigil_api_events_attach (ApiRequest *request)
{
  VigilApi *self = request->api;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);
  EventClient *client;

  if (self->event_clients->len >= MAX_CLIENTS)
    {
      _vigil_api_respond_error (request->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                "too many event streams");
      return;
    }
  client = g_new0 (EventClient, 1);
  client->api = self;
  client->msg = g_object_ref (request->msg);
  if (request->caller.kind == VIGIL_IDENTITY_KIND_AGENT)
    client->identity = g_strdup (request->caller.name);
  g_ptr_array_add (self->event_clients, client);
  g_signal_connect (client->msg, "finished", G_CALLBACK (client_finished_cb), client);
  if (self->events_id == 0)
    self->events_id = vigil_engine_subscribe_events (self->engine, self->context, events_cb,
                                                     self, NULL);

  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (request->msg), FALSE);
  soup_message_body_append (soup_server_message_get_response_body (request->msg),
                            SOUP_MEMORY_STATIC, ": connected\n\n", 13);
}
