/* vigil-connection-dialog.c: name an upstream PostgreSQL, test it with libpq, save it.
 *
 * Test connects off the main thread (GTask: PQconnectdb with a connect_timeout, then
 * SELECT version()) and shows the server's version or libpq's own message. The password
 * lives in its entry only; the status line never repeats the conninfo.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <string.h>

#include <glib/gi18n.h>

#include "vigil-conninfo.h"
#include "vigil-connection-dialog.h"

/* Rows of the sslmode combo, in the template's order; prefer is libpq's default. */
static const char *const sslmodes[] = {
  "prefer", "disable", "require", "verify-ca", "verify-full",
};

struct _VigilConnectionDialog
{
  AdwWindow            parent_instance;

  VigilConnectionList *list;
  GCancellable        *cancellable;
  gboolean             busy;

  /* template children */
  GtkButton           *save_button;
  AdwEntryRow         *name_row;
  AdwEntryRow         *host_row;
  AdwEntryRow         *port_row;
  AdwEntryRow         *database_row;
  AdwEntryRow         *user_row;
  AdwPasswordEntryRow *password_row;
  AdwComboRow         *sslmode_row;
  GtkButton           *test_button;
  GtkSpinner          *spinner;
  GtkLabel            *status_label;
};

G_DEFINE_FINAL_TYPE (VigilConnectionDialog, vigil_connection_dialog, ADW_TYPE_WINDOW)

static const char *
row_text (gpointer row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static gboolean
name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 63)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_.@-", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
port_is_valid (const char *port)
{
  guint64 value;

  return *port == '\0' || g_ascii_string_to_unsigned (port, 10, 1, 65535, &value, NULL);
}

static void
mark (gpointer row,
      gboolean valid)
{
  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
}

static void
update_state (VigilConnectionDialog *self)
{
  const char *name = row_text (self->name_row);
  gboolean port_ok = port_is_valid (row_text (self->port_row));

  mark (self->name_row, *name == '\0' || name_is_valid (name));
  mark (self->port_row, port_ok);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            !self->busy && port_ok && name_is_valid (name));
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), !self->busy && port_ok);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
}

static void
set_status (VigilConnectionDialog *self,
            const char            *text,
            const char            *css_class)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), css_class);
  gtk_label_set_label (self->status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && *text != '\0');
}

static void
set_busy (VigilConnectionDialog *self,
          gboolean               busy)
{
  self->busy = busy;
  update_state (self);
}

static void
changed_cb (VigilConnectionDialog *self)
{
  update_state (self);
}

static void
tested_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VigilConnectionDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = vigil_connection_test_finish (result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (version == NULL)
    {
      set_status (self, error->message, "error");
      return;
    }
  /* Translators: %s is the server's version() string */
  text = g_strdup_printf (_("Connected: %s"), version);
  set_status (self, text, "success");
}

static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VigilConnectionDialog *self = VIGIL_CONNECTION_DIALOG (widget);
  g_autofree char *conninfo = NULL;

  if (self->busy || !port_is_valid (row_text (self->port_row)))
    return;
  conninfo = vigil_connection_dialog_dup_conninfo (self);
  set_busy (self, TRUE);
  set_status (self, _("Connecting…"), NULL);
  vigil_connection_test_async (conninfo, VIGIL_CONNECTION_TEST_TIMEOUT, self->cancellable,
                               tested_cb, g_object_ref (self));
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(VigilConnectionDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_connection_list_add_finish (VIGIL_CONNECTION_LIST (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (self, FALSE);
      set_status (self, error->message, "error");
      return;
    }
  set_busy (self, FALSE);
  gtk_window_close (GTK_WINDOW (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VigilConnectionDialog *self = VIGIL_CONNECTION_DIALOG (widget);
  g_autofree char *conninfo = NULL;
  const char *name = row_text (self->name_row);

  if (self->busy || self->list == NULL || !name_is_valid (name) ||
      !port_is_valid (row_text (self->port_row)))
    return;
  conninfo = vigil_connection_dialog_dup_conninfo (self);
  set_busy (self, TRUE);
  set_status (self, NULL, NULL);
  vigil_connection_list_add_async (self->list, name, conninfo, self->cancellable, saved_cb,
                                   g_object_ref (self));
}

static void
vigil_connection_dialog_dispose (GObject *object)
{
  VigilConnectionDialog *self = VIGIL_CONNECTION_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->list);
  G_OBJECT_CLASS (vigil_connection_dialog_parent_class)->dispose (object);
}

static void
vigil_connection_dialog_class_init (VigilConnectionDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_connection_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-connection-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, host_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, port_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, database_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, sslmode_row);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, VigilConnectionDialog, status_label);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);

  gtk_widget_class_install_action (widget_class, "connection.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "connection.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vigil_connection_dialog_init (VigilConnectionDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  set_status (self, NULL, NULL);
  update_state (self);
}

VigilConnectionDialog *
vigil_connection_dialog_new (GtkWindow           *parent,
                             VigilConnectionList *list)
{
  VigilConnectionDialog *self;

  g_return_val_if_fail (VIGIL_IS_CONNECTION_LIST (list), NULL);

  self = g_object_new (VIGIL_TYPE_CONNECTION_DIALOG, "transient-for", parent, "modal", TRUE,
                       NULL);
  self->list = g_object_ref (list);
  return self;
}

void
vigil_connection_dialog_fill (VigilConnectionDialog *self,
                              const char            *name,
                              const char            *host,
                              const char            *port,
                              const char            *database,
                              const char            *user,
                              const char            *password,
                              const char            *sslmode)
{
  g_return_if_fail (VIGIL_IS_CONNECTION_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name ? name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->host_row), host ? host : "");
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), port ? port : "");
  gtk_editable_set_text (GTK_EDITABLE (self->database_row), database ? database : "");
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), user ? user : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password ? password : "");
  adw_combo_row_set_selected (self->sslmode_row, 0);
  for (guint i = 0; sslmode != NULL && i < G_N_ELEMENTS (sslmodes); i++)
    if (g_str_equal (sslmodes[i], sslmode))
      adw_combo_row_set_selected (self->sslmode_row, i);
}

char *
vigil_connection_dialog_dup_conninfo (VigilConnectionDialog *self)
{
  const char *keys[] = { "host", "port", "dbname", "user", "password", "sslmode", NULL };
  const char *values[G_N_ELEMENTS (keys)] = { NULL };
  g_autofree char *host = NULL;
  guint mode;

  g_return_val_if_fail (VIGIL_IS_CONNECTION_DIALOG (self), NULL);

  mode = adw_combo_row_get_selected (self->sslmode_row);
  host = g_strstrip (g_strdup (row_text (self->host_row)));
  values[0] = host;
  values[1] = row_text (self->port_row);
  values[2] = row_text (self->database_row);
  values[3] = row_text (self->user_row);
  values[4] = row_text (self->password_row);
  values[5] = sslmodes[mode < G_N_ELEMENTS (sslmodes) ? mode : 0];
  return vigil_conninfo_build (keys, values);
}

const char *
vigil_connection_dialog_get_status (VigilConnectionDialog *self)
{
  g_return_val_if_fail (VIGIL_IS_CONNECTION_DIALOG (self), NULL);
  return gtk_label_get_label (self->status_label);
}

gboolean
vigil_connection_dialog_get_busy (VigilConnectionDialog *self)
{
  g_return_val_if_fail (VIGIL_IS_CONNECTION_DIALOG (self), FALSE);
  return self->busy;
}
