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

/* Opens DATA_DIR/vigil.db's audit tables (the store has migrated them), replays what the
 * journal has that they lack, and starts the writer thread. One writer per data
 * directory: a second one fails with VIGIL_ERROR_STORE. */
VigilAudit *vigil_audit_new                (const char              *data_dir,
                                            GError                 **error);
/* Replays DATA_DIR's journal into audit_log without opening a writer (readers such as
 * `vigilctl audit` call it after a crash); safe beside a running writer. */
gboolean    vigil_audit_recover            (const char              *data_dir,
                                            guint64                 *out_replayed,
                                            GError                 **error);
/* Makes RECORD durable before returning (the write-ahead promise): the
 * entry's id, or 0 with VIGIL_ERROR_STORE when it could not be written or the database
 * is refusing entries (refuse the statement). Thread-safe, never waits for SQLite. */
gint64      vigil_audit_log_statement      (VigilAudit              *self,
                                            const VigilAuditRecord  *record,
                                            GError                 **error);
/* As vigil_audit_log_statement, telling CALLBACK on NOTIFY_CONTEXT. Takes RECORD. */
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
/* Entries wait a moment to share a batch; a session that ends asks for its outcomes to
 * go now, without waiting. */
void        vigil_audit_commit_soon        (VigilAudit              *self);
/* Waits until everything appended so far is in the database (tests, shutdown); FALSE
 * when the database refused a batch meanwhile (the entries stay in the journal). */
gboolean    vigil_audit_flush              (VigilAudit              *self);
/* Entries waiting for the writer, and the last batch's commit latency (metrics). */
guint       vigil_audit_get_queue_depth    (VigilAudit              *self);
gint64      vigil_audit_get_last_commit_us (VigilAudit              *self);

G_END_DECLS
