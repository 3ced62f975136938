/* vigil-policy-rule.c: one rule of a policy, summarised for display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <glib/gi18n.h>

#include "vigil-policy-rule.h"

struct _VigilPolicyRule
{
  GObject     parent_instance;

  guint       position;
  char       *name;
  char       *match_text;
  char       *action;
  char       *detail;
  JsonObject *json;
};

G_DEFINE_FINAL_TYPE (VigilPolicyRule, vigil_policy_rule, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_POSITION_TEXT,
  PROP_NAME,
  PROP_MATCH_TEXT,
  PROP_ACTION,
  PROP_ACTION_LABEL,
  PROP_DETAIL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
action_label (const char *action)
{
  if (g_strcmp0 (action, "allow") == 0)
    return C_("policy action", "Allow");
  if (g_strcmp0 (action, "deny") == 0)
    return C_("policy action", "Deny");
  if (g_strcmp0 (action, "review") == 0)
    return C_("policy action", "Review");
  if (g_strcmp0 (action, "mask") == 0)
    return C_("policy action", "Mask");
  return action ? action : "";
}

/* "kind agent · class drop, truncate" from {"kind": "agent", "class": ["drop", "truncate"]}. */
static void
append_member (GString    *out,
               const char *key,
               JsonNode   *value)
{
  if (out->len > 0)
    g_string_append (out, " · ");
  g_string_append_printf (out, "%s ", key);
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          g_string_append_printf (out, "%s%s", i ? ", " : "",
                                  JSON_NODE_HOLDS_VALUE (element)
                                  ? json_node_get_string (element) ?: "…" : "…");
        }
    }
  else if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
    g_string_append (out, json_node_get_string (value));
  else
    g_string_append (out, "…");
}

static char *
summarise_match (JsonObject *rule)
{
  JsonObject *match = json_object_has_member (rule, "match")
                      ? json_object_get_object_member (rule, "match") : NULL;
  GString *out = g_string_new (NULL);
  g_autoptr(GList) members = match ? json_object_get_members (match) : NULL;

  for (GList *l = members; l != NULL; l = l->next)
    append_member (out, l->data, json_object_get_member (match, l->data));
  if (out->len == 0)
    g_string_append (out, _("every statement"));
  return g_string_free (out, FALSE);
}

static char *
summarise_detail (JsonObject *rule,
                  gboolean    masking)
{
  GString *out = g_string_new (NULL);

  if (masking)
    {
      if (json_object_has_member (rule, "columns"))
        append_member (out, _("columns"), json_object_get_member (rule, "columns"));
      if (json_object_has_member (rule, "detectors"))
        append_member (out, _("detectors"), json_object_get_member (rule, "detectors"));
      if (json_object_has_member (rule, "strategy"))
        append_member (out, _("strategy"), json_object_get_member (rule, "strategy"));
    }
  else
    {
      if (json_object_has_member (rule, "message"))
        g_string_append (out, json_object_get_string_member_with_default (rule, "message", ""));
      if (json_object_has_member (rule, "mask") &&
          !json_object_get_boolean_member_with_default (rule, "mask", TRUE))
        g_string_append_printf (out, "%s%s", out->len ? " · " : "", _("masking off"));
    }
  return g_string_free (out, FALSE);
}

static void
vigil_policy_rule_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VigilPolicyRule *self = VIGIL_POLICY_RULE (object);

  switch (prop_id)
    {
    case PROP_POSITION_TEXT: g_value_take_string (value, g_strdup_printf ("%u", self->position)); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_MATCH_TEXT: g_value_set_string (value, self->match_text); break;
    case PROP_ACTION: g_value_set_string (value, self->action); break;
    case PROP_ACTION_LABEL: g_value_set_string (value, action_label (self->action)); break;
    case PROP_DETAIL: g_value_set_string (value, self->detail); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_policy_rule_finalize (GObject *object)
{
  VigilPolicyRule *self = VIGIL_POLICY_RULE (object);

  g_free (self->name);
  g_free (self->match_text);
  g_free (self->action);
  g_free (self->detail);
  g_clear_pointer (&self->json, json_object_unref);
  G_OBJECT_CLASS (vigil_policy_rule_parent_class)->finalize (object);
}

static void
vigil_policy_rule_class_init (VigilPolicyRuleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *const names[N_PROPS] = {
    [PROP_POSITION_TEXT] = "position-text", [PROP_NAME] = "name",
    [PROP_MATCH_TEXT] = "match-text", [PROP_ACTION] = "action",
    [PROP_ACTION_LABEL] = "action-label", [PROP_DETAIL] = "detail",
  };

  object_class->get_property = vigil_policy_rule_get_property;
  object_class->finalize = vigil_policy_rule_finalize;

  for (guint i = 1; i < N_PROPS; i++)
    properties[i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_policy_rule_init (VigilPolicyRule *self)
{
}

VigilPolicyRule *
vigil_policy_rule_new (guint       position,
                       JsonObject *rule,
                       gboolean    masking)
{
  VigilPolicyRule *self;

  g_return_val_if_fail (rule != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_POLICY_RULE, NULL);
  self->position = position;
  self->name = g_strdup (json_object_get_string_member_with_default (rule, "name", ""));
  self->action = g_strdup (masking ? "mask"
                           : json_object_get_string_member_with_default (rule, "action", ""));
  self->match_text = summarise_match (rule);
  self->detail = summarise_detail (rule, masking);
  self->json = json_object_ref (rule);
  return self;
}

const char *
vigil_policy_rule_get_name (VigilPolicyRule *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_RULE (self), NULL);
  return self->name;
}

const char *
vigil_policy_rule_get_action (VigilPolicyRule *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_RULE (self), NULL);
  return self->action;
}

JsonObject *
vigil_policy_rule_get_json (VigilPolicyRule *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_RULE (self), NULL);
  return self->json;
}
