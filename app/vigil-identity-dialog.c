/* vigil-identity-dialog.c: add an identity, then show its token once.
 *
 * The token exists only in this dialog's memory; it is cleared when the dialog goes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <string.h>

#include <glib/gi18n.h>

#include "vigil-identity-dialog.h"

/* Rows of the kind combo, in the template's order. */
static const VigilIdentityKind kinds[] = {
  VIGIL_IDENTITY_KIND_AGENT, VIGIL_IDENTITY_KIND_HUMAN, VIGIL_IDENTITY_KIND_ADMIN,
};

struct _VigilIdentityDialog
{
  AdwWindow          parent_instance;

  VigilIdentityList *list;
  GCancellable      *cancellable;
  char              *address;
  char              *connection;
  char              *token;

  /* template children */
  GtkStack          *stack;
  GtkButton         *add_button;
  GtkButton         *cancel_button;
  AdwEntryRow       *name_row;
  AdwComboRow       *kind_row;
  GtkLabel          *error_label;
  GtkLabel          *token_label;
  GtkLabel          *psql_label;
};

G_DEFINE_FINAL_TYPE (VigilIdentityDialog, vigil_identity_dialog, ADW_TYPE_WINDOW)

static gboolean
name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0' || strlen (name) > 63)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static void
name_changed_cb (VigilIdentityDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  gboolean valid = name_is_valid (name);

  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), valid);
  if (valid || *name == '\0')
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
}

static void
show_token (VigilIdentityDialog *self,
            const char          *name,
            char                *token)
{
  g_autofree char *psql = NULL;

  self->token = token;
  psql = vigil_identity_dialog_psql_line (self->address, name, token, self->connection);
  gtk_label_set_label (self->token_label, token);
  gtk_label_set_label (self->psql_label, psql);
  gtk_stack_set_visible_child_name (self->stack, "token");
  gtk_button_set_label (self->cancel_button, _("_Done"));
  gtk_widget_set_visible (GTK_WIDGET (self->add_button), FALSE);
}

static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(VigilIdentityDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  char *token = vigil_identity_list_add_finish (VIGIL_IDENTITY_LIST (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), TRUE);
  if (token == NULL)
    {
      gtk_label_set_label (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), TRUE);
      return;
    }
  show_token (self, gtk_editable_get_text (GTK_EDITABLE (self->name_row)), token);
}

static void
add_clicked_cb (VigilIdentityDialog *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  guint kind = adw_combo_row_get_selected (self->kind_row);

  if (!name_is_valid (name) || self->list == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->stack), FALSE);
  vigil_identity_list_add_async (self->list, name,
                                 kinds[kind < G_N_ELEMENTS (kinds) ? kind : 0],
                                 self->cancellable, added_cb, g_object_ref (self));
}

static void
copy_text (VigilIdentityDialog *self,
           GtkLabel            *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          gtk_label_get_label (label));
}

static void
copy_token_cb (VigilIdentityDialog *self)
{
  copy_text (self, self->token_label);
}

static void
copy_psql_cb (VigilIdentityDialog *self)
{
  copy_text (self, self->psql_label);
}

static void
vigil_identity_dialog_dispose (GObject *object)
{
  VigilIdentityDialog *self = VIGIL_IDENTITY_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->list);
  G_OBJECT_CLASS (vigil_identity_dialog_parent_class)->dispose (object);
}

static void
vigil_identity_dialog_finalize (GObject *object)
{
  VigilIdentityDialog *self = VIGIL_IDENTITY_DIALOG (object);

  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->address);
  g_free (self->connection);
  G_OBJECT_CLASS (vigil_identity_dialog_parent_class)->finalize (object);
}

static void
vigil_identity_dialog_class_init (VigilIdentityDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_identity_dialog_dispose;
  object_class->finalize = vigil_identity_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-identity-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, add_button);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, kind_row);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, token_label);
  gtk_widget_class_bind_template_child (widget_class, VigilIdentityDialog, psql_label);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_token_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_psql_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vigil_identity_dialog_init (VigilIdentityDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), FALSE);
}

VigilIdentityDialog *
vigil_identity_dialog_new (GtkWindow         *parent,
                           VigilIdentityList *list,
                           const char        *address,
                           const char        *connection)
{
  VigilIdentityDialog *self;

  g_return_val_if_fail (VIGIL_IS_IDENTITY_LIST (list), NULL);

  self = g_object_new (VIGIL_TYPE_IDENTITY_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
  self->list = g_object_ref (list);
  self->address = g_strdup (address);
  self->connection = g_strdup (connection);
  return self;
}

char *
vigil_identity_dialog_psql_line (const char *address,
                                 const char *name,
                                 const char *token,
                                 const char *connection)
{
  g_autofree char *host = NULL;
  const char *colon;
  const char *port = "6543";

  colon = address ? strrchr (address, ':') : NULL;
  if (colon != NULL)
    {
      port = colon + 1;
      host = g_strndup (address, (gsize) (colon - address));
      if (host[0] == '[')
        {
          char *bare = g_strndup (host + 1, strlen (host) - 2);

          g_free (host);
          host = bare;
        }
    }
  return g_strdup_printf ("psql \"host=%s port=%s user=%s password=%s dbname=%s\"",
                          host ? host : "127.0.0.1", port, name, token,
                          connection ? connection : "postgres");
}
