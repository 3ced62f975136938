/* vigil-export-dialog.c: export a signed audit bundle, with progress.
 *
 * The form takes the range, identity, connection and output file; Export counts the
 * entries in the range (so progress reads "records done of total"), then runs
 * vigil_bundle_export_async, whose progress arrives on this thread. Cancel, or closing
 * the window, cancels the export; the bundle is written through a temporary file, so a
 * cancelled export leaves nothing behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-export"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "vigil-audit-query.h"
#include "vigil-bundle.h"
#include "vigil-export-dialog.h"

struct _VigilExportDialog
{
  AdwWindow          parent_instance;

  char              *data_dir;
  char              *output_path;
  VigilBundleFilter  filter;        /* of the export in progress */
  gint64             total;         /* entries in its range */
  GCancellable      *cancellable;   /* the export in progress, or NULL */
  char              *message;
  gboolean           disposed;      /* a late answer has no widgets to show it in */

  /* template children */
  GtkStack          *stack;
  GtkButton         *cancel_button;
  GtkButton         *export_button;
  AdwEntryRow       *since_row;
  AdwEntryRow       *until_row;
  AdwEntryRow       *identity_row;
  AdwEntryRow       *connection_row;
  AdwActionRow      *output_row;
  GtkLabel          *stage_label;
  GtkProgressBar    *progress_bar;
  GtkLabel          *done_label;
  GtkLabel          *failed_label;
};

G_DEFINE_FINAL_TYPE (VigilExportDialog, vigil_export_dialog, ADW_TYPE_WINDOW)

/* Helpers */

static void
set_state (VigilExportDialog *self,
           const char        *state,
           const char        *message)
{
  gboolean form = g_str_equal (state, "form");
  gboolean failed = g_str_equal (state, "failed");
  gboolean running = g_str_equal (state, "progress");

  vigil_set_str (&self->message, message);
  gtk_stack_set_visible_child_name (self->stack, state);
  gtk_button_set_label (self->cancel_button, form || running ? _("_Cancel") : _("_Close"));
  gtk_button_set_label (self->export_button, failed ? _("_Try Again") : _("_Export"));
  gtk_widget_set_visible (GTK_WIDGET (self->export_button), form || failed || running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.start", form || failed);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.choose", form);
  if (failed)
    gtk_label_set_label (self->failed_label, message);
  if (g_str_equal (state, "done"))
    gtk_label_set_label (self->done_label, message);
}

static char *
row_text (AdwEntryRow *row)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

/* 0 when empty; FALSE, the row marked, when the text is not a time. */
static gboolean
row_time (AdwEntryRow *row,
          gboolean     end_of_range,
          gint64      *out_us)
{
  g_autofree char *text = row_text (row);
  gboolean ok = text == NULL
                || vigil_audit_query_parse_time (text, g_get_real_time (), end_of_range, out_us, NULL);

  if (text == NULL)
    *out_us = 0;
  if (ok)
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (row), ok ? NULL
                               : _("Not a time: use 2026-11-25 14:00, 2026-11-25, or relative like -30m, -1h, -2d, -1w"));
  return ok;
}

static void
filter_clear (VigilBundleFilter *filter)
{
  g_clear_pointer (&filter->identity, g_free);
  g_clear_pointer (&filter->connection, g_free);
  filter->since_us = filter->until_us = 0;
}

/* The form as a filter; FALSE (and the form says why) when it is not complete. */
static gboolean
read_form (VigilExportDialog *self)
{
  gboolean since_ok, until_ok;

  filter_clear (&self->filter);
  since_ok = row_time (self->since_row, FALSE, &self->filter.since_us);
  until_ok = row_time (self->until_row, TRUE, &self->filter.until_us);
  self->filter.identity = row_text (self->identity_row);
  self->filter.connection = row_text (self->connection_row);
  if (!since_ok || !until_ok)
    set_state (self, "form", _("The time range is not valid"));
  else if (self->output_path == NULL)
    set_state (self, "form", _("Choose where to save the bundle"));
  return since_ok && until_ok && self->output_path != NULL;
}

