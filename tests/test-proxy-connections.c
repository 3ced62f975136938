/* test-proxy-connections.c: named connections kept in the store, through `vigilctl serve`.
 *
 * `vigilctl connection add` while the proxy runs makes the name reachable as a dbname
 * without a restart (the engine polls the store every 500 ms); `remove` takes it away;
 * --upstream wins for its own name; and the conninfo's password is never printed by
 * `connection list`, the proxy's log or the audit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-test-proxy.h"

#define STORED      "stored-pg"
#define DEADLINE_US (10 * G_USEC_PER_SEC)   /* generous: the poll is 500 ms */

static gboolean
vigilctl_ok (const char * const *args,
             char              **out,
             char              **err)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (vigil_test_proxy_vigilctl (vigil_test_env_proxy (), args, out, err, &status,
                                            &error));
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL);
}

static char *
conninfo_for (const char *dbname)
{
  g_autofree char *extra = g_strdup_printf ("dbname=%s connect_timeout=10", dbname);

  return vigil_test_proxy_conninfo (vigil_test_env_proxy (), extra);
}

/* Logs in as the fixture's agent asking for DBNAME: the connection, or NULL and why. */
static PGconn *
try_login (const char  *dbname,
           char       **out_message)
{
  g_autofree char *conninfo = conninfo_for (dbname);
  PGconn *conn = PQconnectdb (conninfo);

  if (PQstatus (conn) == CONNECTION_OK)
    return conn;
  if (out_message != NULL)
    *out_message = g_strdup (PQerrorMessage (conn));
  PQfinish (conn);
  return NULL;
}

/* Retries until the login's outcome is WANT_OK; the microseconds it took, -1 if never. */
static gint64
wait_login (const char *dbname,
            gboolean    want_ok)
{
  gint64 start = g_get_monotonic_time ();

  while (g_get_monotonic_time () - start < DEADLINE_US)
    {
      PGconn *conn = try_login (dbname, NULL);
      gboolean ok = conn != NULL;

      PQfinish (conn);
      if (ok == want_ok)
        return g_get_monotonic_time () - start;
      g_usleep (20 * 1000);
    }
  return -1;
}

static void
assert_hidden (const char *text,
               const char *password)
{
  if (text != NULL && strstr (text, password) != NULL)
    g_error ("the upstream password appears in: %s", text);
}

static void
test_add_while_serving (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *upstream = NULL;
  g_autofree char *message = NULL;
  g_autofree char *db = NULL;
  PGconn *conn;
  gint64 took;

  if (proxy == NULL)
    return;
  g_assert_null (try_login (STORED, &message));
  g_assert_nonnull (strstr (message, "does not exist"));

  upstream = vigil_test_pg_conninfo (vigil_test_env_pg (), NULL);
  g_assert_true (vigilctl_ok ((const char *[]) { "connection", "add", STORED, upstream, NULL },
                              NULL, NULL));
  took = wait_login (STORED, TRUE);
  g_assert_cmpint (took, >=, 0);
  g_test_message ("reachable %" G_GINT64_FORMAT " ms after `connection add`", took / 1000);

  conn = try_login (STORED, NULL);
  g_assert_nonnull (conn);
  db = vigil_test_query_value (conn, "select current_database()");
  g_assert_cmpstr (db, ==, VIGIL_TEST_PG_APP_DB);
  PQfinish (conn);
}

static void
test_list_hides_password (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  const char *password;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_err = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *log = NULL;

  if (proxy == NULL)
    return;
  password = vigil_test_pg_get_password (vigil_test_env_pg ());
  g_assert_true (strlen (password) >= 8);
  g_assert_true (vigilctl_ok ((const char *[]) { "connection", "list", NULL }, &out, &err));
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, STORED));
  g_assert_nonnull (strstr (out, "password=********"));
  assert_hidden (out, password);
  assert_hidden (err, password);
  g_assert_true (vigilctl_ok ((const char *[]) { "connection", "list", "--json", NULL },
                              &json, &json_err));
  g_assert_nonnull (strstr (json, "\"name\":\"" STORED "\""));
  assert_hidden (json, password);
  assert_hidden (json_err, password);

  /* Nor in what the proxy logged, nor in the audit of the statements sent through it. */
  g_assert_true (vigilctl_ok ((const char *[]) { "audit", "tail", "--json", NULL }, &audit, NULL));
  g_assert_nonnull (strstr (audit, "current_database"));
  assert_hidden (audit, password);
  log = vigil_test_proxy_read_log (proxy);
  assert_hidden (log, password);
}

/* A stored connection named like --upstream's does not replace it. */
static void
test_upstream_wins (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *value = NULL;
  PGconn *conn;

  if (proxy == NULL)
    return;
  g_assert_true (vigilctl_ok ((const char *[]) { "connection", "add", VIGIL_TEST_PG_APP_DB,
                                                 "host=127.0.0.1 port=1 dbname=nowhere", NULL },
                              NULL, NULL));
  /* Past two polls, so that the engine has read it. */
  g_usleep (1200 * 1000);
  conn = try_login (VIGIL_TEST_PG_APP_DB, NULL);
  g_assert_nonnull (conn);
  value = vigil_test_query_value (conn, "select 'still the --upstream'");
  g_assert_cmpstr (value, ==, "still the --upstream");
  PQfinish (conn);
  g_assert_true (vigilctl_ok ((const char *[]) { "connection", "remove", VIGIL_TEST_PG_APP_DB,
                                                 NULL }, NULL, NULL));
}

static void
test_remove_while_serving (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *message = NULL;
  gint64 took;

  if (proxy == NULL)
    return;
  g_assert_true (vigilctl_ok ((const char *[]) { "connection", "remove", STORED, NULL },
                              NULL, NULL));
  took = wait_login (STORED, FALSE);
  g_assert_cmpint (took, >=, 0);
  g_test_message ("refused %" G_GINT64_FORMAT " ms after `connection remove`", took / 1000);
  g_assert_null (try_login (STORED, &message));
  g_assert_nonnull (strstr (message, "does not exist"));
  g_assert_false (vigilctl_ok ((const char *[]) { "connection", "remove", STORED, NULL },
                               NULL, NULL));
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (NULL);

  g_test_add_func ("/proxy/connection/add-while-serving", test_add_while_serving);
  g_test_add_func ("/proxy/connection/list-hides-password", test_list_hides_password);
  g_test_add_func ("/proxy/connection/upstream-wins", test_upstream_wins);
  g_test_add_func ("/proxy/connection/remove-while-serving", test_remove_while_serving);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
