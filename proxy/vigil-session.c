/* vigil-session.c: one client connection and its upstream; the I/O pump and forwarding.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "vigil-session-private.h"

static gboolean forward_client_messages (VigilSession *self);
static gboolean forward_server_messages (VigilSession *self);

/* ---- lifecycle ---------------------------------------------------------------------- */

static const char *
peer_description (VigilSession *self,
                  char        **to_free)
{
  if (self->peer == NULL)
    return "pid=?";
  *to_free = vigil_peer_to_string (self->peer);
  return *to_free;
}

static void
log_session_end (VigilSession *self)
{
  g_autofree char *peer_str = NULL;
  const char *peer = peer_description (self, &peer_str);
  gint64 duration_ms = (g_get_monotonic_time () - self->started_at) / 1000;

  if (self->identity == NULL && self->user == NULL)
    return g_message ("session=%" G_GUINT64_FORMAT " %s duration_ms=%" G_GINT64_FORMAT
                      " end=\"%s\"", self->id, peer, duration_ms,
                      self->end_reason ? self->end_reason : "closed");
  g_message ("session=%" G_GUINT64_FORMAT " identity=%s connection=%s %s transport=%s"
             " duration_ms=%" G_GINT64_FORMAT " bytes_in=%" G_GUINT64_FORMAT
             " bytes_out=%" G_GUINT64_FORMAT " end=\"%s\"",
             self->id, self->user ? self->user : "-", self->database ? self->database : "-",
             peer, self->is_unix ? "unix" : (vigil_stream_is_tls (self->client) ? "tls" : "tcp"),
             duration_ms, self->bytes_from_client, self->bytes_to_client,
             self->end_reason ? self->end_reason : "closed");
}

static void
session_release (VigilSession *self)
{
  vigil_stream_free (self->client);
  vigil_stream_free (self->server);
  g_clear_object (&self->socket);
  vigil_buffer_clear (&self->client_in);
  vigil_buffer_clear (&self->client_out);
  vigil_buffer_clear (&self->server_in);
  vigil_buffer_clear (&self->server_out);
  g_clear_pointer (&self->startup, g_hash_table_unref);
  g_clear_pointer (&self->identity, vigil_identity_free);
  g_clear_pointer (&self->scram, vigil_scram_server_free);
  /* The statements' records borrow the peer's strings: they go first. */
  _vigil_session_clear_statements (self);
  g_clear_pointer (&self->peer, vigil_peer_free);
  g_clear_pointer (&self->mask, _vigil_session_mask_free);
  g_clear_pointer (&self->scratch, g_byte_array_unref);
  if (self->params_json != NULL)
    g_string_free (self->params_json, TRUE);
  g_free (self->user);
  g_free (self->database);
  g_free (self->upstream_key);
  g_free (self->end_reason);
  g_free (self);
}

VigilSession *
vigil_session_ref (VigilSession *self)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  self->refs++;
  return self;
}

void
vigil_session_unref (VigilSession *self)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  g_assert (self->refs > 0);
  if (--self->refs == 0)
    session_release (self);
}

/* The client left at a sync point with nothing in flight: the server connection, reset,
 * can serve the next client. */
static gboolean
upstream_reusable (VigilSession *self)
{
  return self->state == SESSION_READY && self->upstream != NULL && self->upstream_key != NULL &&
         self->server_status == 'I' && !self->unsynced && !self->cancel_sent &&
         self->syncs_sent == self->syncs_answered && g_queue_is_empty (&self->inflight) &&
         self->hold == HOLD_NONE && !self->fncall_resolving && !self->audit_failed &&
         vigil_buffer_len (&self->server_in) == 0 && vigil_buffer_len (&self->server_out) == 0 &&
         !vigil_stream_has_pending (self->server);
}