static char *
describe_summary (VigilExportDialog        *self,
                  const VigilBundleSummary *summary)
{
  GStatBuf st;
  g_autofree char *size = NULL;
  g_autofree char *entries = g_strdup_printf ("%" G_GINT64_FORMAT, summary->entries);
  g_autofree char *matching = g_strdup_printf ("%" G_GINT64_FORMAT, summary->matching);

  size = g_format_size (g_stat (self->output_path, &st) == 0 ? (guint64) st.st_size : 0);
  /* Translators: the bundle's path, how many records it holds (and how many match the
   * filter), its size, and the signing key's SHA-256 fingerprint */
  return g_strdup_printf (_("Saved to %s\n%s records, %s matching the filter, %s\n"
                            "Signing key fingerprint:\n%s"),
                          self->output_path, entries, matching, size, summary->fingerprint);
}

static char *
describe_error (const GError *error)
{
  if (g_error_matches (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_EMPTY))
    return g_strdup (_("There is no audit record in this time range."));
  if (g_error_matches (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_LOG_BROKEN))
    /* Translators: %s says where the chain breaks */
    return g_strdup_printf (_("The audit log is not intact, so it cannot be exported: %s"),
                            error->message);
  return g_strdup (error->message);
}

/* Callbacks */

static void
progress_cb (const char *stage,
             double      fraction,
             gpointer    user_data)
{
  VigilExportDialog *self = user_data;
  g_autofree char *text = NULL;
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;

  if (self->disposed)
    return;
  if (g_str_equal (stage, "records"))
    {
      done = g_strdup_printf ("%" G_GINT64_FORMAT,
                              MIN ((gint64) (fraction * (double) self->total + 0.5), self->total));
      total = g_strdup_printf ("%" G_GINT64_FORMAT, self->total);
      gtk_label_set_label (self->stage_label, _("Writing the records…"));
      /* Translators: records written so far, and how many the bundle will hold */
      text = g_strdup_printf (_("%s of %s records"), done, total);
      gtk_progress_bar_set_text (self->progress_bar, text);
      gtk_progress_bar_set_fraction (self->progress_bar, 0.8 * fraction);
    }
  else if (g_str_equal (stage, "report"))
    {
      gtk_label_set_label (self->stage_label, _("Writing the report…"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0.8 + 0.05 * fraction);
    }
  else
    {
      gtk_label_set_label (self->stage_label, _("Signing and packing the bundle…"));
      gtk_progress_bar_set_fraction (self->progress_bar,
                                     g_str_equal (stage, "done") ? 1.0 : 0.85 + 0.15 * fraction);
    }
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilExportDialog) self = user_data;
  g_autoptr(VigilBundleSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_clear_object (&self->cancellable);
  summary = vigil_bundle_export_finish (result, &error);
  if (self->disposed)
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_state (self, "form", _("Export cancelled"));
      return;
    }
  text = summary != NULL ? describe_summary (self, summary) : describe_error (error);
  set_state (self, summary != NULL ? "done" : "failed", text);
}

static void
count_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  VigilExportDialog *self = source_object;
  GError *error = NULL;
  gint64 total = 0;

  /* Only the data_dir and the filter's times, which stay put while the task runs. */
  if (vigil_audit_query_count_entries (self->data_dir, self->filter.since_us,
                                       self->filter.until_us, &total, &error))
    g_task_return_int (task, total);
  else
    g_task_return_error (task, error);
}

static void
counted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (object);
  g_autoptr(GError) error = NULL;
  gint64 total = g_task_propagate_int (G_TASK (result), &error);

  if (self->disposed)
    return;
  if (error != NULL)
    {
      g_clear_object (&self->cancellable);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_state (self, "form", _("Export cancelled"));
      else
        set_state (self, "failed", error->message);
      return;
    }
  self->total = total;
  vigil_bundle_export_async (self->data_dir, &self->filter, self->output_path, progress_cb,
                             g_object_ref (self), g_object_unref, self->cancellable,
                             exported_cb, g_object_ref (self));
}

static void
form_changed_cb (VigilExportDialog *self)
{
  gint64 us;

  /* Mark a bad time as it is typed, not only on Export. */
  row_time (self->since_row, FALSE, &us);
  row_time (self->until_row, TRUE, &us);
}

static void
chosen_cb (GtkNativeDialog   *native,
           int                response,
           VigilExportDialog *self)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

  if (response == GTK_RESPONSE_ACCEPT && path != NULL)
    vigil_export_dialog_set_output_path (self, path);
  g_object_unref (native);
}

