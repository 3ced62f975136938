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

G_END_DECLS