/* KEEP: hand the server connection to the engine's pool rather than closing it. */
static void
detach_upstream (VigilSession *self,
                 gboolean      keep)
{
  g_clear_pointer (&self->server_watch, vigil_poller_unwatch);
  if (self->cancel_secret != 0)
    {
      _vigil_engine_unregister_cancel (self->engine, self->backend_pid, self->cancel_secret);
      self->cancel_secret = 0;
    }
  if (self->upstream == NULL)
    return;
  /* A client gone mid-query must not leave its query running upstream. */
  if (!self->terminated && self->syncs_sent > self->syncs_answered)
    vigil_upstream_cancel (self->upstream);
  g_clear_pointer (&self->server, vigil_stream_free);
  if (keep)
    vigil_upstream_pool_give (_vigil_engine_get_upstream_pool (self->engine),
                              self->upstream_key, g_steal_pointer (&self->upstream));
  else
    g_clear_pointer (&self->upstream, vigil_upstream_close);
}

void
vigil_session_close (VigilSession *self,
                     const char   *reason)
{
  gboolean keep_upstream;

  g_assert (VIGIL_IS_ENGINE_THREAD ());

  if (self->state == SESSION_CLOSED)
    return;
  keep_upstream = upstream_reusable (self);
  if (self->end_reason == NULL)
    self->end_reason = g_strdup (reason);
  self->state = SESSION_CLOSED;
  _vigil_session_record_finished (self);
  _vigil_session_clear_timeout (self);
  _vigil_session_hold_withdraw (self);
  _vigil_session_cancel_login (self);
  detach_upstream (self, keep_upstream);
  if (self->counted_pid > 0)
    _vigil_engine_count_process (self->engine, self->counted_pid, -1);
  g_clear_pointer (&self->client_watch, vigil_poller_unwatch);
  /* Shut down, not close: a worker may still be reading the peer's credentials off this
   * fd, and a closed fd number could be reused by the next client meanwhile. */
  g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
  if (_vigil_engine_get_audit (self->engine) != NULL)
    vigil_audit_commit_soon (_vigil_engine_get_audit (self->engine));
  log_session_end (self);
  _vigil_engine_session_closed (self->engine, self);
}

/* ---- scratch strings ----------------------------------------------------------------- */

char *
_vigil_session_scratch_copy (GString **scratch)
{
  char *copy = g_strndup ((*scratch)->str, (*scratch)->len);

  if ((*scratch)->allocated_len > SESSION_SCRATCH_KEEP)
    {
      g_string_free (*scratch, TRUE);
      *scratch = g_string_new (NULL);
    }
  return copy;
}

/* ---- timeouts ------------------------------------------------------------------------ */

void
_vigil_session_clear_timeout (VigilSession *self)
{
  if (self->timeout == NULL)
    return;
  g_source_destroy (self->timeout);
  g_clear_pointer (&self->timeout, g_source_unref);
}

void
_vigil_session_set_timeout (VigilSession *self,
                            guint         ms,
                            GSourceFunc   func)
{
  GSource *source = g_timeout_source_new (ms);

  _vigil_session_clear_timeout (self);
  g_source_set_callback (source, func, vigil_session_ref (self),
                         (GDestroyNotify) vigil_session_unref);
  g_source_attach (source, _vigil_engine_get_context (self->engine));
  self->timeout = source;
}

static gboolean
drain_timed_out_cb (gpointer data)
{
  VigilSession *self = data;

  g_clear_pointer (&self->timeout, g_source_unref);
  vigil_session_close (self, "client did not read its last message");
  return G_SOURCE_REMOVE;
}

static gboolean
startup_timed_out_cb (gpointer data)
{
  VigilSession *self = data;

  g_clear_pointer (&self->timeout, g_source_unref);
  _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION,
                        "canceling authentication due to timeout");
  return G_SOURCE_REMOVE;
}

/* ---- writing ------------------------------------------------------------------------- */

void
_vigil_session_send_to_client (VigilSession *self,
                               GByteArray   *msg)
{
  vigil_buffer_append (&self->client_out, msg->data, msg->len);
  g_byte_array_set_size (msg, 0);
}

void
_vigil_session_drain_and_close (VigilSession *self,
                                const char   *reason)
{
  if (self->state == SESSION_CLOSED || self->state == SESSION_DRAINING)
    return;
  g_free (self->end_reason);
  self->end_reason = g_strdup (reason);
  self->state = SESSION_DRAINING;
  detach_upstream (self, FALSE);
  _vigil_session_set_timeout (self, SESSION_DRAIN_TIMEOUT_MS, drain_timed_out_cb);
}

