/* vigil-session-startup.c: a session's way from its first byte to ReadyForQuery.
 *
 * Startup packet (with SSLRequest, GSSENCRequest and CancelRequest), TLS toward the
 * client, SCRAM-SHA-256 against the identity store (or a cleartext password where single
 * sign-on is on: vigil-session-password.c), then the upstream connection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib-unix.h>
#include <openssl/rand.h>

#include "vigil-session-private.h"
#include "vigil-store.h"

static void     connect_upstream (VigilSession *self);

/* The per-process limit needs the peer: a login waits for attribution (milliseconds). */
void
_vigil_session_connect_when_attributed (VigilSession *self)
{
  if (!self->peer_resolved)
    {
      self->connect_pending = TRUE;
      return;
    }
  self->connect_pending = FALSE;
  connect_upstream (self);
}

/* ---- helpers ------------------------------------------------------------------------- */

static gboolean
reject (VigilSession *self,
        const char   *sqlstate,
        const char   *message)
{
  _vigil_session_fatal (self, sqlstate, message);
  return FALSE;
}

static void
send_single_byte (VigilSession *self,
                  char          byte)
{
  vigil_buffer_append (&self->client_out, &byte, 1);
}

static const char *
transport_name (VigilSession *self)
{
  return self->is_unix ? "unix" : vigil_stream_is_tls (self->client) ? "tls" : "tcp";
}

/* One line per login attempt; REASON is NULL for a success. Never the password. */
static void
log_login (VigilSession *self,
           const char   *reason)
{
  g_autofree char *user = g_strescape (self->user, NULL);
  g_autofree char *why = reason ? g_strescape (reason, NULL) : NULL;

  if (why == NULL)
    g_message ("session=%" G_GUINT64_FORMAT " login identity=%s auth=%s transport=%s",
               self->id, user, self->auth_method, transport_name (self));
  else
    g_message ("session=%" G_GUINT64_FORMAT " login failed identity=%s auth=%s transport=%s"
               " reason=\"%s\"", self->id, user, self->auth_method, transport_name (self), why);
}

/* ---- startup packet ------------------------------------------------------------------ */

static gboolean
handle_ssl_request (VigilSession *self)
{
  SSL_CTX *ctx = _vigil_engine_get_tls_context (self->engine);

  if (vigil_stream_is_tls (self->client))
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "duplicate SSL negotiation request");
  if (ctx == NULL)
    {
      send_single_byte (self, 'N');
      return TRUE;
    }
  /* Bytes sent before the handshake would be read as if they had been encrypted. */
  if (vigil_buffer_len (&self->client_in) > 0)
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION,
                   "received unencrypted data after SSL request");
  send_single_byte (self, 'S');
  _vigil_session_begin_tls (self);
  return FALSE;
}

static gboolean
handle_cancel_request (VigilSession    *self,
                       VigilWireReader *r)
{
  guint32 pid, secret;
  VigilSession *target;

  if (!vigil_wire_read_uint32 (r, &pid) || !vigil_wire_read_uint32 (r, &secret))
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid cancel request");
  target = _vigil_engine_find_cancel (self->engine, pid, secret);
  if (target != NULL)
    vigil_session_cancel (target);
  vigil_session_close (self, target ? "cancel request" : "cancel request for no session");
  return FALSE;
}

static gboolean
read_startup_parameters (VigilSession     *self,
                         VigilWireReader  *r,
                         GPtrArray        *unsupported)
{
  for (;;)
    {
      const char *name, *value;

      if (!vigil_wire_read_string (r, &name))
        return FALSE;
      if (*name == '\0')
        return vigil_wire_reader_remaining (r) == 0;
      if (!vigil_wire_read_string (r, &value))
        return FALSE;
      if (strcmp (name, "user") == 0)
        vigil_set_str (&self->user, value);
      else if (strcmp (name, "database") == 0)
        vigil_set_str (&self->database, value);
      else if (g_str_has_prefix (name, "_pq_."))
        g_ptr_array_add (unsupported, g_strdup (name));
      else
        g_hash_table_replace (self->startup, g_strdup (name), g_strdup (value));
    }
}

static void
lookup_identity_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  VigilStore *store = source_object;
  GError *error = NULL;
  VigilIdentity *identity = vigil_store_identity_lookup (store, task_data, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, identity, (GDestroyNotify) vigil_identity_free);
}

