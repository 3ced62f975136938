/* vigil-identities-view.c: who may connect; add (token shown once) and revoke.
 * Below them, the named upstreams they connect to: add (tested first), remove.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <glib/gi18n.h>

#include "vigil-application.h"
#include "vigil-connection-dialog.h"
#include "vigil-connection-list.h"
#include "vigil-identities-view.h"
#include "vigil-identity-dialog.h"
#include "vigil-window.h"

struct _VigilIdentitiesView
{
  AdwBin              parent_instance;

  VigilIdentityList  *model;
  VigilConnectionList *connections;  /* made once the view shows, from the application */

  /* template children */
  GtkStack           *stack;
  GtkSingleSelection *selection;
  GtkStack           *connections_stack;
  GtkSingleSelection *connection_selection;
};

G_DEFINE_FINAL_TYPE (VigilIdentitiesView, vigil_identities_view, ADW_TYPE_BIN)

static VigilIdentityItem *
selected_identity (VigilIdentitiesView *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
update_state (VigilIdentitiesView *self)
{
  VigilIdentityItem *item = selected_identity (self);
  guint n = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  guint n_connections = self->connections
                          ? g_list_model_get_n_items (G_LIST_MODEL (self->connections)) : 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "identities.revoke",
                                 item != NULL && vigil_identity_item_get_active (item));
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connections.add", self->connections != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "connections.remove",
                                 gtk_single_selection_get_selected_item (self->connection_selection)
                                 != NULL);
  gtk_stack_set_visible_child_name (self->connections_stack, n_connections > 0 ? "list" : "empty");
}

static void
toast_error (VigilIdentitiesView *self,
             const GError        *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (VIGIL_IS_WINDOW (root))
    vigil_window_add_error_toast (VIGIL_WINDOW (root), error->message);
}

static void
connections_loaded_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(VigilIdentitiesView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_connection_list_reload_finish (VIGIL_CONNECTION_LIST (object), result, &error))
    toast_error (self, error);
}

/* The application's store and engine are known once the view is in its window. */
static void
ensure_connections (VigilIdentitiesView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkApplication *gapp = GTK_IS_WINDOW (root) ? gtk_window_get_application (GTK_WINDOW (root))
                                              : NULL;
  VigilApplication *app;

  if (self->connections != NULL || !VIGIL_IS_APPLICATION (gapp))
    return;
  app = VIGIL_APPLICATION (gapp);
  self->connections = vigil_connection_list_new (vigil_application_get_store (app),
                                                 vigil_application_get_engine (app));
  gtk_single_selection_set_model (self->connection_selection, G_LIST_MODEL (self->connections));
  vigil_connection_list_reload_async (self->connections, NULL, connections_loaded_cb,
                                      g_object_ref (self));
  update_state (self);
}

static void
changed_cb (VigilIdentitiesView *self)
{
  update_state (self);
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  VigilIdentitiesView *self = VIGIL_IDENTITIES_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  VigilApplication *app = VIGIL_APPLICATION (gtk_window_get_application (GTK_WINDOW (root)));
  g_autofree char *address = vigil_application_dup_listen_address (app);
  VigilIdentityDialog *dialog;

  dialog = vigil_identity_dialog_new (GTK_WINDOW (root), self->model,
                                      address ? address : "127.0.0.1:6543",
                                      vigil_application_get_connection_name (app));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
revoked_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VigilIdentitiesView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_identity_list_revoke_finish (VIGIL_IDENTITY_LIST (object), result, &error))
    toast_error (self, error);
}

static void
revoke_response_cb (AdwMessageDialog    *dialog,
                    const char          *response,
                    VigilIdentitiesView *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "identity");

  if (g_strcmp0 (response, "revoke") == 0 && self->model != NULL)
    vigil_identity_list_revoke_async (self->model, name, NULL, revoked_cb, g_object_ref (self));
}

