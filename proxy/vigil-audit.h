/* vigil-audit.h: the write-ahead, hash-chained flight recorder.
 *
 * The audit writer thread owns its own SQLite connection and commits appended entries
 * in batches (group commit). A statement record must be committed before the statement
 * is forwarded upstream; its outcome follows as a separate chained entry.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-audit-record.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_AUDIT (vigil_audit_get_type ())
G_DECLARE_FINAL_TYPE (VigilAudit, vigil_audit, VIGIL, AUDIT, GObject)

/* Called on NOTIFY_CONTEXT once the record is durable (ERROR NULL, RECORD_ID set) or
 * could not be written (ERROR set: refuse the statement). */
typedef void (*VigilAuditCommitted) (gint64        record_id,
                                     const GError *error,
                                     gpointer      user_data);

/* Opens DATA_DIR/vigil.db's audit tables (the store has migrated them) and starts the
 * writer thread. */
VigilAudit *vigil_audit_new                (const char              *data_dir,
                                            GError                 **error);
/* Takes RECORD. Thread-safe, never blocks on SQLite. */
void        vigil_audit_append_statement   (VigilAudit              *self,
                                            VigilAuditRecord        *record,
                                            GMainContext            *notify_context,
                                            VigilAuditCommitted      callback,
                                            gpointer                 user_data);
/* The outcome of RECORD_ID: rows, duration, masked count, error, bytes. Fire and forget,
 * but chained and durable like everything else. */
void        vigil_audit_append_outcome     (VigilAudit              *self,
                                            gint64                   record_id,
                                            gint64                   rows,
                                            gint64                   duration_us,
                                            guint                    masked,
                                            const char              *error_sqlstate,
                                            const char              *error_message,
                                            guint64                  bytes_to_client);
/* Outcomes wait a moment to share the next statement's commit; a session that ends asks
 * for them to go now, without waiting. */
void        vigil_audit_commit_soon        (VigilAudit              *self);
/* Waits until everything appended so far is committed (tests, shutdown). */
void        vigil_audit_flush              (VigilAudit              *self);
/* Entries waiting for the writer, and the last batch's commit latency (metrics). */
guint       vigil_audit_get_queue_depth    (VigilAudit              *self);
gint64      vigil_audit_get_last_commit_us (VigilAudit              *self);

G_END_DECLS