static void
identity_looked_up_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  VigilSession *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) msg = g_byte_array_new ();

  self->identity = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->state == SESSION_AUTH_LOOKUP)
    {
      if (error != NULL)
        {
          g_warning ("identity lookup failed: %s", error->message);
          _vigil_session_fatal (self, VIGIL_SQLSTATE_IO_ERROR, "the identity store is unavailable");
        }
      else if (_vigil_session_wants_password (self))
        _vigil_session_ask_password (self);
      else
        {
          self->auth_method = "scram";
          self->scram = vigil_scram_server_new (self->identity ? self->identity->scram_verifier
                                                               : NULL);
          vigil_wire_write_auth_sasl (msg, VIGIL_SCRAM_MECHANISM);
          _vigil_session_send_to_client (self, msg);
          self->state = SESSION_AUTH_SASL_INIT;
        }
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

static void
begin_authentication (VigilSession *self)
{
  VigilStore *store = _vigil_engine_get_store (self->engine);
  g_autoptr(GTask) task = g_task_new (store, NULL, identity_looked_up_cb,
                                      vigil_session_ref (self));

  self->state = SESSION_AUTH_LOOKUP;
  g_task_set_source_tag (task, begin_authentication);
  g_task_set_task_data (task, g_strdup (self->user), g_free);
  g_task_run_in_thread (task, lookup_identity_thread);
}

static gboolean
handle_startup_message (VigilSession    *self,
                        VigilWireReader *r,
                        guint32          version)
{
  g_autoptr(GPtrArray) unsupported = g_ptr_array_new_with_free_func (g_free);

  if (version >> 16 != 3)
    return reject (self, VIGIL_SQLSTATE_FEATURE_NOT_SUPPORTED,
                   "unsupported frontend protocol: Vigil speaks protocol 3.0");
  if (!read_startup_parameters (self, r, unsupported))
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid startup packet layout");
  if (self->user == NULL || *self->user == '\0')
    return reject (self, VIGIL_SQLSTATE_INVALID_AUTHORIZATION,
                   "no PostgreSQL user name specified in startup packet");
  if (g_hash_table_contains (self->startup, "replication"))
    return reject (self, VIGIL_SQLSTATE_FEATURE_NOT_SUPPORTED,
                   "replication connections are not supported through Vigil");
  if (self->database == NULL || *self->database == '\0')
    vigil_set_str (&self->database, self->user);
  if ((version & 0xffff) > 0 || unsupported->len > 0)
    {
      g_autoptr(GByteArray) msg = g_byte_array_new ();

      g_ptr_array_add (unsupported, NULL);
      vigil_wire_write_negotiate_version (msg, VIGIL_PROTOCOL_3_0,
                                          (const char * const *) unsupported->pdata);
      _vigil_session_send_to_client (self, msg);
    }
  begin_authentication (self);
  return FALSE;
}

gboolean
_vigil_session_process_startup (VigilSession *self)
{
  VigilWireReader r;
  guint32 len, code;

  if (vigil_buffer_len (&self->client_in) < 4)
    return FALSE;
  len = vigil_wire_get_uint32 (vigil_buffer_head (&self->client_in));
  if (len < 8 || len > VIGIL_MAX_STARTUP_PACKET)
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid length of startup packet");
  if (vigil_buffer_len (&self->client_in) < len)
    return FALSE;
  vigil_wire_reader_init (&r, vigil_buffer_head (&self->client_in) + 4, len - 4);
  if (!vigil_wire_read_uint32 (&r, &code))
    g_assert_not_reached ();
  vigil_buffer_consume (&self->client_in, len);

  switch (code)
    {
    case VIGIL_SSL_REQUEST_CODE:
      return handle_ssl_request (self);
    case VIGIL_GSSENC_REQUEST_CODE:
      if (vigil_stream_is_tls (self->client))
        return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "GSSAPI request after TLS");
      send_single_byte (self, 'N');
      return TRUE;
    case VIGIL_CANCEL_REQUEST_CODE:
      return handle_cancel_request (self, &r);
    default:
      return handle_startup_message (self, &r, code);
    }
}

/* ---- TLS ----------------------------------------------------------------------------- */

void
_vigil_session_begin_tls (VigilSession *self)
{
  SSL *ssl = SSL_new (_vigil_engine_get_tls_context (self->engine));

  SSL_set_fd (ssl, vigil_stream_get_fd (self->client));
  SSL_set_accept_state (ssl);
  vigil_stream_set_ssl (self->client, ssl, FALSE);
  self->state = SESSION_TLS_HANDSHAKE;
}

