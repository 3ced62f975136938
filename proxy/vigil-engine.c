/* vigil-engine.c: the proxy engine on its own thread and GMainContext.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <openssl/ssl.h>

#include "vigil-engine-private.h"
#include "vigil-listen.h"
#include "vigil-session.h"
#include "vigil-tls.h"
#include "vigil-wire.h"

#define AUTH_DELAY_BASE_MS   200
#define AUTH_DELAY_MAX_MS    5000
#define AUTH_FAILURE_FORGET  (60 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (VigilEngine, vigil_engine, G_TYPE_OBJECT)

/* Asked on every session call: a plain thread-local, not a GPrivate lookup. */
static _Thread_local gboolean engine_thread_flag;

gboolean
_vigil_is_engine_thread (void)
{
  return engine_thread_flag;
}

/* ---- sessions ------------------------------------------------------------------------ */

/* Over the session limit: a protocol-level answer instead of a silent close. */
static void
refuse_connection (GSocket *socket)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();

  vigil_wire_write_error (msg, "FATAL", VIGIL_SQLSTATE_TOO_MANY_CONNECTIONS,
                          "sorry, too many clients already", NULL);
  g_socket_send (socket, (const char *) msg->data, msg->len, NULL, NULL);
  g_socket_close (socket, NULL);
  g_object_unref (socket);
}

static void
accept_one (VigilEngine *self,
            GSocket     *listener)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_accept (listener, NULL, &error);
  VigilSession *session;

  if (socket == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_warning ("accept failed: %s", error->message);
      return;
    }
  g_socket_set_blocking (socket, FALSE);
  if (g_hash_table_size (self->sessions) >= self->session_limit)
    {
      refuse_connection (socket);
      return;
    }
  session = vigil_session_new (self, ++self->next_session_id, socket,
                               listener == self->unix_listener);
  g_hash_table_add (self->sessions, session);
  vigil_session_start (session);
}

static void
listener_ready_cb (VigilPollerWatch *watch,
                   GIOCondition      condition,
                   gpointer          user_data)
{
  VigilEngine *self = user_data;
  GSocket *listener = watch == self->tcp_watch ? self->tcp_listener : self->unix_listener;

  /* Bounded so that a flood of connections cannot starve established sessions. */
  for (guint i = 0; i < 64; i++)
    {
      guint before = g_hash_table_size (self->sessions);

      accept_one (self, listener);
      if (g_hash_table_size (self->sessions) == before)
        break;
    }
}

guint
_vigil_engine_count_process (VigilEngine *self,
                             gint         pid,
                             gint         delta)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_process, GINT_TO_POINTER (pid)));

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  count = delta < 0 ? (count > 0 ? count - 1 : 0) : count + 1;
  if (count == 0)
    g_hash_table_remove (self->per_process, GINT_TO_POINTER (pid));
  else
    g_hash_table_insert (self->per_process, GINT_TO_POINTER (pid), GUINT_TO_POINTER (count));
  return count;
}

guint
_vigil_engine_get_process_limit (VigilEngine *self)
{
  return self->process_limit;
}

void
vigil_engine_set_connection_limits (VigilEngine *self,
                                    guint        per_process,
                                    guint        total)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));
  if (per_process > 0)
    self->process_limit = per_process;
  if (total > 0)
    self->session_limit = total;
}

void
_vigil_engine_session_closed (VigilEngine  *self,
                              VigilSession *session)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  g_hash_table_remove (self->sessions, session);
}

static guint64
cancel_key (guint32 pid,
            guint32 secret)
{
  return ((guint64) pid << 32) | secret;
}

void
_vigil_engine_register_cancel (VigilEngine  *self,
                               VigilSession *session,
                               guint32       pid,
                               guint32       secret)
{
  guint64 *key = g_new (guint64, 1);

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  *key = cancel_key (pid, secret);
  g_hash_table_replace (self->cancel_keys, key, session);
}

void
_vigil_engine_unregister_cancel (VigilEngine *self,
                                 guint32      pid,
                                 guint32      secret)
{
  guint64 key = cancel_key (pid, secret);

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  g_hash_table_remove (self->cancel_keys, &key);
}

