/* vigil-policy-rule.h: one rule of a policy, as the Policies view lists it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_POLICY_RULE (vigil_policy_rule_get_type ())
G_DECLARE_FINAL_TYPE (VigilPolicyRule, vigil_policy_rule, VIGIL, POLICY_RULE, GObject)

/* RULE is one element of the policy's "rules" (or "masking") array. */
VigilPolicyRule *vigil_policy_rule_new         (guint       position,
                                                JsonObject *rule,
                                                gboolean    masking);
const char      *vigil_policy_rule_get_name    (VigilPolicyRule *self);
const char      *vigil_policy_rule_get_action  (VigilPolicyRule *self);
/* The rule as written in the document (for the editor); do not modify. */
JsonObject      *vigil_policy_rule_get_json    (VigilPolicyRule *self);

G_END_DECLS