void
_vigil_session_fatal (VigilSession *self,
                      const char   *sqlstate,
                      const char   *message)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();

  vigil_wire_write_error (msg, "FATAL", sqlstate, message, NULL);
  _vigil_session_send_to_client (self, msg);
  _vigil_session_drain_and_close (self, message);
}

/* Writes what BUF holds to STREAM; FALSE when the stream failed. */
static gboolean
flush_buffer (VigilSession *self,
              VigilStream  *stream,
              VigilBuffer  *buf,
              gboolean     *wants_out)
{
  *wants_out = FALSE;
  while (vigil_buffer_len (buf) > 0)
    {
      gsize n = 0;
      VigilIoStatus st = vigil_stream_write (stream, vigil_buffer_head (buf),
                                             vigil_buffer_len (buf), &n);

      if (st == VIGIL_IO_OK)
        {
          vigil_buffer_consume (buf, n);
          continue;
        }
      if (st == VIGIL_IO_WANT_WRITE || st == VIGIL_IO_WANT_READ)
        {
          *wants_out = TRUE;
          return TRUE;
        }
      return FALSE;
    }
  vigil_buffer_shrink (buf, SESSION_BUFFER_SIZE);
  return TRUE;
}

/* ---- reading ------------------------------------------------------------------------- */

/* Reads once into BUF. FALSE at EOF or error; *readable cleared on EAGAIN. */
static gboolean
fill_buffer (VigilStream *stream,
             VigilBuffer *buf,
             gboolean    *readable,
             gboolean    *eof)
{
  gsize n = 0, space;
  VigilIoStatus st;

  *eof = FALSE;
  if (vigil_buffer_space (buf) < 4096)
    vigil_buffer_reserve (buf, MAX (vigil_buffer_len (buf) + 4096, buf->cap));
  space = vigil_buffer_space (buf);
  st = vigil_stream_read (stream, vigil_buffer_tail (buf), space, &n);
  if (st == VIGIL_IO_OK)
    {
      vigil_buffer_commit (buf, n);
      /* A short read drained the socket: asking again would only say EAGAIN. The poll
       * reports whatever arrives next; TLS keeps what it decrypted (has_pending). */
      if (n < space && !vigil_stream_has_pending (stream))
        *readable = FALSE;
      return TRUE;
    }
  if (st == VIGIL_IO_WANT_READ || st == VIGIL_IO_WANT_WRITE)
    {
      *readable = FALSE;
      return TRUE;
    }
  *eof = TRUE;
  return FALSE;
}

/* A complete message waits at the head of BUF (parked for approval, or for a column
 * plan): reading more is pointless past the high-water mark. A partial one still needs
 * its bytes, however large it is. */
static gboolean
input_stalled (const VigilBuffer *buf)
{
  gsize len = vigil_buffer_len (buf);

  return len >= SESSION_HIGH_WATER &&
         len >= (gsize) vigil_wire_get_uint32 (vigil_buffer_head (buf) + 1) + 1;
}

/* Client bytes accepted but not yet written upstream. */
static gsize
upstream_backlog (VigilSession *self)
{
  return vigil_buffer_len (&self->server_out);
}

static gboolean
client_may_read (VigilSession *self)
{
  if (!self->client_readable && !vigil_stream_has_pending (self->client))
    return FALSE;
  switch (self->state)
    {
    case SESSION_STARTUP:
    case SESSION_AUTH_SASL_INIT:
    case SESSION_AUTH_SASL_FINAL:
      return vigil_buffer_len (&self->client_in) < VIGIL_MAX_AUTH_MESSAGE * 2;
    case SESSION_READY:
      /* A parked session still notices the client leaving, within a bounded read. */
      return upstream_backlog (self) < SESSION_HIGH_WATER && !input_stalled (&self->client_in);
    default:
      return FALSE;
    }
}

