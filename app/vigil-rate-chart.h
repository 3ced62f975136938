/* vigil-rate-chart.h: statements per minute by decision, as stacked bars (cairo).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  VIGIL_RATE_ALLOWED,
  VIGIL_RATE_DENIED,
  VIGIL_RATE_HELD,
  VIGIL_RATE_N_SERIES
} VigilRateSeries;

#define VIGIL_TYPE_RATE_CHART (vigil_rate_chart_get_type ())
G_DECLARE_FINAL_TYPE (VigilRateChart, vigil_rate_chart, VIGIL, RATE_CHART, GtkDrawingArea)

GtkWidget *vigil_rate_chart_new         (void);
/* COUNTS holds N_MINUTES × VIGIL_RATE_N_SERIES values, oldest minute first. */
void       vigil_rate_chart_set_counts  (VigilRateChart *self,
                                         const guint    *counts,
                                         guint           n_minutes);

/* Shared by the Overview's charts: the plot starts AXIS_WIDTH from the left and leaves
 * AXIS_HEIGHT at the bottom for "30 min ago … now". */
#define VIGIL_CHART_AXIS_WIDTH  40
#define VIGIL_CHART_AXIS_HEIGHT 20

/* The theme's named colour NAME (NULL: the widget's foreground), so dark mode works. */
GdkRGBA    _vigil_chart_theme_color     (GtkWidget      *widget,
                                         const char     *name);
guint      _vigil_chart_nice_ceiling    (guint           value);
/* Four grid lines up to TOP with their values, and the time axis. */
void       _vigil_chart_draw_grid       (GtkWidget      *widget,
                                         cairo_t        *cr,
                                         int             width,
                                         int             plot_height,
                                         guint           top);

G_END_DECLS
