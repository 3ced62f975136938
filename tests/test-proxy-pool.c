/* test-proxy-pool.c: server connections kept for the next client, through `vigilctl serve`.
 *
 * A client that leaves cleanly hands its server connection on, reset with DISCARD ALL:
 * the next client with the same startup parameters gets the same backend and none of
 * the first one's state. A client that leaves inside a transaction, with extended-protocol
 * messages no Sync closed, or with other startup parameters does not share; a kept
 * connection the server closes is not handed out. The backends are watched from a
 * direct superuser connection (pg_stat_activity), never through the proxy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-test-proxy.h"

#define DEADLINE_US (10 * G_USEC_PER_SEC)

static void
direct_exec (const char *sql)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vigil_test_pg_exec (vigil_test_env_pg (), sql, &error));
  g_assert_no_error (error);
}

/* Waits until SQL (a boolean about backend PID) is true; FALSE at the deadline. */
static gboolean
wait_backend (const char *pid,
              const char *condition)
{
  g_autofree char *sql = g_strdup_printf ("select %s from pg_stat_activity where pid = %s",
                                          condition, pid);
  g_autofree char *gone_sql = g_strdup_printf ("select count(*) = 0 from pg_stat_activity"
                                               " where pid = %s", pid);
  gint64 start = g_get_monotonic_time ();

  while (g_get_monotonic_time () - start < DEADLINE_US)
    {
      g_autofree char *value = NULL;

      if (strcmp (condition, "gone") == 0)
        value = vigil_test_env_upstream_value (gone_sql);
      else
        {
          g_autoptr(GError) error = NULL;

          /* No row yet counts as "not yet". */
          value = vigil_test_pg_query_value (vigil_test_env_pg (), sql, &error);
        }
      if (g_strcmp0 (value, "t") == 0)
        return TRUE;
      g_usleep (20 * 1000);
    }
  return FALSE;
}

/* Waits until backend PID is kept idle after its reset. */
static gboolean
wait_kept (const char *pid)
{
  return wait_backend (pid, "state = 'idle' and query = 'DISCARD ALL'");
}

static char *
backend_pid (PGconn *conn)
{
  return vigil_test_query_value (conn, "select pg_backend_pid()");
}

/* Session state of every kind is gone for the next client of the same backend. */
static void
test_reused_and_reset (void)
{
  g_autofree char *first_pid = NULL;
  g_autofree char *second_pid = NULL;
  g_autofree char *work_mem_default = NULL;
  g_autofree char *value = NULL;
  PGconn *conn = vigil_test_env_connect ("application_name=pool-reset");

  if (conn == NULL)
    return;
  work_mem_default = vigil_test_query_value (conn, "show work_mem");
  first_pid = backend_pid (conn);
  vigil_test_exec_ok (conn, "set work_mem = '77MB'");
  vigil_test_exec_ok (conn, "create temp table pool_scratch (x int)");
  vigil_test_exec_ok (conn, "prepare pool_plan as select 1");
  vigil_test_exec_ok (conn, "listen pool_channel");
  vigil_test_exec_ok (conn, "select pg_advisory_lock(4242)");
  PQfinish (conn);
  g_assert_true (wait_kept (first_pid));

  conn = vigil_test_env_connect ("application_name=pool-reset");
  g_assert_nonnull (conn);
  second_pid = backend_pid (conn);
  g_assert_cmpstr (second_pid, ==, first_pid);
  value = vigil_test_query_value (conn, "show work_mem");
  g_assert_cmpstr (value, ==, work_mem_default);
  g_clear_pointer (&value, g_free);
  value = vigil_test_query_value (conn, "select to_regclass('pg_temp.pool_scratch') is null");
  g_assert_cmpstr (value, ==, "t");
  g_clear_pointer (&value, g_free);
  value = vigil_test_query_value (conn, "select count(*) from pg_prepared_statements");
  g_assert_cmpstr (value, ==, "0");
  g_clear_pointer (&value, g_free);
  value = vigil_test_query_value (conn, "select count(*) from pg_listening_channels()");
  g_assert_cmpstr (value, ==, "0");
  g_clear_pointer (&value, g_free);
  value = vigil_test_query_value (conn, "select count(*) from pg_locks"
                                        " where locktype = 'advisory' and pid = pg_backend_pid()");
  g_assert_cmpstr (value, ==, "0");
  g_clear_pointer (&value, g_free);
  value = vigil_test_query_value (conn, "select current_setting('application_name')");
  g_assert_cmpstr (value, ==, "pool-reset");
  PQfinish (conn);
}