VigilSession *
_vigil_engine_find_cancel (VigilEngine *self,
                           guint32      pid,
                           guint32      secret)
{
  guint64 key = cancel_key (pid, secret);

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  return g_hash_table_lookup (self->cancel_keys, &key);
}

guint
_vigil_engine_auth_failed (VigilEngine *self,
                           const char  *name)
{
  gint64 now = g_get_monotonic_time ();
  AuthFailures *f = g_hash_table_lookup (self->auth_failures, name);
  guint delay;

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  if (f == NULL)
    {
      f = g_new0 (AuthFailures, 1);
      g_hash_table_insert (self->auth_failures, g_strdup (name), f);
    }
  if (now - f->last > AUTH_FAILURE_FORGET)
    f->count = 0;
  f->last = now;
  f->count = MIN (f->count + 1, 16);
  delay = AUTH_DELAY_BASE_MS << MIN (f->count - 1, 5);
  return MIN (delay, AUTH_DELAY_MAX_MS);
}

void
_vigil_engine_auth_succeeded (VigilEngine *self,
                              const char  *name)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  g_hash_table_remove (self->auth_failures, name);
}

VigilUpstreamPool *
_vigil_engine_get_upstream_pool (VigilEngine *self)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  return self->upstream_pool;
}

GMainContext *
_vigil_engine_get_context (VigilEngine *self)
{
  return self->context;
}

VigilPoller *
_vigil_engine_get_poller (VigilEngine *self)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  return self->poller;
}

VigilStore *
_vigil_engine_get_store (VigilEngine *self)
{
  return self->store;
}

SSL_CTX *
_vigil_engine_get_tls_context (VigilEngine *self)
{
  return self->tls;
}

VigilOidc *
_vigil_engine_get_oidc (VigilEngine *self)
{
  return self->oidc;
}

guint
_vigil_engine_get_startup_timeout (VigilEngine *self)
{
  return self->startup_timeout;
}

/* --upstream's connections win over the store's of the same name. */
const char *
_vigil_engine_lookup_connection (VigilEngine *self,
                                 const char  *name)
{
  const char *conninfo = g_hash_table_lookup (self->connections, name);

  if (conninfo == NULL && self->stored_connections != NULL)
    conninfo = g_hash_table_lookup (self->stored_connections, name);
  return conninfo;
}

/* ---- connections kept in the store -------------------------------------------------- */

typedef struct
{
  VigilEngine *engine;   /* not a reference: the engine outlives its context's sources */
  GHashTable  *table;
} ConnectionsSwap;

static void
connections_swap_free (ConnectionsSwap *swap)
{
  g_clear_pointer (&swap->table, g_hash_table_unref);
  g_free (swap);
}

static void
install_connections (ConnectionsSwap *swap)
{
  VigilEngine *self = swap->engine;

  g_clear_pointer (&self->stored_connections, g_hash_table_unref);
  self->stored_connections = g_steal_pointer (&swap->table);
  /* Kept server connections of a changed or removed connection must not linger. */
  if (self->upstream_pool != NULL)
    vigil_upstream_pool_expire (self->upstream_pool, G_MAXINT64);
}

static gboolean
swap_connections_cb (gpointer data)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  install_connections (data);
  return G_SOURCE_REMOVE;
}

/* A digest, so that an unchanged table costs no trip to the engine thread (and no
 * copy of a password lingers in it). */
static char *
digest_connections (GPtrArray *list)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < list->len; i++)
    {
      const VigilConnection *c = g_ptr_array_index (list, i);

      g_checksum_update (checksum, (const guchar *) c->name, strlen (c->name) + 1);
      g_checksum_update (checksum, (const guchar *) c->conninfo, strlen (c->conninfo) + 1);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

/* Reads the store's connections; hands a changed table to the engine thread (or, before
 * it runs, when STARTING, installs it). Blocking; never logs a conninfo. */
static void
load_connections (VigilEngine *self,
                  gboolean     starting)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = vigil_store_connection_list (self->store, &error);
  g_autofree char *digest = NULL;
  ConnectionsSwap *swap;

  if (list == NULL)
    {
      g_warning ("cannot read the stored connections, keeping those known: %s", error->message);
      return;
    }
  digest = digest_connections (list);
  if (g_strcmp0 (digest, self->connections_digest) == 0)
    return;
  g_free (self->connections_digest);
  self->connections_digest = g_steal_pointer (&digest);
  swap = g_new0 (ConnectionsSwap, 1);
  swap->engine = self;
  swap->table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < list->len; i++)
    {
      const VigilConnection *c = g_ptr_array_index (list, i);

      g_hash_table_replace (swap->table, g_strdup (c->name), g_strdup (c->conninfo));
    }
  g_debug ("%u stored connections", list->len);
  if (starting)
    {
      install_connections (swap);
      connections_swap_free (swap);
      return;
    }
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, swap_connections_cb, swap,
                              (GDestroyNotify) connections_swap_free);
}

