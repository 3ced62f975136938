/* vigil-overview-view.c: totals and charts over the live stream.
 *
 * Recomputed from the live model at most twice a second, whatever the statement rate.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include <glib/gi18n.h>

#include "vigil-overview-view.h"
#include "vigil-rate-chart.h"

#define N_MINUTES 30
#define N_TOP 5
#define REFRESH_MS 500

struct _VigilOverviewView
{
  AdwBin          parent_instance;

  VigilLiveModel *model;
  guint           refresh_source;
  guint           tick_source;

  /* template children */
  GtkLabel       *total_label;
  GtkLabel       *allowed_label;
  GtkLabel       *denied_label;
  GtkLabel       *held_label;
  VigilRateChart *chart;
  GtkBox         *top_box;
};

typedef struct
{
  const char *name;
  guint       count;
} IdentityCount;

G_DEFINE_FINAL_TYPE (VigilOverviewView, vigil_overview_view, ADW_TYPE_BIN)

static int
series_of (const char *decision)
{
  if (g_strcmp0 (decision, "allow") == 0)
    return VIGIL_RATE_ALLOWED;
  if (g_strcmp0 (decision, "deny") == 0)
    return VIGIL_RATE_DENIED;
  if (g_strcmp0 (decision, "review") == 0)
    return VIGIL_RATE_HELD;
  return -1;
}

static void
set_number (GtkLabel *label,
            guint     value)
{
  g_autofree char *text = g_strdup_printf ("%'u", value);

  gtk_label_set_label (label, text);
}

static int
compare_counts (gconstpointer a,
                gconstpointer b)
{
  const IdentityCount *x = a, *y = b;

  return x->count == y->count ? g_strcmp0 (x->name, y->name) : (x->count < y->count ? 1 : -1);
}

static GtkWidget *
top_row (const IdentityCount *entry,
         guint                max)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name = gtk_label_new (entry->name);
  GtkWidget *bar = gtk_level_bar_new_for_interval (0, MAX (max, 1));
  g_autofree char *text = g_strdup_printf ("%'u", entry->count);
  GtkWidget *count = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_size_request (name, 160, -1);
  gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), entry->count);
  gtk_widget_set_hexpand (bar, TRUE);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (count, 60, -1);
  gtk_label_set_xalign (GTK_LABEL (count), 1);
  gtk_widget_add_css_class (count, "numeric");
  gtk_box_append (GTK_BOX (row), name);
  gtk_box_append (GTK_BOX (row), bar);
  gtk_box_append (GTK_BOX (row), count);
  return row;
}

static void
show_top (VigilOverviewView *self,
          GHashTable        *per_identity)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (IdentityCount));
  GHashTableIter iter;
  gpointer key, value;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->top_box))) != NULL)
    gtk_box_remove (self->top_box, child);
  g_hash_table_iter_init (&iter, per_identity);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_array_append_val (entries, ((IdentityCount) { key, GPOINTER_TO_UINT (value) }));
  g_array_sort (entries, compare_counts);
  for (guint i = 0; i < MIN (entries->len, N_TOP); i++)
    gtk_box_append (self->top_box,
                    top_row (&g_array_index (entries, IdentityCount, i),
                             g_array_index (entries, IdentityCount, 0).count));
  if (entries->len == 0)
    {
      GtkWidget *none = gtk_label_new (_("No statements yet"));

      gtk_widget_add_css_class (none, "dim-label");
      gtk_box_append (self->top_box, none);
    }
}

static void
count_record (VigilLiveRecord *record,
              gint64           now_us,
              guint           *totals,
              guint           *per_minute,
              GHashTable      *per_identity)
{
  int series = series_of (vigil_live_record_get_decision (record));
  gint64 age_min = (now_us - vigil_live_record_get_time_us (record)) / (60 * G_USEC_PER_SEC);
  const char *identity = vigil_live_record_get_identity (record);

  if (series < 0)
    return;
  totals[series]++;
  if (age_min >= 0 && age_min < N_MINUTES)
    per_minute[(N_MINUTES - 1 - age_min) * VIGIL_RATE_N_SERIES + series]++;
  g_hash_table_insert (per_identity, (gpointer) identity,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (per_identity,
                                                                                identity)) + 1));
}

