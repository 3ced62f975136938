/* audit-bench.c: audit records committed per second, and what an append costs the caller.
 *
 * 1 and then 8 threads append statement records through vigil_audit_log_statement (the
 * write-ahead call a session makes before it forwards a statement) as fast as they can for
 * SECONDS; vigil_audit_flush then waits until the writer has committed all of them to
 * SQLite. Records/s = records / (time to append them + time to flush), the median of RUNS
 * runs, each in a fresh data directory under $TMPDIR. The append latency (what a statement
 * waits for its record) is the p50 and p99 over every append of every run. The CPU a
 * record costs the appending threads and the writer thread (vigil-audit) is the median
 * over the runs.
 *
 * Last, one thread appends at a steady PACED_RATE statements a second, each followed by
 * its outcome (what a busy proxy does, so the writer sees batches of a realistic size):
 * the CPU a statement costs the appender and the writer.
 *
 *   audit-bench [SECONDS] [RUNS] [paced]     (defaults: 3 s, 3 runs; paced: that one only)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vigil-audit.h"
#include "vigil-store.h"

#define MAX_THREADS 8
#define PACED_RATE  8000   /* statements a second, about pgbench -S at 8 clients */
#define PACED_TICK  1000   /* us */

typedef struct
{
  VigilAudit *audit;
  guint       thread;
  gint64      deadline;
  gboolean    paced;
  GArray     *latencies;  /* gint64 ns, one an append */
  gint64      cpu_ns;
  GError     *error;
} Appender;

/* What one run measured. */
typedef struct
{
  double rate;           /* records/s committed */
  double appender_us;    /* CPU a record, appending threads */
  double writer_us;      /* ... and the writer thread */
} Figures;

static gint64
clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint64
now_ns (void)
{
  return clock_ns (CLOCK_MONOTONIC);
}

/* CPU time of this process's threads named NAME so far (schedstat: ns on the CPU). */
static gint64
thread_cpu_ns (const char *name)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;
  gint64 total = 0;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
      g_autofree char *stat_path = g_build_filename ("/proc/self/task", tid, "schedstat", NULL);
      g_autofree char *comm = NULL;
      g_autofree char *stat = NULL;

      if (g_file_get_contents (comm_path, &comm, NULL, NULL)
          && strcmp (g_strstrip (comm), name) == 0
          && g_file_get_contents (stat_path, &stat, NULL, NULL))
        total += g_ascii_strtoll (stat, NULL, 10);
    }
  return total;
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

/* One tick's statements, each with its outcome, then a sleep to the next tick (not
 * counted as the appender's CPU). */
static void
pace (Appender *appender,
      gint64    id,
      guint     i,
      gint64   *cpu)
{
  static const gint64 per_tick = PACED_RATE / (G_USEC_PER_SEC / PACED_TICK);
  gint64 now;

  vigil_audit_append_outcome (appender->audit, id, 1, 100, 0, NULL, NULL, 120);
  if ((i + 1) % per_tick != 0)
    return;
  appender->cpu_ns += clock_ns (CLOCK_THREAD_CPUTIME_ID) - *cpu;
  now = g_get_monotonic_time ();
  g_usleep (PACED_TICK - now % PACED_TICK);
  *cpu = clock_ns (CLOCK_THREAD_CPUTIME_ID);
}