/* ---- policy ------------------------------------------------------------------------- */

VigilClassifier *
_vigil_engine_get_classifier (VigilEngine *self)
{
  return self->classifier;
}

VigilAudit *
_vigil_engine_get_audit (VigilEngine *self)
{
  return self->audit;
}

VigilPolicy *
_vigil_engine_ref_policy (VigilEngine *self)
{
  VigilPolicy *policy;

  g_mutex_lock (&self->policy_lock);
  policy = g_object_ref (self->policy);
  g_mutex_unlock (&self->policy_lock);
  return policy;
}

static void
install_policy (VigilEngine *self,
                VigilPolicy *policy,
                gint64       version)
{
  g_mutex_lock (&self->policy_lock);
  g_set_object (&self->policy, policy);
  self->policy_version = version;
  g_mutex_unlock (&self->policy_lock);
}

/* Loads the store's current policy if it is newer than the one in force. Blocking. */
static gboolean
load_policy (VigilEngine  *self,
             GError      **error)
{
  gint64 version = 0;
  g_autofree char *json = vigil_store_policy_load_current (self->store, &version, error);
  g_autoptr(VigilPolicy) policy = NULL;
  gint64 current;

  if (json == NULL)
    return error == NULL || *error == NULL;
  g_mutex_lock (&self->policy_lock);
  current = self->policy_version;
  g_mutex_unlock (&self->policy_lock);
  if (version == current)
    return TRUE;
  policy = vigil_policy_new_from_json (json, error);
  if (policy == NULL)
    return FALSE;
  install_policy (self, policy, version);
  g_message ("policy version %" G_GINT64_FORMAT " in force", version);
  return TRUE;
}

static void
reload_policy_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  VigilEngine *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!load_policy (self, &error))
    g_warning ("cannot load the current policy, keeping the one in force: %s", error->message);
  load_connections (self, FALSE);
  g_mutex_lock (&self->policy_lock);
  self->policy_checking = FALSE;
  g_mutex_unlock (&self->policy_lock);
  g_task_return_boolean (task, TRUE);
}

/* Thread-safe: re-reads the policy from the store (whoever changed it) off the caller's
 * thread; sessions see it from their next statement on. */
void
vigil_engine_reload_policy (VigilEngine *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_ENGINE (self));

  g_mutex_lock (&self->policy_lock);
  if (self->policy_checking)
    {
      g_mutex_unlock (&self->policy_lock);
      return;
    }
  self->policy_checking = TRUE;
  g_mutex_unlock (&self->policy_lock);
  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, vigil_engine_reload_policy);
  g_task_run_in_thread (task, reload_policy_thread);
}

void
vigil_engine_reload_connections (VigilEngine *self)
{
  vigil_engine_reload_policy (self);
}

/* ---- events ------------------------------------------------------------------------- */

/* Any thread. The console and the API see batches, never one call per statement. */
void
_vigil_engine_emit_event (VigilEngine            *self,
                          const VigilAuditRecord *record)
{
  vigil_metrics_add_record (self->metrics, record);
  vigil_event_hub_publish (self->events, record);
}

VigilMetrics *
_vigil_engine_get_metrics (VigilEngine *self)
{
  return self->metrics;
}

static void
call_sink (GPtrArray *records,
           gpointer   user_data)
{
  VigilEngine *self = user_data;

  if (self->sink_func != NULL)
    self->sink_func (records, self->sink_data);
}

