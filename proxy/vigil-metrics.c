/* vigil-metrics.c: counters for the HTTP API's Prometheus endpoint.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-metrics.h"

#define SESSION_WINDOW_US (60 * G_USEC_PER_SEC)
#define MAX_OPEN          100000   /* statements started without an outcome yet */

typedef struct
{
  const double *bounds;
  guint         n_bounds;
  guint64      *counts;     /* cumulative per bound, as Prometheus wants them */
  guint64       count;
  double        sum;
} Histogram;

/* The usual decisions' counters of one class, found without building a key. */
typedef enum
{
  DECISION_ALLOW,
  DECISION_DENY,
  DECISION_REVIEW,
  N_DECISIONS,
} Decision;

typedef struct
{
  guint64 *counts[N_DECISIONS];   /* in statements, NULL until first counted */
} ClassCounters;

struct _VigilMetrics
{
  GMutex      lock;
  GHashTable *statements;   /* "class\ndecision" -> guint64* */
  GHashTable *by_class;     /* class -> ClassCounters: a cache of statements' counters */
  GHashTable *open;         /* record id set (GSIZE_TO_POINTER): started, no outcome yet */
  GHashTable *sessions;     /* session id -> last seen (gint64 us) */
  GHashTable *approvals;    /* approval ids already counted */
  guint64     held;
  guint64     masked;
  Histogram   held_wait;
  Histogram   duration;
};

static const double duration_bounds[] = {
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
static const double wait_bounds[] = { 1, 5, 15, 30, 60, 300, 900, 3600 };

static void
histogram_init (Histogram    *h,
                const double *bounds,
                guint         n_bounds)
{
  h->bounds = bounds;
  h->n_bounds = n_bounds;
  h->counts = g_new0 (guint64, n_bounds);
}

static void
histogram_observe (Histogram *h,
                   double     value)
{
  for (guint i = 0; i < h->n_bounds; i++)
    if (value <= h->bounds[i])
      h->counts[i]++;
  h->count++;
  h->sum += value;
}

static void
histogram_render (const Histogram *h,
                  const char      *name,
                  const char      *help,
                  GString         *out)
{
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  for (guint i = 0; i < h->n_bounds; i++)
    g_string_append_printf (out, "%s_bucket{le=\"%s\"} %" G_GUINT64_FORMAT "\n", name,
                            g_ascii_formatd (num, sizeof num, "%g", h->bounds[i]), h->counts[i]);
  g_string_append_printf (out, "%s_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", name, h->count);
  g_string_append_printf (out, "%s_sum %s\n", name, g_ascii_formatd (num, sizeof num, "%.9g", h->sum));
  g_string_append_printf (out, "%s_count %" G_GUINT64_FORMAT "\n", name, h->count);
}

/* Label values: backslash, double quote and newline escaped. */
static void
append_label (GString    *out,
              const char *value)
{
  for (const char *p = value ? value : ""; *p; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
}

/* The counter of CLASS and DECISION in statements, made on first use. */
static guint64 *
statement_counter (VigilMetrics *self,
                   const char   *class,
                   const char   *decision)
{
  char small[256];
  g_autofree char *large = NULL;
  const char *key = small;
  gsize len = (gsize) g_snprintf (small, sizeof small, "%s\n%s", class, decision);
  guint64 *n;

  if (len >= sizeof small)
    key = large = g_strconcat (class, "\n", decision, NULL);
  n = g_hash_table_lookup (self->statements, key);
  if (n == NULL)
    {
      n = g_new0 (guint64, 1);
      g_hash_table_insert (self->statements, g_strdup (key), n);
    }
  return n;
}

static int
decision_index (const char *decision)
{
  static const char * const names[N_DECISIONS] = { "allow", "deny", "review" };

  for (int i = 0; i < N_DECISIONS; i++)
    if (strcmp (decision, names[i]) == 0)
      return i;
  return -1;
}

/* Per statement: a usual decision costs one lookup by class, no formatting. */
static void
count_statement (VigilMetrics           *self,
                 const VigilAuditRecord *r)
{
  const char *class = r->class ? r->class : "other";
  const char *decision = r->decision ? r->decision : "allow";
  int d = decision_index (decision);
  ClassCounters *counters;

  if (d < 0)
    {
      (*statement_counter (self, class, decision))++;
      return;
    }
  counters = g_hash_table_lookup (self->by_class, class);
  if (counters == NULL)
    {
      counters = g_new0 (ClassCounters, 1);
      g_hash_table_insert (self->by_class, g_strdup (class), counters);
    }
  if (counters->counts[d] == NULL)
    counters->counts[d] = statement_counter (self, class, decision);
  (*counters->counts[d])++;
}

/* When R happened: its statement's arrival, plus its duration for an outcome. The record
 * knows: no clock read for every record. */
static gint64
record_time (const VigilAuditRecord *r)
{
  if (r->time_us <= 0)
    return g_get_real_time ();
  return r->time_us + MAX (r->duration_us, 0);
}

static void
saw_session (VigilMetrics *self,
             guint64       session,
             gint64        now)
{
  gint64 *last = g_hash_table_lookup (self->sessions, &session);

  if (last != NULL)
    *last = MAX (*last, now);
  else
    g_hash_table_insert (self->sessions, g_memdup2 (&session, sizeof session),
                         g_memdup2 (&now, sizeof now));
}

static void
add_record (VigilMetrics           *self,
            const VigilAuditRecord *r)
{
  /* Ids are positive; on a 32-bit system two ids 2^32 apart share a key, which can only
   * make an outcome count a statement that was counted already. */
  gpointer key = GSIZE_TO_POINTER ((gsize) r->id);
  gboolean outcome = r->duration_us >= 0 || r->rows >= 0;

  saw_session (self, r->session, record_time (r));
  if (!outcome)
    {
      if (g_hash_table_size (self->open) >= MAX_OPEN)
        g_hash_table_remove_all (self->open);
      if (r->id <= 0 || g_hash_table_add (self->open, key))
        count_statement (self, r);
      return;
    }
  if (r->id <= 0 || !g_hash_table_remove (self->open, key))
    count_statement (self, r);
  self->masked += r->masked;
  if (r->duration_us >= 0)
    histogram_observe (&self->duration, r->duration_us / (double) G_USEC_PER_SEC);
}

static guint
count_sessions (VigilMetrics *self,
                gint64        now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now_us - *(gint64 *) value > SESSION_WINDOW_US)
      g_hash_table_iter_remove (&iter);
  return g_hash_table_size (self->sessions);
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static void
render_statements (VigilMetrics *self,
                   GString      *out)
{
  g_autofree gpointer *keys = NULL;
  guint n = 0;

  g_string_append (out, "# HELP vigil_statements_total Statements by class and decision.\n"
                        "# TYPE vigil_statements_total counter\n");
  keys = g_hash_table_get_keys_as_array (self->statements, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n; i++)
    {
      g_auto(GStrv) parts = g_strsplit (keys[i], "\n", 2);

      g_string_append (out, "vigil_statements_total{class=\"");
      append_label (out, parts[0]);
      g_string_append (out, "\",decision=\"");
      append_label (out, parts[1]);
      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n",
                              *(guint64 *) g_hash_table_lookup (self->statements, keys[i]));
    }
}

VigilMetrics *
vigil_metrics_new (void)
{
  VigilMetrics *self = g_new0 (VigilMetrics, 1);

  g_mutex_init (&self->lock);
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->by_class = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->open = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->sessions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->approvals = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  histogram_init (&self->held_wait, wait_bounds, G_N_ELEMENTS (wait_bounds));
  histogram_init (&self->duration, duration_bounds, G_N_ELEMENTS (duration_bounds));
  return self;
}

void
vigil_metrics_free (VigilMetrics *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->statements);
  g_hash_table_unref (self->by_class);
  g_hash_table_unref (self->open);
  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->approvals);
  g_free (self->held_wait.counts);
  g_free (self->duration.counts);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
