/* vigil-application.h: the console application; owns the engine and the models.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-audit-search.h"
#include "vigil-engine.h"
#include "vigil-identity-list.h"
#include "vigil-live-model.h"
#include "vigil-options.h"
#include "vigil-policy-model.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_APPLICATION_ID "org.vigil.Vigil"

#define VIGIL_TYPE_APPLICATION (vigil_application_get_type ())
G_DECLARE_FINAL_TYPE (VigilApplication, vigil_application, VIGIL, APPLICATION, AdwApplication)

VigilApplication *vigil_application_new               (void);
/* Opens the store and starts the engine as OPTIONS say (runs once; later calls do
 * nothing). A store failure is fatal; an engine failure is kept and shown in the window. */
gboolean          vigil_application_start             (VigilApplication   *self,
                                                       const VigilOptions *options,
                                                       GError            **error);
/* NULL until started, or when the store or engine failed. */
VigilStore       *vigil_application_get_store         (VigilApplication   *self);
VigilEngine      *vigil_application_get_engine        (VigilApplication   *self);
const GError     *vigil_application_get_engine_error  (VigilApplication   *self);
/* NULL when the schema is not installed (then nothing is remembered). */
GSettings        *vigil_application_get_settings      (VigilApplication   *self);
VigilLiveModel   *vigil_application_get_live_model    (VigilApplication   *self);
VigilIdentityList *vigil_application_get_identities   (VigilApplication   *self);
VigilPolicyModel *vigil_application_get_policy_model  (VigilApplication   *self);
/* Held statements (VigilApprovalItem), newest first, kept in step with the store's queue
 * every 500 ms while the engine runs; items are updated in place, never replaced. */
GListStore       *vigil_application_get_approvals     (VigilApplication   *self);
/* Reads the queue now instead of at the next tick. */
void              vigil_application_refresh_approvals (VigilApplication   *self);
/* The audit search (filters, pages) and the page it shows (VigilLiveRecord), newest first. */
VigilAuditSearch *vigil_application_get_audit_search  (VigilApplication   *self);
GListStore       *vigil_application_get_audit_results (VigilApplication   *self);
/* How many statements wait for a decision (asked before closing the window). */
guint             vigil_application_get_held_count    (VigilApplication   *self);
/* A reviewer's decision on held statement ID, recorded in the store as "os:USER"; the
 * engine resumes the waiting client. MINUTES > 0 approves its fingerprint for that long;
 * REASON goes with a denial. */
void              vigil_application_decide_async      (VigilApplication   *self,
                                                       gint64              id,
                                                       gboolean            approve,
                                                       guint               minutes,
                                                       const char         *reason,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean          vigil_application_decide_finish     (VigilApplication   *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);
/* As above for the views: DECISION is "approve" or "deny"; errors become toasts. */
void              vigil_application_decide            (VigilApplication   *self,
                                                       gint64              id,
                                                       const char         *decision,
                                                       guint               minutes,
                                                       const char         *reason);
/* Shows the policy in force (the store's newest version, or the built-in default). */
void              vigil_application_load_policy_async (VigilApplication   *self,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean          vigil_application_load_policy_finish (VigilApplication  *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);
/* Validates JSON (the error says exactly what is wrong, VIGIL_ERROR_INVALID), saves it as
 * a new version, has the engine reload it and shows it. */
void              vigil_application_import_policy_async (VigilApplication *self,
                                                       const char         *json,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean          vigil_application_import_policy_finish (VigilApplication *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);
/* The policy in force as the engine writes it (for export). */
char             *vigil_application_dup_policy_json   (VigilApplication   *self);
/* Walks the audit chain. TRUE when it could be read: then *OUT_INTACT, with
 * *OUT_ENTRIES, or else *OUT_FIRST_BAD_ID (0: no single record) and *OUT_REASON. */
void              vigil_application_verify_audit_async (VigilApplication  *self,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
gboolean          vigil_application_verify_audit_finish (VigilApplication *self,
                                                       GAsyncResult       *result,
                                                       gboolean           *out_intact,
                                                       gint64             *out_entries,
                                                       gint64             *out_first_bad_id,
                                                       char              **out_reason,
                                                       GError            **error);
/* The dbname clients ask for (the first --upstream's), for ready-made psql lines. */
const char       *vigil_application_get_connection_name (VigilApplication *self);
/* "127.0.0.1:6543", or NULL when the engine is not running. */
char             *vigil_application_dup_listen_address (VigilApplication  *self);

G_END_DECLS
