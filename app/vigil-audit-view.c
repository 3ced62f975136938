/* vigil-audit-view.c: search the audit log a page at a time, verify its chain, export it.
 *
 * The filters run as SQL in a VigilAuditSearch (GTasks, newest search wins); the view
 * reads its fields, marks a time it cannot read, and pages with Newer and Older. Verify
 * asks its owner ("verify"); Export opens the bundle dialog with the filters filled in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-audit"

#include <glib/gi18n.h>

#include "vigil-audit-view.h"
#include "vigil-export-dialog.h"
#include "vigil-live-record.h"
#include "vigil-record-cells.h"
#include "vigil-record-details.h"

/* Typing pauses this long before the search runs. */
#define TYPING_DELAY_MS 300

static const char *const decision_filters[] = { NULL, "allow", "deny", "review" };

/* The column view's columns, in the template's order. */
static const VigilRecordCell columns[] = {
  VIGIL_RECORD_CELL_TIME, VIGIL_RECORD_CELL_IDENTITY, VIGIL_RECORD_CELL_STATEMENT,
  VIGIL_RECORD_CELL_DECISION, VIGIL_RECORD_CELL_ROWS,
};

struct _VigilAuditView
{
  AdwBin              parent_instance;

  VigilAuditSearch   *search;
  GCancellable       *cancellable;     /* cancelled when the view goes */
  guint               typing_source;
  gboolean            updating;        /* fields set by code: no search per field */

  /* template children */
  GtkStack           *stack;
  GtkSearchEntry     *search_entry;
  GtkEntry           *identity_entry;
  GtkDropDown        *decision_dropdown;
  GtkEntry           *since_entry;
  GtkEntry           *until_entry;
  GtkColumnView      *column_view;
  GtkSingleSelection *selection;
  VigilRecordDetails *details;
  GtkLabel           *status_label;
};

G_DEFINE_FINAL_TYPE (VigilAuditView, vigil_audit_view, ADW_TYPE_BIN)

enum {
  SEARCH,
  VERIFY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void run_page (VigilAuditView *self,
                      VigilAuditPage  page);

/* Helpers */

static void
update_stack (VigilAuditView *self)
{
  GListModel *model = self->search ? G_LIST_MODEL (vigil_audit_search_get_results (self->search))
                                   : NULL;
  gboolean any = model != NULL && g_list_model_get_n_items (model) > 0;

  gtk_stack_set_visible_child_name (self->stack, any ? "results" : "empty");
}

static void
update_pager (VigilAuditView *self)
{
  gboolean newer = self->search != NULL && vigil_audit_search_get_has_newer (self->search);
  gboolean older = self->search != NULL && vigil_audit_search_get_has_older (self->search);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "audit.newer", newer);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "audit.older", older);
}

static char *
nonempty (GtkEditable *editable)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (editable)));

  return *text != '\0' ? g_steal_pointer (&text) : NULL;
}

/* 0 for an empty field; FALSE, the field marked and explained, when it does not parse. */
static gboolean
read_time (GtkEntry *entry,
           gboolean  end_of_range,
           gint64   *out_us)
{
  g_autofree char *text = nonempty (GTK_EDITABLE (entry));
  gboolean ok = text == NULL
                || vigil_audit_query_parse_time (text, g_get_real_time (), end_of_range, out_us, NULL);

  if (text == NULL)
    *out_us = 0;
  if (ok)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (entry), NULL);
      return TRUE;
    }
  gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (entry),
                               _("Not a time: use 2026-11-25 14:00, 2026-11-25, or relative like -30m, -1h, -2d, -1w"));
  return FALSE;
}

static void
set_status_counts (VigilAuditView *self)
{
  gint64 total = vigil_audit_search_get_total (self->search);
  g_autofree char *matching = g_strdup_printf ("%" G_GINT64_FORMAT,
                                               vigil_audit_search_get_matching (self->search));
  g_autofree char *all = g_strdup_printf ("%" G_GINT64_FORMAT, total);
  g_autofree char *text = NULL;

  /* Translators: the first %s counts matching records, the second all records */
  text = g_strdup_printf (g_dngettext (NULL, "%s of %s record", "%s of %s records", (gulong) total),
                          matching, all);
  vigil_audit_view_set_status (self, text, NULL);
}

/* Callbacks */

