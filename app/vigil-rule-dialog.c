/* vigil-rule-dialog.c: add or edit one rule of the draft policy.
 *
 * The form covers every key of a rule (DESIGN.md; proxy/vigil-policy.c): name, action,
 * message, mask and the match keys identity, kind, connection, class, relations and
 * functions. The model checks the resulting draft with the engine's parser; its error is
 * shown here word for word.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <glib/gi18n.h>

#include "vigil-classify.h"
#include "vigil-rule-dialog.h"

/* Rows of the action combo, in the template's order. */
static const char *const actions[] = { "allow", "deny", "review" };

struct _VigilRuleDialog
{
  AdwWindow         parent_instance;

  VigilPolicyModel *model;
  guint             position;
  gboolean          new_rule;
  GtkCheckButton   *class_checks[VIGIL_N_CLASSES];

  /* template children */
  GtkButton        *apply_button;
  GtkLabel         *error_label;
  AdwEntryRow      *name_row;
  AdwComboRow      *action_row;
  AdwEntryRow      *message_row;
  GtkSwitch        *mask_switch;
  AdwEntryRow      *identity_row;
  GtkCheckButton   *agent_check;
  GtkCheckButton   *human_check;
  GtkCheckButton   *admin_check;
  AdwExpanderRow   *classes_row;
  AdwEntryRow      *connection_row;
  AdwEntryRow      *relations_row;
  AdwEntryRow      *functions_row;
};

G_DEFINE_FINAL_TYPE (VigilRuleDialog, vigil_rule_dialog, ADW_TYPE_WINDOW)

/* Helpers */

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

/* A string or an array of strings as "a, b"; NULL when absent. */
static char *
join_member (JsonObject *object,
             const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) values = NULL;

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (node), i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (element));
    }
  values = g_strv_builder_end (builder);
  return g_strjoinv (", ", values);
}

static gboolean
member_has (JsonObject *object,
            const char *member,
            const char *value)
{
  g_autofree char *joined = join_member (object, member);
  g_auto(GStrv) values = joined ? g_strsplit (joined, ", ", -1) : NULL;

  return values != NULL && g_strv_contains ((const char *const *) values, value);
}

/* Adds MEMBER from a list the user typed ("a, b"): a string for one value, an array for
 * several, nothing for none. */
static void
set_list_member (JsonObject         *object,
                 const char         *member,
                 const char * const *values)
{
  JsonArray *array;
  guint n = values ? g_strv_length ((char **) values) : 0;

  if (n == 0)
    return;
  if (n == 1)
    {
      json_object_set_string_member (object, member, values[0]);
      return;
    }
  array = json_array_new ();
  for (guint i = 0; i < n; i++)
    json_array_add_string_element (array, values[i]);
  json_object_set_array_member (object, member, array);
}

static GStrv
split_text (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

static void
set_text_member (JsonObject  *object,
                 const char  *member,
                 AdwEntryRow *row)
{
  g_auto(GStrv) values = split_text (entry_text (row));

  set_list_member (object, member, (const char * const *) values);
}

static GStrv
checked_kinds (VigilRuleDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (gtk_check_button_get_active (self->agent_check))
    g_strv_builder_add (builder, "agent");
  if (gtk_check_button_get_active (self->human_check))
    g_strv_builder_add (builder, "human");
  if (gtk_check_button_get_active (self->admin_check))
    g_strv_builder_add (builder, "admin");
  return g_strv_builder_end (builder);
}

static GStrv
checked_classes (VigilRuleDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    if (gtk_check_button_get_active (self->class_checks[i]))
      g_strv_builder_add (builder, vigil_class_to_string (i));
  return g_strv_builder_end (builder);
}

static JsonObject *
dup_match (VigilRuleDialog *self)
{
  JsonObject *match = json_object_new ();
  g_auto(GStrv) kinds = checked_kinds (self);
  g_auto(GStrv) classes = checked_classes (self);

  set_text_member (match, "identity", self->identity_row);
  set_list_member (match, "kind", (const char * const *) kinds);
  set_text_member (match, "connection", self->connection_row);
  /* The engine's classes are always a list, however many. */
  if (classes[0] != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; classes[i] != NULL; i++)
        json_array_add_string_element (array, classes[i]);
      json_object_set_array_member (match, "class", array);
    }
  set_text_member (match, "relations", self->relations_row);
  set_text_member (match, "functions", self->functions_row);
  return match;
}

