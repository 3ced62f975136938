/* vigil-demo.h: believable generated traffic, for `vigil --demo`, tests and screenshots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-approvals.h"
#include "vigil-audit-record.h"
#include "vigil-live-model.h"

G_BEGIN_DECLS

/* N records with ids FIRST_ID..., spread over the SPAN_US before NOW_US; every field
 * points at static text. Element type: VigilAuditRecord (freed with g_free). */
GPtrArray *vigil_demo_make_records (guint        n,
                                    gint64       first_id,
                                    gint64       now_us,
                                    gint64       span_us);
/* Statements the demo holds for review. Element type: VigilApproval (freed with g_free). */
GPtrArray *vigil_demo_make_held    (void);
/* Feeds LIVE a few statements every 200 ms until the returned source is removed. */
guint      vigil_demo_start        (VigilLiveModel *live);

G_END_DECLS
