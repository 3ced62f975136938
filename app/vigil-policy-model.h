/* vigil-policy-model.h: the current policy document, as lists of VigilPolicyRule.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-policy-rule.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_POLICY_MODEL (vigil_policy_model_get_type ())
G_DECLARE_FINAL_TYPE (VigilPolicyModel, vigil_policy_model, VIGIL, POLICY_MODEL, GObject)

VigilPolicyModel *vigil_policy_model_new                (void);
/* Checks the document's shape (DESIGN.md) and replaces the lists; on error nothing changes. */
gboolean          vigil_policy_model_load_json          (VigilPolicyModel  *self,
                                                         const char        *json,
                                                         GError           **error);
/* The built-in default policy, from the engine's resources. */
gboolean          vigil_policy_model_load_default       (VigilPolicyModel  *self,
                                                         GError           **error);
/* The document as loaded, or NULL. */
const char       *vigil_policy_model_get_json           (VigilPolicyModel  *self);
const char       *vigil_policy_model_get_default_action (VigilPolicyModel  *self);
/* The store's version number of the document, 0 for the built-in default. */
gint64            vigil_policy_model_get_version        (VigilPolicyModel  *self);
void              vigil_policy_model_set_version        (VigilPolicyModel  *self,
                                                         gint64             version);
/* Decision rules in order, then masking rules in order (VigilPolicyRule). */
GListModel       *vigil_policy_model_get_rules          (VigilPolicyModel  *self);
GListModel       *vigil_policy_model_get_masking        (VigilPolicyModel  *self);

/* Editing. The rules shown are a draft until it is saved (as a new version, by the
 * application) or discarded; loading a document replaces the draft. Each edit is checked
 * by the engine's parser first: on error (its exact words, e.g. "rules[2].name: duplicate
 * rule name \"x\"") the draft stays as it was. */
gboolean          vigil_policy_model_get_modified       (VigilPolicyModel  *self);
char             *vigil_policy_model_dup_draft_json     (VigilPolicyModel  *self);
gboolean          vigil_policy_model_insert_rule        (VigilPolicyModel  *self,
                                                         guint              position,
                                                         JsonObject        *rule,
                                                         GError           **error);
gboolean          vigil_policy_model_replace_rule       (VigilPolicyModel  *self,
                                                         guint              position,
                                                         JsonObject        *rule,
                                                         GError           **error);
gboolean          vigil_policy_model_remove_rule        (VigilPolicyModel  *self,
                                                         guint              position,
                                                         GError           **error);
gboolean          vigil_policy_model_move_rule          (VigilPolicyModel  *self,
                                                         guint              position,
                                                         guint              to,
                                                         GError           **error);
void              vigil_policy_model_discard            (VigilPolicyModel  *self);

G_END_DECLS