void
_vigil_session_continue_tls (VigilSession *self)
{
  VigilIoStatus st;

  /* The 'S' goes out in clear, straight to the socket, before the handshake starts. */
  while (vigil_buffer_len (&self->client_out) > 0)
    {
      ssize_t n = send (vigil_stream_get_fd (self->client), vigil_buffer_head (&self->client_out),
                        vigil_buffer_len (&self->client_out), MSG_NOSIGNAL);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (n < 0)
        {
          vigil_session_close (self, "client write failed");
          return;
        }
      vigil_buffer_consume (&self->client_out, (gsize) n);
    }
  self->client_wants_out = FALSE;
  st = vigil_stream_handshake (self->client);
  switch (st)
    {
    case VIGIL_IO_OK:
      self->state = SESSION_STARTUP;
      self->client_readable = TRUE;
      break;
    case VIGIL_IO_WANT_READ:
      break;
    case VIGIL_IO_WANT_WRITE:
      self->client_wants_out = TRUE;
      break;
    default:
      vigil_session_close (self, "TLS handshake failed");
      break;
    }
}

/* ---- SCRAM --------------------------------------------------------------------------- */

static gboolean
read_sasl_initial (VigilWireReader  *r,
                   const char      **mechanism,
                   const guint8    **data,
                   gsize            *len)
{
  gint32 n;

  if (!vigil_wire_read_string (r, mechanism) || !vigil_wire_read_int32 (r, &n))
    return FALSE;
  if (n < 0 || (gsize) n != vigil_wire_reader_remaining (r))
    return FALSE;
  *len = (gsize) n;
  return vigil_wire_read_bytes (r, *len, data);
}

static gboolean
sasl_initial (VigilSession    *self,
              VigilWireReader *r)
{
  g_autoptr(GString) reply = g_string_new (NULL);
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const char *mechanism;
  const guint8 *data;
  gsize len;

  if (!read_sasl_initial (r, &mechanism, &data, &len))
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "malformed SASLInitialResponse");
  if (strcmp (mechanism, VIGIL_SCRAM_MECHANISM) != 0)
    return reject (self, VIGIL_SQLSTATE_INVALID_AUTHORIZATION,
                   "client selected an invalid SASL authentication mechanism");
  if (!vigil_scram_server_first (self->scram, data, len, reply, &error))
    return g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_AUTH)
             ? _vigil_session_auth_failed (self, error->message)
             : reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, error->message);
  vigil_wire_write_auth (msg, VIGIL_AUTH_SASL_CONTINUE, reply->str, reply->len);
  _vigil_session_send_to_client (self, msg);
  self->state = SESSION_AUTH_SASL_FINAL;
  return TRUE;
}

static gboolean
sasl_final (VigilSession    *self,
            VigilWireReader *r)
{
  g_autoptr(GString) reply = g_string_new (NULL);
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  if (!vigil_scram_server_final (self->scram, r->data, r->len, reply, &error) ||
      self->identity == NULL)
    return g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL)
             ? reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, error->message)
             : _vigil_session_auth_failed (self, self->identity ? "wrong token"
                                                                : "no such active identity");
  vigil_wire_write_auth (msg, VIGIL_AUTH_SASL_FINAL, reply->str, reply->len);
  _vigil_session_logged_in (self, msg);
  return FALSE;
}

void
_vigil_session_logged_in (VigilSession *self,
                          GByteArray   *msg)
{
  _vigil_engine_auth_succeeded (self->engine, self->user);
  log_login (self, NULL);
  vigil_wire_write_auth (msg, VIGIL_AUTH_OK, NULL, 0);
  _vigil_session_send_to_client (self, msg);
  _vigil_session_connect_when_attributed (self);
}

static gboolean
answer_auth_failure_cb (gpointer data)
{
  VigilSession *self = data;
  g_autofree char *message = g_strdup_printf ("password authentication failed for user \"%s\"",
                                              self->user);

  g_clear_pointer (&self->timeout, g_source_unref);
  _vigil_session_fatal (self, VIGIL_SQLSTATE_INVALID_PASSWORD, message);
  _vigil_session_pump (self);
  return G_SOURCE_REMOVE;
}

gboolean
_vigil_session_auth_failed (VigilSession *self,
                            const char   *reason)
{
  guint delay_ms = _vigil_engine_auth_failed (self->engine, self->user);

  log_login (self, reason);
  /* Slow repeated guesses down; the client learns nothing until the delay is over. */
  self->state = SESSION_AUTH_FAILED;
  _vigil_session_set_timeout (self, MAX (delay_ms, 1), answer_auth_failure_cb);
  return FALSE;
}

