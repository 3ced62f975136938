/* vigil-policy-dry-run.c: what a draft policy would have done to the audited statements.
 *
 * A worker thread reads the newest audit records (their own read-only SQLite connection),
 * classifies each statement again and judges it under the draft with the engine's own
 * vigil_policy_judge_record(), then compares with the decision recorded. The result is an
 * immutable object handed to the main thread; a cancelled run returns nothing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <glib/gi18n.h>

#include "vigil-audit-read.h"
#include "vigil-dry-run-change.h"
#include "vigil-policy-dry-run.h"

#define N_DECISIONS 3
/* How often the worker looks at its cancellable. */
#define CANCEL_CHECK_EVERY 256

struct _VigilPolicyDryRun
{
  GObject     parent_instance;

  /* written by the worker, read-only once returned */
  guint       n_statements;
  guint       n_skipped;
  guint       n_changed;
  guint       transitions[N_DECISIONS][N_DECISIONS];  /* [recorded][draft] */
  gint64      read_us;
  gint64      judge_us;
  GListStore *changes;
};

typedef struct
{
  char            *data_dir;
  VigilPolicy     *draft;
  VigilClassifier *classifier;
  guint            limit;
} DryRunData;

G_DEFINE_FINAL_TYPE (VigilPolicyDryRun, vigil_policy_dry_run, G_TYPE_OBJECT)

static void
dry_run_data_free (DryRunData *data)
{
  g_free (data->data_dir);
  g_clear_object (&data->draft);
  g_clear_object (&data->classifier);
  g_free (data);
}

static gboolean
decision_from_string (const char    *text,
                      VigilDecision *out)
{
  for (guint i = 0; i < N_DECISIONS; i++)
    {
      if (g_strcmp0 (text, vigil_decision_to_string (i)) == 0)
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
judge (VigilPolicyDryRun      *self,
       DryRunData             *data,
       const VigilAuditRecord *record,
       GPtrArray              *changes)
{
  VigilDecision recorded;
  VigilVerdict verdict;

  if (!decision_from_string (record->decision, &recorded) ||
      !vigil_policy_judge_record (data->draft, data->classifier, record, &verdict))
    {
      self->n_skipped++;
      return;
    }
  self->n_statements++;
  self->transitions[recorded][verdict.decision]++;
  if (verdict.decision == recorded)
    return;
  self->n_changed++;
  g_ptr_array_add (changes, vigil_dry_run_change_new (record, recorded, &verdict));
}

static void
dry_run_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  DryRunData *data = task_data;
  g_autoptr(VigilPolicyDryRun) self = g_object_new (VIGIL_TYPE_POLICY_DRY_RUN, NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 judged;

  records = vigil_audit_read_latest (data->data_dir, data->limit, 0, &error);
  if (records == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  judged = g_get_monotonic_time ();
  self->read_us = judged - start;
  /* Oldest first as read; the list shows the newest first. */
  for (guint i = records->len; i > 0; i--)
    {
      if (i % CANCEL_CHECK_EVERY == 0 && g_task_return_error_if_cancelled (task))
        return;
      judge (self, data, g_ptr_array_index (records, i - 1), changes);
    }
  g_list_store_splice (self->changes, 0, 0, changes->pdata, changes->len);
  self->judge_us = g_get_monotonic_time () - judged;
  g_task_return_pointer (task, g_steal_pointer (&self), g_object_unref);
}

static void
vigil_policy_dry_run_dispose (GObject *object)
{
  VigilPolicyDryRun *self = VIGIL_POLICY_DRY_RUN (object);

  g_clear_object (&self->changes);
  G_OBJECT_CLASS (vigil_policy_dry_run_parent_class)->dispose (object);
}

static void
vigil_policy_dry_run_class_init (VigilPolicyDryRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_policy_dry_run_dispose;
}

static void
vigil_policy_dry_run_init (VigilPolicyDryRun *self)
{
  self->changes = g_list_store_new (VIGIL_TYPE_DRY_RUN_CHANGE);
}

void
vigil_policy_dry_run_async (const char          *data_dir,
                            VigilPolicy         *draft,
                            VigilClassifier     *classifier,
                            guint                limit,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DryRunData *data;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (VIGIL_IS_POLICY (draft));
  g_return_if_fail (VIGIL_IS_CLASSIFIER (classifier));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_policy_dry_run_async);
  data = g_new0 (DryRunData, 1);
  data->data_dir = g_strdup (data_dir);
  data->draft = g_object_ref (draft);
  data->classifier = g_object_ref (classifier);
  data->limit = limit;
  g_task_set_task_data (task, data, (GDestroyNotify) dry_run_data_free);
  g_task_run_in_thread (task, dry_run_thread);
}

VigilPolicyDryRun *
vigil_policy_dry_run_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_policy_dry_run_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
vigil_policy_dry_run_get_n_statements (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), 0);
  return self->n_statements;
}

guint
vigil_policy_dry_run_get_n_changed (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), 0);
  return self->n_changed;
}

guint
vigil_policy_dry_run_get_n_skipped (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), 0);
  return self->n_skipped;
}

guint
vigil_policy_dry_run_get_n_transitions (VigilPolicyDryRun *self,
                                        VigilDecision      recorded,
                                        VigilDecision      draft)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), 0);
  g_return_val_if_fail (recorded < N_DECISIONS && draft < N_DECISIONS, 0);
  return self->transitions[recorded][draft];
}

gint64
vigil_policy_dry_run_get_read_us (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), 0);
  return self->read_us;
}

gint64
vigil_policy_dry_run_get_judge_us (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), 0);
  return self->judge_us;
}

GListModel *
vigil_policy_dry_run_get_changes (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), NULL);
  return G_LIST_MODEL (self->changes);
}

char *
vigil_policy_dry_run_dup_summary (VigilPolicyDryRun *self)
{
  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), NULL);

  /* Translators: the first %u counts audited statements, the second those that would change */
  return g_strdup_printf (ngettext ("%u statement: %u would change",
                                    "%u statements: %u would change", self->n_statements),
                          self->n_statements, self->n_changed);
}

char *
vigil_policy_dry_run_dup_transitions (VigilPolicyDryRun *self)
{
  GString *out;

  g_return_val_if_fail (VIGIL_IS_POLICY_DRY_RUN (self), NULL);

  out = g_string_new (NULL);
  for (guint from = 0; from < N_DECISIONS; from++)
    for (guint to = 0; to < N_DECISIONS; to++)
      {
        if (from == to || self->transitions[from][to] == 0)
          continue;
        if (out->len > 0)
          g_string_append (out, " · ");
        /* Translators: a decision change and how many statements it affects: allow → deny 3 */
        g_string_append_printf (out, _("%s → %s %u"), vigil_decision_to_string (from),
                                vigil_decision_to_string (to), self->transitions[from][to]);
      }
  if (out->len == 0)
    g_string_append (out, _("No decision would change."));
  return g_string_free (out, FALSE);
}
