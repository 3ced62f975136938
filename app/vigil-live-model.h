/* vigil-live-model.h: the newest statements, as a GListModel of VigilLiveRecord.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-live-record.h"
#include "vigil-live-stats.h"

G_BEGIN_DECLS

#define VIGIL_LIVE_MODEL_DEFAULT_MAX 5000

#define VIGIL_TYPE_LIVE_MODEL (vigil_live_model_get_type ())
G_DECLARE_FINAL_TYPE (VigilLiveModel, vigil_live_model, VIGIL, LIVE_MODEL, GObject)

VigilLiveModel *vigil_live_model_new            (guint             max_items);
/* Copies what it keeps; RECORDS (VigilAuditRecord) stay the caller's. Matches
 * VigilEngineEventsFunc, so it can be the engine's event sink directly. */
void            vigil_live_model_push_batch     (GPtrArray        *records,
                                                 gpointer          self);
void            vigil_live_model_set_paused     (VigilLiveModel   *self,
                                                 gboolean          paused);
gboolean        vigil_live_model_get_paused     (VigilLiveModel   *self);
guint           vigil_live_model_get_max_items  (VigilLiveModel   *self);
/* Records waiting while paused. */
guint           vigil_live_model_get_n_pending  (VigilLiveModel   *self);
/* Every record ever pushed, coalesced updates excluded. */
guint64         vigil_live_model_get_n_seen     (VigilLiveModel   *self);
/* The identity names seen so far, in order of appearance (GtkStringList). */
GListModel     *vigil_live_model_get_identities (VigilLiveModel   *self);
/* Clears the rows and the counters. */
void            vigil_live_model_clear          (VigilLiveModel   *self);
/* Per-minute counters over every record pushed (the Overview's charts). */
VigilLiveStats *vigil_live_model_get_stats      (VigilLiveModel   *self);

G_END_DECLS
