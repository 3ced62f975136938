/* vigil-audit-search.c: the console's audit search, a page of results at a time.
 *
 * Pages are keyset pages (vigil-audit-query.c): the newest and oldest ids on screen say
 * where Newer and Older continue, so records appended meanwhile never shift a page.
 * Queries run in GTasks; only the newest run's answer is shown.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-audit"

#include <glib/gi18n.h>

#include "vigil-audit-search.h"
#include "vigil-live-record.h"

struct _VigilAuditSearch
{
  GObject     parent_instance;

  char       *data_dir;
  GListStore *results;
  guint       generation;   /* of the newest run; older answers are dropped */
  gint64      newest_id;    /* on the page shown, 0 when empty */
  gint64      oldest_id;
  gboolean    has_newer;
  gboolean    has_older;
  gint64      matching;
  gint64      total;
};

typedef struct
{
  char            *data_dir;
  VigilAuditQuery *query;
  VigilAuditPage   page;
  guint            generation;

  /* answers, from the worker */
  GPtrArray       *records;   /* VigilLiveRecord */
  gboolean         more;
  gint64           matching;
  gint64           total;
} Run;

G_DEFINE_FINAL_TYPE (VigilAuditSearch, vigil_audit_search, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HAS_NEWER,
  PROP_HAS_OLDER,
  PROP_MATCHING,
  PROP_TOTAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
run_free (Run *run)
{
  g_free (run->data_dir);
  vigil_audit_query_free (run->query);
  g_clear_pointer (&run->records, g_ptr_array_unref);
  g_free (run);
}

static GPtrArray *
to_live_records (GPtrArray *records)
{
  GPtrArray *live = g_ptr_array_new_full (records->len, g_object_unref);

  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (live, vigil_live_record_new (g_ptr_array_index (records, i)));
  return live;
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Run *run = task_data;
  g_autoptr(GPtrArray) records = NULL;
  GError *error = NULL;

  records = vigil_audit_query_run (run->data_dir, run->query, &run->more, &error);
  /* Newer up to the top: show the newest full page rather than a short one. */
  if (records != NULL && run->page == VIGIL_AUDIT_PAGE_NEWER && !run->more)
    {
      run->page = VIGIL_AUDIT_PAGE_NEWEST;
      run->query->after_id = 0;
      g_clear_pointer (&records, g_ptr_array_unref);
      records = vigil_audit_query_run (run->data_dir, run->query, &run->more, &error);
    }
  if (records == NULL
      || !vigil_audit_query_count (run->data_dir, run->query, &run->matching, &run->total, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  run->records = to_live_records (records);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
}

static void
set_paging (VigilAuditSearch *self,
            gboolean          has_newer,
            gboolean          has_older)
{
  if (self->has_newer != has_newer)
    {
      self->has_newer = has_newer;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_NEWER]);
    }
  if (self->has_older != has_older)
    {
      self->has_older = has_older;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_OLDER]);
    }
}