static void
searched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilAuditView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (vigil_audit_search_run_finish (VIGIL_AUDIT_SEARCH (object), result, &error))
    {
      set_status_counts (self);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_INVALID))
    /* Translators: %s says what is wrong with the search text (from SQLite's FTS5) */
    text = g_strdup_printf (_("Cannot search for that: %s"), error->message);
  else
    text = g_strdup_printf (_("Could not search the audit log: %s"), error->message);
  vigil_audit_view_set_status (self, text, "error");
}

static gboolean
typing_done_cb (gpointer user_data)
{
  VigilAuditView *self = user_data;

  self->typing_source = 0;
  run_page (self, VIGIL_AUDIT_PAGE_NEWEST);
  return G_SOURCE_REMOVE;
}

static void
filter_changed_cb (VigilAuditView *self)
{
  if (self->updating)
    return;
  g_clear_handle_id (&self->typing_source, g_source_remove);
  self->typing_source = g_timeout_add (TYPING_DELAY_MS, typing_done_cb, self);
}

static void
filter_activated_cb (VigilAuditView *self)
{
  if (self->updating)
    return;
  g_clear_handle_id (&self->typing_source, g_source_remove);
  run_page (self, VIGIL_AUDIT_PAGE_NEWEST);
}

static void
results_changed_cb (GListModel     *model,
                    guint           position,
                    guint           removed,
                    guint           added,
                    VigilAuditView *self)
{
  update_stack (self);
}

static void
paging_changed_cb (VigilAuditView *self)
{
  update_pager (self);
}

static void
selected_cb (GtkSingleSelection *selection,
             GParamSpec         *pspec,
             VigilAuditView     *self)
{
  vigil_record_details_set_record (self->details, gtk_single_selection_get_selected_item (selection));
}

static void
verify_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_signal_emit (widget, signals[VERIFY], 0);
}

static void
page_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  run_page (VIGIL_AUDIT_VIEW (widget), g_str_equal (action_name, "audit.newer")
                                       ? VIGIL_AUDIT_PAGE_NEWER : VIGIL_AUDIT_PAGE_OLDER);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilAuditView *self = VIGIL_AUDIT_VIEW (widget);
  VigilExportDialog *dialog;

  if (self->search == NULL || vigil_audit_search_get_data_dir (self->search) == NULL)
    return;
  /* The range and identity as typed here; the dialog checks them again. */
  dialog = vigil_export_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                    vigil_audit_search_get_data_dir (self->search));
  vigil_export_dialog_set_filters (dialog,
                                   gtk_editable_get_text (GTK_EDITABLE (self->since_entry)),
                                   gtk_editable_get_text (GTK_EDITABLE (self->until_entry)),
                                   gtk_editable_get_text (GTK_EDITABLE (self->identity_entry)),
                                   NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* "search": fills in TEXT and DECISION as if typed, and searches from the newest page. */
static void
vigil_audit_view_real_search (VigilAuditView *self,
                              const char     *text,
                              const char     *decision)
{
  guint position = 0;

  for (guint i = 1; i < G_N_ELEMENTS (decision_filters); i++)
    if (g_strcmp0 (decision, decision_filters[i]) == 0)
      position = i;
  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
  gtk_drop_down_set_selected (self->decision_dropdown, position);
  self->updating = FALSE;
  run_page (self, VIGIL_AUDIT_PAGE_NEWEST);
}

static void
run_page (VigilAuditView *self,
          VigilAuditPage  page)
{
  g_autoptr(VigilAuditQuery) filters = vigil_audit_query_new ();

  if (self->search == NULL)
    return;
  if (!vigil_audit_view_get_filters (self, filters))
    {
      vigil_audit_view_set_status (self, _("The time range is not valid"), "error");
      return;
    }
  vigil_audit_view_set_status (self, _("Searching…"), NULL);
  vigil_audit_search_run_async (self->search, filters, page, self->cancellable, searched_cb,
                                g_object_ref (self));
}

/* Overrides */

static void
vigil_audit_view_dispose (GObject *object)
{
  VigilAuditView *self = VIGIL_AUDIT_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->typing_source, g_source_remove);
  if (self->search != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->search, self);
      g_signal_handlers_disconnect_by_data (vigil_audit_search_get_results (self->search), self);
    }
  g_clear_object (&self->search);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (vigil_audit_view_parent_class)->dispose (object);
}

