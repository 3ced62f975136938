/* vigil-policies-view-draft.c: the Policies view's editing and dry run.
 *
 * Edits change the model's draft (each one checked by the engine's parser first); Save
 * sends the draft down the import path, so the engine applies it from the next statement.
 * A dry run judges the newest audited statements under the draft on a worker thread; any
 * change to the draft cancels it and, once one was asked for, starts it again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <glib/gi18n.h>

#include "vigil-policies-view-private.h"
#include "vigil-rule-dialog.h"

static void
show_inline_error (VigilPoliciesView *self,
                   const char        *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static guint
n_rules (VigilPoliciesView *self)
{
  return self->model ? g_list_model_get_n_items (vigil_policy_model_get_rules (self->model)) : 0;
}

static guint
selected_rule (VigilPoliciesView *self)
{
  guint position = gtk_single_selection_get_selected (self->rules_selection);

  return position < n_rules (self) ? position : GTK_INVALID_LIST_POSITION;
}

void
_vigil_policies_view_update_actions (VigilPoliciesView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  guint selected = selected_rule (self);
  gboolean has_selection = selected != GTK_INVALID_LIST_POSITION;
  gboolean modified = self->model != NULL && vigil_policy_model_get_modified (self->model);

  gtk_widget_action_set_enabled (widget, "policy.add", self->model != NULL);
  gtk_widget_action_set_enabled (widget, "policy.edit", has_selection);
  gtk_widget_action_set_enabled (widget, "policy.remove", has_selection);
  gtk_widget_action_set_enabled (widget, "policy.move-up", has_selection && selected > 0);
  gtk_widget_action_set_enabled (widget, "policy.move-down",
                                 has_selection && selected + 1 < n_rules (self));
  gtk_widget_action_set_enabled (widget, "policy.save", modified);
  gtk_widget_action_set_enabled (widget, "policy.discard", modified);
  gtk_widget_action_set_enabled (widget, "policy.dry-run", self->model != NULL);
}

static void
edit_failed (VigilPoliciesView *self,
             const GError      *error)
{
  show_inline_error (self, error->message);
}

static void
select_after_cb (VigilPoliciesView *self)
{
  self->select_after = GTK_INVALID_LIST_POSITION;
}

static void
open_rule_dialog (VigilPoliciesView *self,
                  guint              position,
                  gboolean           new_rule)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  VigilRuleDialog *dialog;

  if (self->model == NULL)
    return;
  dialog = vigil_rule_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->model,
                                  position, new_rule);
  self->select_after = position;
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (select_after_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  guint selected = selected_rule (self);

  open_rule_dialog (self, selected != GTK_INVALID_LIST_POSITION ? selected + 1 : n_rules (self),
                    TRUE);
}

static void
edit_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  guint selected = selected_rule (self);

  if (selected != GTK_INVALID_LIST_POSITION)
    open_rule_dialog (self, selected, FALSE);
}

static void
rule_activated_cb (VigilPoliciesView *self,
                   guint              position)
{
  if (position < n_rules (self))
    open_rule_dialog (self, position, FALSE);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  guint selected = selected_rule (self);
  g_autoptr(GError) error = NULL;

  if (selected == GTK_INVALID_LIST_POSITION)
    return;
  if (!vigil_policy_model_remove_rule (self->model, selected, &error))
    edit_failed (self, error);
  else if (n_rules (self) > 0)
    vigil_policies_view_select_rule (self, MIN (selected, n_rules (self) - 1));
}

static void
move_to (VigilPoliciesView *self,
         guint              from,
         guint              to)
{
  g_autoptr(GError) error = NULL;

  if (from >= n_rules (self) || to >= n_rules (self))
    return;
  if (!vigil_policy_model_move_rule (self->model, from, to, &error))
    edit_failed (self, error);
  else
    vigil_policies_view_select_rule (self, to);
}

static void
move (VigilPoliciesView *self,
      int                delta)
{
  guint selected = selected_rule (self);
  gint64 to = (gint64) selected + delta;

  if (selected != GTK_INVALID_LIST_POSITION && to >= 0)
    move_to (self, selected, (guint) to);
}

/* Drag a rule (its name or match) onto another to take that one's place. */
static GdkContentProvider *
rule_drag_prepare_cb (GtkDragSource *source,
                      double         x,
                      double         y,
                      GtkListItem   *item)
{
  return gdk_content_provider_new_typed (G_TYPE_UINT, gtk_list_item_get_position (item));
}

