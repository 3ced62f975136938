/* vigil-record-cells.h: the cells of a column view of VigilLiveRecord.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What a column shows of each record. */
typedef enum
{
  VIGIL_RECORD_CELL_TIME,
  VIGIL_RECORD_CELL_IDENTITY,
  VIGIL_RECORD_CELL_PROCESS,
  VIGIL_RECORD_CELL_CONNECTION,
  VIGIL_RECORD_CELL_STATEMENT,
  VIGIL_RECORD_CELL_DECISION,
  VIGIL_RECORD_CELL_ROWS,
  VIGIL_RECORD_CELL_DURATION,
} VigilRecordCell;

/* Gives the columns of VIEW, in their order, the factories of CELLS (N_CELLS of them, one
 * for each column). */
void vigil_record_cells_attach (GtkColumnView         *view,
                                const VigilRecordCell *cells,
                                guint                  n_cells);

G_END_DECLS