static void
vigil_audit_view_class_init (VigilAuditViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_audit_view_dispose;

  signals[SEARCH] = g_signal_new_class_handler ("search", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
                                                G_CALLBACK (vigil_audit_view_real_search),
                                                NULL, NULL, NULL, G_TYPE_NONE, 2,
                                                G_TYPE_STRING, G_TYPE_STRING);
  signals[VERIFY] = g_signal_new ("verify", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (VIGIL_TYPE_LIVE_RECORD);
  g_type_ensure (VIGIL_TYPE_RECORD_DETAILS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vigil/Vigil/vigil-audit-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, identity_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, decision_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, since_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, until_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, column_view);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, selection);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, details);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, status_label);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, selected_cb);

  gtk_widget_class_install_action (widget_class, "audit.verify", NULL, verify_action);
  gtk_widget_class_install_action (widget_class, "audit.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "audit.newer", NULL, page_action);
  gtk_widget_class_install_action (widget_class, "audit.older", NULL, page_action);
}

static void
vigil_audit_view_init (VigilAuditView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  vigil_record_cells_attach (self->column_view, columns, G_N_ELEMENTS (columns));
  self->cancellable = g_cancellable_new ();
  update_pager (self);
}

/* Public API */

void
vigil_audit_view_set_search (VigilAuditView   *self,
                             VigilAuditSearch *search)
{
  GListModel *results;

  g_return_if_fail (VIGIL_IS_AUDIT_VIEW (self));
  g_return_if_fail (search == NULL || VIGIL_IS_AUDIT_SEARCH (search));

  if (self->search != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->search, self);
      g_signal_handlers_disconnect_by_data (vigil_audit_search_get_results (self->search), self);
    }
  if (!g_set_object (&self->search, search))
    return;
  results = search ? G_LIST_MODEL (vigil_audit_search_get_results (search)) : NULL;
  gtk_single_selection_set_model (self->selection, results);
  if (search != NULL)
    {
      g_signal_connect_object (results, "items-changed", G_CALLBACK (results_changed_cb), self, 0);
      g_signal_connect_object (search, "notify::has-newer", G_CALLBACK (paging_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (search, "notify::has-older", G_CALLBACK (paging_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }
  update_stack (self);
  update_pager (self);
}

void
vigil_audit_view_focus_search (VigilAuditView *self)
{
  g_return_if_fail (VIGIL_IS_AUDIT_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
vigil_audit_view_refresh (VigilAuditView *self)
{
  g_return_if_fail (VIGIL_IS_AUDIT_VIEW (self));
  run_page (self, VIGIL_AUDIT_PAGE_NEWEST);
}

void
vigil_audit_view_set_status (VigilAuditView *self,
                             const char     *text,
                             const char     *style_class)
{
  static const char *const styles[] = { "success", "error", "dim-label" };

  g_return_if_fail (VIGIL_IS_AUDIT_VIEW (self));

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), styles[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->status_label),
                            style_class ? style_class : "dim-label");
  gtk_label_set_label (self->status_label, text ? text : "");
}

const char *
vigil_audit_view_get_status (VigilAuditView *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_VIEW (self), NULL);
  return gtk_label_get_label (self->status_label);
}

GtkEditable *
vigil_audit_view_get_filter_entry (VigilAuditView *self,
                                   const char     *name)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_VIEW (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (g_str_equal (name, "text"))
    return GTK_EDITABLE (self->search_entry);
  if (g_str_equal (name, "identity"))
    return GTK_EDITABLE (self->identity_entry);
  if (g_str_equal (name, "since"))
    return GTK_EDITABLE (self->since_entry);
  if (g_str_equal (name, "until"))
    return GTK_EDITABLE (self->until_entry);
  g_return_val_if_reached (NULL);
}

gboolean
vigil_audit_view_get_filters (VigilAuditView  *self,
                              VigilAuditQuery *out_filters)
{
  guint position;
  gboolean since_ok, until_ok;

  g_return_val_if_fail (VIGIL_IS_AUDIT_VIEW (self), FALSE);
  g_return_val_if_fail (out_filters != NULL, FALSE);

  position = gtk_drop_down_get_selected (self->decision_dropdown);
  g_free (out_filters->text);
  out_filters->text = nonempty (GTK_EDITABLE (self->search_entry));
  g_free (out_filters->identity);
  out_filters->identity = nonempty (GTK_EDITABLE (self->identity_entry));
  g_free (out_filters->decision);
  out_filters->decision = g_strdup (position < G_N_ELEMENTS (decision_filters)
                                    ? decision_filters[position] : NULL);
  /* Both, so that each field is marked or cleared. */
  since_ok = read_time (self->since_entry, FALSE, &out_filters->since_us);
  until_ok = read_time (self->until_entry, TRUE, &out_filters->until_us);
  return since_ok && until_ok;
}
