/* vigil-api-private.h: the API object shared by its files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "vigil-api.h"
#include "vigil-approvals.h"
#include "vigil-identity.h"
#include "vigil-metrics.h"

G_BEGIN_DECLS

struct _VigilApi
{
  GObject         parent_instance;

  /* set before start, read-only afterwards */
  VigilEngine    *engine;
  VigilStore     *store;
  char           *data_dir;
  GThread        *thread;
  GMainContext   *context;
  GMainLoop      *loop;

  /* start/stop handshake, under lock */
  GMutex          lock;
  GCond           cond;
  gboolean        ready;
  GError         *start_error;
  guint16         port;

  /* API thread only */
  SoupServer     *server;
  VigilApprovals *approvals;
  VigilMetrics   *metrics;         /* the engine's */
  GHashTable     *auth_cache;      /* hex SHA-256 of the credential -> ApiAuthEntry */
  GPtrArray      *event_clients;   /* ApiEventClient */
  guint           events_id;
  guint           keepalive_id;
};

/* One authenticated caller. */
typedef struct
{
  char              *name;
  VigilIdentityKind  kind;
} ApiCaller;

typedef struct
{
  VigilApi          *api;
  SoupServerMessage *msg;       /* a reference */
  char              *path;
  GHashTable        *query;     /* may be NULL */
  ApiCaller          caller;
  gboolean           finished;  /* the client went away while we were paused */
} ApiRequest;

/* vigil-api.c */
void      _vigil_api_respond_json   (SoupServerMessage *msg,
                                     guint              status,
                                     const char        *json);
void      _vigil_api_respond_error  (SoupServerMessage *msg,
                                     guint              status,
                                     const char        *format,
                                     ...) G_GNUC_PRINTF (3, 4);

/* vigil-api-auth.c: resolves the bearer token, then calls THEN on the API thread with
 * REQUEST->caller set (caller.name NULL when the token is missing or invalid). */
typedef void (*ApiAuthenticated) (ApiRequest *request);
void      _vigil_api_auth_init      (VigilApi          *self);
void      _vigil_api_auth_clear     (VigilApi          *self);
void      _vigil_api_authenticate   (ApiRequest        *request,
                                     ApiAuthenticated   then);

/* vigil-api-routes.c */
void      _vigil_api_route          (ApiRequest        *request);

/* vigil-api-events.c */
void      _vigil_api_events_start   (VigilApi          *self);
void      _vigil_api_events_stop    (VigilApi          *self);
void      _vigil_api_events_attach  (ApiRequest        *request);

G_END_DECLS
