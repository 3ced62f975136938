/* vigil-policies-view-private.h: the Policies view's state, shared by its two files.
 *
 * vigil-policies-view.c shows the policy and imports and exports it;
 * vigil-policies-view-draft.c edits the draft and runs the dry run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-application.h"
#include "vigil-policies-view.h"

G_BEGIN_DECLS

struct _VigilPoliciesView
{
  AdwBin              parent_instance;

  /* main thread only, as every widget */
  VigilPolicyModel   *model;
  VigilClassifier    *classifier;     /* the dry run's; its cache outlives one run */
  GCancellable       *dry_cancellable;
  VigilPolicyDryRun  *dry_run;        /* the last finished run, NULL while one runs */
  gboolean            dry_wanted;     /* asked for once: run again when the draft changes */
  guint               select_after;   /* the rule a dialog's edit should select */

  /* template children */
  GtkColumnView      *rules_view;
  GtkSingleSelection *rules_selection;
  GtkNoSelection     *masking_selection;
  GtkLabel           *default_label;
  GtkLabel           *version_label;
  GtkLabel           *error_label;
  GtkSpinner         *dry_spinner;
  GtkLabel           *dry_summary_label;
  GtkLabel           *dry_transitions_label;
  GtkLabel           *dry_timing_label;
  GtkWidget          *dry_changes_window;
  GtkNoSelection     *dry_changes_selection;
};

VigilApplication *_vigil_policies_view_get_app           (VigilPoliciesView *self);
void              _vigil_policies_view_toast             (VigilPoliciesView *self,
                                                          const char        *text);
void              _vigil_policies_view_update_version    (VigilPoliciesView *self);

/* vigil-policies-view-draft.c */
void              _vigil_policies_view_class_init_draft  (GtkWidgetClass    *widget_class);
void              _vigil_policies_view_init_draft        (VigilPoliciesView *self);
void              _vigil_policies_view_dispose_draft     (VigilPoliciesView *self);
void              _vigil_policies_view_update_actions    (VigilPoliciesView *self);
/* The draft's rules changed: edits, Save, Discard, a reload. */
void              _vigil_policies_view_rules_changed     (VigilPoliciesView *self);

G_END_DECLS