static gboolean
process_client_input (VigilSession *self)
{
  switch (self->state)
    {
    case SESSION_STARTUP:
      return _vigil_session_process_startup (self);
    case SESSION_AUTH_SASL_INIT:
    case SESSION_AUTH_SASL_FINAL:
      return _vigil_session_process_auth (self);
    case SESSION_READY:
      return forward_client_messages (self);
    default:
      return FALSE;
    }
}

static void
client_gone (VigilSession *self)
{
  vigil_session_close (self, self->terminated ? "client terminated" : "client disconnected");
}

static void
server_gone (VigilSession *self)
{
  if (self->state != SESSION_READY)
    return;
  _vigil_session_fatal (self, VIGIL_SQLSTATE_CONNECTION_FAILURE,
                        "the upstream server closed the connection unexpectedly");
}

static void
process_buffered_client_input (VigilSession *self)
{
  while (self->state != SESSION_CLOSED && process_client_input (self))
    ;
  if (self->state == SESSION_READY)
    _vigil_session_check_audit (self);
}

static void
pump_client_reads (VigilSession *self)
{
  gboolean eof = FALSE;

  /* Messages left from before: a parked statement that was decided, a full backlog. */
  process_buffered_client_input (self);
  while (self->state != SESSION_CLOSED && client_may_read (self))
    {
      guint64 before = vigil_buffer_len (&self->client_in);

      if (!fill_buffer (self->client, &self->client_in, &self->client_readable, &eof))
        break;
      self->bytes_from_client += vigil_buffer_len (&self->client_in) - before;
      process_buffered_client_input (self);
    }
  if (eof && self->state != SESSION_CLOSED)
    client_gone (self);
}

static void
process_buffered_server_input (VigilSession *self)
{
  while (self->state == SESSION_READY && forward_server_messages (self))
    ;
}

static void
pump_server_reads (VigilSession *self)
{
  gboolean eof = FALSE;

  /* Messages left from before (the client was slow, a column plan was being resolved):
   * the server may have said everything already and will not wake us again. */
  process_buffered_server_input (self);
  while (self->state == SESSION_READY && self->server_readable &&
         vigil_buffer_len (&self->client_out) < SESSION_HIGH_WATER &&
         !input_stalled (&self->server_in))
    {
      if (!fill_buffer (self->server, &self->server_in, &self->server_readable, &eof))
        break;
      process_buffered_server_input (self);
    }
  if (eof)
    server_gone (self);
}

/* ---- the pump ------------------------------------------------------------------------ */

static gboolean
client_wants_input (VigilSession *self)
{
  switch (self->state)
    {
    case SESSION_STARTUP:
    case SESSION_AUTH_SASL_INIT:
    case SESSION_AUTH_SASL_FINAL:
    case SESSION_TLS_HANDSHAKE:
      return TRUE;
    case SESSION_READY:
      return upstream_backlog (self) < SESSION_HIGH_WATER && !input_stalled (&self->client_in);
    default:
      return FALSE;
    }
}

/* Each change is a syscall: the poller makes one only when the events differ. */
static void
update_watches (VigilSession *self)
{
  GIOCondition client_cond = 0;
  GIOCondition server_cond = 0;

  if (client_wants_input (self))
    client_cond |= G_IO_IN;
  if (vigil_buffer_len (&self->client_out) > 0 || self->client_wants_out || self->server_backlog)
    client_cond |= G_IO_OUT;
  vigil_poller_watch_set (self->client_watch, client_cond);
  if (self->server_watch == NULL)
    return;
  if (vigil_buffer_len (&self->client_out) < SESSION_HIGH_WATER)
    server_cond |= G_IO_IN;
  if (vigil_buffer_len (&self->server_out) > 0 || self->server_wants_out)
    server_cond |= G_IO_OUT;
  vigil_poller_watch_set (self->server_watch, server_cond);
}

static gboolean
flush_all (VigilSession *self)
{
  if (!flush_buffer (self, self->client, &self->client_out, &self->client_wants_out))
    {
      vigil_session_close (self, "client write failed");
      return FALSE;
    }
  if (self->server != NULL &&
      !flush_buffer (self, self->server, &self->server_out, &self->server_wants_out))
    {
      server_gone (self);
      return self->state != SESSION_CLOSED;
    }
  return TRUE;
}