void
vigil_overview_view_refresh (VigilOverviewView *self)
{
  guint totals[VIGIL_RATE_N_SERIES] = { 0 };
  guint per_minute[N_MINUTES * VIGIL_RATE_N_SERIES] = { 0 };
  g_autoptr(GHashTable) per_identity = g_hash_table_new (g_str_hash, g_str_equal);
  GListModel *model = G_LIST_MODEL (self->model);
  guint n = model ? g_list_model_get_n_items (model) : 0;
  gint64 now_us = g_get_real_time ();

  g_return_if_fail (VIGIL_IS_OVERVIEW_VIEW (self));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VigilLiveRecord) record = g_list_model_get_item (model, i);

      count_record (record, now_us, totals, per_minute, per_identity);
    }
  set_number (self->total_label, n);
  set_number (self->allowed_label, totals[VIGIL_RATE_ALLOWED]);
  set_number (self->denied_label, totals[VIGIL_RATE_DENIED]);
  set_number (self->held_label, totals[VIGIL_RATE_HELD]);
  vigil_rate_chart_set_counts (self->chart, per_minute, N_MINUTES);
  show_top (self, per_identity);
}

static gboolean
refresh_cb (gpointer data)
{
  VigilOverviewView *self = data;

  self->refresh_source = 0;
  vigil_overview_view_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (VigilOverviewView *self)
{
  if (self->refresh_source == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->refresh_source = g_timeout_add (REFRESH_MS, refresh_cb, self);
}

static void
items_changed_cb (GListModel        *model,
                  guint              position,
                  guint              removed,
                  guint              added,
                  VigilOverviewView *self)
{
  schedule_refresh (self);
}

static gboolean
minute_tick_cb (gpointer data)
{
  schedule_refresh (data);
  return G_SOURCE_CONTINUE;
}

static void
vigil_overview_view_map (GtkWidget *widget)
{
  VigilOverviewView *self = VIGIL_OVERVIEW_VIEW (widget);

  GTK_WIDGET_CLASS (vigil_overview_view_parent_class)->map (widget);
  vigil_overview_view_refresh (self);
  /* The bars slide left as minutes pass, even when nothing arrives. */
  self->tick_source = g_timeout_add_seconds (15, minute_tick_cb, self);
}

static void
vigil_overview_view_unmap (GtkWidget *widget)
{
  VigilOverviewView *self = VIGIL_OVERVIEW_VIEW (widget);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  GTK_WIDGET_CLASS (vigil_overview_view_parent_class)->unmap (widget);
}

static void
vigil_overview_view_dispose (GObject *object)
{
  VigilOverviewView *self = VIGIL_OVERVIEW_VIEW (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_object (&self->model);
  G_OBJECT_CLASS (vigil_overview_view_parent_class)->dispose (object);
}

static void
vigil_overview_view_class_init (VigilOverviewViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_overview_view_dispose;
  widget_class->map = vigil_overview_view_map;
  widget_class->unmap = vigil_overview_view_unmap;

  g_type_ensure (VIGIL_TYPE_RATE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-overview-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, total_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, allowed_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, denied_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, held_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, chart);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, top_box);
}

static void
vigil_overview_view_init (VigilOverviewView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
vigil_overview_view_set_model (VigilOverviewView *self,
                               VigilLiveModel    *model)
{
  g_return_if_fail (VIGIL_IS_OVERVIEW_VIEW (self));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (!g_set_object (&self->model, model))
    return;
  if (model != NULL)
    g_signal_connect_object (model, "items-changed", G_CALLBACK (items_changed_cb), self, 0);
  schedule_refresh (self);
}
