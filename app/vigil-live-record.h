/* vigil-live-record.h: one statement as the console shows it (a list item).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-audit-record.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_LIVE_RECORD (vigil_live_record_get_type ())
G_DECLARE_FINAL_TYPE (VigilLiveRecord, vigil_live_record, VIGIL, LIVE_RECORD, GObject)

VigilLiveRecord *vigil_live_record_new          (const VigilAuditRecord *record);
/* Takes SOURCE's outcome (rows, duration, masked, error, approver) when it has one. */
void             vigil_live_record_merge        (VigilLiveRecord        *self,
                                                 VigilLiveRecord        *source);
gint64           vigil_live_record_get_id       (VigilLiveRecord        *self);
gint64           vigil_live_record_get_time_us  (VigilLiveRecord        *self);
const char      *vigil_live_record_get_identity (VigilLiveRecord        *self);
const char      *vigil_live_record_get_decision (VigilLiveRecord        *self);
gint64           vigil_live_record_get_rows     (VigilLiveRecord        *self);
gboolean         vigil_live_record_is_finished  (VigilLiveRecord        *self);
/* Lower-cased statement, identity, process and connection, for text search. */
const char      *vigil_live_record_get_haystack (VigilLiveRecord        *self);

G_END_DECLS
