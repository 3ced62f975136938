/* vigil-live-view.h: the statement stream, filtered, with a detail pane.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-live-model.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_LIVE_VIEW (vigil_live_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilLiveView, vigil_live_view, VIGIL, LIVE_VIEW, AdwBin)

void        vigil_live_view_set_model     (VigilLiveView  *self,
                                           VigilLiveModel *model);
void        vigil_live_view_focus_search  (VigilLiveView  *self);
/* Filters: NULL or "" shows all. DECISION is "allow", "deny" or "review". */
void        vigil_live_view_set_filter    (VigilLiveView  *self,
                                           const char     *identity,
                                           const char     *decision,
                                           const char     *text);
/* What the column view shows after filtering (for tests). */
GListModel *vigil_live_view_get_shown     (VigilLiveView  *self);

G_END_DECLS