static void
set_counts (VigilAuditSearch *self,
            gint64            matching,
            gint64            total)
{
  self->matching = matching;
  self->total = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MATCHING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

/* On the main thread: the answer becomes the page shown. */
static void
apply (VigilAuditSearch *self,
       Run              *run)
{
  GPtrArray *records = run->records;
  gboolean empty = records->len == 0;

  /* Older or newer past the end (the log changed meanwhile): stay on the page shown. */
  if (empty && run->page != VIGIL_AUDIT_PAGE_NEWEST)
    {
      set_paging (self, run->page == VIGIL_AUDIT_PAGE_OLDER ? self->has_newer : FALSE,
                  run->page == VIGIL_AUDIT_PAGE_OLDER ? FALSE : self->has_older);
      set_counts (self, run->matching, run->total);
      return;
    }
  self->newest_id = empty ? 0 : vigil_live_record_get_id (g_ptr_array_index (records, 0));
  self->oldest_id = empty ? 0 : vigil_live_record_get_id (g_ptr_array_index (records, records->len - 1));
  g_list_store_splice (self->results, 0, g_list_model_get_n_items (G_LIST_MODEL (self->results)),
                       records->pdata, records->len);
  switch (run->page)
    {
    case VIGIL_AUDIT_PAGE_NEWEST:
      set_paging (self, FALSE, run->more);
      break;
    case VIGIL_AUDIT_PAGE_NEWER:
      set_paging (self, run->more, TRUE);
      break;
    case VIGIL_AUDIT_PAGE_OLDER:
    default:
      set_paging (self, TRUE, run->more);
      break;
    }
  set_counts (self, run->matching, run->total);
}

static void
vigil_audit_search_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VigilAuditSearch *self = VIGIL_AUDIT_SEARCH (object);

  switch (prop_id)
    {
    case PROP_HAS_NEWER:
      g_value_set_boolean (value, self->has_newer);
      break;
    case PROP_HAS_OLDER:
      g_value_set_boolean (value, self->has_older);
      break;
    case PROP_MATCHING:
      g_value_set_int64 (value, self->matching);
      break;
    case PROP_TOTAL:
      g_value_set_int64 (value, self->total);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_audit_search_dispose (GObject *object)
{
  VigilAuditSearch *self = VIGIL_AUDIT_SEARCH (object);

  g_clear_object (&self->results);
  G_OBJECT_CLASS (vigil_audit_search_parent_class)->dispose (object);
}

static void
vigil_audit_search_finalize (GObject *object)
{
  VigilAuditSearch *self = VIGIL_AUDIT_SEARCH (object);

  g_free (self->data_dir);
  G_OBJECT_CLASS (vigil_audit_search_parent_class)->finalize (object);
}

static void
vigil_audit_search_class_init (VigilAuditSearchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vigil_audit_search_get_property;
  object_class->dispose = vigil_audit_search_dispose;
  object_class->finalize = vigil_audit_search_finalize;

  properties[PROP_HAS_NEWER] =
    g_param_spec_boolean ("has-newer", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_OLDER] =
    g_param_spec_boolean ("has-older", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MATCHING] =
    g_param_spec_int64 ("matching", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL] =
    g_param_spec_int64 ("total", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_audit_search_init (VigilAuditSearch *self)
{
  self->results = g_list_store_new (VIGIL_TYPE_LIVE_RECORD);
}

/* Public API */

VigilAuditSearch *
vigil_audit_search_new (void)
{
  return g_object_new (VIGIL_TYPE_AUDIT_SEARCH, NULL);
}

void
vigil_audit_search_set_data_dir (VigilAuditSearch *self,
                                 const char       *data_dir)
{
  g_return_if_fail (VIGIL_IS_AUDIT_SEARCH (self));

  g_free (self->data_dir);
  self->data_dir = g_strdup (data_dir);
}

const char *
vigil_audit_search_get_data_dir (VigilAuditSearch *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_SEARCH (self), NULL);
  return self->data_dir;
}

GListStore *
vigil_audit_search_get_results (VigilAuditSearch *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_SEARCH (self), NULL);
  return self->results;
}

void
vigil_audit_search_run_async (VigilAuditSearch      *self,
                              const VigilAuditQuery *filters,
                              VigilAuditPage         page,
                              GCancellable          *cancellable,
                              GAsyncReadyCallback    callback,
                              gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (VIGIL_IS_AUDIT_SEARCH (self));
  g_return_if_fail (filters != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_audit_search_run_async);
  run = g_new0 (Run, 1);
  run->generation = ++self->generation;
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  if (self->data_dir == NULL)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_STORE, _("The store is not open"));
      return;
    }
  run->data_dir = g_strdup (self->data_dir);
  run->query = vigil_audit_query_copy (filters);
  /* An empty page has nothing to continue from: start over. */
  if (self->newest_id == 0)
    page = VIGIL_AUDIT_PAGE_NEWEST;
  run->page = page;
  run->query->before_id = page == VIGIL_AUDIT_PAGE_OLDER ? self->oldest_id : 0;
  run->query->after_id = page == VIGIL_AUDIT_PAGE_NEWER ? self->newest_id : 0;
  g_task_run_in_thread (task, search_thread);
}

gboolean
vigil_audit_search_run_finish (VigilAuditSearch  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_audit_search_run_async,
                        FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  run = g_task_get_task_data (G_TASK (result));
  if (run->generation != self->generation)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("A newer search replaced this one"));
      return FALSE;
    }
  apply (self, run);
  return TRUE;
}

gboolean
vigil_audit_search_get_has_newer (VigilAuditSearch *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_SEARCH (self), FALSE);
  return self->has_newer;
}

gboolean
vigil_audit_search_get_has_older (VigilAuditSearch *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_SEARCH (self), FALSE);
  return self->has_older;
}

gint64
vigil_audit_search_get_matching (VigilAuditSearch *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_SEARCH (self), 0);
  return self->matching;
}

gint64
vigil_audit_search_get_total (VigilAuditSearch *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_SEARCH (self), 0);
  return self->total;
}
