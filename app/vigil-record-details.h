/* vigil-record-details.h: everything about one statement (the Live and Audit detail pane).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-live-record.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_RECORD_DETAILS (vigil_record_details_get_type ())
G_DECLARE_FINAL_TYPE (VigilRecordDetails, vigil_record_details, VIGIL, RECORD_DETAILS, AdwBin)

VigilLiveRecord *vigil_record_details_get_record (VigilRecordDetails *self);
void             vigil_record_details_set_record (VigilRecordDetails *self,
                                                  VigilLiveRecord    *record);

G_END_DECLS