static gboolean
rule_drop_cb (GtkDropTarget *target,
              const GValue  *value,
              double         x,
              double         y,
              GtkListItem   *item)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  GtkWidget *view = gtk_widget_get_ancestor (widget, VIGIL_TYPE_POLICIES_VIEW);

  if (view == NULL || !G_VALUE_HOLDS_UINT (value))
    return FALSE;
  move_to (VIGIL_POLICIES_VIEW (view), g_value_get_uint (value),
           gtk_list_item_get_position (item));
  return TRUE;
}

static void
move_up_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  move (VIGIL_POLICIES_VIEW (widget), -1);
}

static void
move_down_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  move (VIGIL_POLICIES_VIEW (widget), 1);
}

static void
policy_saved_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(VigilPoliciesView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!vigil_application_import_policy_finish (VIGIL_APPLICATION (object), result, &error))
    {
      show_inline_error (self, error->message);
      return;
    }
  /* Translators: %d is a policy version number */
  text = g_strdup_printf (_("Policy version %d is in force from the next statement"),
                          (int) MIN (vigil_policy_model_get_version (self->model), G_MAXINT));
  _vigil_policies_view_toast (self, text);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  VigilApplication *app = _vigil_policies_view_get_app (self);
  g_autofree char *json = self->model ? vigil_policy_model_dup_draft_json (self->model) : NULL;
  g_autoptr(VigilPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;

  if (json == NULL || app == NULL)
    return;
  /* The engine's parser has the last word, as for an imported file. */
  policy = vigil_policy_new_from_json (json, &error);
  if (policy == NULL)
    {
      show_inline_error (self, error->message);
      return;
    }
  show_inline_error (self, NULL);
  vigil_application_import_policy_async (app, json, NULL, policy_saved_cb, g_object_ref (self));
}

static void
discard_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);

  show_inline_error (self, NULL);
  if (self->model != NULL)
    vigil_policy_model_discard (self->model);
}

/* Dry run */

static void
show_dry_run (VigilPoliciesView *self)
{
  g_autofree char *summary = vigil_policy_dry_run_dup_summary (self->dry_run);
  g_autofree char *transitions = vigil_policy_dry_run_dup_transitions (self->dry_run);
  g_autofree char *timing = NULL;
  GListModel *changes = vigil_policy_dry_run_get_changes (self->dry_run);

  /* Translators: milliseconds spent reading the audit, then judging its statements */
  timing = g_strdup_printf (_("Read the audit in %.1f ms, judged in %.1f ms"),
                            vigil_policy_dry_run_get_read_us (self->dry_run) / 1000.0,
                            vigil_policy_dry_run_get_judge_us (self->dry_run) / 1000.0);
  gtk_label_set_label (self->dry_summary_label, summary);
  gtk_label_set_label (self->dry_transitions_label, transitions);
  gtk_label_set_label (self->dry_timing_label, timing);
  gtk_widget_set_visible (GTK_WIDGET (self->dry_transitions_label), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->dry_timing_label), TRUE);
  gtk_no_selection_set_model (self->dry_changes_selection, changes);
  gtk_widget_set_visible (self->dry_changes_window, g_list_model_get_n_items (changes) > 0);
}

static void
set_dry_running (VigilPoliciesView *self,
                 gboolean           running)
{
  gtk_spinner_set_spinning (self->dry_spinner, running);
  gtk_widget_set_visible (GTK_WIDGET (self->dry_spinner), running);
}

static void
dry_run_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(VigilPoliciesView) self = user_data;
  g_autoptr(GError) error = NULL;
  VigilPolicyDryRun *dry_run = vigil_policy_dry_run_finish (result, &error);

  /* Cancelled: the draft changed and a newer run is on its way, or the view went. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_dry_running (self, FALSE);
  if (dry_run == NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s says why */
      text = g_strdup_printf (_("The dry run failed: %s"), error->message);
      gtk_label_set_label (self->dry_summary_label, text);
      return;
    }
  g_set_object (&self->dry_run, dry_run);
  g_object_unref (dry_run);
  show_dry_run (self);
}

