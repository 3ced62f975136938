/* vigil-metrics.h: counters for the HTTP API's Prometheus endpoint.
 *
 * Fed by the engine as it emits each statement's records and by the approval queue;
 * rendered in the Prometheus text exposition format. Thread-safe; counting a record
 * allocates nothing once its class, decision and session have been seen.
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
/* A record as the engine emits it: each statement is counted once, its outcome
 * (duration, masked values) when the second record with the same id arrives. */
void          vigil_metrics_add_record       (VigilMetrics           *self,
                                              const VigilAuditRecord *record);
/* Held statements and their wait, counted once per request once it is decided. */
void          vigil_metrics_add_approval     (VigilMetrics        *self,
                                              const VigilApproval *approval);
/* Sessions seen in the last minute; AUDIT (nullable) for the writer's queue and latency. */
char         *vigil_metrics_render           (VigilMetrics        *self,
                                              VigilAudit          *audit,
                                              gint64               now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilMetrics, vigil_metrics_free)

G_END_DECLS
