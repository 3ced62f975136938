/* vigil-identity-list.h: the store's identities as a GListModel of VigilIdentityItem.
 *
 * Every store call runs in a worker thread (GTask); the model changes on the main thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-identity-item.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_IDENTITY_LIST (vigil_identity_list_get_type ())
G_DECLARE_FINAL_TYPE (VigilIdentityList, vigil_identity_list, VIGIL, IDENTITY_LIST, GObject)

/* STORE may be NULL: then every call fails with VIGIL_ERROR_STORE. */
VigilIdentityList *vigil_identity_list_new           (VigilStore           *store);
void               vigil_identity_list_set_store     (VigilIdentityList    *self,
                                                      VigilStore           *store);
void               vigil_identity_list_reload_async  (VigilIdentityList    *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean           vigil_identity_list_reload_finish (VigilIdentityList    *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
/* Adds an identity, then reloads; finish returns its token (shown once). */
void               vigil_identity_list_add_async     (VigilIdentityList    *self,
                                                      const char           *name,
                                                      VigilIdentityKind     kind,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char              *vigil_identity_list_add_finish    (VigilIdentityList    *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void               vigil_identity_list_revoke_async  (VigilIdentityList    *self,
                                                      const char           *name,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean           vigil_identity_list_revoke_finish (VigilIdentityList    *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
