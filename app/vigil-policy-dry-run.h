/* vigil-policy-dry-run.h: what a draft policy would have done to the audited statements.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-classify.h"
#include "vigil-policy.h"

G_BEGIN_DECLS

/* How many of the newest audited statements a dry run judges. */
#define VIGIL_POLICY_DRY_RUN_LIMIT 10000

#define VIGIL_TYPE_POLICY_DRY_RUN (vigil_policy_dry_run_get_type ())
G_DECLARE_FINAL_TYPE (VigilPolicyDryRun, vigil_policy_dry_run, VIGIL, POLICY_DRY_RUN, GObject)

/* Reads the newest LIMIT statement records of DATA_DIR's audit and judges each again under
 * DRAFT (re-classified by CLASSIFIER, which caches by text), on a worker thread. */
void               vigil_policy_dry_run_async           (const char         *data_dir,
                                                         VigilPolicy        *draft,
                                                         VigilClassifier    *classifier,
                                                         guint               limit,
                                                         GCancellable       *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer            user_data);
VigilPolicyDryRun *vigil_policy_dry_run_finish          (GAsyncResult       *result,
                                                         GError            **error);

/* Statements judged, and how many of them the draft decides differently. */
guint              vigil_policy_dry_run_get_n_statements (VigilPolicyDryRun *self);
guint              vigil_policy_dry_run_get_n_changed   (VigilPolicyDryRun  *self);
/* Records that could not be judged (an unknown identity kind or decision). */
guint              vigil_policy_dry_run_get_n_skipped   (VigilPolicyDryRun  *self);
guint              vigil_policy_dry_run_get_n_transitions (VigilPolicyDryRun *self,
                                                         VigilDecision       recorded,
                                                         VigilDecision       draft);
/* Time spent reading the audit and judging the statements. */
gint64             vigil_policy_dry_run_get_read_us     (VigilPolicyDryRun  *self);
gint64             vigil_policy_dry_run_get_judge_us    (VigilPolicyDryRun  *self);
/* The changed statements, newest first (VigilDryRunChange). */
GListModel        *vigil_policy_dry_run_get_changes     (VigilPolicyDryRun  *self);
/* "10,000 statements: 37 would change" */
char              *vigil_policy_dry_run_dup_summary     (VigilPolicyDryRun  *self);
/* "allow → deny 30 · allow → review 7", or that nothing would change. */
char              *vigil_policy_dry_run_dup_transitions (VigilPolicyDryRun  *self);

G_END_DECLS