/* Server messages already buffered need no event to be forwarded: keep going while the
 * client keeps up and messages move (a column plan being resolved stops them). Past the
 * bound, the client's writability wakes us again (update_watches). */
static void
pump_server_until_idle (VigilSession *self)
{
  self->server_backlog = FALSE;
  for (guint round = 0; self->state == SESSION_READY && self->server != NULL; round++)
    {
      gsize before = vigil_buffer_len (&self->server_in);

      pump_server_reads (self);
      if (self->state == SESSION_CLOSED || !flush_all (self))
        return;
      if (vigil_buffer_len (&self->client_out) > 0 || vigil_buffer_len (&self->server_in) == before)
        return;
      if (round == 16)
        {
          self->server_backlog = TRUE;
          return;
        }
    }
  if (self->state != SESSION_CLOSED)
    flush_all (self);
}

static gboolean
head_message_complete (const VigilBuffer *buf)
{
  gsize len = vigil_buffer_len (buf);

  return len >= VIGIL_WIRE_HEADER_SIZE &&
         len >= (gsize) vigil_wire_get_uint32 (vigil_buffer_head (buf) + 1) + 1;
}

/* One pass over both directions. */
static void
pump_once (VigilSession *self)
{
  if (self->state == SESSION_TLS_HANDSHAKE)
    _vigil_session_continue_tls (self);
  if (self->state != SESSION_CLOSED && self->state != SESSION_TLS_HANDSHAKE)
    pump_client_reads (self);
  /* An SSLRequest just read: its 'S' goes out in clear, then the handshake starts. */
  if (self->state == SESSION_TLS_HANDSHAKE)
    _vigil_session_continue_tls (self);
  if (self->state == SESSION_READY)
    _vigil_session_check_audit (self);
  if (self->state != SESSION_CLOSED && self->state != SESSION_TLS_HANDSHAKE)
    {
      pump_server_until_idle (self);
      if (self->state != SESSION_CLOSED && flush_all (self) &&
          self->state == SESSION_DRAINING && vigil_buffer_len (&self->client_out) == 0)
        vigil_session_close (self, self->end_reason);
    }
  /* The results went out first: the outcomes cost the client no time. */
  _vigil_session_record_finished (self);
}

void
_vigil_session_pump (VigilSession *self)
{
  vigil_session_ref (self);
  /* Client messages left buffered once the upstream drained need no event either: the
   * client may have sent everything and be waiting. Go on while they move. */
  for (guint round = 0; round < 16 && self->state != SESSION_CLOSED; round++)
    {
      gsize before = vigil_buffer_len (&self->client_in);

      pump_once (self);
      if (self->state != SESSION_READY || !head_message_complete (&self->client_in) ||
          upstream_backlog (self) >= SESSION_HIGH_WATER ||
          vigil_buffer_len (&self->client_in) == before)
        break;
    }
  if (self->state != SESSION_CLOSED)
    update_watches (self);
  vigil_session_unref (self);
}

