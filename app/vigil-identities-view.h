/* vigil-identities-view.h: who may connect; add (token shown once) and revoke.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-connection-list.h"
#include "vigil-identity-list.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_IDENTITIES_VIEW (vigil_identities_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilIdentitiesView, vigil_identities_view, VIGIL, IDENTITIES_VIEW, AdwBin)

void                 vigil_identities_view_set_model       (VigilIdentitiesView *self,
                                                            VigilIdentityList   *model);
/* The store's named connections as listed (made from the window's application). */
VigilConnectionList *vigil_identities_view_get_connections (VigilIdentitiesView *self);

G_END_DECLS
