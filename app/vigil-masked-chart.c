/* vigil-masked-chart.c: values masked per minute, as bars.
 *
 * Colours come from the theme (the accent colour on the widget's foreground grid), so
 * dark mode just works.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include "vigil-masked-chart.h"
#include "vigil-rate-chart.h"

struct _VigilMaskedChart
{
  GtkDrawingArea  parent_instance;

  guint          *counts;
  guint           n_minutes;
};

G_DEFINE_FINAL_TYPE (VigilMaskedChart, vigil_masked_chart, GTK_TYPE_DRAWING_AREA)

static guint
max_count (VigilMaskedChart *self)
{
  guint max = 0;

  for (guint m = 0; m < self->n_minutes; m++)
    max = MAX (max, self->counts[m]);
  return max;
}

static void
draw_bars (VigilMaskedChart *self,
           cairo_t          *cr,
           int               width,
           int               plot_height,
           guint             top)
{
  GdkRGBA color = _vigil_chart_theme_color (GTK_WIDGET (self), "accent_color");
  double slot = (double) (width - VIGIL_CHART_AXIS_WIDTH) / MAX (self->n_minutes, 1);
  double gap = MAX (1.0, slot * 0.2);

  gdk_cairo_set_source_rgba (cr, &color);
  for (guint m = 0; m < self->n_minutes; m++)
    {
      double x = VIGIL_CHART_AXIS_WIDTH + m * slot + gap / 2;
      double h = (double) plot_height * self->counts[m] / top;

      if (self->counts[m] > 0)
        cairo_rectangle (cr, x, plot_height - h, slot - gap, h);
    }
  cairo_fill (cr);
}

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  VigilMaskedChart *self = VIGIL_MASKED_CHART (area);
  int plot_height = height - VIGIL_CHART_AXIS_HEIGHT;
  guint top = _vigil_chart_nice_ceiling (MAX (max_count (self), 4));

  if (plot_height <= 0 || width <= VIGIL_CHART_AXIS_WIDTH)
    return;
  _vigil_chart_draw_grid (GTK_WIDGET (self), cr, width, plot_height, top);
  draw_bars (self, cr, width, plot_height, top);
}

static void
vigil_masked_chart_finalize (GObject *object)
{
  g_free (VIGIL_MASKED_CHART (object)->counts);
  G_OBJECT_CLASS (vigil_masked_chart_parent_class)->finalize (object);
}

static void
vigil_masked_chart_class_init (VigilMaskedChartClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_masked_chart_finalize;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "maskedchart");
}

static void
vigil_masked_chart_init (VigilMaskedChart *self)
{
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self), 160);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self), draw_cb, NULL, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
}

void
vigil_masked_chart_set_counts (VigilMaskedChart *self,
                               const guint      *counts,
                               guint             n_minutes)
{
  g_return_if_fail (VIGIL_IS_MASKED_CHART (self));

  g_free (self->counts);
  self->counts = g_memdup2 (counts, sizeof (guint) * n_minutes);
  self->n_minutes = n_minutes;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
vigil_masked_chart_get_total (VigilMaskedChart *self)
{
  guint total = 0;

  g_return_val_if_fail (VIGIL_IS_MASKED_CHART (self), 0);
  for (guint m = 0; m < self->n_minutes; m++)
    total += self->counts[m];
  return total;
}