/* Either socket is ready: the events of both, taken at once, make one pump. */
static void
session_ready_cb (VigilPollerWatch *watch,
                  GIOCondition      revents,
                  gpointer          user_data)
{
  VigilSession *self = user_data;
  GIOCondition crev = watch == self->client_watch ? revents
                                                  : vigil_poller_watch_take (self->client_watch);
  GIOCondition srev = 0;

  if (self->server_watch != NULL)
    srev = watch == self->server_watch ? revents : vigil_poller_watch_take (self->server_watch);
  if ((crev & (G_IO_HUP | G_IO_ERR)) && !client_wants_input (self) &&
      vigil_buffer_len (&self->client_out) == 0)
    {
      vigil_session_close (self, "client disconnected");
      return;
    }
  if (crev & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    self->client_readable = TRUE;
  if (srev & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    self->server_readable = TRUE;
  _vigil_session_pump (self);
}

gboolean
_vigil_session_attach_server (VigilSession *self)
{
  g_autoptr(GError) error = NULL;

  self->server_watch = vigil_poller_watch (_vigil_engine_get_poller (self->engine),
                                           vigil_stream_get_fd (self->server), G_IO_IN,
                                           session_ready_cb, self, &error);
  if (self->server_watch == NULL)
    {
      g_warning ("session=%" G_GUINT64_FORMAT " %s", self->id, error->message);
      return FALSE;
    }
  self->server_readable = TRUE;
  return TRUE;
}

/* ---- forwarding ---------------------------------------------------------------------- */

static gboolean
protocol_violation (VigilSession *self,
                    const char   *message)
{
  _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, message);
  return FALSE;
}

/* Forwards one complete client message; FALSE when there is none (or no room for it). */
static gboolean
forward_client_messages (VigilSession *self)
{
  const guint8 *head = vigil_buffer_head (&self->client_in);
  gsize avail = vigil_buffer_len (&self->client_in);
  guint32 len;
  guint8 type;
  MessageResult result;

  if (avail < VIGIL_WIRE_HEADER_SIZE || upstream_backlog (self) >= SESSION_HIGH_WATER)
    return FALSE;
  type = head[0];
  len = vigil_wire_get_uint32 (head + 1);
  if (!vigil_wire_is_frontend_type (type) || type == VIGIL_FE_PASSWORD)
    return protocol_violation (self, "invalid frontend message type");
  if (len < 4 || len - 4 > vigil_wire_frontend_limit (type))
    return protocol_violation (self, "invalid message length");
  /* The buffer grows as the body arrives (fill_buffer), never by a declared length. */
  if (avail < (gsize) len + 1)
    return FALSE;
  result = _vigil_session_handle_client_message (self, head, (gsize) len + 1);
  if (result != MSG_CONSUMED || self->state == SESSION_CLOSED)
    return FALSE;
  vigil_buffer_consume (&self->client_in, (gsize) len + 1);
  vigil_buffer_shrink (&self->client_in, SESSION_BUFFER_SIZE);
  return TRUE;
}

static gboolean
forward_server_messages (VigilSession *self)
{
  const guint8 *head = vigil_buffer_head (&self->server_in);
  gsize avail = vigil_buffer_len (&self->server_in);
  guint32 len;

  if (avail < VIGIL_WIRE_HEADER_SIZE || vigil_buffer_len (&self->client_out) >= SESSION_HIGH_WATER)
    return FALSE;
  len = vigil_wire_get_uint32 (head + 1);
  if (len < 4 || len > VIGIL_MAX_MESSAGE)
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION,
                            "the upstream server sent an invalid message");
      return FALSE;
    }
  if (avail < (gsize) len + 1)
    return FALSE;
  if (!_vigil_session_handle_server_message (self, head, (gsize) len + 1))
    return FALSE;
  vigil_buffer_consume (&self->server_in, (gsize) len + 1);
  vigil_buffer_shrink (&self->server_in, SESSION_BUFFER_SIZE);
  return TRUE;
}

/* ---- public -------------------------------------------------------------------------- */

static void
peer_resolved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VigilSession *self = user_data;

  self->peer = g_task_propagate_pointer (G_TASK (result), NULL);
  self->peer_resolved = TRUE;
  if (self->state != SESSION_CLOSED && self->peer != NULL && self->peer->pid > 0)
    {
      guint limit = _vigil_engine_get_process_limit (self->engine);

      self->counted_pid = self->peer->pid;
      if (_vigil_engine_count_process (self->engine, self->counted_pid, +1) > limit)
        {
          g_autofree char *message =
            g_strdup_printf ("too many connections from process %d (Vigil allows %u)",
                             self->counted_pid, limit);

          _vigil_session_fatal (self, VIGIL_SQLSTATE_TOO_MANY_CONNECTIONS, message);
          _vigil_session_pump (self);
        }
    }
  if (self->connect_pending && self->state != SESSION_CLOSED && self->state != SESSION_DRAINING)
    {
      _vigil_session_connect_when_attributed (self);
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

static void
resolve_peer_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GSocket *socket = task_data;
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  VigilPeer *peer;

  if (G_IS_INET_SOCKET_ADDRESS (local) && G_IS_INET_SOCKET_ADDRESS (remote))
    peer = vigil_peer_from_tcp (G_INET_SOCKET_ADDRESS (local), G_INET_SOCKET_ADDRESS (remote));
  else
    peer = vigil_peer_from_unix_fd (g_socket_get_fd (socket));
  g_task_return_pointer (task, peer, (GDestroyNotify) vigil_peer_free);
}

