/* vigil-masked-chart.c: values masked per minute, as bars.
 *
 * Colours come from the theme (the accent colour on the widget's foreground grid), so
 * dark mode just works.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include "vigil-chart-draw.h"
#include "vigil-masked-chart.h"

struct _VigilMaskedChart
{
  GtkDrawingArea  parent_instance;

  guint          *counts;
  guint           n_minutes;
};

G_DEFINE_FINAL_TYPE (VigilMaskedChart, vigil_masked_chart, GTK_TYPE_DRAWING_AREA)

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  VigilMaskedChart *self = VIGIL_MASKED_CHART (area);
  VigilChartFrame frame;

  if (!vigil_chart_begin (GTK_WIDGET (self), cr, width, height, self->n_minutes,
                          vigil_chart_max (self->counts, self->n_minutes), &frame))
    return;
  vigil_chart_draw_bars (GTK_WIDGET (self), cr, &frame, "accent_color", self->counts,
                         self->n_minutes);
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
  vigil_chart_init (GTK_DRAWING_AREA (self), 160, draw_cb);
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