static void
show_error (VigilRuleDialog *self,
            const char      *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* Callbacks */

static void
classes_toggled_cb (VigilRuleDialog *self)
{
  g_auto(GStrv) classes = checked_classes (self);
  g_autofree char *joined = g_strjoinv (", ", classes);

  adw_expander_row_set_subtitle (self->classes_row,
                                 classes[0] != NULL ? joined : _("Any statement"));
}

static void
apply_clicked_cb (VigilRuleDialog *self)
{
  vigil_rule_dialog_apply (self);
}

static void
apply_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  vigil_rule_dialog_apply (VIGIL_RULE_DIALOG (widget));
}

/* GObject */

static void
add_class_rows (VigilRuleDialog *self)
{
  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), vigil_class_to_string (i));
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_signal_connect_object (check, "toggled", G_CALLBACK (classes_toggled_cb), self,
                               G_CONNECT_SWAPPED);
      adw_expander_row_add_row (self->classes_row, row);
      self->class_checks[i] = GTK_CHECK_BUTTON (check);
    }
  classes_toggled_cb (self);
}

static void
vigil_rule_dialog_dispose (GObject *object)
{
  VigilRuleDialog *self = VIGIL_RULE_DIALOG (object);

  g_clear_object (&self->model);
  G_OBJECT_CLASS (vigil_rule_dialog_parent_class)->dispose (object);
}

