/* vigil-chart-draw.h: the cairo drawing the Overview's per-minute charts share.
 *
 * Plain functions on a cairo_t; the widget only lends its theme colours and fonts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The plot starts AXIS_WIDTH from the left and leaves AXIS_HEIGHT at the bottom for
 * "30 min ago … now". */
#define VIGIL_CHART_AXIS_WIDTH  40
#define VIGIL_CHART_AXIS_HEIGHT 20

/* Where one frame of a chart goes: one slot per minute, bars GAP narrower than a slot. */
typedef struct
{
  int    width;
  int    plot_height;
  guint  top;
  double slot;
  double gap;
} VigilChartFrame;

/* Makes AREA an Overview chart: CONTENT_HEIGHT tall, as wide as it gets, drawn by DRAW. */
void      vigil_chart_init         (GtkDrawingArea        *area,
                                    int                    content_height,
                                    GtkDrawingAreaDrawFunc draw);
/* The theme's named colour NAME (NULL: the widget's foreground), so dark mode works. */
GdkRGBA   vigil_chart_theme_color  (GtkWidget             *widget,
                                    const char            *name);
/* 1, 2, 5, 10, 20, 50 ... at or above VALUE. */
guint     vigil_chart_nice_ceiling (guint                  value);
/* The largest of VALUES. */
guint     vigil_chart_max          (const guint           *values,
                                    guint                  n_values);
/* Lays out N_MINUTES slots on a scale reaching MAX_VALUE (at least 4) and draws the grid
 * and the time axis; FALSE (nothing drawn) when WIDTH × HEIGHT is too small. */
gboolean  vigil_chart_begin        (GtkWidget             *widget,
                                    cairo_t               *cr,
                                    int                    width,
                                    int                    height,
                                    guint                  n_minutes,
                                    guint                  max_value,
                                    VigilChartFrame       *frame);
/* Adds minute MINUTE's bar of VALUE, stacked on BELOW, to the path (nothing for 0). */
void      vigil_chart_add_bar      (cairo_t               *cr,
                                    const VigilChartFrame *frame,
                                    guint                  minute,
                                    guint                  below,
                                    guint                  value);
/* One bar per minute of VALUES in the theme colour COLOR_NAME. */
void      vigil_chart_draw_bars    (GtkWidget             *widget,
                                    cairo_t               *cr,
                                    const VigilChartFrame *frame,
                                    const char            *color_name,
                                    const guint           *values,
                                    guint                  n_minutes);

G_END_DECLS