gboolean
_vigil_session_process_auth (VigilSession *self)
{
  const guint8 *head = vigil_buffer_head (&self->client_in);
  VigilWireReader r;
  guint32 len;
  gboolean ok;

  if (self->auth_cleartext)
    return _vigil_session_process_password (self);
  if (vigil_buffer_len (&self->client_in) < VIGIL_WIRE_HEADER_SIZE)
    return FALSE;
  len = vigil_wire_get_uint32 (head + 1);
  if (head[0] != VIGIL_FE_PASSWORD)
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION,
                   "expected SASL response, got another message type");
  if (len < 4 || len - 4 > VIGIL_MAX_AUTH_MESSAGE)
    return reject (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid SASL message length");
  if (vigil_buffer_len (&self->client_in) < (gsize) len + 1)
    return FALSE;
  vigil_wire_reader_init (&r, head + VIGIL_WIRE_HEADER_SIZE, len - 4);
  if (self->state == SESSION_AUTH_SASL_INIT)
    ok = sasl_initial (self, &r);
  else
    ok = sasl_final (self, &r);
  vigil_buffer_consume (&self->client_in, (gsize) len + 1);
  return ok;
}

/* ---- upstream ------------------------------------------------------------------------ */

static void
announce_session (VigilSession *self)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  GPtrArray *params = vigil_upstream_get_parameters (self->upstream);

  for (guint i = 0; i < params->len; i++)
    {
      VigilParameter *p = g_ptr_array_index (params, i);

      vigil_wire_write_parameter_status (msg, p->name, p->value);
    }
  self->backend_pid = vigil_upstream_get_backend_pid (self->upstream);
  do
    RAND_bytes ((unsigned char *) &self->cancel_secret, sizeof self->cancel_secret);
  while (self->cancel_secret == 0);
  _vigil_engine_register_cancel (self->engine, self, self->backend_pid, self->cancel_secret);
  vigil_wire_write_backend_key_data (msg, self->backend_pid, self->cancel_secret);
  vigil_wire_write_ready_for_query (msg, 'I');
  _vigil_session_send_to_client (self, msg);
}

static void
use_upstream (VigilSession  *self,
              VigilUpstream *upstream)
{
  self->upstream = upstream;
  g_unix_set_fd_nonblocking (vigil_upstream_get_fd (upstream), TRUE, NULL);
  self->server = vigil_stream_new (vigil_upstream_get_fd (upstream));
  if (vigil_upstream_get_ssl (upstream) != NULL)
    vigil_stream_set_ssl (self->server, vigil_upstream_get_ssl (upstream), TRUE);
  if (!_vigil_session_attach_server (self))
    {
      /* The client has had nothing but authentication yet: it may try again. */
      _vigil_session_fatal (self, VIGIL_SQLSTATE_CANNOT_CONNECT,
                            "Vigil cannot watch the upstream connection");
      return;
    }
  _vigil_session_clear_timeout (self);
  announce_session (self);
  self->server_status = 'I';
  self->state = SESSION_READY;
  self->client_readable = TRUE;
}

static void
upstream_connected_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  VigilSession *self = user_data;
  g_autoptr(GError) error = NULL;
  VigilUpstream *upstream = vigil_upstream_connect_finish (result, &error);

  if (self->state != SESSION_CONNECTING)
    {
      vigil_upstream_close (upstream);
    }
  else if (upstream == NULL)
    {
      g_autofree char *message = g_strdup_printf ("could not connect to the upstream of "
                                                  "connection \"%s\": %s",
                                                  self->database, error->message);
      _vigil_session_fatal (self, VIGIL_SQLSTATE_CANNOT_CONNECT, message);
      _vigil_session_pump (self);
    }
  else
    {
      use_upstream (self, upstream);
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

static void
connect_upstream (VigilSession *self)
{
  const char *conninfo = _vigil_engine_lookup_connection (self->engine, self->database);
  g_autofree char *message = NULL;
  VigilUpstream *upstream;

  if (conninfo == NULL)
    {
      message = g_strdup_printf ("connection \"%s\" does not exist", self->database);
      _vigil_session_fatal (self, VIGIL_SQLSTATE_INVALID_CATALOG, message);
      return;
    }
  self->upstream_key = vigil_upstream_pool_key (conninfo, self->startup);
  upstream = vigil_upstream_pool_take (_vigil_engine_get_upstream_pool (self->engine),
                                       self->upstream_key);
  if (upstream != NULL)
    {
      /* The caller pumps the session once this returns. */
      use_upstream (self, upstream);
      return;
    }
  self->state = SESSION_CONNECTING;
  vigil_upstream_connect_async (conninfo, self->startup, NULL, upstream_connected_cb,
                                vigil_session_ref (self));
}