static void
revoke_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilIdentitiesView *self = VIGIL_IDENTITIES_VIEW (widget);
  VigilIdentityItem *item = selected_identity (self);
  GtkWidget *dialog;
  g_autofree char *heading = NULL;

  if (item == NULL)
    return;
  /* Translators: %s is an identity's name */
  heading = g_strdup_printf (_("Revoke “%s”?"), vigil_identity_item_get_name (item));
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading,
                                   _("Its token stops working at once: new connections are "
                                     "refused. The audit log keeps everything it did."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "revoke", _("_Revoke"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "revoke",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "identity",
                          g_strdup (vigil_identity_item_get_name (item)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (revoke_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_connection_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  VigilIdentitiesView *self = VIGIL_IDENTITIES_VIEW (widget);
  VigilConnectionDialog *dialog;

  ensure_connections (self);
  if (self->connections == NULL)
    return;
  dialog = vigil_connection_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                        self->connections);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VigilIdentitiesView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_connection_list_remove_finish (VIGIL_CONNECTION_LIST (object), result, &error))
    toast_error (self, error);
}

static void
remove_response_cb (AdwMessageDialog    *dialog,
                    const char          *response,
                    VigilIdentitiesView *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "connection");

  if (g_strcmp0 (response, "remove") == 0 && self->connections != NULL)
    vigil_connection_list_remove_async (self->connections, name, NULL, removed_cb,
                                        g_object_ref (self));
}

static void
remove_connection_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  VigilIdentitiesView *self = VIGIL_IDENTITIES_VIEW (widget);
  VigilConnectionItem *item = gtk_single_selection_get_selected_item (self->connection_selection);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (item == NULL)
    return;
  /* Translators: %s is a connection's name */
  heading = g_strdup_printf (_("Remove “%s”?"), vigil_connection_item_get_name (item));
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading,
                                   _("New sessions can no longer ask for it; sessions already "
                                     "open stay connected. The audit log keeps everything."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "connection",
                          g_strdup (vigil_connection_item_get_name (item)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
vigil_identities_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (vigil_identities_view_parent_class)->map (widget);
  ensure_connections (VIGIL_IDENTITIES_VIEW (widget));
}

static void
vigil_identities_view_dispose (GObject *object)
{
  VigilIdentitiesView *self = VIGIL_IDENTITIES_VIEW (object);

  g_clear_object (&self->model);
  g_clear_object (&self->connections);
  G_OBJECT_CLASS (vigil_identities_view_parent_class)->dispose (object);
}

static void
vigil_identities_view_class_init (VigilIdentitiesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_identities_view_dispose;
  widget_class->map = vigil_identities_view_map;

  g_type_ensure (VIGIL_TYPE_IDENTITY_ITEM);
  g_type_ensure (VIGIL_TYPE_CONNECTION_ITEM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-identities-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilIdentitiesView, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentitiesView, selection);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentitiesView, connections_stack);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentitiesView, connection_selection);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);

  gtk_widget_class_install_action (widget_class, "identities.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "identities.revoke", NULL, revoke_action);
  gtk_widget_class_install_action (widget_class, "connections.add", NULL, add_connection_action);
  gtk_widget_class_install_action (widget_class, "connections.remove", NULL,
                                   remove_connection_action);
}

static void
vigil_identities_view_init (VigilIdentitiesView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_state (self);
}

void
vigil_identities_view_set_model (VigilIdentitiesView *self,
                                 VigilIdentityList   *model)
{
  g_return_if_fail (VIGIL_IS_IDENTITIES_VIEW (self));

  if (!g_set_object (&self->model, model))
    return;
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (model));
  update_state (self);
}

VigilConnectionList *
vigil_identities_view_get_connections (VigilIdentitiesView *self)
{
  g_return_val_if_fail (VIGIL_IS_IDENTITIES_VIEW (self), NULL);

  ensure_connections (self);
  return self->connections;
}
