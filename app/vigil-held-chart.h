/* vigil-held-chart.h: statements held for approval per minute, and how long they waited
 * (cairo).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_HELD_CHART (vigil_held_chart_get_type ())
G_DECLARE_FINAL_TYPE (VigilHeldChart, vigil_held_chart, VIGIL, HELD_CHART, GtkDrawingArea)

/* Per minute, oldest first: HELD requests made, and the longest WAIT_SECONDS one of them
 * waited for its decision (still waiting: until now). */
void   vigil_held_chart_set_minutes (VigilHeldChart *self,
                                     const guint    *held,
                                     const double   *wait_seconds,
                                     guint           n_minutes);
/* The requests shown, summed, and the longest wait (tests). */
guint  vigil_held_chart_get_total   (VigilHeldChart *self);
double vigil_held_chart_get_longest (VigilHeldChart *self);

G_END_DECLS
