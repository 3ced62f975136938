/* vigil-event-hub.h: live statement events fanned out to subscribers in batches.
 *
 * Publishing is thread-safe and cheap (a copy under a lock); each subscriber receives
 * batches on its own GMainContext, at most one per frame, never one call per statement.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-audit-record.h"

G_BEGIN_DECLS

typedef struct _VigilEventHub VigilEventHub;

/* RECORDS (VigilAuditRecord) belong to the hub; copy what you keep. */
typedef void (*VigilEventsFunc) (GPtrArray *records,
                                 gpointer   user_data);

VigilEventHub *vigil_event_hub_new         (void);
void           vigil_event_hub_free        (VigilEventHub          *self);
/* FUNC runs on CONTEXT, at PRIORITY, with what was published in the last ~50 ms. */
guint          vigil_event_hub_subscribe   (VigilEventHub          *self,
                                            GMainContext           *context,
                                            int                     priority,
                                            VigilEventsFunc         func,
                                            gpointer                user_data,
                                            GDestroyNotify          destroy);
void           vigil_event_hub_unsubscribe (VigilEventHub          *self,
                                            guint                   id);
void           vigil_event_hub_publish     (VigilEventHub          *self,
                                            const VigilAuditRecord *record);
gboolean       vigil_event_hub_has_subscribers (VigilEventHub      *self);

G_END_DECLS
