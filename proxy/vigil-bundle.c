/* vigil-bundle.c: the bundle API's small parts: times, summaries, the GTask wrapper.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vigil-bundle.h"
#include "vigil-types.h"

typedef struct
{
  char                *data_dir;
  VigilBundleFilter    filter;
  char                *out_path;
  GMainContext        *context;
  VigilBundleProgress  progress;
  gpointer             progress_data;
  GDestroyNotify       progress_destroy;
  GMutex               lock;
  int                  last_percent;     /* under lock */
  char                *last_stage;       /* under lock */
} ExportTask;

typedef struct
{
  GTask      *task;
  char       *stage;
  double      fraction;
} ProgressNote;

static void
export_task_free (gpointer data)
{
  ExportTask *t = data;

  g_free (t->data_dir);
  g_free (t->filter.identity);
  g_free (t->filter.connection);
  g_free (t->out_path);
  g_main_context_unref (t->context);
  if (t->progress_destroy != NULL)
    t->progress_destroy (t->progress_data);
  g_mutex_clear (&t->lock);
  g_free (t->last_stage);
  g_free (t);
}

static gboolean
progress_note_cb (gpointer data)
{
  ProgressNote *note = data;
  ExportTask *t = g_task_get_task_data (note->task);

  t->progress (note->stage, note->fraction, t->progress_data);
  return G_SOURCE_REMOVE;
}

static void
progress_note_free (gpointer data)
{
  ProgressNote *note = data;

  g_object_unref (note->task);
  g_free (note->stage);
  g_free (note);
}

/* Worker thread: forwards at most one note per percent and stage to the caller. */
static void
worker_progress_cb (const char *stage,
                    double      fraction,
                    gpointer    user_data)
{
  GTask *task = user_data;
  ExportTask *t = g_task_get_task_data (task);
  int percent = (int) (fraction * 100);
  ProgressNote *note;

  g_mutex_lock (&t->lock);
  if (percent == t->last_percent && g_strcmp0 (stage, t->last_stage) == 0)
    {
      g_mutex_unlock (&t->lock);
      return;
    }
  t->last_percent = percent;
  vigil_set_str (&t->last_stage, stage);
  g_mutex_unlock (&t->lock);
  note = g_new0 (ProgressNote, 1);
  note->task = g_object_ref (task);
  note->stage = g_strdup (stage);
  note->fraction = fraction;
  /* The note holds the task, so its data outlives the note. */
  g_main_context_invoke_full (t->context, G_PRIORITY_DEFAULT, progress_note_cb, note,
                              progress_note_free);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportTask *t = task_data;
  VigilBundleSummary *summary = NULL;
  GError *error = NULL;

  if (vigil_bundle_export (t->data_dir, &t->filter, t->out_path,
                           t->progress != NULL ? worker_progress_cb : NULL, task, cancellable,
                           &summary, &error))
    g_task_return_pointer (task, summary, (GDestroyNotify) vigil_bundle_summary_free);
  else
    g_task_return_error (task, error);
}

/* Public API */

void
vigil_bundle_summary_free (VigilBundleSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->first_prev_hash);
  g_free (summary->last_hash);
  g_free (summary->fingerprint);
  g_free (summary->install_id);
  g_free (summary->created);
  g_free (summary);
}

gboolean
vigil_bundle_parse_time (const char  *text,
                         gboolean     end_of_range,
                         gint64      *out_us,
                         GError     **error)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) dt = NULL;
  int y, m, d;
  char tail;

  g_return_val_if_fail (text != NULL && out_us != NULL, FALSE);

  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen (text) == 10)
    {
      g_autoptr(GDateTime) day = g_date_time_new (local, y, m, d, 0, 0, 0);

      if (day != NULL)
        dt = end_of_range ? g_date_time_add (day, G_TIME_SPAN_DAY - 1) : g_date_time_ref (day);
    }
  else
    {
      dt = g_date_time_new_from_iso8601 (text, local);
    }
  if (dt == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "Invalid time '%s': use RFC 3339 (2024-05-01T12:00:00Z) or YYYY-MM-DD", text);
      return FALSE;
    }
  *out_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

void
vigil_bundle_export_async (const char              *data_dir,
                           const VigilBundleFilter *filter,
                           const char              *out_path,
                           VigilBundleProgress      progress,
                           gpointer                 progress_data,
                           GDestroyNotify           progress_destroy,
                           GCancellable            *cancellable,
                           GAsyncReadyCallback      callback,
                           gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportTask *t;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (out_path != NULL);

  t = g_new0 (ExportTask, 1);
  t->data_dir = g_strdup (data_dir);
  if (filter != NULL)
    {
      t->filter = *filter;
      t->filter.identity = g_strdup (filter->identity);
      t->filter.connection = g_strdup (filter->connection);
    }
  t->out_path = g_strdup (out_path);
  t->context = g_main_context_ref_thread_default ();
  t->progress = progress;
  t->progress_data = progress_data;
  t->progress_destroy = progress_destroy;
  t->last_percent = -1;
  g_mutex_init (&t->lock);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_bundle_export_async);
  g_task_set_task_data (task, t, export_task_free);
  g_task_run_in_thread (task, export_thread);
}

VigilBundleSummary *
vigil_bundle_export_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_bundle_export_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
