/* vigil-identity.h: who connects through the proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-types.h"

G_BEGIN_DECLS

struct _VigilIdentity
{
  gint64             id;
  char              *name;
  VigilIdentityKind  kind;
  char              *scram_verifier;  /* never the token itself */
  gint64             created_at;      /* unix seconds */
  gint64             revoked_at;      /* 0 while active */
};

#define VIGIL_TYPE_IDENTITY (vigil_identity_get_type ())
GType          vigil_identity_get_type (void) G_GNUC_CONST;
VigilIdentity *vigil_identity_copy     (const VigilIdentity *self);
void           vigil_identity_free     (VigilIdentity       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilIdentity, vigil_identity_free)

G_END_DECLS
