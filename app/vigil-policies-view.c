/* vigil-policies-view.c: the policy's rules in order; editing, dry run, import, export.
 *
 * Files are read and written asynchronously (GIO); an imported document goes through
 * the application, which validates it, saves it as a new version and has the engine
 * reload it, off the main thread. Edits change the model's draft (each one checked by the
 * engine's parser); Save sends the draft down the same import path. A dry run judges the
 * newest audited statements under the draft on a worker thread; any change to the draft
 * cancels it and, once asked for, starts it again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <string.h>

#include <glib/gi18n.h>

#include "vigil-application.h"
#include "vigil-dry-run-change.h"
#include "vigil-policies-view.h"
#include "vigil-rule-dialog.h"
#include "vigil-window.h"

struct _VigilPoliciesView
{
  AdwBin            parent_instance;

  VigilPolicyModel  *model;
  VigilClassifier   *classifier;     /* the dry run's; its cache outlives one run */
  GCancellable      *dry_cancellable;
  VigilPolicyDryRun *dry_run;        /* the last finished run, NULL while one runs */
  gboolean           dry_wanted;     /* asked for once: run again when the draft changes */
  guint              select_after;   /* the rule a dialog's edit should select */

  /* template children */
  GtkColumnView      *rules_view;
  GtkSingleSelection *rules_selection;
  GtkNoSelection     *masking_selection;
  GtkLabel           *default_label;
  GtkLabel           *version_label;
  GtkLabel           *error_label;
  GtkSpinner         *dry_spinner;
  GtkLabel           *dry_summary_label;
  GtkLabel           *dry_transitions_label;
  GtkLabel           *dry_timing_label;
  GtkWidget          *dry_changes_window;
  GtkNoSelection     *dry_changes_selection;
};

G_DEFINE_FINAL_TYPE (VigilPoliciesView, vigil_policies_view, ADW_TYPE_BIN)

static void
toast (VigilPoliciesView *self,
       const char        *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (VIGIL_IS_WINDOW (root))
    vigil_window_add_toast (VIGIL_WINDOW (root), text);
}

static void
show_error (VigilPoliciesView *self,
            const char        *heading,
            const GError      *error)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              heading, error->message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
update_default (VigilPoliciesView *self)
{
  const char *action = self->model ? vigil_policy_model_get_default_action (self->model) : NULL;
  g_autofree char *text = NULL;

  /* Translators: %s is a policy action: allow, deny or review */
  text = g_strdup_printf (_("Statements no rule matches: %s"), action ? action : "—");
  gtk_label_set_label (self->default_label, text);
}

static void
update_version (VigilPoliciesView *self)
{
  gint64 version = self->model ? vigil_policy_model_get_version (self->model) : 0;
  g_autofree char *text = NULL;

  /* Translators: %d is a policy version number */
  text = version > 0 ? g_strdup_printf (_("Version %d"), (int) MIN (version, G_MAXINT))
                     : g_strdup (_("Built-in default policy"));
  if (self->model != NULL && vigil_policy_model_get_modified (self->model))
    {
      /* Translators: %s is "Version 4" or "Built-in default policy" */
      g_autofree char *draft = g_strdup_printf (_("%s · unsaved changes"), text);

      gtk_label_set_label (self->version_label, draft);
      return;
    }
  gtk_label_set_label (self->version_label, text);
}

static VigilApplication *
get_app (VigilPoliciesView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!GTK_IS_WINDOW (root))
    return NULL;
  return VIGIL_APPLICATION (gtk_window_get_application (GTK_WINDOW (root)));
}

static void
imported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilPoliciesView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!vigil_application_import_policy_finish (VIGIL_APPLICATION (object), result, &error))
    {
      show_error (self, g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_INVALID)
                        ? _("The Policy Is Not Valid") : _("Could Not Import the Policy"),
                  error);
      return;
    }
  /* Translators: %d is a policy version number */
  text = g_strdup_printf (_("Policy version %d is in force from the next statement"),
                          (int) MIN (vigil_policy_model_get_version (self->model), G_MAXINT));
  toast (self, text);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VigilPoliciesView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  VigilApplication *app = get_app (self);

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, NULL, NULL, &error))
    {
      show_error (self, _("Could Not Read the Policy"), error);
      return;
    }
  if (app != NULL)
    vigil_application_import_policy_async (app, contents, NULL, imported_cb, g_object_ref (self));
}

static void
import_response_cb (GtkNativeDialog   *dialog,
                    int                response,
                    VigilPoliciesView *self)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  if (response == GTK_RESPONSE_ACCEPT && file != NULL)
    vigil_policies_view_import_file (self, file);
  g_object_unref (dialog);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(VigilPoliciesView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    show_error (self, _("Could Not Save the Policy"), error);
  else
    toast (self, _("Policy exported"));
}

static void
export_response_cb (GtkNativeDialog   *dialog,
                    int                response,
                    VigilPoliciesView *self)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  VigilApplication *app = get_app (self);
  char *json = app ? vigil_application_dup_policy_json (app) : NULL;

  /* The bytes must outlive the write: the GBytes frees them when it is done. */
  if (response == GTK_RESPONSE_ACCEPT && file != NULL && json != NULL)
    g_file_replace_contents_bytes_async (file, g_bytes_new_take (json, strlen (json)), NULL,
                                         FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                         saved_cb, g_object_ref (self));
  else
    g_free (json);
  g_object_unref (dialog);
}

