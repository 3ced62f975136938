/* audit-bench.c: audit records committed per second, and what an append costs the caller.
 *
 * 1 and then 8 threads append statement records through vigil_audit_log_statement (the
 * write-ahead call a session makes before it forwards a statement) as fast as they can for
 * SECONDS; vigil_audit_flush then waits until the writer has committed all of them to
 * SQLite. Records/s = records / (time to append them + time to flush), the median of RUNS
 * runs, each in a fresh data directory under $TMPDIR. The append latency (what a statement
 * waits for its record) is the p50 and p99 over every append of every run.
 *
 *   audit-bench [SECONDS] [RUNS]     (defaults: 3 s, 3 runs)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vigil-audit.h"
#include "vigil-store.h"

#define MAX_THREADS 8

typedef struct
{
  VigilAudit *audit;
  guint       thread;
  gint64      deadline;
  GArray     *latencies;  /* gint64 ns, one an append */
  GError     *error;
} Appender;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
compare_int64 (const void *a,
               const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* A statement as an agent's session would have it recorded (as in test-audit.c). */
static VigilAuditRecord *
make_record (guint thread)
{
  VigilAuditRecord *record = vigil_audit_record_new ();

  record->identity = g_strdup_printf ("agent-%u", thread);
  record->identity_kind = g_strdup ("agent");
  record->pid = 1000 + (gint) thread;
  record->exe = g_strdup ("/usr/bin/python3.11");
  record->os_user = g_strdup ("svc");
  record->connection = g_strdup ("shop");
  record->session = thread;
  record->protocol = g_strdup ("extended");
  record->params = g_strdup ("[\"42\", null]");
  record->class = g_strdup ("read");
  record->relations = g_strdup ("orders,customers");
  record->decision = g_strdup ("allow");
  return record;
}

static gpointer
append_thread (gpointer data)
{
  Appender *appender = data;
  g_autoptr(VigilAuditRecord) record = make_record (appender->thread);

  for (guint i = 0; g_get_monotonic_time () < appender->deadline; i++)
    {
      gint64 start, latency;

      g_free (record->statement);
      record->statement = g_strdup_printf ("SELECT o.id, o.total, c.email FROM orders o JOIN"
                                           " customers c ON c.id = o.customer_id"
                                           " WHERE o.id = $1 -- %u/%u", appender->thread, i);
      record->time_us = g_get_real_time ();
      start = now_ns ();
      if (vigil_audit_log_statement (appender->audit, record, &appender->error) == 0)
        break;
      latency = now_ns () - start;
      g_array_append_val (appender->latencies, latency);
    }
  return NULL;
}

/* A data directory with the audit tables, for one run. */
static char *
make_data_dir (GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("vigil-audit-bench-XXXXXX", error);
  g_autoptr(VigilStore) store = NULL;

  if (dir == NULL)
    return NULL;
  if ((store = vigil_store_open (dir, error)) == NULL)
    {
      rm_rf (dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

/* One run: records/s committed, or -1 with ERROR set; every append's latency goes into
 * LATENCIES. */
static double
run (guint    n_threads,
     gint64   seconds,
     GArray  *latencies,
     GError **error)
{
  g_autofree char *dir = make_data_dir (error);
  g_autoptr(VigilAudit) audit = NULL;
  Appender appenders[MAX_THREADS];
  GThread *threads[MAX_THREADS];
  GError *failure = NULL;
  gint64 start;
  guint total = 0;

  if (dir == NULL)
    return -1;
  if ((audit = vigil_audit_new (dir, error)) == NULL)
    {
      rm_rf (dir);
      return -1;
    }
  start = g_get_monotonic_time ();
  for (guint t = 0; t < n_threads; t++)
    {
      appenders[t] = (Appender) { audit, t, start + seconds * G_USEC_PER_SEC,
                                  g_array_new (FALSE, FALSE, sizeof (gint64)), NULL };
      threads[t] = g_thread_new ("append", append_thread, &appenders[t]);
    }
  for (guint t = 0; t < n_threads; t++)
    {
      g_thread_join (threads[t]);
      total += appenders[t].latencies->len;
      g_array_append_vals (latencies, appenders[t].latencies->data, appenders[t].latencies->len);
      g_array_unref (appenders[t].latencies);
      if (failure == NULL)
        failure = g_steal_pointer (&appenders[t].error);
      g_clear_error (&appenders[t].error);
    }
  if (failure == NULL && !vigil_audit_flush (audit))
    failure = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "the database refused a batch");
  start = g_get_monotonic_time () - start;
  g_clear_object (&audit);
  rm_rf (dir);
  if (failure != NULL)
    {
      g_propagate_error (error, failure);
      return -1;
    }
  return total * (double) G_USEC_PER_SEC / start;
}

static void
report (guint  n_threads,
        gint64 seconds,
        guint  runs)
{
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree double *rates = g_new (double, runs);
  gint64 *lat;
  guint last;

  for (guint r = 0; r < runs; r++)
    {
      g_autoptr(GError) error = NULL;

      if ((rates[r] = run (n_threads, seconds, latencies, &error)) < 0)
        {
          fprintf (stderr, "audit-bench: %s\n", error != NULL ? error->message : "failed");
          exit (1);
        }
    }
  if (latencies->len == 0)
    {
      fprintf (stderr, "audit-bench: no record was appended\n");
      exit (1);
    }
  qsort (rates, runs, sizeof (double), compare_doubles);
  g_array_sort (latencies, compare_int64);
  lat = (gint64 *) (gpointer) latencies->data;
  last = latencies->len - 1;
  printf ("%u thread%s %9.0f records/s committed (median; min %.0f, max %.0f),"
          " append p50 %.1f us, p99 %.1f us\n",
          n_threads, n_threads > 1 ? "s:" : ": ", rates[runs / 2], rates[0], rates[runs - 1],
          lat[last / 2] / 1e3, lat[(guint64) last * 99 / 100] / 1e3);
}

int
main (int    argc,
      char **argv)
{
  gint64 seconds = argc > 1 ? g_ascii_strtoll (argv[1], NULL, 10) : 3;
  guint runs = argc > 2 ? (guint) strtoul (argv[2], NULL, 10) : 3;

  if (argc > 3 || seconds <= 0 || runs == 0)
    {
      fprintf (stderr, "usage: audit-bench [SECONDS] [RUNS]\n");
      return 2;
    }
  printf ("audit: statement records appended through vigil_audit_log_statement for %"
          G_GINT64_FORMAT " s, then flushed, x %u runs\n", seconds, runs);
  report (1, seconds, runs);
  report (MAX_THREADS, seconds, runs);
  return 0;
}
