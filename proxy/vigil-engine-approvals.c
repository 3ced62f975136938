/* vigil-engine-approvals.c: the engine's side of the approval queue.
 *
 * Sessions park on held statements and register here. Decisions are written to the
 * store by whoever makes them (vigilctl, the console, the API); the engine polls the
 * requests it is waiting for, off its thread, and wakes the sessions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vigil-engine-private.h"
#include "vigil-session.h"

#define HELD_POLL_MS 250

static char *
print_key (const char *identity,
           const char *fingerprint)
{
  return g_strconcat (identity, "\n", fingerprint, NULL);
}

void
_vigil_engine_approvals_init (VigilEngine *self)
{
  self->held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->approved_prints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->approval_timeout = 300;
}

void
_vigil_engine_approvals_clear (VigilEngine *self)
{
  g_clear_object (&self->approvals);
  g_clear_pointer (&self->held, g_hash_table_unref);
  g_clear_pointer (&self->approved_prints, g_hash_table_unref);
}

VigilApprovals *
_vigil_engine_get_approvals (VigilEngine *self)
{
  return self->approvals;
}

guint
_vigil_engine_get_approval_timeout (VigilEngine *self)
{
  return self->approval_timeout;
}

void
vigil_engine_set_approval_timeout (VigilEngine *self,
                                   guint        seconds)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));
  self->approval_timeout = MAX (seconds, 1);
}

void
_vigil_engine_hold_register (VigilEngine  *self,
                             gint64        id,
                             VigilSession *session)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  g_hash_table_replace (self->held, g_memdup2 (&id, sizeof id), session);
}

void
_vigil_engine_hold_unregister (VigilEngine *self,
                               gint64       id)
{
  g_assert (VIGIL_IS_ENGINE_THREAD ());
  g_hash_table_remove (self->held, &id);
}

gboolean
_vigil_engine_fingerprint_approved (VigilEngine *self,
                                    const char  *identity,
                                    const char  *fingerprint)
{
  g_autofree char *key = print_key (identity, fingerprint);
  gint64 *expiry = g_hash_table_lookup (self->approved_prints, key);

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  if (expiry == NULL)
    return FALSE;
  if (*expiry > g_get_real_time ())
    return TRUE;
  g_hash_table_remove (self->approved_prints, key);
  return FALSE;
}

void
_vigil_engine_approve_fingerprint (VigilEngine *self,
                                   const char  *identity,
                                   const char  *fingerprint,
                                   guint        minutes)
{
  gint64 expiry = g_get_real_time () + (gint64) minutes * 60 * G_USEC_PER_SEC;

  g_assert (VIGIL_IS_ENGINE_THREAD ());
  if (fingerprint == NULL || minutes == 0)
    return;
  g_hash_table_replace (self->approved_prints, print_key (identity, fingerprint),
                        g_memdup2 (&expiry, sizeof expiry));
}

/* ---- polling ------------------------------------------------------------------------- */

static void
poll_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GArray *ids = task_data;
  VigilApprovals *approvals = VIGIL_ENGINE (source_object)->approvals;
  GPtrArray *decided = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_approval_free);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) error = NULL;
      VigilApproval *a = vigil_approvals_get (approvals, g_array_index (ids, gint64, i), &error);

      if (a != NULL && !vigil_approval_is_pending (a))
        g_ptr_array_add (decided, a);
      else
        vigil_approval_free (a);
    }
  g_task_return_pointer (task, decided, (GDestroyNotify) g_ptr_array_unref);
}

static void
apply_decision (VigilEngine         *self,
                const VigilApproval *a)
{
  VigilSession *session = g_hash_table_lookup (self->held, &a->id);
  gboolean approved = g_strcmp0 (a->status, "approved") == 0;

  if (session == NULL)
    return;
  if (approved)
    _vigil_engine_approve_fingerprint (self, a->identity, a->fingerprint,
                                       (guint) MAX (a->approve_minutes, 0));
  g_message ("approval #%" G_GINT64_FORMAT " %s by %s", a->id, a->status,
             a->decided_by ? a->decided_by : "nobody");
  vigil_session_resolve_hold (session, a->id, approved, a->decided_by,
                              a->decision_reason ? a->decision_reason : a->status);
}

static void
polled_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  VigilEngine *self = VIGIL_ENGINE (source);
  g_autoptr(GPtrArray) decided = g_task_propagate_pointer (G_TASK (result), NULL);

  self->held_polling = FALSE;
  for (guint i = 0; decided != NULL && i < decided->len; i++)
    apply_decision (self, g_ptr_array_index (decided, i));
}

static gboolean
poll_held_cb (gpointer data)
{
  VigilEngine *self = data;
  g_autoptr(GTask) task = NULL;
  GArray *ids;
  GHashTableIter iter;
  gpointer key;

  if (self->held_polling || g_hash_table_size (self->held) == 0)
    return G_SOURCE_CONTINUE;
  ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_hash_table_iter_init (&iter, self->held);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_array_append_val (ids, *(gint64 *) key);
  self->held_polling = TRUE;
  task = g_task_new (self, NULL, polled_cb, NULL);
  g_task_set_source_tag (task, poll_held_cb);
  g_task_set_task_data (task, ids, (GDestroyNotify) g_array_unref);
  g_task_run_in_thread (task, poll_thread);
  return G_SOURCE_CONTINUE;
}

void
_vigil_engine_approvals_attach (VigilEngine *self)
{
  g_autoptr(GSource) source = g_timeout_source_new (HELD_POLL_MS);

  g_source_set_callback (source, poll_held_cb, self, NULL);
  g_source_attach (source, self->context);
}
