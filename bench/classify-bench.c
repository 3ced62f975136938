/* classify-bench.c: microseconds per statement for the classifier, cold and warm.
 *
 * Cold: every text is new (a literal made unique), so each one is parsed, walked and
 * fingerprinted. Warm: the same texts again, answered by the cache. Each figure is the
 * median of 5 runs over a mix of statements an agent sends.
 *
 *   classify-bench [ITERATIONS]     (default 2000 statements per run)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "vigil-classify.h"

#define N_RUNS 5

/* %u is replaced by a counter, so every cold text is unique. */
static const char * const mix[] = {
  "SELECT abalance FROM pgbench_accounts WHERE aid = %u",
  "UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = %u",
  "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 2, %u, 5, now())",
  ("SELECT u.id, u.email, count(o.id) FROM public.users u LEFT JOIN orders o ON o.user_id = u.id"
   " WHERE u.created_at > now() - interval '7 days' AND u.id > %u GROUP BY u.id, u.email"
   " ORDER BY count(o.id) DESC LIMIT 20"),
  ("WITH recent AS (SELECT * FROM events WHERE id > %u) SELECT kind, count(*) FROM recent"
   " GROUP BY kind"),
  "DELETE FROM sessions WHERE expires_at < now() AND id <> %u",
  "BEGIN; UPDATE t SET a = %u WHERE id = 1; COMMIT",
  "SELECT pg_read_file('/etc/passwd'), %u",
};

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Microseconds per statement for one pass over TEXTS. */
static double
run (VigilClassifier *classifier,
     GPtrArray       *texts)
{
  gint64 start = g_get_monotonic_time ();
  guint statements = 0;

  for (guint i = 0; i < texts->len; i++)
    {
      g_autoptr(GPtrArray) result = vigil_classifier_classify (classifier, texts->pdata[i]);

      statements += result->len;
    }
  return (double) (g_get_monotonic_time () - start) / MAX (statements, 1);
}

int
main (int    argc,
      char **argv)
{
  guint iterations = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 2000;
  double cold[N_RUNS], warm[N_RUNS];
  guint counter = 0;

  if (iterations == 0)
    {
      fprintf (stderr, "usage: classify-bench [ITERATIONS]\n");
      return 2;
    }
  for (guint r = 0; r < N_RUNS; r++)
    {
      g_autoptr(VigilClassifier) classifier = vigil_classifier_new (iterations);
      g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < iterations; i++)
        {
          const char *format = mix[i % G_N_ELEMENTS (mix)];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
          g_ptr_array_add (texts, g_strdup_printf (format, counter++));
#pragma GCC diagnostic pop
        }
      cold[r] = run (classifier, texts);
      warm[r] = run (classifier, texts);
    }
  qsort (cold, N_RUNS, sizeof (double), compare_doubles);
  qsort (warm, N_RUNS, sizeof (double), compare_doubles);
  printf ("classify: %u query strings x %d runs, mix of %zu statement shapes\n",
          iterations, N_RUNS, G_N_ELEMENTS (mix));
  printf ("cold (cache miss): %8.2f us/statement (median; min %.2f, max %.2f)\n",
          cold[N_RUNS / 2], cold[0], cold[N_RUNS - 1]);
  printf ("warm (cache hit):  %8.2f us/statement (median; min %.2f, max %.2f)\n",
          warm[N_RUNS / 2], warm[0], warm[N_RUNS - 1]);
  return 0;
}
