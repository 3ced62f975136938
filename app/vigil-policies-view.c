/* vigil-policies-view.c: the policy's rules in order; import and export.
 *
 * Files are read and written asynchronously (GIO); an imported document goes through
 * the application, which validates it, saves it as a new version and has the engine
 * reload it, off the main thread. Editing and the dry run are in
 * vigil-policies-view-draft.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <string.h>

#include <glib/gi18n.h>

#include "vigil-dry-run-change.h"
#include "vigil-policies-view-private.h"
#include "vigil-window.h"

G_DEFINE_FINAL_TYPE (VigilPoliciesView, vigil_policies_view, ADW_TYPE_BIN)

void
_vigil_policies_view_toast (VigilPoliciesView *self,
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

void
_vigil_policies_view_update_version (VigilPoliciesView *self)
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

VigilApplication *
_vigil_policies_view_get_app (VigilPoliciesView *self)
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
  _vigil_policies_view_toast (self, text);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VigilPoliciesView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  VigilApplication *app = _vigil_policies_view_get_app (self);

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
    _vigil_policies_view_toast (self, _("Policy exported"));
}

static void
export_response_cb (GtkNativeDialog   *dialog,
                    int                response,
                    VigilPoliciesView *self)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  VigilApplication *app = _vigil_policies_view_get_app (self);
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

static void
modified_cb (VigilPoliciesView *self)
{
  _vigil_policies_view_update_version (self);
  _vigil_policies_view_update_actions (self);
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

  _vigil_policies_view_dispose_draft (self);
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

  gtk_widget_class_install_action (widget_class, "policy.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "policy.export", NULL, export_action);

  _vigil_policies_view_class_init_draft (widget_class);
}

static void
vigil_policies_view_init (VigilPoliciesView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  _vigil_policies_view_init_draft (self);
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
      g_signal_connect_object (model, "notify::version", G_CALLBACK (_vigil_policies_view_update_version), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (model, "notify::modified", G_CALLBACK (modified_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (vigil_policy_model_get_rules (model), "items-changed",
                               G_CALLBACK (_vigil_policies_view_rules_changed), self, G_CONNECT_SWAPPED);
    }
  update_default (self);
  _vigil_policies_view_update_version (self);
  _vigil_policies_view_update_actions (self);
}

void
vigil_policies_view_import_file (VigilPoliciesView *self,
                                 GFile             *file)
{
  g_return_if_fail (VIGIL_IS_POLICIES_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  g_file_load_contents_async (file, NULL, loaded_cb, g_object_ref (self));
}
