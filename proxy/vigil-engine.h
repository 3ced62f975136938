/* vigil-engine.h: the proxy engine, running on its own thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-audit.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_ENGINE (vigil_engine_get_type ())
G_DECLARE_FINAL_TYPE (VigilEngine, vigil_engine, VIGIL, ENGINE, GObject)

#define VIGIL_DEFAULT_LISTEN_HOST "127.0.0.1"
#define VIGIL_DEFAULT_PORT        6543

VigilEngine *vigil_engine_new              (VigilStore   *store);
/* Configuration: before vigil_engine_start() only. */
gboolean     vigil_engine_add_connection   (VigilEngine  *self,
                                            const char   *name,
                                            const char   *conninfo,
                                            GError      **error);
gboolean     vigil_engine_set_listen       (VigilEngine  *self,
                                            const char   *host_port,
                                            GError      **error);
void         vigil_engine_set_socket_dir   (VigilEngine  *self,
                                            const char   *dir);
gboolean     vigil_engine_set_tls          (VigilEngine  *self,
                                            const char   *cert_file,
                                            const char   *key_file,
                                            GError      **error);
void         vigil_engine_set_approval_timeout (VigilEngine *self,
                                                guint        seconds);
/* Sessions one client process may hold (default 200), and in all (default 4000). */
void         vigil_engine_set_connection_limits (VigilEngine *self,
                                                 guint        per_process,
                                                 guint        total);
void         vigil_engine_set_startup_timeout (VigilEngine *self,
                                               guint        seconds);
/* Single sign-on: over TLS and the Unix socket, humans may give an OpenID Connect ID
 * token from ISSUER for AUDIENCE as their password; its CLAIM names the identity.
 * JWKS_URL: NULL to discover it. The URLs must pass vigil_oidc_url_allowed(). */
void         vigil_engine_set_oidc         (VigilEngine  *self,
                                            const char   *issuer,
                                            const char   *audience,
                                            const char   *claim,
                                            const char   *jwks_url);

/* Binds the sockets (errors are reported here) and starts the engine thread. */
gboolean     vigil_engine_start            (VigilEngine  *self,
                                            GError      **error);
/* Thread-safe: the policy in the store applies from every session's next statement. */
void         vigil_engine_reload_policy    (VigilEngine  *self);
/* Thread-safe: re-reads the store's named connections now instead of within the next
 * 500 ms poll (the same worker as the policy's). --upstream's win for their name. */
void         vigil_engine_reload_connections (VigilEngine *self);
/* Closes every session and joins the engine thread. */
void         vigil_engine_stop             (VigilEngine  *self);
/* Live statement events for a console: FUNC runs on CONTEXT, at PRIORITY, with batches (at
 * most one batch per ~50 ms frame) of VigilAuditRecord, masked, as the client saw them. A
 * record appears when the statement arrives (rows/duration -1) and again, same id, with
 * its outcome. The array and records belong to the engine; copy what you keep. */
typedef void (*VigilEngineEventsFunc) (GPtrArray *records,
                                       gpointer   user_data);
void         vigil_engine_set_event_sink   (VigilEngine           *self,
                                            GMainContext          *context,
                                            int                    priority,
                                            VigilEngineEventsFunc  func,
                                            gpointer               user_data);

/* More listeners (the HTTP API's event stream): same batches, on CONTEXT. */
guint        vigil_engine_subscribe_events (VigilEngine           *self,
                                            GMainContext          *context,
                                            VigilEngineEventsFunc  func,
                                            gpointer               user_data,
                                            GDestroyNotify         destroy);
void         vigil_engine_unsubscribe_events (VigilEngine         *self,
                                              guint                id);

guint16      vigil_engine_get_port         (VigilEngine  *self);
const char  *vigil_engine_get_listen_host  (VigilEngine  *self);
/* The Unix socket's path, or NULL when there is none. */
const char  *vigil_engine_get_socket_path  (VigilEngine  *self);
/* The audit writer of the engine's data directory once started (thread-safe), else
 * NULL. There is one writer per directory: append through this one. */
VigilAudit  *vigil_engine_get_audit        (VigilEngine  *self);

G_END_DECLS
