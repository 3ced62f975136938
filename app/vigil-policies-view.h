/* vigil-policies-view.h: the policy's rules in order; import and export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-policy-model.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_POLICIES_VIEW (vigil_policies_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilPoliciesView, vigil_policies_view, VIGIL, POLICIES_VIEW, AdwBin)

void vigil_policies_view_set_model   (VigilPoliciesView *self,
                                      VigilPolicyModel  *model);
/* What Import… does once a file is chosen: read, validate, save, reload, show. Errors
 * appear in a message dialog. */
void vigil_policies_view_import_file (VigilPoliciesView *self,
                                      GFile             *file);

G_END_DECLS