static GtkFileChooserNative *
file_dialog_new (VigilPoliciesView    *self,
                 const char           *title,
                 GtkFileChooserAction  action,
                 const char           *accept)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                        action, accept, NULL);
  gtk_file_filter_set_name (filter, _("Policies (JSON)"));
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_filter_add_suffix (filter, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  return dialog;
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  GtkFileChooserNative *dialog = file_dialog_new (self, _("Import Policy"),
                                                  GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"));

  g_signal_connect_object (dialog, "response", G_CALLBACK (import_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  GtkFileChooserNative *dialog = file_dialog_new (self, _("Export Policy"),
                                                  GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "vigil-policy.json");
  g_signal_connect_object (dialog, "response", G_CALLBACK (export_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Editing */

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

static void
update_actions (VigilPoliciesView *self)
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
  toast (self, text);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (widget);
  VigilApplication *app = get_app (self);
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
  timing = g_strdup_printf (_("Read the audit in %d ms, judged in %d ms"),
                            (int) (vigil_policy_dry_run_get_read_us (self->dry_run) / 1000),
                            (int) (vigil_policy_dry_run_get_judge_us (self->dry_run) / 1000));
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
  VigilApplication *app = get_app (self);
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

static void
rules_changed_cb (VigilPoliciesView *self)
{
  show_inline_error (self, NULL);
  if (self->select_after < n_rules (self))
    vigil_policies_view_select_rule (self, self->select_after);
  update_actions (self);
  if (self->dry_wanted)
    start_dry_run (self);
}

static void
modified_cb (VigilPoliciesView *self)
{
  update_version (self);
  update_actions (self);
}

static char **
action_css_classes (gpointer    instance,
                    const char *action)
{
  const char *klass = NULL;

  if (g_strcmp0 (action, "allow") == 0)
    klass = "success";
  else if (g_strcmp0 (action, "deny") == 0)
    klass = "error";
  else if (g_strcmp0 (action, "review") == 0)
    klass = "warning";
  else if (g_strcmp0 (action, "mask") == 0)
    klass = "accent";
  return g_strdupv ((char *[]) { (char *) "decision", (char *) klass, NULL });
}

static void
vigil_policies_view_dispose (GObject *object)
{
  VigilPoliciesView *self = VIGIL_POLICIES_VIEW (object);

  g_cancellable_cancel (self->dry_cancellable);
  g_clear_object (&self->dry_cancellable);
  g_clear_object (&self->dry_run);
  g_clear_object (&self->classifier);
  g_clear_object (&self->model);
  G_OBJECT_CLASS (vigil_policies_view_parent_class)->dispose (object);
}

static void
vigil_policies_view_class_init (VigilPoliciesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_policies_view_dispose;

  g_type_ensure (VIGIL_TYPE_POLICY_RULE);
  g_type_ensure (VIGIL_TYPE_DRY_RUN_CHANGE);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-policies-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, rules_view);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, rules_selection);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, masking_selection);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, default_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, version_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, error_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, dry_spinner);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, dry_summary_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, dry_transitions_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, dry_timing_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, dry_changes_window);
  gtk_widget_class_bind_template_child (widget_class, VigilPoliciesView, dry_changes_selection);
  gtk_widget_class_bind_template_callback (widget_class, action_css_classes);
  gtk_widget_class_bind_template_callback (widget_class, rule_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, rule_drag_prepare_cb);
  gtk_widget_class_bind_template_callback (widget_class, rule_drop_cb);

  gtk_widget_class_install_action (widget_class, "policy.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "policy.export", NULL, export_action);
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

static void
vigil_policies_view_init (VigilPoliciesView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->classifier = vigil_classifier_new (16384);
  self->select_after = GTK_INVALID_LIST_POSITION;
  g_signal_connect_object (self->rules_selection, "notify::selected",
                           G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  update_actions (self);
}

void
vigil_policies_view_set_model (VigilPoliciesView *self,
                               VigilPolicyModel  *model)
{
  g_return_if_fail (VIGIL_IS_POLICIES_VIEW (self));

  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->model, self);
      g_signal_handlers_disconnect_by_data (vigil_policy_model_get_rules (self->model), self);
    }
  if (!g_set_object (&self->model, model))
    return;
  gtk_single_selection_set_model (self->rules_selection,
                                  model ? vigil_policy_model_get_rules (model) : NULL);
  gtk_no_selection_set_model (self->masking_selection,
                              model ? vigil_policy_model_get_masking (model) : NULL);
  if (model != NULL)
    {
      g_signal_connect_object (model, "notify::default-action", G_CALLBACK (update_default),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (model, "notify::version", G_CALLBACK (update_version), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (model, "notify::modified", G_CALLBACK (modified_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (vigil_policy_model_get_rules (model), "items-changed",
                               G_CALLBACK (rules_changed_cb), self, G_CONNECT_SWAPPED);
    }
  update_default (self);
  update_version (self);
  update_actions (self);
}

void
vigil_policies_view_import_file (VigilPoliciesView *self,
                                 GFile             *file)
{
  g_return_if_fail (VIGIL_IS_POLICIES_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_contents_async (file, NULL, loaded_cb, g_object_ref (self));
}

void
vigil_policies_view_select_rule (VigilPoliciesView *self,
                                 guint              position)
{
  g_return_if_fail (VIGIL_IS_POLICIES_VIEW (self));

  if (position >= n_rules (self))
    return;
  gtk_single_selection_set_selected (self->rules_selection, position);
  update_actions (self);
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
