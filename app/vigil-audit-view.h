/* vigil-audit-view.h: search the audit log a page at a time, verify its chain, export it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-audit-search.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_AUDIT_VIEW (vigil_audit_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilAuditView, vigil_audit_view, VIGIL, AUDIT_VIEW, AdwBin)

/* SEARCH runs the view's queries and holds the page shown. */
void         vigil_audit_view_set_search       (VigilAuditView   *self,
                                                VigilAuditSearch *search);
void         vigil_audit_view_focus_search     (VigilAuditView   *self);
/* Searches again from the newest page, the filters as they are. */
void         vigil_audit_view_refresh          (VigilAuditView   *self);
/* The line beside the pager: result counts, the chain's state. STYLE_CLASS: "success",
 * "error" or NULL (dimmed). */
void         vigil_audit_view_set_status       (VigilAuditView   *self,
                                                const char       *text,
                                                const char       *style_class);
const char  *vigil_audit_view_get_status       (VigilAuditView   *self);
/* A filter field as the user types in it: "text", "identity", "since" or "until". */
GtkEditable *vigil_audit_view_get_filter_entry (VigilAuditView   *self,
                                                const char       *name);
/* The filters as they stand; FALSE when a time field does not parse (it is marked). */
gboolean     vigil_audit_view_get_filters      (VigilAuditView   *self,
                                                VigilAuditQuery  *out_filters);

G_END_DECLS
