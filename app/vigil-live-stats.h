/* vigil-live-stats.h: counters over every live event, per minute, for the Overview.
 *
 * Fed by the live model from the engine's batches (paused or not), so that the charts
 * count every statement although the model keeps only the newest rows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-audit-record.h"

G_BEGIN_DECLS

typedef enum {
  VIGIL_LIVE_ALLOWED,
  VIGIL_LIVE_DENIED,
  VIGIL_LIVE_HELD,
  VIGIL_LIVE_N_DECISIONS
} VigilLiveDecision;

/* How far back the per-minute counters reach. */
#define VIGIL_LIVE_STATS_MINUTES 60

#define VIGIL_TYPE_LIVE_STATS (vigil_live_stats_get_type ())
G_DECLARE_FINAL_TYPE (VigilLiveStats, vigil_live_stats, VIGIL, LIVE_STATS, GObject)

VigilLiveStats *vigil_live_stats_new            (void);
/* A statement is counted once, when it arrives (or with its outcome if that comes
 * first); its masked values with its outcome. */
void            vigil_live_stats_add            (VigilLiveStats         *self,
                                                 const VigilAuditRecord *record);
/* The N_MINUTES (≤ VIGIL_LIVE_STATS_MINUTES) minutes up to NOW_US, oldest first:
 * DECISIONS gets N_MINUTES × VIGIL_LIVE_N_DECISIONS counts, MASKED N_MINUTES (either may
 * be NULL). */
void            vigil_live_stats_get_minutes    (VigilLiveStats         *self,
                                                 gint64                  now_us,
                                                 guint                   n_minutes,
                                                 guint                  *decisions,
                                                 guint                  *masked);
/* Statements since start (or the last clear) with DECISION. */
guint64         vigil_live_stats_get_total      (VigilLiveStats         *self,
                                                 VigilLiveDecision       decision);
/* Statements per identity (char * → GUINT_TO_POINTER), at most 500 identities. */
GHashTable     *vigil_live_stats_get_identities (VigilLiveStats         *self);
void            vigil_live_stats_clear          (VigilLiveStats         *self);

G_END_DECLS
