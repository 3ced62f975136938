/* vigil-overview-view.h: totals and charts over the live stream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-live-model.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_OVERVIEW_VIEW (vigil_overview_view_get_type ())
G_DECLARE_FINAL_TYPE (VigilOverviewView, vigil_overview_view, VIGIL, OVERVIEW_VIEW, AdwBin)

void vigil_overview_view_set_model (VigilOverviewView *self,
                                    VigilLiveModel    *model);
/* Recomputes now instead of at the next throttled refresh (tests). */
void vigil_overview_view_refresh   (VigilOverviewView *self);

G_END_DECLS
