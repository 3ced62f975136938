/* vigil-audit-view.c: search the audit log, verify its chain.
 *
 * The view only asks: it emits "search" (text, decision or NULL) and activates
 * audit.verify / audit.export; whoever owns the results model answers by filling it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-audit"

#include <glib/gi18n.h>

#include "vigil-audit-view.h"
#include "vigil-live-record.h"
#include "vigil-record-details.h"

static const char *const decision_filters[] = { NULL, "allow", "deny", "review" };

struct _VigilAuditView
{
  AdwBin              parent_instance;

  GListModel         *model;

  /* template children */
  GtkStack           *stack;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *decision_dropdown;
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

static void
update_stack (VigilAuditView *self)
{
  gboolean any = self->model != NULL && g_list_model_get_n_items (self->model) > 0;

  gtk_stack_set_visible_child_name (self->stack, any ? "results" : "empty");
}

static void
items_changed_cb (GListModel     *model,
                  guint           position,
                  guint           removed,
                  guint           added,
                  VigilAuditView *self)
{
  update_stack (self);
}

static void
emit_search (VigilAuditView *self)
{
  guint position = gtk_drop_down_get_selected (self->decision_dropdown);
  const char *decision = position < G_N_ELEMENTS (decision_filters) ? decision_filters[position]
                                                                    : NULL;

  g_signal_emit (self, signals[SEARCH], 0,
                 gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), decision);
}

static void
search_changed_cb (VigilAuditView *self)
{
  emit_search (self);
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
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  /* TODO(lead): the audit bundle issue exports the current search here. */
}

static void
vigil_audit_view_dispose (GObject *object)
{
  VigilAuditView *self = VIGIL_AUDIT_VIEW (object);

  g_clear_object (&self->model);
  G_OBJECT_CLASS (vigil_audit_view_parent_class)->dispose (object);
}

static void
vigil_audit_view_class_init (VigilAuditViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_audit_view_dispose;

  signals[SEARCH] = g_signal_new ("search", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[VERIFY] = g_signal_new ("verify", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (VIGIL_TYPE_LIVE_RECORD);
  g_type_ensure (VIGIL_TYPE_RECORD_DETAILS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vigil/Vigil/vigil-audit-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, decision_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, selection);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, details);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditView, status_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, selected_cb);

  gtk_widget_class_install_action (widget_class, "audit.verify", NULL, verify_action);
  gtk_widget_class_install_action (widget_class, "audit.export", NULL, export_action);
}

static void
vigil_audit_view_init (VigilAuditView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The bundle export arrives with its own issue. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "audit.export", FALSE);
}

void
vigil_audit_view_set_model (VigilAuditView *self,
                            GListModel     *model)
{
  g_return_if_fail (VIGIL_IS_AUDIT_VIEW (self));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (!g_set_object (&self->model, model))
    return;
  gtk_single_selection_set_model (self->selection, model);
  if (model != NULL)
    g_signal_connect_object (model, "items-changed", G_CALLBACK (items_changed_cb), self, 0);
  update_stack (self);
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
  emit_search (self);
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
