/* vigil-rate-chart.c: statements per minute by decision, as stacked bars.
 *
 * Colours come from the theme (libadwaita's named colours), so dark mode just works.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include "vigil-chart-draw.h"
#include "vigil-rate-chart.h"

struct _VigilRateChart
{
  GtkDrawingArea  parent_instance;

  guint          *counts;
  guint           n_minutes;
};

G_DEFINE_FINAL_TYPE (VigilRateChart, vigil_rate_chart, GTK_TYPE_DRAWING_AREA)

static const char *const series_colors[VIGIL_RATE_N_SERIES] = {
  "success_color", "error_color", "warning_color",
};

static guint
max_total (VigilRateChart *self)
{
  guint max = 0;

  for (guint m = 0; m < self->n_minutes; m++)
    {
      guint total = 0;

      for (guint s = 0; s < VIGIL_RATE_N_SERIES; s++)
        total += self->counts[m * VIGIL_RATE_N_SERIES + s];
      max = MAX (max, total);
    }
  return max;
}

static void
draw_bars (VigilRateChart        *self,
           cairo_t               *cr,
           const VigilChartFrame *frame)
{
  for (guint s = 0; s < VIGIL_RATE_N_SERIES; s++)
    {
      GdkRGBA color = vigil_chart_theme_color (GTK_WIDGET (self), series_colors[s]);

      gdk_cairo_set_source_rgba (cr, &color);
      for (guint m = 0; m < self->n_minutes; m++)
        {
          guint below = 0;

          for (guint t = 0; t < s; t++)
            below += self->counts[m * VIGIL_RATE_N_SERIES + t];
          vigil_chart_add_bar (cr, frame, m, below, self->counts[m * VIGIL_RATE_N_SERIES + s]);
        }
      cairo_fill (cr);
    }
}

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  VigilRateChart *self = VIGIL_RATE_CHART (area);
  VigilChartFrame frame;

  if (vigil_chart_begin (GTK_WIDGET (self), cr, width, height, self->n_minutes,
                         max_total (self), &frame))
    draw_bars (self, cr, &frame);
}

static void
vigil_rate_chart_finalize (GObject *object)
{
  g_free (VIGIL_RATE_CHART (object)->counts);
  G_OBJECT_CLASS (vigil_rate_chart_parent_class)->finalize (object);
}

static void
vigil_rate_chart_class_init (VigilRateChartClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_rate_chart_finalize;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "ratechart");
}

static void
vigil_rate_chart_init (VigilRateChart *self)
{
  vigil_chart_init (GTK_DRAWING_AREA (self), 220, draw_cb);
}

GtkWidget *
vigil_rate_chart_new (void)
{
  return g_object_new (VIGIL_TYPE_RATE_CHART, NULL);
}

void
vigil_rate_chart_set_counts (VigilRateChart *self,
                             const guint    *counts,
                             guint           n_minutes)
{
  g_return_if_fail (VIGIL_IS_RATE_CHART (self));

  g_free (self->counts);
  self->counts = g_memdup2 (counts, sizeof (guint) * n_minutes * VIGIL_RATE_N_SERIES);
  self->n_minutes = n_minutes;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
