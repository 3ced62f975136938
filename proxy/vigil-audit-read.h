/* vigil-audit-read.h: reading and verifying the audit log (vigilctl, the console, tests).
 *
 * These open DATA_DIR/vigil.db read-only with their own connection; they block, so
 * call them from a worker thread or a command-line tool, never the engine thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "vigil-audit-record.h"

G_BEGIN_DECLS

#define VIGIL_AUDIT_VERIFY_ERROR (vigil_audit_verify_error_quark ())
GQuark vigil_audit_verify_error_quark (void);

typedef enum {
  VIGIL_AUDIT_VERIFY_ERROR_BROKEN,  /* the chain, the checkpoint or audit.head disagree */
} VigilAuditVerifyError;

/* Walks the chain from the genesis. TRUE when intact (*OUT_ENTRIES entries,
 * *OUT_HEAD_HASH the newest hash in hex). FALSE with VIGIL_AUDIT_VERIFY_ERROR_BROKEN when
 * tampered: *OUT_FIRST_BAD_ID is the first bad entry id (0 when no single entry is to
 * blame, e.g. audit.head is missing) and *OUT_REASON says why. FALSE with another
 * error (VIGIL_ERROR_STORE) when the log could not be read at all. */
gboolean   vigil_audit_verify        (const char  *data_dir,
                                      gint64      *out_entries,
                                      gint64      *out_first_bad_id,
                                      char       **out_reason,
                                      GError     **error);
/* As vigil_audit_verify, also returning the head hash (hex) when intact. */
gboolean   vigil_audit_verify_full   (const char  *data_dir,
                                      gint64      *out_entries,
                                      char       **out_head_hash,
                                      gint64      *out_first_bad_id,
                                      char       **out_reason,
                                      GError     **error);

/* The newest LIMIT statement records (0: all) with id > AFTER_ID, their outcome merged
 * in, oldest first. Element type: VigilAuditRecord. */
GPtrArray *vigil_audit_read_latest   (const char  *data_dir,
                                      guint        limit,
                                      gint64       after_id,
                                      GError     **error);

G_END_DECLS
