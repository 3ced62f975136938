/* vigil-dry-run-change.h: one audited statement a draft policy would decide differently.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-audit-record.h"
#include "vigil-policy.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_DRY_RUN_CHANGE (vigil_dry_run_change_get_type ())
G_DECLARE_FINAL_TYPE (VigilDryRunChange, vigil_dry_run_change, VIGIL, DRY_RUN_CHANGE, GObject)

/* RECORD as audited, VERDICT the draft's (its strings are copied). */
VigilDryRunChange *vigil_dry_run_change_new          (const VigilAuditRecord *record,
                                                      VigilDecision           recorded,
                                                      const VigilVerdict     *verdict);
gint64             vigil_dry_run_change_get_id       (VigilDryRunChange      *self);
VigilDecision      vigil_dry_run_change_get_recorded (VigilDryRunChange      *self);
VigilDecision      vigil_dry_run_change_get_decision (VigilDryRunChange      *self);
const char        *vigil_dry_run_change_get_rule     (VigilDryRunChange      *self);

G_END_DECLS