void
vigil_engine_set_event_sink (VigilEngine           *self,
                             GMainContext          *context,
                             int                    priority,
                             VigilEngineEventsFunc  func,
                             gpointer               user_data)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));

  if (self->sink_id != 0)
    vigil_event_hub_unsubscribe (self->events, self->sink_id);
  self->sink_id = 0;
  self->sink_func = func;
  self->sink_data = user_data;
  if (func != NULL)
    self->sink_id = vigil_event_hub_subscribe (self->events, context, priority, call_sink, self,
                                               NULL);
}

guint
vigil_engine_subscribe_events (VigilEngine           *self,
                               GMainContext          *context,
                               VigilEngineEventsFunc  func,
                               gpointer               user_data,
                               GDestroyNotify         destroy)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), 0);
  return vigil_event_hub_subscribe (self->events, context, G_PRIORITY_DEFAULT, func, user_data,
                                    destroy);
}

void
vigil_engine_unsubscribe_events (VigilEngine *self,
                                 guint        id)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));
  vigil_event_hub_unsubscribe (self->events, id);
}

/* ---- the thread ---------------------------------------------------------------------- */

static VigilPollerWatch *
watch_listener (VigilEngine *self,
                GSocket     *listener)
{
  g_autoptr(GError) error = NULL;
  VigilPollerWatch *watch;

  if (listener == NULL)
    return NULL;
  watch = vigil_poller_watch (self->poller, g_socket_get_fd (listener), G_IO_IN,
                              listener_ready_cb, self, &error);
  if (watch == NULL)
    g_critical ("cannot accept connections: %s", error->message);
  return watch;
}

static void
close_all_sessions (VigilEngine *self)
{
  g_autoptr(GList) all = g_hash_table_get_keys (self->sessions);

  for (GList *l = all; l != NULL; l = l->next)
    vigil_session_close (l->data, "Vigil is shutting down");
}

/* How often sessions are checked for stalls, idle upstreams expire and the store is asked
 * for a newer policy: one timer for all three, as GLib looks at every source of the
 * context twice on each wakeup of the engine. */
#define HOUSEKEEPING_MS 500

static gboolean
housekeeping_cb (gpointer data)
{
  VigilEngine *self = data;
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_full (g_hash_table_size (self->sessions),
                                                        (GDestroyNotify) vigil_session_unref);
  GHashTableIter iter;
  gpointer session;

  /* Each held: a session the watchdog pumps may close, and the engine lets go of it. */
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, &session, NULL))
    g_ptr_array_add (sessions, vigil_session_ref (session));
  for (guint i = 0; i < sessions->len; i++)
    vigil_session_watchdog (sessions->pdata[i]);
  vigil_upstream_pool_expire (self->upstream_pool, g_get_monotonic_time ());
  vigil_engine_reload_policy (self);
  return G_SOURCE_CONTINUE;
}

static gpointer
engine_thread_main (gpointer data)
{
  VigilEngine *self = data;
  g_autoptr(GSource) housekeeping = NULL;

  engine_thread_flag = TRUE;
  g_main_context_push_thread_default (self->context);
  vigil_poller_bind_thread (self->poller);
  self->upstream_pool = vigil_upstream_pool_new (self->poller);
  self->tcp_watch = watch_listener (self, self->tcp_listener);
  self->unix_watch = watch_listener (self, self->unix_listener);
  _vigil_engine_approvals_attach (self);
  housekeeping = g_timeout_source_new (HOUSEKEEPING_MS);
  g_source_set_callback (housekeeping, housekeeping_cb, self, NULL);
  g_source_attach (housekeeping, self->context);
  while (!g_atomic_int_get (&self->stopping))
    g_main_context_iteration (self->context, TRUE);
  close_all_sessions (self);
  g_clear_pointer (&self->upstream_pool, vigil_upstream_pool_free);
  g_clear_pointer (&self->tcp_watch, vigil_poller_unwatch);
  g_clear_pointer (&self->unix_watch, vigil_poller_unwatch);
  /* A key set fetch under way would keep its callbacks (and the validator) alive. */
  if (self->oidc != NULL)
    vigil_oidc_abort (self->oidc);
  /* Let the last callbacks (closing upstreams) run before the context goes. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_source_destroy (housekeeping);
  vigil_poller_bind_thread (NULL);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* ---- listening ----------------------------------------------------------------------- */

static GSocket *
listen_tcp (VigilEngine  *self,
            GError      **error)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (self->listen_host);
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  if (addr == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "listen address \"%s\" is not an IP address", self->listen_host);
      return NULL;
    }
  sa = g_inet_socket_address_new (addr, self->port);
  /* allow_reuse sets SO_REUSEADDR: restarts need not wait for TIME_WAIT to pass. */
  if ((socket = vigil_listen_socket_new (sa, TRUE, error)) == NULL)
    return NULL;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return NULL;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

