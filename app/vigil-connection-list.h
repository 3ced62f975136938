/* vigil-connection-list.h: the store's named upstreams as a GListModel of
 * VigilConnectionItem.
 *
 * Every store call runs in a worker thread (GTask); the model changes on the main thread.
 * After a change the engine is told at once (it would see it within 500 ms anyway).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-connection-item.h"
#include "vigil-engine.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_CONNECTION_LIST (vigil_connection_list_get_type ())
G_DECLARE_FINAL_TYPE (VigilConnectionList, vigil_connection_list, VIGIL, CONNECTION_LIST, GObject)

/* STORE may be NULL (every call then fails with VIGIL_ERROR_STORE); ENGINE may be NULL. */
VigilConnectionList *vigil_connection_list_new           (VigilStore           *store,
                                                          VigilEngine          *engine);
void                 vigil_connection_list_reload_async  (VigilConnectionList  *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             vigil_connection_list_reload_finish (VigilConnectionList  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
/* Stores NAME → CONNINFO, then reloads. */
void                 vigil_connection_list_add_async     (VigilConnectionList  *self,
                                                          const char           *name,
                                                          const char           *conninfo,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             vigil_connection_list_add_finish    (VigilConnectionList  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
void                 vigil_connection_list_remove_async  (VigilConnectionList  *self,
                                                          const char           *name,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             vigil_connection_list_remove_finish (VigilConnectionList  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
/* Connects to CONNINFO with libpq in a worker (at most TIMEOUT_SECONDS); finish returns
 * the server's version() or libpq's error message. */
void                 vigil_connection_test_async         (const char           *conninfo,
                                                          guint                 timeout_seconds,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
char                *vigil_connection_test_finish        (GAsyncResult         *result,
                                                          GError              **error);

G_END_DECLS
