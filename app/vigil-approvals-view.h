/* vigil-approvals-view.h: statements held for review, with approve and deny.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_APPROVALS_VIEW (vigil_approvals_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilApprovalsView, vigil_approvals_view, VIGIL, APPROVALS_VIEW, AdwBin)

/* MODEL: VigilApproval items. */
void vigil_approvals_view_set_model (VigilApprovalsView *self,
                                     GListModel         *model);

G_END_DECLS