static GSocket *
listen_unix (VigilEngine  *self,
             GError      **error)
{
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *name = g_strdup_printf (".s.PGSQL.%u", self->port);

  if (g_mkdir_with_parents (self->socket_dir, 0700) != 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "cannot create %s: %s",
                   self->socket_dir, g_strerror (errno));
      return NULL;
    }
  self->socket_path = g_build_filename (self->socket_dir, name, NULL);
  /* A socket file left behind by a crash; a live server still holds the TCP port. */
  g_unlink (self->socket_path);
  sa = g_unix_socket_address_new (self->socket_path);
  if ((socket = vigil_listen_socket_new (sa, FALSE, error)) == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
vigil_engine_finalize (GObject *object)
{
  VigilEngine *self = VIGIL_ENGINE (object);

  vigil_engine_stop (self);
  if (self->socket_path != NULL)
    g_unlink (self->socket_path);
  g_clear_object (&self->tcp_listener);
  g_clear_object (&self->unix_listener);
  _vigil_engine_approvals_clear (self);
  g_clear_object (&self->audit);
  g_clear_object (&self->oidc);
  g_clear_object (&self->classifier);
  g_clear_object (&self->policy);
  g_mutex_clear (&self->policy_lock);
  g_clear_object (&self->store);
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->stored_connections, g_hash_table_unref);
  g_clear_pointer (&self->connections_digest, g_free);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->cancel_keys, g_hash_table_unref);
  g_clear_pointer (&self->auth_failures, g_hash_table_unref);
  g_clear_pointer (&self->per_process, g_hash_table_unref);
  g_clear_pointer (&self->tls, SSL_CTX_free);
  g_clear_pointer (&self->poller, vigil_poller_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->events, vigil_event_hub_free);
  g_clear_pointer (&self->metrics, vigil_metrics_free);
  g_free (self->listen_host);
  g_free (self->socket_dir);
  g_free (self->socket_path);

  G_OBJECT_CLASS (vigil_engine_parent_class)->finalize (object);
}

static void
vigil_engine_class_init (VigilEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_engine_finalize;
}

static void
vigil_engine_init (VigilEngine *self)
{
  self->connections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sessions = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) vigil_session_unref, NULL);
  self->cancel_keys = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->auth_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->per_process = g_hash_table_new (NULL, NULL);
  self->process_limit = 200;
  self->session_limit = 4000;
  self->listen_host = g_strdup (VIGIL_DEFAULT_LISTEN_HOST);
  self->port = VIGIL_DEFAULT_PORT;
  self->socket_dir = g_build_filename (g_get_user_runtime_dir (), "vigil", NULL);
  self->startup_timeout = 30;
  /* Ownerless: a source attached from the engine thread itself wakes its poll too, so
   * the poller can deliver socket events without returning to GLib each time. */
  self->context = g_main_context_new_with_flags (G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING);
  self->events = vigil_event_hub_new ();
  self->metrics = vigil_metrics_new ();
  g_mutex_init (&self->policy_lock);
  self->classifier = vigil_classifier_new (4096);
  _vigil_engine_approvals_init (self);
  self->policy = vigil_policy_new_default ();
}

/* ---- public -------------------------------------------------------------------------- */

VigilEngine *
vigil_engine_new (VigilStore *store)
{
  VigilEngine *self;

  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);

  self = g_object_new (VIGIL_TYPE_ENGINE, NULL);
  self->store = g_object_ref (store);
  return self;
}

gboolean
vigil_engine_add_connection (VigilEngine  *self,
                             const char   *name,
                             const char   *conninfo,
                             GError      **error)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "a connection needs a name: give the upstream conninfo a dbname");
      return FALSE;
    }
  if (g_hash_table_contains (self->connections, name))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_EXISTS,
                   "connection \"%s\" is defined twice", name);
      return FALSE;
    }
  g_hash_table_insert (self->connections, g_strdup (name), g_strdup (conninfo));
  return TRUE;
}

