/* vigil-audit-view.h: search the audit log, verify its chain.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_AUDIT_VIEW (vigil_audit_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilAuditView, vigil_audit_view, VIGIL, AUDIT_VIEW, AdwBin)

/* MODEL: VigilLiveRecord items, the current search's results. */
void        vigil_audit_view_set_model    (VigilAuditView *self,
                                           GListModel     *model);
void        vigil_audit_view_focus_search (VigilAuditView *self);
/* Asks for the current search again ("search" is emitted). */
void        vigil_audit_view_refresh      (VigilAuditView *self);
/* The line beside the search: result counts, the chain's state. STYLE_CLASS: "success",
 * "error" or NULL (dimmed). */
void        vigil_audit_view_set_status   (VigilAuditView *self,
                                           const char     *text,
                                           const char     *style_class);
const char *vigil_audit_view_get_status   (VigilAuditView *self);

G_END_DECLS
