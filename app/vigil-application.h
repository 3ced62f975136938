/* vigil-application.h: the console application; owns the engine and the models.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

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
/* Held statements (VigilApproval), for the lead to fill from the engine's queue. */
GListStore       *vigil_application_get_approvals     (VigilApplication   *self);
/* Audit search results (VigilLiveRecord), for the lead to fill from vigil-audit-read. */
GListStore       *vigil_application_get_audit_results (VigilApplication   *self);
/* How many statements wait for a decision (asked before closing the window). */
guint             vigil_application_get_held_count    (VigilApplication   *self);
/* A reviewer's decision on held statement ID: "approve" or "deny"; MINUTES > 0 approves
 * its fingerprint for that long; REASON goes with a denial. */
void              vigil_application_decide            (VigilApplication   *self,
                                                       gint64              id,
                                                       const char         *decision,
                                                       guint               minutes,
                                                       const char         *reason);
/* Validates JSON, shows it in the Policies view and hands it to the engine. */
gboolean          vigil_application_apply_policy      (VigilApplication   *self,
                                                       const char         *json,
                                                       GError            **error);
/* The dbname clients ask for (the first --upstream's), for ready-made psql lines. */
const char       *vigil_application_get_connection_name (VigilApplication *self);
/* "127.0.0.1:6543", or NULL when the engine is not running. */
char             *vigil_application_dup_listen_address (VigilApplication  *self);

G_END_DECLS