gboolean
vigil_engine_set_listen (VigilEngine  *self,
                         const char   *host_port,
                         GError      **error)
{
  g_autofree char *host = NULL;
  const char *colon;
  guint64 port;

  g_return_val_if_fail (VIGIL_IS_ENGINE (self), FALSE);

  colon = strrchr (host_port, ':');
  if (colon == NULL || colon == host_port ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "listen address \"%s\" is not HOST:PORT", host_port);
      return FALSE;
    }
  host = g_strndup (host_port, colon - host_port);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      host[strlen (host) - 1] = '\0';
      vigil_set_str (&self->listen_host, host + 1);
    }
  else
    vigil_set_str (&self->listen_host, host);
  self->port = (guint16) port;
  return TRUE;
}

void
vigil_engine_set_socket_dir (VigilEngine *self,
                             const char  *dir)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));
  vigil_set_str (&self->socket_dir, dir);
}

gboolean
vigil_engine_set_tls (VigilEngine  *self,
                      const char   *cert_file,
                      const char   *key_file,
                      GError      **error)
{
  SSL_CTX *ctx;

  g_return_val_if_fail (VIGIL_IS_ENGINE (self), FALSE);

  ctx = vigil_tls_server_context_new (cert_file, key_file, error);
  if (ctx == NULL)
    return FALSE;
  g_clear_pointer (&self->tls, SSL_CTX_free);
  self->tls = ctx;
  return TRUE;
}

void
vigil_engine_set_startup_timeout (VigilEngine *self,
                                  guint        seconds)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));
  self->startup_timeout = MAX (seconds, 1);
}

void
vigil_engine_set_oidc (VigilEngine *self,
                       const char  *issuer,
                       const char  *audience,
                       const char  *claim,
                       const char  *jwks_url)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));
  g_return_if_fail (self->thread == NULL);
  g_return_if_fail (issuer != NULL && vigil_oidc_url_allowed (issuer));
  g_return_if_fail (audience != NULL && claim != NULL);
  g_return_if_fail (jwks_url == NULL || vigil_oidc_url_allowed (jwks_url));

  g_clear_object (&self->oidc);
  self->oidc = vigil_oidc_new (issuer, audience, claim, jwks_url);
}

gboolean
vigil_engine_start (VigilEngine  *self,
                    GError      **error)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  if (!load_policy (self, error))
    return FALSE;
  load_connections (self, TRUE);
  self->audit = vigil_audit_new (vigil_store_get_data_dir (self->store), error);
  if (self->audit == NULL)
    return FALSE;
  self->approvals = vigil_approvals_open (vigil_store_get_data_dir (self->store), error);
  if (self->approvals == NULL)
    return FALSE;
  self->poller = vigil_poller_new (self->context, VIGIL_POLLER_CONTEXT_OWNERLESS, error);
  if (self->poller == NULL)
    return FALSE;
  self->tcp_listener = listen_tcp (self, error);
  if (self->tcp_listener == NULL)
    return FALSE;
  if (self->socket_dir != NULL && *self->socket_dir != '\0')
    {
      self->unix_listener = listen_unix (self, error);
      if (self->unix_listener == NULL)
        return FALSE;
    }
  self->thread = g_thread_new ("vigil-engine", engine_thread_main, self);
  return TRUE;
}

void
vigil_engine_stop (VigilEngine *self)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));

  if (self->thread == NULL)
    return;
  g_atomic_int_set (&self->stopping, 1);
  g_main_context_wakeup (self->context);
  g_thread_join (g_steal_pointer (&self->thread));
  if (self->audit != NULL)
    vigil_audit_flush (self->audit);
}

guint16
vigil_engine_get_port (VigilEngine *self)
{
  return self->port;
}

const char *
vigil_engine_get_listen_host (VigilEngine *self)
{
  return self->listen_host;
}

const char *
vigil_engine_get_socket_path (VigilEngine *self)
{
  return self->socket_path;
}

VigilAudit *
vigil_engine_get_audit (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->audit;
}
