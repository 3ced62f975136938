/* vigil-approvals-view.c: statements held for review, with approve and deny.
 *
 * The buttons of each card activate approvals.* actions with the approval's id; the
 * decision goes to the application, which hands it to the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-approvals"

#include <glib/gi18n.h>

#include "vigil-application.h"
#include "vigil-approval-item.h"
#include "vigil-approvals-view.h"
#include "vigil-sql-markup.h"

#define APPROVE_FOR_MINUTES 15

/* Labels inside the template's list item factory, which xgettext cannot see. */
G_GNUC_UNUSED static const char *const factory_strings[] = { N_("_Deny…"), N_("_Approve") };

struct _VigilApprovalsView
{
  AdwBin          parent_instance;

  GListModel     *model;

  /* template children */
  GtkStack       *stack;
  GtkNoSelection *selection;
};

G_DEFINE_FINAL_TYPE (VigilApprovalsView, vigil_approvals_view, ADW_TYPE_BIN)

static VigilApplication *
get_app (VigilApprovalsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!GTK_IS_WINDOW (root))
    return NULL;
  return VIGIL_APPLICATION (gtk_window_get_application (GTK_WINDOW (root)));
}

static void
update_stack (VigilApprovalsView *self)
{
  gboolean any = self->model != NULL && g_list_model_get_n_items (self->model) > 0;

  gtk_stack_set_visible_child_name (self->stack, any ? "list" : "empty");
}

static void
items_changed_cb (GListModel         *model,
                  guint               position,
                  guint               removed,
                  guint               added,
                  VigilApprovalsView *self)
{
  update_stack (self);
}

static char *
statement_markup (gpointer    instance,
                  const char *statement)
{
  return vigil_sql_to_markup (statement);
}

static GVariant *
id_target (gpointer instance,
           gint64   id)
{
  return g_variant_new_int64 (id);
}

static char *
approve_for_label (gpointer instance)
{
  /* Translators: %d is a number of minutes */
  return g_strdup_printf (g_dngettext (NULL, "Approve for %d Minute", "Approve for %d Minutes",
                                       APPROVE_FOR_MINUTES), APPROVE_FOR_MINUTES);
}

static void
approve_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  VigilApplication *app = get_app (VIGIL_APPROVALS_VIEW (widget));

  if (app != NULL)
    vigil_application_decide (app, g_variant_get_int64 (parameter), "approve", 0, NULL);
}

static void
approve_for_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  VigilApplication *app = get_app (VIGIL_APPROVALS_VIEW (widget));

  if (app != NULL)
    vigil_application_decide (app, g_variant_get_int64 (parameter), "approve",
                              APPROVE_FOR_MINUTES, NULL);
}

static void
deny_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  gpointer          user_data)
{
  VigilApprovalsView *self = user_data;
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "approval-id"));
  VigilApplication *app = get_app (self);

  if (g_strcmp0 (response, "deny") == 0 && app != NULL)
    vigil_application_decide (app, id, "deny", 0, gtk_editable_get_text (entry));
}

static void
deny_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  GtkWidget *dialog;
  GtkWidget *entry = gtk_entry_new ();
  gint64 id = g_variant_get_int64 (parameter);

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Deny Statement?"),
                                   _("The client gets an error (SQLSTATE 42501) with the reason "
                                     "you give."));
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason (optional)"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "deny", _("_Deny"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "deny",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "deny");
  g_object_set_data (G_OBJECT (dialog), "approval-id", GSIZE_TO_POINTER ((gsize) id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (deny_response_cb), widget, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
vigil_approvals_view_dispose (GObject *object)
{
  VigilApprovalsView *self = VIGIL_APPROVALS_VIEW (object);

  g_clear_object (&self->model);
  G_OBJECT_CLASS (vigil_approvals_view_parent_class)->dispose (object);
}

static void
vigil_approvals_view_class_init (VigilApprovalsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_approvals_view_dispose;

  g_type_ensure (VIGIL_TYPE_APPROVAL_ITEM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-approvals-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilApprovalsView, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilApprovalsView, selection);
  gtk_widget_class_bind_template_callback (widget_class, statement_markup);
  gtk_widget_class_bind_template_callback (widget_class, id_target);
  gtk_widget_class_bind_template_callback (widget_class, approve_for_label);

  gtk_widget_class_install_action (widget_class, "approvals.approve", "x", approve_action);
  gtk_widget_class_install_action (widget_class, "approvals.approve-for", "x", approve_for_action);
  gtk_widget_class_install_action (widget_class, "approvals.deny", "x", deny_action);
}

static void
vigil_approvals_view_init (VigilApprovalsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
vigil_approvals_view_set_model (VigilApprovalsView *self,
                                GListModel         *model)
{
  g_return_if_fail (VIGIL_IS_APPROVALS_VIEW (self));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (!g_set_object (&self->model, model))
    return;
  gtk_no_selection_set_model (self->selection, model);
  if (model != NULL)
    g_signal_connect_object (model, "items-changed", G_CALLBACK (items_changed_cb), self, 0);
  update_stack (self);
}