static void
choose_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Save Audit Bundle"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);
  gtk_file_filter_set_name (filter, _("Audit bundles (.tar.gz)"));
  gtk_file_filter_add_suffix (filter, "tar.gz");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (self->output_path != NULL)
    {
      g_autofree char *name = g_path_get_basename (self->output_path);

      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
    }
  g_signal_connect_object (native, "response", G_CALLBACK (chosen_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (widget);
  g_autoptr(GTask) task = NULL;

  if (self->cancellable != NULL || !read_form (self))
    return;
  set_state (self, "progress", NULL);
  gtk_label_set_label (self->stage_label, _("Counting the records…"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, counted_cb, NULL);
  g_task_set_source_tag (task, start_action);
  g_task_run_in_thread (task, count_thread);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (widget);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  else
    gtk_window_close (GTK_WINDOW (self));
}

/* Overrides */

static gboolean
vigil_export_dialog_close_request (GtkWindow *window)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (window);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (vigil_export_dialog_parent_class)->close_request (window);
}

static void
vigil_export_dialog_dispose (GObject *object)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (vigil_export_dialog_parent_class)->dispose (object);
}

static void
vigil_export_dialog_finalize (GObject *object)
{
  VigilExportDialog *self = VIGIL_EXPORT_DIALOG (object);

  filter_clear (&self->filter);
  g_free (self->data_dir);
  g_free (self->output_path);
  g_free (self->message);
  G_OBJECT_CLASS (vigil_export_dialog_parent_class)->finalize (object);
}

static void
vigil_export_dialog_class_init (VigilExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = vigil_export_dialog_dispose;
  object_class->finalize = vigil_export_dialog_finalize;
  window_class->close_request = vigil_export_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/vigil/Vigil/vigil-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, since_row);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, until_row);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, identity_row);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, connection_row);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, output_row);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, stage_label);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, done_label);
  gtk_widget_class_bind_template_child (widget_class, VigilExportDialog, failed_label);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);

  gtk_widget_class_install_action (widget_class, "export.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "export.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "export.choose", NULL, choose_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "export.cancel", NULL);
}

static void
vigil_export_dialog_init (VigilExportDialog *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *day = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *name = g_strdup_printf ("vigil-audit-%s.tar.gz", day);
  const char *documents = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  g_autofree char *path = g_build_filename (documents ? documents : g_get_home_dir (), name, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  vigil_export_dialog_set_output_path (self, path);
  set_state (self, "form", NULL);
}

/* Public API */

VigilExportDialog *
vigil_export_dialog_new (GtkWindow  *parent,
                         const char *data_dir)
{
  VigilExportDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  self->data_dir = g_strdup (data_dir);
  return self;
}

void
vigil_export_dialog_set_filters (VigilExportDialog *self,
                                 const char        *since,
                                 const char        *until,
                                 const char        *identity,
                                 const char        *connection)
{
  g_return_if_fail (VIGIL_IS_EXPORT_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->since_row), since ? since : "");
  gtk_editable_set_text (GTK_EDITABLE (self->until_row), until ? until : "");
  gtk_editable_set_text (GTK_EDITABLE (self->identity_row), identity ? identity : "");
  gtk_editable_set_text (GTK_EDITABLE (self->connection_row), connection ? connection : "");
}

void
vigil_export_dialog_set_output_path (VigilExportDialog *self,
                                     const char        *path)
{
  g_return_if_fail (VIGIL_IS_EXPORT_DIALOG (self));

  vigil_set_str (&self->output_path, path);
  adw_action_row_set_subtitle (self->output_row, path ? path : _("None chosen"));
}

const char *
vigil_export_dialog_get_output_path (VigilExportDialog *self)
{
  g_return_val_if_fail (VIGIL_IS_EXPORT_DIALOG (self), NULL);
  return self->output_path;
}

const char *
vigil_export_dialog_get_state (VigilExportDialog *self)
{
  g_return_val_if_fail (VIGIL_IS_EXPORT_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
vigil_export_dialog_get_message (VigilExportDialog *self)
{
  g_return_val_if_fail (VIGIL_IS_EXPORT_DIALOG (self), NULL);
  return self->message;
}
