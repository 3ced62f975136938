/* bundle-bench.c: fills a data directory with N audit entries, fast, for bundle-bench.sh.
 *
 *   bundle-bench DATA_DIR N
 *
 * Appends N/2 statements through the real audit writer (group commit), each followed by
 * its outcome, so the chain is exactly what a proxy would have written. Statement times
 * are spread over the 30 days before now.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "vigil-audit.h"
#include "vigil-store.h"

#define IN_FLIGHT 8192

typedef struct
{
  VigilAudit *audit;
  guint       committed;
  guint       appended;
} Bench;

static const char *who[] = { "etl-agent", "support-bot", "alice", "bob", "metabase", "dbt" };

static VigilAuditRecord *
make_record (guint  i,
             gint64 time_us)
{
  VigilAuditRecord *r = vigil_audit_record_new ();
  guint k = g_random_int_range (0, G_N_ELEMENTS (who));

  r->time_us = time_us;
  r->identity = g_strdup (who[k]);
  r->identity_kind = g_strdup (k == 2 || k == 3 ? "human" : "agent");
  r->pid = 2000 + (gint) k;
  r->exe = g_strdup (k == 4 ? "/opt/metabase/bin/java" : "/usr/bin/python3.11");
  r->os_user = g_strdup ("svc");
  r->connection = g_strdup (i % 3 ? "shop" : "billing");
  r->session = k;
  r->protocol = g_strdup ("extended");
  r->statement = g_strdup_printf ("SELECT o.id, o.total, c.email FROM orders o JOIN customers c "
                                  "ON c.id = o.customer_id WHERE o.id = $1 -- %u", i);
  r->params = g_strdup ("[\"[redacted]\"]");
  r->class = g_strdup ("read");
  r->relations = g_strdup ("orders,customers");
  r->decision = g_strdup (i % 97 == 0 ? "deny" : i % 211 == 0 ? "review" : "allow");
  return r;
}

static void
committed_cb (gint64        record_id,
              const GError *error,
              gpointer      user_data)
{
  Bench *bench = user_data;

  if (error != NULL)
    g_error ("append failed: %s", error->message);
  vigil_audit_append_outcome (bench->audit, record_id, record_id % 50, 300, 1, NULL, NULL, 2048);
  bench->committed++;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  Bench bench = { 0 };
  guint statements;
  gint64 start, now = g_get_real_time ();
  gint64 span = 30 * G_TIME_SPAN_DAY;

  if (argc != 3)
    {
      fprintf (stderr, "usage: bundle-bench DATA_DIR N\n");
      return 2;
    }
  statements = (guint) (g_ascii_strtoull (argv[2], NULL, 10) / 2);
  store = vigil_store_open (argv[1], &error);
  if (store == NULL || (bench.audit = vigil_audit_new (argv[1], &error)) == NULL)
    g_error ("%s", error->message);
  start = g_get_monotonic_time ();
  while (bench.committed < statements)
    {
      while (bench.appended < statements && bench.appended - bench.committed < IN_FLIGHT)
        {
          gint64 t = now - span + span * (gint64) bench.appended / statements;

          vigil_audit_append_statement (bench.audit, make_record (bench.appended, t), NULL,
                                        committed_cb, &bench);
          bench.appended++;
        }
      /* The callbacks run at once when this thread owns the default context. */
      if (bench.committed < bench.appended)
        g_main_context_iteration (NULL, TRUE);
    }
  vigil_audit_flush (bench.audit);
  printf ("generated %u entries in %.2f s\n", statements * 2,
          (g_get_monotonic_time () - start) / 1e6);
  g_object_unref (bench.audit);
  return 0;
}
