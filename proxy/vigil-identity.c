/* vigil-identity.c: the VigilIdentity boxed type.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* vigil-identity.h uses GType but only pulls in glib.h. */
#include <glib-object.h>

#include "vigil-identity.h"

G_DEFINE_BOXED_TYPE (VigilIdentity, vigil_identity, vigil_identity_copy, vigil_identity_free)

VigilIdentity *
vigil_identity_copy (const VigilIdentity *self)
{
  VigilIdentity *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->name = g_strdup (self->name);
  copy->scram_verifier = g_strdup (self->scram_verifier);
  return copy;
}

void
vigil_identity_free (VigilIdentity *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->scram_verifier);
  g_free (self);
}
