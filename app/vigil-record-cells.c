/* vigil-record-cells.c: the cells of a column view of VigilLiveRecord.
 *
 * Each column's factory makes a VigilCellLabel and sets its text from one property of the
 * record when a row is bound. The cells the outcome changes (decision, rows, duration)
 * follow that property's notify until the row is unbound. No GtkExpression: under a flood
 * every bound row is rebound each batch, and a watch costs more than the text it shows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vigil-cell-label.h"
#include "vigil-record-cells.h"

typedef struct
{
  const char *property;   /* a string property of VigilLiveRecord */
  const char *notify;     /* "notify::PROPERTY" when the outcome can change it, or NULL */
  float       xalign;
  gboolean    numeric;
  gboolean    monospace;
  gboolean    by_decision; /* coloured by the decision */
} CellSpec;

static const CellSpec cell_specs[] = {
  [VIGIL_RECORD_CELL_TIME]       = { "time-text", NULL, 0.0f, TRUE, FALSE, FALSE },
  [VIGIL_RECORD_CELL_IDENTITY]   = { "identity", NULL, 0.0f, FALSE, FALSE, FALSE },
  [VIGIL_RECORD_CELL_PROCESS]    = { "process", NULL, 0.0f, FALSE, FALSE, FALSE },
  [VIGIL_RECORD_CELL_CONNECTION] = { "connection", NULL, 0.0f, FALSE, FALSE, FALSE },
  [VIGIL_RECORD_CELL_STATEMENT]  = { "statement", NULL, 0.0f, FALSE, TRUE, FALSE },
  [VIGIL_RECORD_CELL_DECISION]   = { "decision-label", "notify::decision-label", 0.0f, FALSE,
                                     FALSE, TRUE },
  [VIGIL_RECORD_CELL_ROWS]       = { "rows-text", "notify::rows-text", 1.0f, TRUE, FALSE, FALSE },
  [VIGIL_RECORD_CELL_DURATION]   = { "duration-text", "notify::duration-text", 1.0f, TRUE,
                                     FALSE, FALSE },
};

static const char *const decision_classes[][2] = {
  { "allow", "success" },
  { "deny", "error" },
  { "review", "warning" },
};

static GQuark
spec_quark (void)
{
  static GQuark quark;

  if (quark == 0)
    quark = g_quark_from_static_string ("vigil-record-cell-spec");
  return quark;
}

/* One style class of the decision's colour, the others removed. */
static void
style_by_decision (GtkWidget  *label,
                   GObject    *record)
{
  g_autofree char *decision = NULL;

  g_object_get (record, "decision", &decision, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (decision_classes); i++)
    {
      if (g_strcmp0 (decision, decision_classes[i][0]) == 0)
        gtk_widget_add_css_class (label, decision_classes[i][1]);
      else
        gtk_widget_remove_css_class (label, decision_classes[i][1]);
    }
}

static void
show_record (VigilCellLabel *label,
             GObject        *record)
{
  const CellSpec *spec = g_object_get_qdata (G_OBJECT (label), spec_quark ());
  g_autofree char *text = NULL;

  g_object_get (record, spec->property, &text, NULL);
  vigil_cell_label_set_label (label, text);
  if (spec->by_decision)
    style_by_decision (GTK_WIDGET (label), record);
}

static void
record_changed_cb (GObject        *record,
                   GParamSpec     *pspec,
                   VigilCellLabel *label)
{
  show_record (label, record);
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          const CellSpec           *spec)
{
  GtkWidget *label = g_object_new (VIGIL_TYPE_CELL_LABEL, "xalign", spec->xalign,
                                   "numeric", spec->numeric, NULL);

  g_object_set_qdata (G_OBJECT (label), spec_quark (), (gpointer) spec);
  if (spec->monospace)
    gtk_widget_add_css_class (label, "monospace");
  if (spec->by_decision)
    gtk_widget_add_css_class (label, "decision");
  gtk_list_item_set_child (item, label);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         const CellSpec           *spec)
{
  GtkWidget *label = gtk_list_item_get_child (item);
  GObject *record = gtk_list_item_get_item (item);

  show_record (VIGIL_CELL_LABEL (label), record);
  if (spec->notify != NULL)
    g_signal_connect_object (record, spec->notify, G_CALLBACK (record_changed_cb), label, 0);
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           const CellSpec           *spec)
{
  GObject *record = gtk_list_item_get_item (item);

  if (spec->notify != NULL && record != NULL)
    g_signal_handlers_disconnect_by_func (record, record_changed_cb, gtk_list_item_get_child (item));
}

static GtkListItemFactory *
factory_new (VigilRecordCell cell)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  const CellSpec *spec = &cell_specs[cell];

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), (gpointer) spec);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), (gpointer) spec);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), (gpointer) spec);
  return factory;
}

void
vigil_record_cells_attach (GtkColumnView         *view,
                           const VigilRecordCell *cells,
                           guint                  n_cells)
{
  GListModel *columns;

  g_return_if_fail (GTK_IS_COLUMN_VIEW (view));
  columns = gtk_column_view_get_columns (view);
  g_return_if_fail (g_list_model_get_n_items (columns) == n_cells);

  for (guint i = 0; i < n_cells; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      g_autoptr(GtkListItemFactory) factory = NULL;

      g_return_if_fail ((guint) cells[i] < G_N_ELEMENTS (cell_specs));
      factory = factory_new (cells[i]);
      gtk_column_view_column_set_factory (column, factory);
    }
}
