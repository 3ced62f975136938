/* vigil-rate-chart.c: statements per minute by decision, as stacked bars.
 *
 * Colours come from the theme (libadwaita's named colours), so dark mode just works.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include <glib/gi18n.h>

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

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
GdkRGBA
_vigil_chart_theme_color (GtkWidget  *widget,
                          const char *name)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  GdkRGBA color;

  if (name == NULL || !gtk_style_context_lookup_color (context, name, &color))
    gtk_style_context_get_color (context, &color);
  return color;
}
G_GNUC_END_IGNORE_DEPRECATIONS

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

/* 1, 2, 5, 10, 20, 50 ... at or above VALUE, so grid lines land on round numbers. */
guint
_vigil_chart_nice_ceiling (guint value)
{
  guint step = 1;

  while (TRUE)
    {
      if (value <= step)
        return step;
      if (value <= step * 2)
        return step * 2;
      if (value <= step * 5)
        return step * 5;
      step *= 10;
    }
}

void
_vigil_chart_draw_grid (GtkWidget *widget,
                        cairo_t   *cr,
                        int        width,
                        int        plot_height,
                        guint      top)
{
  GdkRGBA fg = _vigil_chart_theme_color (widget, NULL);
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, NULL);

  cairo_set_line_width (cr, 1);
  for (guint i = 0; i <= 4; i++)
    {
      double y = 0.5 + plot_height - (double) plot_height * i / 4;
      g_autofree char *text = g_strdup_printf ("%u", top * i / 4);
      int tw, th;

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.12);
      cairo_move_to (cr, VIGIL_CHART_AXIS_WIDTH, y);
      cairo_line_to (cr, width, y);
      cairo_stroke (cr);
      pango_layout_set_text (layout, text, -1);
      pango_layout_get_pixel_size (layout, &tw, &th);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.55);
      cairo_move_to (cr, VIGIL_CHART_AXIS_WIDTH - 6 - tw,
                     CLAMP (y - th / 2.0, 0, plot_height - th));
      pango_cairo_show_layout (cr, layout);
    }
  pango_layout_set_text (layout, _("30 min ago"), -1);
  cairo_move_to (cr, VIGIL_CHART_AXIS_WIDTH, plot_height + 4);
  pango_cairo_show_layout (cr, layout);
  pango_layout_set_text (layout, _("now"), -1);
  {
    int tw, th;

    pango_layout_get_pixel_size (layout, &tw, &th);
    cairo_move_to (cr, width - tw, plot_height + 4);
    pango_cairo_show_layout (cr, layout);
  }
  g_object_unref (layout);
}

static void
draw_bars (VigilRateChart *self,
           cairo_t        *cr,
           int             width,
           int             plot_height,
           guint           top)
{
  double slot = (double) (width - VIGIL_CHART_AXIS_WIDTH) / MAX (self->n_minutes, 1);
  double gap = MAX (1.0, slot * 0.2);

  for (guint s = 0; s < VIGIL_RATE_N_SERIES; s++)
    {
      GdkRGBA color = _vigil_chart_theme_color (GTK_WIDGET (self), series_colors[s]);

      gdk_cairo_set_source_rgba (cr, &color);
      for (guint m = 0; m < self->n_minutes; m++)
        {
          guint below = 0;
          guint value = self->counts[m * VIGIL_RATE_N_SERIES + s];
          double x = VIGIL_CHART_AXIS_WIDTH + m * slot + gap / 2;

          for (guint t = 0; t < s; t++)
            below += self->counts[m * VIGIL_RATE_N_SERIES + t];
          if (value == 0)
            continue;
          cairo_rectangle (cr, x, plot_height - (double) plot_height * (below + value) / top,
                           slot - gap, (double) plot_height * value / top);
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
  int plot_height = height - VIGIL_CHART_AXIS_HEIGHT;
  guint top = _vigil_chart_nice_ceiling (MAX (max_total (self), 4));

  if (plot_height <= 0 || width <= VIGIL_CHART_AXIS_WIDTH)
    return;
  _vigil_chart_draw_grid (GTK_WIDGET (self), cr, width, plot_height, top);
  draw_bars (self, cr, width, plot_height, top);
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
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self), 220);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self), draw_cb, NULL, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
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
