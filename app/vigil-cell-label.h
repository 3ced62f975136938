/* vigil-cell-label.h: one line of text in a list cell, cheap to measure.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_CELL_LABEL (vigil_cell_label_get_type ())
G_DECLARE_FINAL_TYPE (VigilCellLabel, vigil_cell_label, VIGIL, CELL_LABEL, GtkWidget)

void        vigil_cell_label_set_label  (VigilCellLabel *self,
                                         const char     *label);
const char *vigil_cell_label_get_label  (VigilCellLabel *self);

G_END_DECLS