static gpointer
append_thread (gpointer data)
{
  Appender *appender = data;
  g_autoptr(VigilAuditRecord) record = make_record (appender->thread);
  gint64 cpu = clock_ns (CLOCK_THREAD_CPUTIME_ID);

  for (guint i = 0; g_get_monotonic_time () < appender->deadline; i++)
    {
      gint64 start, latency, id;

      g_free (record->statement);
      record->statement = g_strdup_printf ("SELECT o.id, o.total, c.email FROM orders o JOIN"
                                           " customers c ON c.id = o.customer_id"
                                           " WHERE o.id = $1 -- %u/%u", appender->thread, i);
      record->time_us = g_get_real_time ();
      start = now_ns ();
      if ((id = vigil_audit_log_statement (appender->audit, record, &appender->error)) == 0)
        break;
      latency = now_ns () - start;
      g_array_append_val (appender->latencies, latency);
      if (appender->paced)
        pace (appender, id, i, &cpu);
    }
  appender->cpu_ns += clock_ns (CLOCK_THREAD_CPUTIME_ID) - cpu;
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

/* One run; FALSE with ERROR set. Every append's latency goes into LATENCIES. */
static gboolean
run (guint     n_threads,
     gboolean  paced,
     gint64    seconds,
     GArray   *latencies,
     Figures  *figures,
     GError  **error)
{
  g_autofree char *dir = make_data_dir (error);
  g_autoptr(VigilAudit) audit = NULL;
  Appender appenders[MAX_THREADS];
  GThread *threads[MAX_THREADS];
  GError *failure = NULL;
  gint64 start, appender_ns = 0;
  guint total = 0;

  if (dir == NULL)
    return FALSE;
  if ((audit = vigil_audit_new (dir, error)) == NULL)
    {
      rm_rf (dir);
      return FALSE;
    }
  start = g_get_monotonic_time ();
  for (guint t = 0; t < n_threads; t++)
    {
      appenders[t] = (Appender) { audit, t, start + seconds * G_USEC_PER_SEC, paced,
                                  g_array_new (FALSE, FALSE, sizeof (gint64)), 0, NULL };
      threads[t] = g_thread_new ("append", append_thread, &appenders[t]);
    }
  for (guint t = 0; t < n_threads; t++)
    {
      g_thread_join (threads[t]);
      total += appenders[t].latencies->len;
      appender_ns += appenders[t].cpu_ns;
      g_array_append_vals (latencies, appenders[t].latencies->data, appenders[t].latencies->len);
      g_array_unref (appenders[t].latencies);
      if (failure == NULL)
        failure = g_steal_pointer (&appenders[t].error);
      g_clear_error (&appenders[t].error);
    }
  if (failure == NULL && !vigil_audit_flush (audit))
    failure = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "the database refused a batch");
  start = g_get_monotonic_time () - start;
  figures->rate = total * (double) G_USEC_PER_SEC / start;
  figures->appender_us = total > 0 ? appender_ns / 1e3 / total : 0;
  figures->writer_us = total > 0 ? thread_cpu_ns ("vigil-audit") / 1e3 / total : 0;
  g_clear_object (&audit);
  rm_rf (dir);
  if (failure != NULL)
    {
      g_propagate_error (error, failure);
      return FALSE;
    }
  return TRUE;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return values[n / 2];
}

static void
report (guint    n_threads,
        gboolean paced,
        gint64   seconds,
        guint    runs)
{
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree double *rates = g_new (double, runs);
  g_autofree double *appender_us = g_new (double, runs);
  g_autofree double *writer_us = g_new (double, runs);
  gint64 *lat;
  guint last;

  for (guint r = 0; r < runs; r++)
    {
      g_autoptr(GError) error = NULL;
      Figures figures;

      if (!run (n_threads, paced, seconds, latencies, &figures, &error))
        {
          fprintf (stderr, "audit-bench: %s\n", error != NULL ? error->message : "failed");
          exit (1);
        }
      rates[r] = figures.rate;
      appender_us[r] = figures.appender_us;
      writer_us[r] = figures.writer_us;
    }
  if (latencies->len == 0)
    {
      fprintf (stderr, "audit-bench: no record was appended\n");
      exit (1);
    }
  g_array_sort (latencies, compare_int64);
  lat = (gint64 *) (gpointer) latencies->data;
  last = latencies->len - 1;
  if (paced)
    printf ("1 thread, paced at %u statements/s each with its outcome: append p50 %.1f us,"
            " p99 %.1f us; CPU a statement: appender %.2f us, writer %.2f us\n", PACED_RATE,
            lat[last / 2] / 1e3, lat[(guint64) last * 99 / 100] / 1e3,
            median (appender_us, runs), median (writer_us, runs));
  else
    {
      double rate = median (rates, runs);  /* sorts RATES */

      printf ("%u thread%s %9.0f records/s committed (median; min %.0f, max %.0f),"
              " append p50 %.1f us, p99 %.1f us; CPU a record: appender %.2f us,"
              " writer %.2f us\n", n_threads, n_threads > 1 ? "s:" : ": ", rate, rates[0],
              rates[runs - 1], lat[last / 2] / 1e3, lat[(guint64) last * 99 / 100] / 1e3,
              median (appender_us, runs), median (writer_us, runs));
    }
}

int
main (int    argc,
      char **argv)
{
  gint64 seconds = argc > 1 ? g_ascii_strtoll (argv[1], NULL, 10) : 3;
  guint runs = argc > 2 ? (guint) strtoul (argv[2], NULL, 10) : 3;
  gboolean paced_only = argc > 3 && strcmp (argv[3], "paced") == 0;

  if (argc > 4 || (argc > 3 && !paced_only) || seconds <= 0 || runs == 0)
    {
      fprintf (stderr, "usage: audit-bench [SECONDS] [RUNS] [paced]\n");
      return 2;
    }
  printf ("audit: statement records appended through vigil_audit_log_statement for %"
          G_GINT64_FORMAT " s, then flushed, x %u runs\n", seconds, runs);
  if (!paced_only)
    {
      report (1, FALSE, seconds, runs);
      report (MAX_THREADS, FALSE, seconds, runs);
    }
  report (1, TRUE, seconds, runs);
  return 0;
}
