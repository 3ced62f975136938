/* vigil-approvals.h: requests to run held statements, and the humans' decisions.
 *
 * Kept in the store (its own SQLite connection), so that the engine, vigilctl and the
 * console share one queue. Blocking: call from worker threads or the CLI, never from
 * the engine thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-types.h"

G_BEGIN_DECLS

typedef struct
{
  gint64  id;
  gint64  created_us;       /* unix microseconds */
  guint64 session;
  char   *identity;
  char   *connection;
  gint    pid;
  char   *exe;
  char   *os_user;
  char   *statement;
  char   *class;
  char   *relations;
  char   *rule;
  char   *reason;           /* why it was held: the rule's message */
  char   *fingerprint;
  gint64  estimated_rows;   /* -1 unknown */
  char   *status;           /* pending | approved | denied | expired | withdrawn */
  char   *decided_by;
  char   *decision_reason;
  gint64  decided_us;
  gint    approve_minutes;  /* > 0: the fingerprint is approved for this identity that long */
} VigilApproval;

#define VIGIL_TYPE_APPROVAL (vigil_approval_get_type ())
GType          vigil_approval_get_type (void) G_GNUC_CONST;
VigilApproval *vigil_approval_new      (void);
VigilApproval *vigil_approval_copy     (const VigilApproval *self);
void           vigil_approval_free     (VigilApproval       *self);
char          *vigil_approval_to_json  (const VigilApproval *self);
gboolean       vigil_approval_is_pending (const VigilApproval *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilApproval, vigil_approval_free)

#define VIGIL_TYPE_APPROVALS (vigil_approvals_get_type ())
G_DECLARE_FINAL_TYPE (VigilApprovals, vigil_approvals, VIGIL, APPROVALS, GObject)

/* DATA_DIR/vigil.db must have been migrated by vigil_store_open(). */
VigilApprovals *vigil_approvals_open   (const char      *data_dir,
                                        GError         **error);
/* Inserts REQUEST as pending and sets its id. */
gboolean        vigil_approvals_create (VigilApprovals  *self,
                                        VigilApproval   *request,
                                        GError         **error);
VigilApproval  *vigil_approvals_get    (VigilApprovals  *self,
                                        gint64           id,
                                        GError         **error);
/* Newest first; PENDING_ONLY for the queue. Element type: VigilApproval. */
GPtrArray      *vigil_approvals_list   (VigilApprovals  *self,
                                        gboolean         pending_only,
                                        guint            limit,
                                        GError         **error);
/* Approves or denies a pending request. BY may not be the requesting identity. */
gboolean        vigil_approvals_decide (VigilApprovals  *self,
                                        gint64           id,
                                        gboolean         approve,
                                        const char      *by,
                                        const char      *reason,
                                        gint             approve_minutes,
                                        GError         **error);
/* Ends a pending request without a human: "expired" or "withdrawn". */
gboolean        vigil_approvals_close  (VigilApprovals  *self,
                                        gint64           id,
                                        const char      *status,
                                        const char      *reason,
                                        GError         **error);

G_END_DECLS
