/* vigil-masked-chart.h: values masked per minute, as bars (cairo).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_MASKED_CHART (vigil_masked_chart_get_type ())
G_DECLARE_FINAL_TYPE (VigilMaskedChart, vigil_masked_chart, VIGIL, MASKED_CHART, GtkDrawingArea)

/* COUNTS holds N_MINUTES values, oldest minute first. */
void   vigil_masked_chart_set_counts (VigilMaskedChart *self,
                                      const guint      *counts,
                                      guint             n_minutes);
/* The values shown, summed (tests). */
guint  vigil_masked_chart_get_total  (VigilMaskedChart *self);

G_END_DECLS