/* A session with a pool_rows table and its backend's pid. */
static PGconn *
connect_with_rows (const char  *application_name,
                   char       **pid)
{
  g_autofree char *extra = g_strdup_printf ("application_name=%s", application_name);
  PGconn *conn = vigil_test_env_connect (extra);

  if (conn == NULL)
    return NULL;
  vigil_test_exec_ok (conn, "create table if not exists pool_rows (note text)");
  *pid = backend_pid (conn);
  return conn;
}

/* CONN leaves: its backend must go, and no row NOTE may have been committed. */
static void
assert_left_with_backend (PGconn     *conn,
                          const char *pid,
                          const char *note)
{
  g_autofree char *sql = g_strdup_printf ("select count(*) from pool_rows where note = '%s'",
                                          note);
  g_autofree char *rows = NULL;

  PQfinish (conn);
  g_assert_true (wait_backend (pid, "gone"));
  rows = vigil_test_env_upstream_value (sql);
  g_assert_cmpstr (rows, ==, "0");
}

/* A client gone inside a transaction: its backend is closed, its work rolled back. */
static void
test_not_kept_in_transaction (void)
{
  g_autofree char *pid = NULL;
  PGconn *conn = connect_with_rows ("pool-txn", &pid);

  if (conn == NULL)
    return;
  vigil_test_exec_ok (conn, "begin");
  vigil_test_exec_ok (conn, "insert into pool_rows values ('in a transaction')");
  assert_left_with_backend (conn, pid, "in a transaction");
}

/* Parse/Bind/Execute with no Sync, then goodbye: the implicit transaction must die with
 * the backend, not be committed by the reset. */
static void
test_not_kept_unsynced (void)
{
  g_autofree char *pid = NULL;
  PGconn *conn = connect_with_rows ("pool-unsynced", &pid);

  if (conn == NULL)
    return;
  g_assert_cmpint (PQenterPipelineMode (conn), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "insert into pool_rows values ('unsynced')", 0,
                                      NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQsendFlushRequest (conn), ==, 1);
  g_assert_cmpint (PQflush (conn), ==, 0);
  /* Let the server run it: the row exists, uncommitted, until the backend goes. */
  g_assert_true (vigil_test_wait_input (conn, 10000));
  assert_left_with_backend (conn, pid, "unsynced");
}

/* Other startup parameters, another backend; the same ones share it. */
static void
test_keyed_by_startup (void)
{
  g_autofree char *a_pid = NULL;
  g_autofree char *b_pid = NULL;
  g_autofree char *again_pid = NULL;
  PGconn *conn = vigil_test_env_connect ("application_name=pool-a");

  if (conn == NULL)
    return;
  a_pid = backend_pid (conn);
  PQfinish (conn);
  g_assert_true (wait_kept (a_pid));

  conn = vigil_test_env_connect ("application_name=pool-b");
  g_assert_nonnull (conn);
  b_pid = backend_pid (conn);
  g_assert_cmpstr (b_pid, !=, a_pid);
  PQfinish (conn);

  conn = vigil_test_env_connect ("application_name=pool-a");
  g_assert_nonnull (conn);
  again_pid = backend_pid (conn);
  g_assert_cmpstr (again_pid, ==, a_pid);
  PQfinish (conn);
}

/* A kept connection the server ends is dropped; the next client gets a working one. */
static void
test_server_closes_kept (void)
{
  g_autofree char *pid = NULL;
  g_autofree char *next_pid = NULL;
  g_autofree char *value = NULL;
  g_autofree char *kill = NULL;
  PGconn *conn = vigil_test_env_connect ("application_name=pool-killed");

  if (conn == NULL)
    return;
  pid = backend_pid (conn);
  PQfinish (conn);
  g_assert_true (wait_kept (pid));
  kill = g_strdup_printf ("select pg_terminate_backend(%s)", pid);
  direct_exec (kill);
  g_assert_true (wait_backend (pid, "gone"));

  conn = vigil_test_env_connect ("application_name=pool-killed");
  g_assert_nonnull (conn);
  next_pid = backend_pid (conn);
  g_assert_cmpstr (next_pid, !=, pid);
  value = vigil_test_query_value (conn, "select 'still served'");
  g_assert_cmpstr (value, ==, "still served");
  PQfinish (conn);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (NULL);
  g_test_add_func ("/proxy/pool/reused-and-reset", test_reused_and_reset);
  g_test_add_func ("/proxy/pool/not-kept-in-transaction", test_not_kept_in_transaction);
  g_test_add_func ("/proxy/pool/not-kept-unsynced", test_not_kept_unsynced);
  g_test_add_func ("/proxy/pool/keyed-by-startup", test_keyed_by_startup);
  g_test_add_func ("/proxy/pool/server-closes-kept", test_server_closes_kept);
  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
