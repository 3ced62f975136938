/* test-metrics.c: statement counters as the Prometheus endpoint renders them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-metrics.h"

static void
add (VigilMetrics *metrics,
     gint64        id,
     const char   *class,
     const char   *decision)
{
  g_autoptr(VigilAuditRecord) r = vigil_audit_record_new ();

  r->id = id;
  r->session = 1;
  r->class = g_strdup (class);
  r->decision = g_strdup (decision);
  vigil_metrics_add_record (metrics, r);
}

/* The vigil_statements_total lines of the rendering, in order. */
static char *
statement_lines (VigilMetrics *metrics)
{
  g_autofree char *all = vigil_metrics_render (metrics, NULL, g_get_real_time ());
  g_auto(GStrv) lines = g_strsplit (all, "\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "vigil_statements_total{"))
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_string_free (out, FALSE);
}

static void
test_statements_counted (void)
{
  g_autoptr(VigilMetrics) metrics = vigil_metrics_new ();
  g_autofree char *lines = NULL;

  add (metrics, 1, "read", "allow");
  add (metrics, 2, "read", "allow");
  add (metrics, 3, "read", "deny");
  add (metrics, 4, "drop,read", "review");
  add (metrics, 5, NULL, NULL);                 /* other, allow */
  add (metrics, 6, "read", "odd \"one\"");      /* not a usual decision */
  add (metrics, 7, "read", "odd \"one\"");
  add (metrics, 8, "read", "allowed");
  add (metrics, 9, "other", "allow");
  lines = statement_lines (metrics);
  g_assert_cmpstr (lines, ==,
                   "vigil_statements_total{class=\"drop,read\",decision=\"review\"} 1\n"
                   "vigil_statements_total{class=\"other\",decision=\"allow\"} 2\n"
                   "vigil_statements_total{class=\"read\",decision=\"allow\"} 2\n"
                   "vigil_statements_total{class=\"read\",decision=\"allowed\"} 1\n"
                   "vigil_statements_total{class=\"read\",decision=\"deny\"} 1\n"
                   "vigil_statements_total{class=\"read\",decision=\"odd \\\"one\\\"\"} 2\n");
}

/* A statement's outcome (same id, duration set) does not count it again. */
static void
test_outcome_counted_once (void)
{
  g_autoptr(VigilMetrics) metrics = vigil_metrics_new ();
  g_autoptr(VigilAuditRecord) outcome = vigil_audit_record_new ();
  g_autofree char *lines = NULL;

  add (metrics, 10, "read", "allow");
  outcome->id = 10;
  outcome->session = 1;
  outcome->class = g_strdup ("read");
  outcome->decision = g_strdup ("allow");
  outcome->duration_us = 1500;
  outcome->rows = 1;
  vigil_metrics_add_record (metrics, outcome);
  lines = statement_lines (metrics);
  g_assert_cmpstr (lines, ==, "vigil_statements_total{class=\"read\",decision=\"allow\"} 1\n");
}

static void
add_session_record (VigilMetrics *metrics,
                    guint64       session,
                    gint64        time_us,
                    gint64        duration_us)
{
  g_autoptr(VigilAuditRecord) r = vigil_audit_record_new ();

  r->session = session;
  r->time_us = time_us;
  r->duration_us = duration_us;
  vigil_metrics_add_record (metrics, r);
}

static guint
sessions_gauge (VigilMetrics *metrics,
                gint64        now_us)
{
  g_autofree char *all = vigil_metrics_render (metrics, NULL, now_us);
  const char *line = strstr (all, "\nvigil_sessions ");

  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("\nvigil_sessions "), NULL, 10);
}

/* A session counts as active for a minute after its last record: the time the record
 * says, its statement's arrival plus its duration for an outcome. */
static void
test_sessions_by_record_time (void)
{
  g_autoptr(VigilMetrics) metrics = vigil_metrics_new ();
  gint64 now = g_get_real_time ();
  gint64 minute = 60 * G_USEC_PER_SEC;

  add_session_record (metrics, 1, now - 2 * minute, -1);        /* gone quiet */
  add_session_record (metrics, 2, now - 2 * minute, minute + 5 * G_USEC_PER_SEC); /* long */
  add_session_record (metrics, 3, now - G_USEC_PER_SEC, -1);
  add_session_record (metrics, 3, now - 3 * minute, -1);        /* older: no going back */
  add_session_record (metrics, 4, 0, -1);                       /* no time: now */
  g_assert_cmpuint (sessions_gauge (metrics, now), ==, 3);
  g_assert_cmpuint (sessions_gauge (metrics, now + 2 * minute), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/statements/counted", test_statements_counted);
  g_test_add_func ("/metrics/statements/outcome-once", test_outcome_counted_once);
  g_test_add_func ("/metrics/sessions/record-time", test_sessions_by_record_time);
  return g_test_run ();
}