static void
start_dry_run (VigilPoliciesView *self)
{
  VigilApplication *app = _vigil_policies_view_get_app (self);
  VigilStore *store = app ? vigil_application_get_store (app) : NULL;
  g_autofree char *json = self->model ? vigil_policy_model_dup_draft_json (self->model) : NULL;
  g_autoptr(VigilPolicy) draft = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (self->dry_cancellable);
  g_clear_object (&self->dry_cancellable);
  g_clear_object (&self->dry_run);
  if (json == NULL)
    return;
  if (store == NULL)
    {
      gtk_label_set_label (self->dry_summary_label, _("The store is not open"));
      return;
    }
  draft = vigil_policy_new_from_json (json, &error);
  if (draft == NULL)
    {
      show_inline_error (self, error->message);
      return;
    }
  self->dry_cancellable = g_cancellable_new ();
  set_dry_running (self, TRUE);
  gtk_label_set_label (self->dry_summary_label, _("Judging the audited statements…"));
  vigil_policy_dry_run_async (vigil_store_get_data_dir (store), draft, self->classifier,
                              VIGIL_POLICY_DRY_RUN_LIMIT, self->dry_cancellable,
                              dry_run_done_cb, g_object_ref (self));
}

static void
dry_run_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);

  self->dry_wanted = TRUE;
  start_dry_run (self);
}

void
_vigil_policies_view_rules_changed (VigilPoliciesView *self)
{
  show_inline_error (self, NULL);
  if (self->select_after < n_rules (self))
    vigil_policies_view_select_rule (self, self->select_after);
  _vigil_policies_view_update_actions (self);
  if (self->dry_wanted)
    start_dry_run (self);
}

void
_vigil_policies_view_class_init_draft (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, rule_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, rule_drag_prepare_cb);
  gtk_widget_class_bind_template_callback (widget_class, rule_drop_cb);

  gtk_widget_class_install_action (widget_class, "policy.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "policy.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "policy.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "policy.move-up", NULL, move_up_action);
  gtk_widget_class_install_action (widget_class, "policy.move-down", NULL, move_down_action);
  gtk_widget_class_install_action (widget_class, "policy.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "policy.discard", NULL, discard_action);
  gtk_widget_class_install_action (widget_class, "policy.dry-run", NULL, dry_run_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "policy.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "policy.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK,
                                       "policy.move-up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK,
                                       "policy.move-down", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "policy.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK,
                                       "policy.dry-run", NULL);
}

void
_vigil_policies_view_init_draft (VigilPoliciesView *self)
{
  self->classifier = vigil_classifier_new (16384);
  self->select_after = GTK_INVALID_LIST_POSITION;
  g_signal_connect_object (self->rules_selection, "notify::selected",
                           G_CALLBACK (_vigil_policies_view_update_actions), self,
                           G_CONNECT_SWAPPED);
  _vigil_policies_view_update_actions (self);
}

void
_vigil_policies_view_dispose_draft (VigilPoliciesView *self)
{
  g_cancellable_cancel (self->dry_cancellable);
  g_clear_object (&self->dry_cancellable);
  g_clear_object (&self->dry_run);
  g_clear_object (&self->classifier);
}

void
vigil_policies_view_select_rule (VigilPoliciesView *self,
                                 guint              position)
{
  g_return_if_fail (VIGIL_IS_POLICIES_VIEW (self));

  if (position >= n_rules (self))
    return;
  gtk_single_selection_set_selected (self->rules_selection, position);
  _vigil_policies_view_update_actions (self);
}

const char *
vigil_policies_view_get_error (VigilPoliciesView *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICIES_VIEW (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->error_label)))
    return NULL;
  return gtk_label_get_label (self->error_label);
}

VigilPolicyDryRun *
vigil_policies_view_get_dry_run (VigilPoliciesView *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICIES_VIEW (self), NULL);
  return self->dry_run;
}
