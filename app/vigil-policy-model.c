/* vigil-policy-model.c: the current policy document, as lists of VigilPolicyRule.
 *
 * The engine's VigilPolicy validates semantics; loading only checks the shape this model
 * needs to show the document. The rules are edited on a draft, a private copy of the
 * document: every edit is tried on a copy of the draft and checked by the engine's own
 * parser first, so the draft is always a policy the engine accepts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <glib/gi18n.h>

#include "vigil-policy.h"
#include "vigil-types.h"
#include "vigil-policy-model.h"

#define DEFAULT_POLICY_RESOURCE "/org/vigil/data/default-policy.json"

/* The engine's data resource (data/vigil-data.gresource.xml), linked into vigil-proxy. */
GResource *vigil_data_get_resource (void);

struct _VigilPolicyModel
{
  GObject     parent_instance;

  char       *json;
  JsonNode   *draft;     /* the document being edited; its root is an object */
  gboolean    modified;  /* the draft was edited since JSON was loaded */
  char       *default_action;
  gint64      version;
  GListStore *rules;
  GListStore *masking;
};

G_DEFINE_FINAL_TYPE (VigilPolicyModel, vigil_policy_model, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JSON,
  PROP_DEFAULT_ACTION,
  PROP_VERSION,
  PROP_MODIFIED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
check_rules (JsonObject  *root,
             const char  *member,
             GError     **error)
{
  JsonNode *node = json_object_get_member (root, member);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, _("“%s” must be a list"), member);
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      {
        g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                     _("%s[%u] must be an object"), member, i);
        return FALSE;
      }
  return TRUE;
}

static void
fill (GListStore *store,
      JsonObject *root,
      const char *member,
      gboolean    masking)
{
  JsonArray *array = json_object_has_member (root, member)
                     ? json_object_get_array_member (root, member) : NULL;
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    g_ptr_array_add (rules, vigil_policy_rule_new (i + 1, json_array_get_object_element (array, i),
                                                   masking));
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)),
                       rules->pdata, rules->len);
}

static void
set_modified (VigilPolicyModel *self,
              gboolean          modified)
{
  if (self->modified == modified)
    return;
  self->modified = modified;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

/* A deep copy of the draft (json-glib copies nodes shallowly), its "rules" array present. */
static JsonNode *
copy_draft (VigilPolicyModel *self,
            JsonArray       **out_rules)
{
  g_autofree char *text = json_to_string (self->draft, FALSE);
  JsonNode *copy = json_from_string (text, NULL);
  JsonObject *root = json_node_get_object (copy);

  if (!json_object_has_member (root, "rules"))
    json_object_set_array_member (root, "rules", json_array_new ());
  *out_rules = json_object_get_array_member (root, "rules");
  return copy;
}

/* CANDIDATE becomes the draft if the engine's parser accepts it. */
static gboolean
commit_draft (VigilPolicyModel  *self,
              JsonNode          *candidate,
              GError           **error)
{
  g_autofree char *text = json_to_string (candidate, TRUE);
  g_autoptr(VigilPolicy) policy = vigil_policy_new_from_json (text, error);

  if (policy == NULL)
    return FALSE;
  g_clear_pointer (&self->draft, json_node_unref);
  self->draft = json_node_ref (candidate);
  fill (self->rules, json_node_get_object (self->draft), "rules", FALSE);
  set_modified (self, TRUE);
  return TRUE;
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return node;
}

/* Rebuilds ARRAY with ITEM at POSITION (inserted, or replacing when REPLACE). */
static JsonArray *
splice_array (JsonArray *array,
              guint      position,
              JsonNode  *item,
              gboolean   replace)
{
  JsonArray *out = json_array_new ();
  guint n = json_array_get_length (array);

  for (guint i = 0; i <= n; i++)
    {
      if (i == position && item != NULL)
        json_array_add_element (out, json_node_copy (item));
      if (i < n && !(i == position && replace))
        json_array_add_element (out, json_node_copy (json_array_get_element (array, i)));
    }
  return out;
}

static gboolean
edit_rules (VigilPolicyModel  *self,
            guint              position,
            JsonObject        *rule,
            gboolean           replace,
            GError           **error)
{
  JsonArray *rules;
  g_autoptr(JsonNode) candidate = copy_draft (self, &rules);
  g_autoptr(JsonNode) item = NULL;
  JsonArray *edited;

  if (rule != NULL)
    {
      /* The caller keeps its object; the draft gets a copy of its own. */
      g_autoptr(JsonNode) node = object_node (rule);
      g_autofree char *text = json_to_string (node, FALSE);

      item = json_from_string (text, NULL);
    }
  edited = splice_array (rules, position, item, replace);
  json_object_set_array_member (json_node_get_object (candidate), "rules", edited);
  return commit_draft (self, candidate, error);
}

static void
vigil_policy_model_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VigilPolicyModel *self = VIGIL_POLICY_MODEL (object);

  switch (prop_id)
    {
    case PROP_JSON: g_value_set_string (value, self->json); break;
    case PROP_DEFAULT_ACTION: g_value_set_string (value, self->default_action); break;
    case PROP_VERSION: g_value_set_int64 (value, self->version); break;
    case PROP_MODIFIED: g_value_set_boolean (value, self->modified); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_policy_model_dispose (GObject *object)
{
  VigilPolicyModel *self = VIGIL_POLICY_MODEL (object);

  g_clear_object (&self->rules);
  g_clear_object (&self->masking);
  G_OBJECT_CLASS (vigil_policy_model_parent_class)->dispose (object);
}

static void
vigil_policy_model_finalize (GObject *object)
{
  VigilPolicyModel *self = VIGIL_POLICY_MODEL (object);

  g_free (self->json);
  g_clear_pointer (&self->draft, json_node_unref);
  g_free (self->default_action);
  G_OBJECT_CLASS (vigil_policy_model_parent_class)->finalize (object);
}

static void
vigil_policy_model_class_init (VigilPolicyModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vigil_policy_model_get_property;
  object_class->dispose = vigil_policy_model_dispose;
  object_class->finalize = vigil_policy_model_finalize;

  properties[PROP_JSON] = g_param_spec_string ("json", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEFAULT_ACTION] =
    g_param_spec_string ("default-action", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERSION] =
    g_param_spec_int64 ("version", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_policy_model_init (VigilPolicyModel *self)
{
  self->rules = g_list_store_new (VIGIL_TYPE_POLICY_RULE);
  self->masking = g_list_store_new (VIGIL_TYPE_POLICY_RULE);
}

VigilPolicyModel *
vigil_policy_model_new (void)
{
  return g_object_new (VIGIL_TYPE_POLICY_MODEL, NULL);
}

gboolean
vigil_policy_model_load_json (VigilPolicyModel  *self,
                              const char        *json,
                              GError           **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, _("A policy is a JSON object"));
      return FALSE;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  if (!check_rules (root, "rules", error) || !check_rules (root, "masking", error))
    return FALSE;

  g_clear_pointer (&self->draft, json_node_unref);
  self->draft = json_node_copy (json_parser_get_root (parser));
  fill (self->rules, root, "rules", FALSE);
  fill (self->masking, root, "masking", TRUE);
  set_modified (self, FALSE);
  if (vigil_set_str (&self->default_action,
                     json_object_get_string_member_with_default (root, "default_action", "allow")))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEFAULT_ACTION]);
  if (vigil_set_str (&self->json, json))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JSON]);
  return TRUE;
}

