/* vigil-identity-item.h: an identity as the Identities view lists it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-identity.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_IDENTITY_ITEM (vigil_identity_item_get_type ())
G_DECLARE_FINAL_TYPE (VigilIdentityItem, vigil_identity_item, VIGIL, IDENTITY_ITEM, GObject)

VigilIdentityItem *vigil_identity_item_new        (const VigilIdentity *identity);
const char        *vigil_identity_item_get_name   (VigilIdentityItem   *self);
VigilIdentityKind  vigil_identity_item_get_kind   (VigilIdentityItem   *self);
gboolean           vigil_identity_item_get_active (VigilIdentityItem   *self);
/* "Agent", "Human", "Administrator", translated. */
const char        *vigil_identity_kind_to_label   (VigilIdentityKind    kind);

G_END_DECLS
