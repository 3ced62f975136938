/* vigil-types.c: shared enums and the error domain.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-types.h"

G_DEFINE_QUARK (vigil-error-quark, vigil_error)

static const char * const kind_names[] = {
  [VIGIL_IDENTITY_KIND_AGENT] = "agent",
  [VIGIL_IDENTITY_KIND_HUMAN] = "human",
  [VIGIL_IDENTITY_KIND_ADMIN] = "admin",
};

const char *
vigil_identity_kind_to_string (VigilIdentityKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (kind_names), "unknown");
  return kind_names[kind];
}

gboolean
vigil_identity_kind_from_string (const char        *str,
                                 VigilIdentityKind *out_kind)
{
  g_return_val_if_fail (out_kind != NULL, FALSE);

  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (kind_names); i++)
    {
      if (strcmp (str, kind_names[i]) == 0)
        {
          *out_kind = (VigilIdentityKind) i;
          return TRUE;
        }
    }
  return FALSE;
}
