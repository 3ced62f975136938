/* vigil-policies-view.h: the policy's rules in order; editing, dry run, import, export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-policy-dry-run.h"
#include "vigil-policy-model.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_POLICIES_VIEW (vigil_policies_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilPoliciesView, vigil_policies_view, VIGIL, POLICIES_VIEW, AdwBin)

void               vigil_policies_view_set_model   (VigilPoliciesView *self,
                                                    VigilPolicyModel  *model);
/* What Import… does once a file is chosen: read, validate, save, reload, show. Errors
 * appear in a message dialog. */
void               vigil_policies_view_import_file (VigilPoliciesView *self,
                                                    GFile             *file);
/* Selects rule POSITION (the one Edit, Remove and Move act on). */
void               vigil_policies_view_select_rule (VigilPoliciesView *self,
                                                    guint              position);
/* The parser's (or the store's) error shown above the rules, or NULL. */
const char        *vigil_policies_view_get_error   (VigilPoliciesView *self);
/* The last finished dry run of the draft, or NULL while one runs or before the first. */
VigilPolicyDryRun *vigil_policies_view_get_dry_run (VigilPoliciesView *self);

G_END_DECLS
