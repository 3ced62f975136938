/* vigil-session.h: one client connection and its upstream, from startup to Terminate.
 *
 * Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-types.h"

G_BEGIN_DECLS

/* Takes SOCKET over (connected, non-blocking). IS_UNIX: accepted on the Unix socket. */
VigilSession *vigil_session_new    (VigilEngine  *engine,
                                    guint64       id,
                                    GSocket      *socket,
                                    gboolean      is_unix);
void          vigil_session_start  (VigilSession *self);
/* Ends the session now (engine shutdown). */
void          vigil_session_close  (VigilSession *self,
                                    const char   *reason);
/* A CancelRequest matched this session: cancel what its upstream runs. */
void          vigil_session_cancel (VigilSession *self);
/* Pumps a session that has bytes in flight (engine timer; see vigil-engine.c). */
void          vigil_session_watchdog (VigilSession *self);
/* A human decided the held request: APPROVED, or denied with REASON. */
void          vigil_session_resolve_hold (VigilSession *self,
                                          gint64        id,
                                          gboolean      approved,
                                          const char   *by,
                                          const char   *reason);
VigilSession *vigil_session_ref    (VigilSession *self);
void          vigil_session_unref  (VigilSession *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilSession, vigil_session_unref)

G_END_DECLS
