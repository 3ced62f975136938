/* vigil-overview-view.c: totals and charts over the live stream.
 *
 * Recomputed from the live model's counters (every event the engine reported, not just
 * the rows kept) at most twice a second, whatever the statement rate. The held chart
 * reads the approval queue's history from the store, off the main thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include <glib/gi18n.h>

#include "vigil-application.h"
#include "vigil-approvals.h"
#include "vigil-held-chart.h"
#include "vigil-masked-chart.h"
#include "vigil-overview-view.h"
#include "vigil-rate-chart.h"

#define N_MINUTES 30
#define N_TOP 5
#define REFRESH_MS 500
#define HELD_REFRESH_US (5 * G_USEC_PER_SEC)
#define HELD_LIMIT 2000

struct _VigilOverviewView
{
  AdwBin          parent_instance;

  VigilLiveModel *model;
  guint           refresh_source;
  guint           tick_source;
  GCancellable   *cancellable;
  gboolean        held_loading;
  gboolean        held_again;      /* asked for while loading: load once more */
  gint64          held_loaded_us;  /* monotonic */

  /* template children */
  GtkLabel       *total_label;
  GtkLabel       *allowed_label;
  GtkLabel       *denied_label;
  GtkLabel       *held_label;
  VigilRateChart *chart;
  VigilMaskedChart *masked_chart;
  VigilHeldChart *held_chart;
  GtkBox         *top_box;
};

/* The held chart's minutes, computed in a worker. */
typedef struct
{
  guint  held[N_MINUTES];
  double wait[N_MINUTES];
} HeldMinutes;

typedef struct
{
  const char *name;
  guint       count;
} IdentityCount;

G_DEFINE_FINAL_TYPE (VigilOverviewView, vigil_overview_view, ADW_TYPE_BIN)

static void
set_number (GtkLabel *label,
            guint64   value)
{
  g_autofree char *text = g_strdup_printf ("%'" G_GUINT64_FORMAT, value);

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

/* Worker: requests made in the last N_MINUTES, by minute, and their longest wait. */
static void
held_minutes_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovals) queue = vigil_approvals_open (task_data, &error);
  g_autoptr(GPtrArray) list = NULL;
  HeldMinutes *minutes = g_new0 (HeldMinutes, 1);
  gint64 now_us = g_get_real_time ();
  gint64 now_min = now_us / (60 * G_USEC_PER_SEC);

  if (queue == NULL || (list = vigil_approvals_list (queue, FALSE, HELD_LIMIT, &error)) == NULL)
    {
      g_free (minutes);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < list->len; i++)
    {
      const VigilApproval *a = g_ptr_array_index (list, i);
      gint64 age = now_min - a->created_us / (60 * G_USEC_PER_SEC);
      gint64 until = vigil_approval_is_pending (a) || a->decided_us <= 0 ? now_us : a->decided_us;
      guint m;

      if (age < 0 || age >= N_MINUTES)
        continue;
      m = N_MINUTES - 1 - (guint) age;
      minutes->held[m]++;
      minutes->wait[m] = MAX (minutes->wait[m], (until - a->created_us) / (double) G_USEC_PER_SEC);
    }
  g_task_return_pointer (task, minutes, g_free);
}

static void load_held (VigilOverviewView *self,
                       gboolean           now);

static void
held_minutes_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VigilOverviewView *self = VIGIL_OVERVIEW_VIEW (object);
  g_autoptr(GError) error = NULL;
  g_autofree HeldMinutes *minutes = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->held_loading = FALSE;
  self->held_loaded_us = g_get_monotonic_time ();
  if (minutes != NULL)
    vigil_held_chart_set_minutes (self->held_chart, minutes->held, minutes->wait, N_MINUTES);
  else
    g_debug ("No approval history for the held chart: %s", error->message);
  if (self->held_again)
    {
      self->held_again = FALSE;
      load_held (self, TRUE);
    }
}

static const char *
store_data_dir (VigilOverviewView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkApplication *app = GTK_IS_WINDOW (root) ? gtk_window_get_application (GTK_WINDOW (root))
                                             : NULL;
  VigilStore *store = VIGIL_IS_APPLICATION (app)
                        ? vigil_application_get_store (VIGIL_APPLICATION (app)) : NULL;

  return store != NULL ? vigil_store_get_data_dir (store) : NULL;
}

static void
load_held (VigilOverviewView *self,
           gboolean           now)
{
  const char *data_dir = store_data_dir (self);
  g_autoptr(GTask) task = NULL;

  if (self->held_loading)
    {
      self->held_again |= now;
      return;
    }
  if (data_dir == NULL)
    return;
  if (!now && g_get_monotonic_time () - self->held_loaded_us < HELD_REFRESH_US)
    return;
  self->held_loading = TRUE;
  task = g_task_new (self, self->cancellable, held_minutes_cb, NULL);
  g_task_set_source_tag (task, load_held);
  g_task_set_task_data (task, g_strdup (data_dir), g_free);
  g_task_run_in_thread (task, held_minutes_thread);
}

static void
refresh (VigilOverviewView *self,
         gboolean           held_now)
{
  guint per_minute[N_MINUTES * VIGIL_RATE_N_SERIES] = { 0 };
  guint masked[N_MINUTES] = { 0 };
  VigilLiveStats *stats = self->model ? vigil_live_model_get_stats (self->model) : NULL;
  guint64 totals[VIGIL_LIVE_N_DECISIONS] = { 0 };
  g_autoptr(GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);

  G_STATIC_ASSERT ((int) VIGIL_RATE_N_SERIES == (int) VIGIL_LIVE_N_DECISIONS);

  if (stats != NULL)
    {
      vigil_live_stats_get_minutes (stats, g_get_real_time (), N_MINUTES, per_minute, masked);
      for (guint d = 0; d < VIGIL_LIVE_N_DECISIONS; d++)
        totals[d] = vigil_live_stats_get_total (stats, d);
    }
  set_number (self->total_label, totals[0] + totals[1] + totals[2]);
  set_number (self->allowed_label, totals[VIGIL_LIVE_ALLOWED]);
  set_number (self->denied_label, totals[VIGIL_LIVE_DENIED]);
  set_number (self->held_label, totals[VIGIL_LIVE_HELD]);
  vigil_rate_chart_set_counts (self->chart, per_minute, N_MINUTES);
  vigil_masked_chart_set_counts (self->masked_chart, masked, N_MINUTES);
  show_top (self, stats != NULL ? vigil_live_stats_get_identities (stats) : none);
  load_held (self, held_now);
}

void
vigil_overview_view_refresh (VigilOverviewView *self)
{
  g_return_if_fail (VIGIL_IS_OVERVIEW_VIEW (self));

  refresh (self, TRUE);
}

static gboolean
refresh_cb (gpointer data)
{
  VigilOverviewView *self = data;

  self->refresh_source = 0;
  refresh (self, FALSE);
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
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
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
  g_type_ensure (VIGIL_TYPE_MASKED_CHART);
  g_type_ensure (VIGIL_TYPE_HELD_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-overview-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, total_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, allowed_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, denied_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, held_label);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, chart);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, masked_chart);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, held_chart);
  gtk_widget_class_bind_template_child (widget_class, VigilOverviewView, top_box);
}

static void
vigil_overview_view_init (VigilOverviewView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
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
