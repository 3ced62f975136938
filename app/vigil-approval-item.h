/* vigil-approval-item.h: one held statement waiting for a reviewer (a list item).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-approvals.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_APPROVAL_ITEM (vigil_approval_item_get_type ())
G_DECLARE_FINAL_TYPE (VigilApprovalItem, vigil_approval_item, VIGIL, APPROVAL_ITEM, GObject)

/* Copies what it shows from APPROVAL (the engine's queue entry). */
VigilApprovalItem *vigil_approval_item_new           (const VigilApproval *approval);
/* Takes APPROVAL's fields (same id), notifying only those that changed. */
void               vigil_approval_item_update        (VigilApprovalItem   *self,
                                                      const VigilApproval *approval);
gint64             vigil_approval_item_get_id        (VigilApprovalItem   *self);
const char        *vigil_approval_item_get_identity  (VigilApprovalItem   *self);
const char        *vigil_approval_item_get_statement (VigilApprovalItem   *self);

G_END_DECLS