vigil_metrics_add_record (VigilMetrics           *self,
                          const VigilAuditRecord *record)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  add_record (self, record);
  g_mutex_unlock (&self->lock);
}

void
vigil_metrics_add_approval (VigilMetrics        *self,
                            const VigilApproval *approval)
{
  g_return_if_fail (self != NULL);

  if (vigil_approval_is_pending (approval) || approval->decided_us <= 0)
    return;
  g_mutex_lock (&self->lock);
  if (g_hash_table_add (self->approvals, g_memdup2 (&approval->id, sizeof approval->id)))
    {
      self->held++;
      histogram_observe (&self->held_wait, MAX (approval->decided_us - approval->created_us, 0) /
                                           (double) G_USEC_PER_SEC);
    }
  g_mutex_unlock (&self->lock);
}

char *
vigil_metrics_render (VigilMetrics *self,
                      VigilAudit   *audit,
                      gint64        now_us)
{
  GString *out = g_string_new (NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (self != NULL, NULL);

  g_mutex_lock (&self->lock);
  render_statements (self, out);
  g_string_append_printf (out, "# HELP vigil_held_total Statements held for approval and decided.\n"
                          "# TYPE vigil_held_total counter\nvigil_held_total %" G_GUINT64_FORMAT "\n",
                          self->held);
  histogram_render (&self->held_wait, "vigil_held_wait_seconds",
                    "Time from hold to decision.", out);
  g_string_append_printf (out, "# HELP vigil_masked_values_total Values masked before clients saw them.\n"
                          "# TYPE vigil_masked_values_total counter\n"
                          "vigil_masked_values_total %" G_GUINT64_FORMAT "\n", self->masked);
  g_string_append_printf (out, "# HELP vigil_sessions Sessions active in the last minute.\n"
                          "# TYPE vigil_sessions gauge\nvigil_sessions %u\n",
                          count_sessions (self, now_us));
  g_string_append_printf (out, "# HELP vigil_audit_queue_depth Audit entries waiting for the writer.\n"
                          "# TYPE vigil_audit_queue_depth gauge\nvigil_audit_queue_depth %u\n",
                          audit ? vigil_audit_get_queue_depth (audit) : 0);
  g_string_append_printf (out, "# HELP vigil_audit_commit_seconds The last audit batch's commit latency.\n"
                          "# TYPE vigil_audit_commit_seconds gauge\nvigil_audit_commit_seconds %s\n",
                          g_ascii_formatd (num, sizeof num, "%.9g", audit ?
                                          vigil_audit_get_last_commit_us (audit) / 1e6 : 0));
  histogram_render (&self->duration, "vigil_statement_duration_seconds",
                    "Statement latency upstream.", out);
  g_mutex_unlock (&self->lock);
  return g_string_free (out, FALSE);
}
