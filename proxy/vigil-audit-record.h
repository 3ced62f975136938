/* vigil-audit-record.h: one statement as the flight recorder keeps it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-types.h"

G_BEGIN_DECLS

typedef struct
{
  /* assigned by the audit writer when committed */
  gint64  id;

  /* who and where (set by the engine before append) */
  gint64  time_us;        /* g_get_real_time () when the statement was received */
  char   *identity;
  char   *identity_kind;  /* "agent" | "human" | "admin" */
  gint    pid;            /* 0 when unknown */
  char   *exe;
  char   *os_user;
  char   *connection;
  guint64 session;        /* the engine's session id */
  char   *protocol;       /* "simple" | "extended" | "copy" | "function" */

  /* what */
  char   *statement;      /* as sent (the masking issue masks literals later) */
  char   *params;         /* JSON array of parameter values (strings or null), or NULL */
  char   *class;          /* e.g. "read", "update", "drop,read" */
  char   *relations;      /* comma-separated, or NULL */
  char   *decision;       /* "allow" | "deny" | "review" */
  char   *rule;           /* the policy rule that decided, or NULL for the default */
  char   *approver;       /* who approved a held statement, or NULL */

  /* outcome (set by vigil_audit_append_outcome, NULL/-1 until then) */
  gint64  rows;           /* -1 unknown */
  gint64  duration_us;    /* -1 unknown */
  guint   masked;
  char   *error_sqlstate;
  char   *error_message;
  guint64 bytes_to_client;
} VigilAuditRecord;

#define VIGIL_TYPE_AUDIT_RECORD (vigil_audit_record_get_type ())
GType             vigil_audit_record_get_type (void) G_GNUC_CONST;
VigilAuditRecord *vigil_audit_record_new      (void);
VigilAuditRecord *vigil_audit_record_copy     (const VigilAuditRecord *self);
void              vigil_audit_record_free     (VigilAuditRecord       *self);
/* One JSON object as `vigilctl audit tail --json` prints it (DESIGN.md's fields). */
char             *vigil_audit_record_to_json  (const VigilAuditRecord *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAuditRecord, vigil_audit_record_free)

G_END_DECLS
