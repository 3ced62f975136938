/* vigil-rule-dialog.h: add or edit one rule of the draft policy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-policy-model.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_RULE_DIALOG (vigil_rule_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VigilRuleDialog, vigil_rule_dialog, VIGIL, RULE_DIALOG, AdwWindow)

/* Edits rule POSITION of MODEL's draft or, when NEW_RULE, adds a rule there. */
VigilRuleDialog *vigil_rule_dialog_new       (GtkWindow        *parent,
                                              VigilPolicyModel *model,
                                              guint             position,
                                              gboolean          new_rule);
/* Fills the form from RULE (an element of a policy's "rules"). */
void             vigil_rule_dialog_set_rule  (VigilRuleDialog  *self,
                                              JsonObject       *rule);
/* The form as a rule. */
JsonObject      *vigil_rule_dialog_dup_rule  (VigilRuleDialog  *self);
/* What Add/Apply does: TRUE, and the dialog closes, when the draft took the rule;
 * otherwise the dialog shows the policy parser's error and stays. */
gboolean         vigil_rule_dialog_apply     (VigilRuleDialog  *self);
/* The error shown, or NULL. */
const char      *vigil_rule_dialog_get_error (VigilRuleDialog  *self);

G_END_DECLS
