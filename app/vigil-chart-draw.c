/* vigil-chart-draw.c: the grid, axis labels and bars of the Overview's charts.
 *
 * Colours come from the theme (libadwaita's named colours), so dark mode just works.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include <glib/gi18n.h>

#include "vigil-chart-draw.h"

void
vigil_chart_init (GtkDrawingArea        *area,
                  int                    content_height,
                  GtkDrawingAreaDrawFunc draw)
{
  gtk_drawing_area_set_content_height (area, content_height);
  gtk_drawing_area_set_draw_func (area, draw, NULL, NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (area), TRUE);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
GdkRGBA
vigil_chart_theme_color (GtkWidget  *widget,
                         const char *name)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  GdkRGBA color;

  if (name == NULL || !gtk_style_context_lookup_color (context, name, &color))
    gtk_style_context_get_color (context, &color);
  return color;
}
G_GNUC_END_IGNORE_DEPRECATIONS

/* Grid lines land on round numbers. */
guint
vigil_chart_nice_ceiling (guint value)
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

guint
vigil_chart_max (const guint *values,
                 guint        n_values)
{
  guint max = 0;

  for (guint i = 0; i < n_values; i++)
    max = MAX (max, values[i]);
  return max;
}

static void
draw_value_lines (GtkWidget   *widget,
                  cairo_t     *cr,
                  PangoLayout *layout,
                  int          width,
                  int          plot_height,
                  guint        top)
{
  GdkRGBA fg = vigil_chart_theme_color (widget, NULL);

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
}

static void
draw_time_axis (cairo_t     *cr,
                PangoLayout *layout,
                int          width,
                int          plot_height)
{
  int tw, th;

  pango_layout_set_text (layout, _("30 min ago"), -1);
  cairo_move_to (cr, VIGIL_CHART_AXIS_WIDTH, plot_height + 4);
  pango_cairo_show_layout (cr, layout);
  pango_layout_set_text (layout, _("now"), -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_move_to (cr, width - tw, plot_height + 4);
  pango_cairo_show_layout (cr, layout);
}

gboolean
vigil_chart_begin (GtkWidget       *widget,
                   cairo_t         *cr,
                   int              width,
                   int              height,
                   guint            n_minutes,
                   guint            max_value,
                   VigilChartFrame *frame)
{
  PangoLayout *layout;

  frame->width = width;
  frame->plot_height = height - VIGIL_CHART_AXIS_HEIGHT;
  frame->top = vigil_chart_nice_ceiling (MAX (max_value, 4));
  if (frame->plot_height <= 0 || width <= VIGIL_CHART_AXIS_WIDTH)
    return FALSE;
  frame->slot = (double) (width - VIGIL_CHART_AXIS_WIDTH) / MAX (n_minutes, 1);
  frame->gap = MAX (1.0, frame->slot * 0.2);
  layout = gtk_widget_create_pango_layout (widget, NULL);
  draw_value_lines (widget, cr, layout, width, frame->plot_height, frame->top);
  draw_time_axis (cr, layout, width, frame->plot_height);
  g_object_unref (layout);
  return TRUE;
}

void
vigil_chart_add_bar (cairo_t               *cr,
                     const VigilChartFrame *frame,
                     guint                  minute,
                     guint                  below,
                     guint                  value)
{
  double x = VIGIL_CHART_AXIS_WIDTH + minute * frame->slot + frame->gap / 2;

  if (value == 0)
    return;
  cairo_rectangle (cr, x,
                   frame->plot_height - (double) frame->plot_height * (below + value) / frame->top,
                   frame->slot - frame->gap, (double) frame->plot_height * value / frame->top);
}

void
vigil_chart_draw_bars (GtkWidget             *widget,
                       cairo_t               *cr,
                       const VigilChartFrame *frame,
                       const char            *color_name,
                       const guint           *values,
                       guint                  n_minutes)
{
  GdkRGBA color = vigil_chart_theme_color (widget, color_name);

  gdk_cairo_set_source_rgba (cr, &color);
  for (guint m = 0; m < n_minutes; m++)
    vigil_chart_add_bar (cr, frame, m, 0, values[m]);
  cairo_fill (cr);
}