static void
resolve_peer (VigilSession *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, peer_resolved_cb, vigil_session_ref (self));

  g_task_set_source_tag (task, resolve_peer);
  g_task_set_task_data (task, g_object_ref (self->socket), g_object_unref);
  g_task_run_in_thread (task, resolve_peer_thread);
}

VigilSession *
vigil_session_new (VigilEngine *engine,
                   guint64      id,
                   GSocket     *socket,
                   gboolean     is_unix)
{
  VigilSession *self = g_new0 (VigilSession, 1);

  self->refs = 1;
  self->engine = engine;
  self->id = id;
  self->socket = socket;
  self->is_unix = is_unix;
  self->started_at = g_get_monotonic_time ();
  self->client = vigil_stream_new (g_socket_get_fd (socket));
  vigil_buffer_init (&self->client_in, SESSION_BUFFER_SIZE);
  vigil_buffer_init (&self->client_out, SESSION_BUFFER_SIZE);
  vigil_buffer_init (&self->server_in, SESSION_BUFFER_SIZE);
  vigil_buffer_init (&self->server_out, SESSION_BUFFER_SIZE);
  self->startup = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  _vigil_session_init_statements (self);
  self->mask = _vigil_session_mask_new (self);
  self->scratch = g_byte_array_new ();
  self->params_json = g_string_new (NULL);
  if (!is_unix)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  return self;
}

void
vigil_session_start (VigilSession *self)
{
  g_autoptr(GError) error = NULL;

  g_assert (VIGIL_IS_ENGINE_THREAD ());

  self->client_watch = vigil_poller_watch (_vigil_engine_get_poller (self->engine),
                                           vigil_stream_get_fd (self->client), G_IO_IN,
                                           session_ready_cb, self, &error);
  if (self->client_watch == NULL)
    {
      g_warning ("session=%" G_GUINT64_FORMAT " %s", self->id, error->message);
      vigil_session_close (self, "Vigil cannot watch the connection");
      return;
    }
  _vigil_session_set_timeout (self, _vigil_engine_get_startup_timeout (self->engine) * 1000,
                              startup_timed_out_cb);
  resolve_peer (self);
}

/* A safety net against a lost wakeup: a session with bytes in flight that no event moved
 * for a while is pumped, and says so (a wakeup was lost: a bug worth a report). */
void
vigil_session_watchdog (VigilSession *self)
{
  gsize before[4] = {
    vigil_buffer_len (&self->client_in), vigil_buffer_len (&self->server_in),
    vigil_buffer_len (&self->client_out), vigil_buffer_len (&self->server_out),
  };
  gboolean pending = self->server != NULL && vigil_stream_has_pending (self->server);

  if (self->state != SESSION_READY || self->hold != HOLD_NONE || self->fncall_resolving ||
      (before[0] + before[1] + before[2] + before[3] == 0 && !pending))
    return;
  self->server_readable = TRUE;
  self->client_readable = TRUE;
  /* The pump may close the session, and the engine then lets go of it: keep it until the
   * report below is written. */
  vigil_session_ref (self);
  _vigil_session_pump (self);
  if (self->state != SESSION_CLOSED &&
      (vigil_buffer_len (&self->client_in) != before[0] ||
       vigil_buffer_len (&self->server_in) != before[1] ||
       vigil_buffer_len (&self->client_out) != before[2] ||
       vigil_buffer_len (&self->server_out) != before[3]))
    g_message ("session=%" G_GUINT64_FORMAT " watchdog moved a stalled session (client_in=%zu "
               "server_in=%zu client_out=%zu server_out=%zu tls_pending=%d)", self->id,
               before[0], before[1], before[2], before[3], pending);
  vigil_session_unref (self);
}

void
vigil_session_cancel (VigilSession *self)
{
  if (self->upstream == NULL)
    return;
  self->cancel_sent = TRUE;
  vigil_upstream_cancel (self->upstream);
}