gboolean
vigil_policy_model_load_default (VigilPolicyModel  *self,
                                 GError           **error)
{
  g_autoptr(GBytes) bytes = g_resource_lookup_data (vigil_data_get_resource (),
                                                    DEFAULT_POLICY_RESOURCE, 0, error);
  g_autofree char *json = NULL;

  if (bytes == NULL)
    return FALSE;
  json = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return vigil_policy_model_load_json (self, json, error);
}

const char *
vigil_policy_model_get_json (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), NULL);
  return self->json;
}

const char *
vigil_policy_model_get_default_action (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), NULL);
  return self->default_action;
}

GListModel *
vigil_policy_model_get_rules (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), NULL);
  return G_LIST_MODEL (self->rules);
}

GListModel *
vigil_policy_model_get_masking (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), NULL);
  return G_LIST_MODEL (self->masking);
}

gint64
vigil_policy_model_get_version (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), 0);
  return self->version;
}

void
vigil_policy_model_set_version (VigilPolicyModel *self,
                                gint64            version)
{
  g_return_if_fail (VIGIL_IS_POLICY_MODEL (self));

  if (self->version == version)
    return;
  self->version = version;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERSION]);
}

gboolean
vigil_policy_model_get_modified (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), FALSE);
  return self->modified;
}

char *
vigil_policy_model_dup_draft_json (VigilPolicyModel *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), NULL);

  if (self->draft == NULL)
    return NULL;
  return json_to_string (self->draft, TRUE);
}

gboolean
vigil_policy_model_insert_rule (VigilPolicyModel  *self,
                                guint              position,
                                JsonObject        *rule,
                                GError           **error)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), FALSE);
  g_return_val_if_fail (rule != NULL, FALSE);
  g_return_val_if_fail (self->draft != NULL, FALSE);

  position = MIN (position, g_list_model_get_n_items (G_LIST_MODEL (self->rules)));
  return edit_rules (self, position, rule, FALSE, error);
}

gboolean
vigil_policy_model_replace_rule (VigilPolicyModel  *self,
                                 guint              position,
                                 JsonObject        *rule,
                                 GError           **error)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), FALSE);
  g_return_val_if_fail (rule != NULL, FALSE);
  g_return_val_if_fail (position < g_list_model_get_n_items (G_LIST_MODEL (self->rules)), FALSE);

  return edit_rules (self, position, rule, TRUE, error);
}

gboolean
vigil_policy_model_remove_rule (VigilPolicyModel  *self,
                                guint              position,
                                GError           **error)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), FALSE);
  g_return_val_if_fail (position < g_list_model_get_n_items (G_LIST_MODEL (self->rules)), FALSE);

  return edit_rules (self, position, NULL, TRUE, error);
}

gboolean
vigil_policy_model_move_rule (VigilPolicyModel  *self,
                              guint              position,
                              guint              to,
                              GError           **error)
{
  guint n;
  JsonArray *rules;
  g_autoptr(JsonNode) candidate = NULL;
  g_autoptr(JsonNode) moved = NULL;
  g_autoptr(JsonArray) without = NULL;

  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (self), FALSE);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));
  g_return_val_if_fail (position < n && to < n, FALSE);

  if (position == to)
    return TRUE;
  candidate = copy_draft (self, &rules);
  moved = json_node_copy (json_array_get_element (rules, position));
  without = splice_array (rules, position, NULL, TRUE);
  json_object_set_array_member (json_node_get_object (candidate), "rules",
                                splice_array (without, to, moved, FALSE));
  return commit_draft (self, candidate, error);
}

void
vigil_policy_model_discard (VigilPolicyModel *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  g_return_if_fail (VIGIL_IS_POLICY_MODEL (self));

  if (!self->modified || self->json == NULL)
    return;
  /* Loading the document in force again makes a fresh draft of it. */
  json = g_strdup (self->json);
  if (!vigil_policy_model_load_json (self, json, &error))
    g_warning ("Cannot reload the policy: %s", error->message);
}
