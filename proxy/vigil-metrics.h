/* vigil-metrics.h: counters for the HTTP API's Prometheus endpoint.
 *
 * Fed by the engine's live event stream and by the approval queue; rendered in the
 * Prometheus text exposition format. Not thread-safe: one thread (the API's) owns it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "vigil-approvals.h"
#include "vigil-audit.h"

G_BEGIN_DECLS

typedef struct _VigilMetrics VigilMetrics;

VigilMetrics *vigil_metrics_new              (void);
void          vigil_metrics_free             (VigilMetrics        *self);
/* A batch from vigil_engine_subscribe_events(): each statement is counted once, its
 * outcome (duration, masked values) when the second record with the same id arrives. */
void          vigil_metrics_add_records      (VigilMetrics        *self,
                                              GPtrArray           *records);
/* Held statements and their wait, counted once per request once it is decided. */
void          vigil_metrics_add_approval     (VigilMetrics        *self,
                                              const VigilApproval *approval);
/* Sessions seen in the last minute; AUDIT (nullable) for the writer's queue and latency. */
char         *vigil_metrics_render           (VigilMetrics        *self,
                                              VigilAudit          *audit,
                                              gint64               now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilMetrics, vigil_metrics_free)

G_END_DECLS
