/* test-proxy-pgbench.c: pgbench through `vigilctl serve`, in every query mode.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-test-proxy.h"

static const char * const pgbench_only[] = { "pgbench", NULL };

/* The integer after `label` in pgbench's report, or -1. */
static gint64
report_number (const char *report,
               const char *label)
{
  const char *at = strstr (report, label);

  if (at == NULL)
    return -1;
  return g_ascii_strtoll (at + strlen (label), NULL, 10);
}

static gboolean
run_pgbench (const char * const *args,
             char              **out_report)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  g_ptr_array_add (argv, "pgbench");
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, conninfo);
  g_ptr_array_add (argv, NULL);
  vigil_test_run_full ((const char * const *) argv->pdata, NULL, NULL, 120,
                       &out, &err, &status, &error);
  if (error != NULL)
    {
      /* A hang is the proxy's: show what it logged and what pgbench said so far. */
      g_autofree char *log = vigil_test_proxy_read_log (proxy);

      g_test_message ("pgbench %s: %s\nproxy log:\n%s", args[0], error->message,
                      log ? log : "(none)");
    }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_fail_printf ("pgbench %s failed (wait status %d)\nstdout:\n%s\nstderr:\n%s",
                          args[0], status, out, err);
      return FALSE;
    }
  g_test_message ("%s%s", out, err);
  if (out_report != NULL)
    *out_report = g_strconcat (out, err, NULL);
  return TRUE;
}

static void
test_pgbench_init (void)
{
  VigilTestPg *pg = vigil_test_env_pg ();
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL;

  if (vigil_test_env_proxy () == NULL || !vigil_test_require_programs (pgbench_only))
    return;
  if (!run_pgbench ((const char * const[]) { "-i", "-s", "1", "-q", NULL }, NULL))
    return;
  count = vigil_test_pg_query_value (pg, "select count(*) from pgbench_accounts", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (count, ==, "100000");
}

static void
run_select_only (gconstpointer data)
{
  const char *mode = data;
  g_autofree char *report = NULL;
  gint64 failed;
  gint64 processed;

  if (vigil_test_env_proxy () == NULL || !vigil_test_require_programs (pgbench_only))
    return;
  if (!run_pgbench ((const char * const[]) { "-S", "-T", "5", "-c", "4", "-j", "2",
                                             "-M", mode, "-n", NULL }, &report))
    return;
  failed = report_number (report, "number of failed transactions: ");
  processed = report_number (report, "number of transactions actually processed: ");
  if (failed != 0 || processed <= 0)
    g_test_fail_printf ("pgbench -M %s: failed %" G_GINT64_FORMAT ", processed %" G_GINT64_FORMAT
                        "\n%s", mode, failed, processed, report);
}

/* A read-write run exercises transactions and prepared statements together. */
static void
test_pgbench_tpcb (void)
{
  g_autofree char *report = NULL;
  gint64 failed;
  gint64 processed;

  if (vigil_test_env_proxy () == NULL || !vigil_test_require_programs (pgbench_only))
    return;
  if (!run_pgbench ((const char * const[]) { "-T", "5", "-c", "4", "-j", "2", "-M", "prepared",
                                             NULL }, &report))
    return;
  failed = report_number (report, "number of failed transactions: ");
  processed = report_number (report, "number of transactions actually processed: ");
  if (failed != 0 || processed <= 0)
    g_test_fail_printf ("pgbench tpcb: failed %" G_GINT64_FORMAT ", processed %" G_GINT64_FORMAT
                        "\n%s", failed, processed, report);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (NULL);

  g_test_add_func ("/proxy/pgbench/init", test_pgbench_init);
  g_test_add_data_func ("/proxy/pgbench/select-simple", "simple", run_select_only);
  g_test_add_data_func ("/proxy/pgbench/select-extended", "extended", run_select_only);
  g_test_add_data_func ("/proxy/pgbench/select-prepared", "prepared", run_select_only);
  g_test_add_func ("/proxy/pgbench/tpcb-prepared", test_pgbench_tpcb);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