static void
vigil_rule_dialog_class_init (VigilRuleDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_rule_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-rule-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, apply_button);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, action_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, message_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, mask_switch);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, identity_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, agent_check);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, human_check);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, admin_check);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, classes_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, connection_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, relations_row);
  gtk_widget_class_bind_template_child (widget_class, VigilRuleDialog, functions_row);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked_cb);

  gtk_widget_class_install_action (widget_class, "rule.apply", NULL, apply_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "rule.apply", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vigil_rule_dialog_init (VigilRuleDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_class_rows (self);
  adw_combo_row_set_selected (self->action_row, 1);  /* a new rule usually restricts */
}

/* Public API */

VigilRuleDialog *
vigil_rule_dialog_new (GtkWindow        *parent,
                       VigilPolicyModel *model,
                       guint             position,
                       gboolean          new_rule)
{
  VigilRuleDialog *self;
  GListModel *rules;

  g_return_val_if_fail (VIGIL_IS_POLICY_MODEL (model), NULL);

  self = g_object_new (VIGIL_TYPE_RULE_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
  self->model = g_object_ref (model);
  self->position = position;
  self->new_rule = new_rule;
  rules = vigil_policy_model_get_rules (model);
  gtk_window_set_title (GTK_WINDOW (self), new_rule ? _("New Rule") : _("Edit Rule"));
  gtk_button_set_label (self->apply_button, new_rule ? _("_Add") : _("_Apply"));
  if (!new_rule && position < g_list_model_get_n_items (rules))
    {
      g_autoptr(VigilPolicyRule) rule = g_list_model_get_item (rules, position);

      vigil_rule_dialog_set_rule (self, vigil_policy_rule_get_json (rule));
    }
  return self;
}

void
vigil_rule_dialog_set_rule (VigilRuleDialog *self,
                            JsonObject      *rule)
{
  JsonObject *match;
  g_autofree char *identity = NULL, *connection = NULL, *relations = NULL, *functions = NULL;
  const char *action;

  g_return_if_fail (VIGIL_IS_RULE_DIALOG (self));
  g_return_if_fail (rule != NULL);

  match = json_object_has_member (rule, "match") ? json_object_get_object_member (rule, "match")
                                                 : NULL;
  identity = join_member (match, "identity");
  connection = join_member (match, "connection");
  relations = join_member (match, "relations");
  functions = join_member (match, "functions");
  gtk_editable_set_text (GTK_EDITABLE (self->name_row),
                         json_object_get_string_member_with_default (rule, "name", ""));
  action = json_object_get_string_member_with_default (rule, "action", "deny");
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_str_equal (action, actions[i]))
      adw_combo_row_set_selected (self->action_row, i);
  gtk_editable_set_text (GTK_EDITABLE (self->message_row),
                         json_object_get_string_member_with_default (rule, "message", ""));
  gtk_switch_set_active (self->mask_switch,
                         json_object_get_boolean_member_with_default (rule, "mask", TRUE));
  gtk_editable_set_text (GTK_EDITABLE (self->identity_row), identity ? identity : "");
  gtk_editable_set_text (GTK_EDITABLE (self->connection_row), connection ? connection : "");
  gtk_editable_set_text (GTK_EDITABLE (self->relations_row), relations ? relations : "");
  gtk_editable_set_text (GTK_EDITABLE (self->functions_row), functions ? functions : "");
  gtk_check_button_set_active (self->agent_check, member_has (match, "kind", "agent"));
  gtk_check_button_set_active (self->human_check, member_has (match, "kind", "human"));
  gtk_check_button_set_active (self->admin_check, member_has (match, "kind", "admin"));
  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    gtk_check_button_set_active (self->class_checks[i],
                                 member_has (match, "class", vigil_class_to_string (i)));
  show_error (self, NULL);
}

JsonObject *
vigil_rule_dialog_dup_rule (VigilRuleDialog *self)
{
  JsonObject *rule;
  JsonObject *match;
  guint action;
  g_autofree char *message = NULL;

  g_return_val_if_fail (VIGIL_IS_RULE_DIALOG (self), NULL);

  rule = json_object_new ();
  json_object_set_string_member (rule, "name", entry_text (self->name_row));
  match = dup_match (self);
  if (json_object_get_size (match) > 0)
    json_object_set_object_member (rule, "match", match);
  else
    json_object_unref (match);
  action = adw_combo_row_get_selected (self->action_row);
  json_object_set_string_member (rule, "action", actions[MIN (action, G_N_ELEMENTS (actions) - 1)]);
  message = g_strstrip (g_strdup (entry_text (self->message_row)));
  if (*message != '\0')
    json_object_set_string_member (rule, "message", message);
  if (!gtk_switch_get_active (self->mask_switch))
    json_object_set_boolean_member (rule, "mask", FALSE);
  return rule;
}

gboolean
vigil_rule_dialog_apply (VigilRuleDialog *self)
{
  g_autoptr(JsonObject) rule = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_return_val_if_fail (VIGIL_IS_RULE_DIALOG (self), FALSE);

  if (!self->new_rule &&
      self->position >= g_list_model_get_n_items (vigil_policy_model_get_rules (self->model)))
    {
      show_error (self, _("This rule is no longer in the draft."));
      return FALSE;
    }
  rule = vigil_rule_dialog_dup_rule (self);
  ok = self->new_rule
       ? vigil_policy_model_insert_rule (self->model, self->position, rule, &error)
       : vigil_policy_model_replace_rule (self->model, self->position, rule, &error);
  if (!ok)
    {
      show_error (self, error->message);
      return FALSE;
    }
  show_error (self, NULL);
  gtk_window_close (GTK_WINDOW (self));
  return TRUE;
}

const char *
vigil_rule_dialog_get_error (VigilRuleDialog *self)
{
  g_return_val_if_fail (VIGIL_IS_RULE_DIALOG (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->error_label)))
    return NULL;
  return gtk_label_get_label (self->error_label);
}
