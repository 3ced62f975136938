/* vigil-upstream-pool.h: server connections kept after their client left, for the next
 * client of the same upstream.
 *
 * Opening a server connection costs a PostgreSQL backend's start, and a fresh backend
 * runs slowly for a while (its caches and page tables fill as it goes). A client that
 * leaves cleanly (idle, nothing in flight, no cancel sent) hands its connection here; it
 * is reset with DISCARD ALL, exactly as PgBouncer's session pooling does, and handed to
 * the next client whose connection string and startup parameters are the same. A kept
 * connection that the server speaks on, closes, or that waits longer than the idle limit
 * is closed. Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "vigil-poller.h"
#include "vigil-upstream.h"

G_BEGIN_DECLS

typedef struct _VigilUpstreamPool VigilUpstreamPool;

#define VIGIL_UPSTREAM_POOL_IDLE_SECONDS 60
#define VIGIL_UPSTREAM_POOL_MAX_IDLE     64

/* Kept connections are watched through POLLER (the server may close them). */
VigilUpstreamPool *vigil_upstream_pool_new    (VigilPoller       *poller);
/* Closes every kept connection. */
void               vigil_upstream_pool_free   (VigilUpstreamPool *self);
/* What a kept connection must match: CONNINFO and the client's STARTUP parameters. */
char              *vigil_upstream_pool_key    (const char        *conninfo,
                                               GHashTable        *startup);
/* A reset connection kept under KEY (the most recently used first), or NULL. */
VigilUpstream     *vigil_upstream_pool_take   (VigilUpstreamPool *self,
                                               const char        *key);
/* Takes UPSTREAM over, idle at ReadyForQuery 'I' with nothing unread: resets and keeps
 * it, or closes it when it cannot. */
void               vigil_upstream_pool_give   (VigilUpstreamPool *self,
                                               const char        *key,
                                               VigilUpstream     *upstream);
/* Closes what waited longer than VIGIL_UPSTREAM_POOL_IDLE_SECONDS by NOW_US
 * (g_get_monotonic_time), or everything when NOW_US is G_MAXINT64. */
void               vigil_upstream_pool_expire (VigilUpstreamPool *self,
                                               gint64             now_us);
/* Connections kept, reset and ready to be taken. */
guint              vigil_upstream_pool_ready  (VigilUpstreamPool *self);

G_END_DECLS
