/* vigil-engine-private.h: what sessions ask of their engine. Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>

#include "vigil-approvals.h"
#include "vigil-audit.h"
#include "vigil-classify.h"
#include "vigil-policy.h"
#include "vigil-poller.h"
#include "vigil-engine.h"
#include "vigil-event-hub.h"
#include "vigil-metrics.h"
#include "vigil-oidc.h"
#include "vigil-types.h"
#include "vigil-upstream-pool.h"

G_BEGIN_DECLS

typedef struct
{
  guint  count;
  gint64 last;
} AuthFailures;

struct _VigilEngine
{
  GObject       parent_instance;

  /* set before start, read-only afterwards */
  VigilStore   *store;
  GHashTable   *connections;      /* name -> conninfo */
  char         *listen_host;
  guint16       port;
  char         *socket_dir;
  char         *socket_path;
  SSL_CTX      *tls;
  guint         startup_timeout;
  guint         process_limit;     /* sessions one client process may hold */
  guint         session_limit;     /* sessions in all */
  GMainContext *context;
  GThread      *thread;
  GSocket      *tcp_listener;
  GSocket      *unix_listener;
  VigilPoller  *poller;            /* the sockets of the engine thread (made by start) */
  gint          stopping;          /* atomic */

  VigilClassifier *classifier;     /* thread-safe */
  VigilAudit   *audit;             /* thread-safe; NULL until started */

  /* shared, under policy_lock */
  GMutex        policy_lock;
  VigilPolicy  *policy;
  gint64        policy_version;    /* the store's version in force; 0 = built-in default */
  gboolean      policy_checking;
  char         *connections_digest; /* of the store's connections last read; the reload
                                     * worker's (one at a time, under policy_checking) */

  VigilEventHub *events;           /* thread-safe */
  VigilMetrics  *metrics;          /* thread-safe; counts every record emitted */
  guint         sink_id;           /* the console's subscription (vigil_engine_set_event_sink) */
  VigilEngineEventsFunc sink_func;
  gpointer      sink_data;

  VigilApprovals *approvals;       /* thread-safe; NULL until started */
  guint         approval_timeout;  /* seconds */
  VigilOidc    *oidc;              /* NULL without single sign-on; used on the engine thread */

  /* engine thread only */
  GHashTable   *held;              /* approval id -> VigilSession* (not owned) */
  GHashTable   *approved_prints;   /* "identity\nfingerprint" -> expiry (gint64 us) */
  gboolean      held_polling;
  GHashTable   *sessions;          /* VigilSession* set, each holding a ref */
  GHashTable   *cancel_keys;       /* (pid << 32 | secret) -> VigilSession* */
  GHashTable   *auth_failures;     /* name -> AuthFailures */
  GHashTable   *per_process;       /* pid -> sessions (GUINT_TO_POINTER) */
  guint64       next_session_id;
  GHashTable   *stored_connections; /* name -> conninfo, the store's; replaced, not edited */
  VigilUpstreamPool *upstream_pool; /* while the engine thread runs */
  VigilPollerWatch *tcp_watch;     /* the listeners' */
  VigilPollerWatch *unix_watch;
};


/* Sessions of one client process: DELTA is +1 or -1; returns the new count. */
guint         _vigil_engine_count_process      (VigilEngine  *self,
                                                gint          pid,
                                                gint          delta);
guint         _vigil_engine_get_process_limit  (VigilEngine  *self);

/* vigil-engine-approvals.c */
void          _vigil_engine_approvals_init     (VigilEngine  *self);
void          _vigil_engine_approvals_clear    (VigilEngine  *self);
/* Engine thread: start polling the store for decisions on held requests. */
void          _vigil_engine_approvals_attach   (VigilEngine  *self);

gboolean      _vigil_is_engine_thread          (void);
#define VIGIL_IS_ENGINE_THREAD() (_vigil_is_engine_thread ())

GMainContext *_vigil_engine_get_context        (VigilEngine  *self);
VigilPoller  *_vigil_engine_get_poller         (VigilEngine  *self);
VigilUpstreamPool *_vigil_engine_get_upstream_pool (VigilEngine *self);
/* Any thread: the Prometheus counters, fed as records are emitted. */
VigilMetrics *_vigil_engine_get_metrics        (VigilEngine  *self);
VigilStore   *_vigil_engine_get_store          (VigilEngine  *self);
SSL_CTX      *_vigil_engine_get_tls_context    (VigilEngine  *self);
guint         _vigil_engine_get_startup_timeout(VigilEngine  *self);
/* The conninfo of the named connection, or NULL. */
const char   *_vigil_engine_lookup_connection  (VigilEngine  *self,
                                                const char   *name);
void          _vigil_engine_register_cancel    (VigilEngine  *self,
                                                VigilSession *session,
                                                guint32       pid,
                                                guint32       secret);
void          _vigil_engine_unregister_cancel  (VigilEngine  *self,
                                                guint32       pid,
                                                guint32       secret);
VigilSession *_vigil_engine_find_cancel        (VigilEngine  *self,
                                                guint32       pid,
                                                guint32       secret);
/* Milliseconds to wait before answering a failed login for NAME (grows with failures). */
guint         _vigil_engine_auth_failed        (VigilEngine  *self,
                                                const char   *name);
void          _vigil_engine_auth_succeeded     (VigilEngine  *self,
                                                const char   *name);
VigilClassifier *_vigil_engine_get_classifier (VigilEngine  *self);
/* A reference to the policy in force now (any thread). */
VigilPolicy  *_vigil_engine_ref_policy         (VigilEngine  *self);
/* The audit writer, or NULL when the engine runs without one (unit tests). */
VigilAudit   *_vigil_engine_get_audit          (VigilEngine  *self);
VigilApprovals *_vigil_engine_get_approvals    (VigilEngine  *self);
/* The ID token validator, or NULL when single sign-on is off. */
VigilOidc    *_vigil_engine_get_oidc           (VigilEngine  *self);
guint         _vigil_engine_get_approval_timeout (VigilEngine *self);
void          _vigil_engine_hold_register      (VigilEngine  *self,
                                                gint64        id,
                                                VigilSession *session);
void          _vigil_engine_hold_unregister    (VigilEngine  *self,
                                                gint64        id);
/* A fingerprint approved for an identity for a while. */
gboolean      _vigil_engine_fingerprint_approved (VigilEngine *self,
                                                  const char  *identity,
                                                  const char  *fingerprint);
void          _vigil_engine_approve_fingerprint  (VigilEngine *self,
                                                  const char  *identity,
                                                  const char  *fingerprint,
                                                  guint        minutes);
void          _vigil_engine_emit_event         (VigilEngine            *self,
                                                const VigilAuditRecord *record);
void          _vigil_engine_session_closed     (VigilEngine  *self,
                                                VigilSession *session);

G_END_DECLS
