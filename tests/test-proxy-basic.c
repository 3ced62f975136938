/* test-proxy-basic.c: real clients (psql, libpq) through `vigilctl serve`.
 *
 * One PostgreSQL and one TLS-enabled proxy serve the whole program. The proxy must behave
 * like PostgreSQL to the client: simple and extended protocol, pipelining, parameter
 * status, notifications, errors, authentication and TLS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "vigil-test-proxy.h"

#define WAIT_MS 10000

static const char * const psql_only[] = { "psql", NULL };

static void
assert_conn_ok (PGconn *conn)
{
  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("connection failed: %s", PQerrorMessage (conn));
}

static char *
run_psql (const char *conninfo,
          const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  vigil_test_run ((const char * const[]) { "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                           "-d", conninfo, "-c", sql, NULL },
                  NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("psql -c '%s' failed (wait status %d): %s%s", sql, status, out, err);
  return g_steal_pointer (&out);
}

/* /proxy/fixture/direct: the fixture itself, without the proxy. */
static void
test_fixture_direct (void)
{
  VigilTestPg *pg = vigil_test_env_pg ();
  g_autofree char *app = NULL;
  g_autofree char *super = NULL;
  g_autofree char *who = NULL;
  g_autofree char *owner = NULL;
  g_autoptr(GError) error = NULL;
  PGconn *conn;

  if (pg == NULL)
    return;
  app = vigil_test_pg_conninfo (pg, "sslmode=require");
  conn = PQconnectdb (app);
  assert_conn_ok (conn);
  g_assert_true (PQsslInUse (conn));
  who = vigil_test_query_value (conn, "select current_user");
  g_assert_cmpstr (who, ==, VIGIL_TEST_PG_APP_ROLE);
  PQfinish (conn);

  super = vigil_test_pg_super_conninfo (pg, NULL);
  conn = PQconnectdb (super);
  assert_conn_ok (conn);
  g_clear_pointer (&who, g_free);
  who = vigil_test_query_value (conn, "select current_user");
  g_assert_cmpstr (who, ==, "postgres");
  PQfinish (conn);

  g_assert_true (vigil_test_pg_exec (pg, "select 1", &error));
  g_assert_no_error (error);
  owner = vigil_test_pg_query_value (pg, "select pg_get_userbyid(datdba) from pg_database "
                                         "where datname = current_database()", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (owner, ==, VIGIL_TEST_PG_APP_ROLE);
  g_assert_false (vigil_test_pg_exec (pg, "select 1/0", &error));
  g_assert_nonnull (error);
}

static void
test_psql_tcp (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  out = run_psql (conninfo, "select 1");
  g_assert_cmpstr (out, ==, "1\n");
}

static void
test_psql_unix (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;
  g_autofree char *socket = NULL;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  socket = g_strdup_printf ("%s/.s.PGSQL.%u", vigil_test_proxy_get_socket_dir (proxy),
                            vigil_test_proxy_get_port (proxy));
  g_assert_true (g_file_test (socket, G_FILE_TEST_EXISTS));
  conninfo = vigil_test_proxy_unix_conninfo (proxy, NULL);
  out = run_psql (conninfo, "select 1");
  g_assert_cmpstr (out, ==, "1\n");
}

static void
test_psql_multi_statement (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  out = run_psql (conninfo, "select 1; select 'two'; select 3 union all select 4");
  g_assert_cmpstr (out, ==, "1\ntwo\n3\n4\n");
}

/* One simple Query with several statements gives one result per statement. */
static void
test_query_multi_statement (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  const char *expect[] = { "CREATE TABLE", "INSERT 0 3", "SELECT 3", "DROP TABLE" };
  PGresult *res;
  guint n = 0;

  if (conn == NULL)
    return;
  g_assert_cmpint (PQsendQuery (conn, "create temp table m (i int); "
                                      "insert into m values (1), (2), (3); "
                                      "select * from m order by i; drop table m"), ==, 1);
  while ((res = PQgetResult (conn)) != NULL)
    {
      g_assert_cmpuint (n, <, G_N_ELEMENTS (expect));
      g_assert_cmpstr (PQcmdStatus (res), ==, expect[n]);
      if (n == 2)
        {
          g_assert_cmpint (PQntuples (res), ==, 3);
          g_assert_cmpstr (PQgetvalue (res, 2, 0), ==, "3");
        }
      PQclear (res);
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (expect));
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_IDLE);
  PQfinish (conn);
}

static void
test_extended_params (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  const char *values[] = { "20", "22", NULL };
  const char *text_in[] = { "héllo wörld", NULL };
  PGresult *res;
  guint32 be;

  if (conn == NULL)
    return;
  res = PQexecParams (conn, "select $1::int + $2::int, $3::text is null", 3, NULL,
                      values, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, "42");
  g_assert_cmpstr (PQgetvalue (res, 0, 1), ==, "t");
  PQclear (res);

  /* Binary results keep their exact bytes. */
  res = PQexecParams (conn, "select $1::int4 * 2, $2::text", 2, NULL,
                      (const char *[]) { "21", text_in[0] }, NULL, NULL, 1);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQfformat (res, 0), ==, 1);
  g_assert_cmpint (PQgetlength (res, 0, 0), ==, 4);
  memcpy (&be, PQgetvalue (res, 0, 0), 4);
  g_assert_cmpuint (GUINT32_FROM_BE (be), ==, 42);
  g_assert_cmpint (PQgetlength (res, 0, 1), ==, (int) strlen (text_in[0]));
  g_assert_cmpmem (PQgetvalue (res, 0, 1), PQgetlength (res, 0, 1), text_in[0],
                   strlen (text_in[0]));
  PQclear (res);
  PQfinish (conn);
}

static void
test_extended_prepared (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;

  if (conn == NULL)
    return;
  res = PQprepare (conn, "add_two", "select $1::int + $2::int as sum", 2, NULL);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  res = PQprepare (conn, "upper", "select upper($1::text)", 1, NULL);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);

  res = PQdescribePrepared (conn, "add_two");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  g_assert_cmpint (PQnparams (res), ==, 2);
  g_assert_cmpint (PQnfields (res), ==, 1);
  g_assert_cmpstr (PQfname (res, 0), ==, "sum");
  PQclear (res);

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *a = g_strdup_printf ("%d", i);
      g_autofree char *expect = g_strdup_printf ("%d", i + 100);

      res = PQexecPrepared (conn, "add_two", 2, (const char *[]) { a, "100" }, NULL, NULL, 0);
      g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
      g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, expect);
      PQclear (res);
    }
  res = PQexecPrepared (conn, "upper", 1, (const char *[]) { "vigil" }, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, "VIGIL");
  PQclear (res);

  /* A name that was never prepared is the server's error, 26000. */
  res = PQexecPrepared (conn, "nope", 0, NULL, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "26000");
  PQclear (res);

  res = PQexec (conn, "deallocate add_two");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  res = PQexecPrepared (conn, "add_two", 2, (const char *[]) { "1", "2" }, NULL, NULL, 0);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "26000");
  PQclear (res);
  PQfinish (conn);
}

static PGresult *
pipeline_next (PGconn *conn)
{
  while (PQisBusy (conn))
    g_assert_true (vigil_test_wait_input (conn, WAIT_MS));
  return PQgetResult (conn);
}

static void
expect_pipeline_result (PGconn         *conn,
                        ExecStatusType  status,
                        const char     *value)
{
  PGresult *res = pipeline_next (conn);

  g_assert_nonnull (res);
  if (PQresultStatus (res) != status)
    g_error ("pipeline: expected %s, got %s: %s", PQresStatus (status),
             PQresStatus (PQresultStatus (res)), PQresultErrorMessage (res));
  if (value != NULL)
    g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, value);
  PQclear (res);
  if (status != PGRES_PIPELINE_SYNC)
    g_assert_null (pipeline_next (conn));
}

static void
test_extended_pipeline (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;

  if (conn == NULL)
    return;
  g_assert_cmpint (PQenterPipelineMode (conn), ==, 1);
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *v = g_strdup_printf ("%d", i);

      g_assert_cmpint (PQsendQueryParams (conn, "select $1::int * 10", 1, NULL,
                                          (const char *[]) { v }, NULL, NULL, 0), ==, 1);
    }
  g_assert_cmpint (PQpipelineSync (conn), ==, 1);
  /* After an error the rest of the batch is skipped until the next Sync. */
  g_assert_cmpint (PQsendQueryParams (conn, "select 1/$1::int", 1, NULL,
                                      (const char *[]) { "0" }, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "select 5", 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQpipelineSync (conn), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "select 'after'", 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQpipelineSync (conn), ==, 1);
  g_assert_cmpint (PQflush (conn), ==, 0);

  expect_pipeline_result (conn, PGRES_TUPLES_OK, "10");
  expect_pipeline_result (conn, PGRES_TUPLES_OK, "20");
  expect_pipeline_result (conn, PGRES_TUPLES_OK, "30");
  expect_pipeline_result (conn, PGRES_PIPELINE_SYNC, NULL);

  res = pipeline_next (conn);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "22012");
  PQclear (res);
  g_assert_null (pipeline_next (conn));
  expect_pipeline_result (conn, PGRES_PIPELINE_ABORTED, NULL);
  expect_pipeline_result (conn, PGRES_PIPELINE_SYNC, NULL);

  expect_pipeline_result (conn, PGRES_TUPLES_OK, "after");
  expect_pipeline_result (conn, PGRES_PIPELINE_SYNC, NULL);
  g_assert_cmpint (PQexitPipelineMode (conn), ==, 1);
  PQfinish (conn);
}

static void
test_extended_single_row (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;
  int rows = 0;
  gboolean saw_final = FALSE;

  if (conn == NULL)
    return;
  g_assert_cmpint (PQsendQueryParams (conn, "select g, repeat('x', g % 100) "
                                            "from generate_series(1, 5000) g",
                                      0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQsetSingleRowMode (conn), ==, 1);
  while ((res = PQgetResult (conn)) != NULL)
    {
      if (PQresultStatus (res) == PGRES_SINGLE_TUPLE)
        {
          g_autofree char *expect = g_strdup_printf ("%d", ++rows);

          g_assert_cmpint (PQntuples (res), ==, 1);
          g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, expect);
        }
      else
        {
          g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
          g_assert_cmpint (PQntuples (res), ==, 0);
          saw_final = TRUE;
        }
      PQclear (res);
    }
  g_assert_cmpint (rows, ==, 5000);
  g_assert_true (saw_final);
  PQfinish (conn);
}

static void
test_params_server_version (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autofree char *direct = NULL;
  const char *encoding;

  if (conn == NULL)
    return;
  g_assert_nonnull (PQparameterStatus (conn, "server_version"));
  g_assert_true (g_str_has_prefix (PQparameterStatus (conn, "server_version"), "15"));
  g_assert_cmpint (PQserverVersion (conn), >=, 150000);
  direct = vigil_test_query_value (conn, "show server_version");
  g_assert_cmpstr (PQparameterStatus (conn, "server_version"), ==, direct);
  encoding = PQparameterStatus (conn, "server_encoding");
  g_assert_cmpstr (encoding, ==, "UTF8");
  g_assert_cmpstr (PQparameterStatus (conn, "client_encoding"), ==, "UTF8");
  g_assert_cmpstr (PQparameterStatus (conn, "integer_datetimes"), ==, "on");
  g_assert_cmpstr (PQparameterStatus (conn, "standard_conforming_strings"), ==, "on");
  PQfinish (conn);
}

static void
test_params_application_name (void)
{
  PGconn *conn = vigil_test_env_connect ("application_name=vigil-test-app");
  g_autofree char *shown = NULL;
  g_autofree char *changed = NULL;
  PGresult *res;

  if (conn == NULL)
    return;
  shown = vigil_test_query_value (conn, "show application_name");
  g_assert_cmpstr (shown, ==, "vigil-test-app");
  g_assert_cmpstr (PQparameterStatus (conn, "application_name"), ==, "vigil-test-app");

  /* A SET reaches the client as a ParameterStatus message. */
  res = PQexec (conn, "set application_name = 'renamed'");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  g_assert_cmpstr (PQparameterStatus (conn, "application_name"), ==, "renamed");
  changed = vigil_test_query_value (conn, "select current_setting('application_name')");
  g_assert_cmpstr (changed, ==, "renamed");
  PQfinish (conn);
}

static void
test_params_datestyle (void)
{
  PGconn *conn = vigil_test_env_connect ("options='-c DateStyle=German'");
  g_autofree char *style = NULL;
  g_autofree char *date = NULL;

  if (conn == NULL)
    return;
  style = vigil_test_query_value (conn, "select current_setting('DateStyle')");
  g_assert_cmpstr (style, ==, "German, DMY");
  g_assert_cmpstr (PQparameterStatus (conn, "DateStyle"), ==, "German, DMY");
  date = vigil_test_query_value (conn, "select date '2024-03-01'");
  g_assert_cmpstr (date, ==, "01.03.2024");
  PQfinish (conn);
}

static void
test_session_backend_pid (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autofree char *pid = NULL;
  g_autofree char *expect = NULL;

  if (conn == NULL)
    return;
  pid = vigil_test_query_value (conn, "select pg_backend_pid()");
  expect = g_strdup_printf ("%d", PQbackendPID (conn));
  g_assert_cmpint (PQbackendPID (conn), >, 0);
  g_assert_cmpstr (pid, ==, expect);
  PQfinish (conn);
}

static void
test_notify_listen (void)
{
  PGconn *listener = vigil_test_env_connect (NULL);
  PGconn *sender = listener ? vigil_test_env_connect (NULL) : NULL;
  PGnotify *note = NULL;
  PGresult *res;
  gint64 deadline;

  if (listener == NULL || sender == NULL)
    {
      g_clear_pointer (&listener, PQfinish);
      return;
    }
  res = PQexec (listener, "listen vigil_chan");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  res = PQexec (sender, "select pg_notify('vigil_chan', 'hello from sender')");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  PQclear (res);

  deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while ((note = PQnotifies (listener)) == NULL && g_get_monotonic_time () < deadline)
    vigil_test_wait_input (listener, 200);
  g_assert_nonnull (note);
  g_assert_cmpstr (note->relname, ==, "vigil_chan");
  g_assert_cmpstr (note->extra, ==, "hello from sender");
  g_assert_cmpint (note->be_pid, ==, PQbackendPID (sender));
  PQfreemem (note);

  /* A listener's own NOTIFY arrives right after its command. */
  res = PQexec (listener, "notify vigil_chan, 'self'");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  PQconsumeInput (listener);
  note = PQnotifies (listener);
  g_assert_nonnull (note);
  g_assert_cmpstr (note->extra, ==, "self");
  g_assert_cmpint (note->be_pid, ==, PQbackendPID (listener));
  PQfreemem (note);
  PQfinish (sender);
  PQfinish (listener);
}

static void
test_error_division_by_zero (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autofree char *after = NULL;
  PGresult *res;

  if (conn == NULL)
    return;
  res = PQexec (conn, "select 1/0");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "22012");
  g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY), ==, "division by zero");
  g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_SEVERITY_NONLOCALIZED), ==, "ERROR");
  PQclear (res);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  after = vigil_test_query_value (conn, "select 'still here'");
  g_assert_cmpstr (after, ==, "still here");

  /* A syntax error carries its position. */
  res = PQexec (conn, "selec 1");
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "42601");
  g_assert_cmpstr (PQresultErrorField (res, PG_DIAG_STATEMENT_POSITION), ==, "1");
  PQclear (res);
  PQfinish (conn);
}

static void
notice_received_cb (void           *user_data,
                    const PGresult *res)
{
  int *warnings = user_data;

  if (g_strcmp0 (vigil_test_sqlstate (res), "25P01") == 0)
    (*warnings)++;
}

static void
test_error_in_transaction (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;
  int warnings = 0;

  if (conn == NULL)
    return;
  PQclear (PQexec (conn, "begin"));
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_INTRANS);
  res = PQexec (conn, "select 1/0");
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "22012");
  PQclear (res);
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_INERROR);
  res = PQexec (conn, "select 1");
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "25P02");
  PQclear (res);
  res = PQexec (conn, "rollback");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_IDLE);

  /* Notices (here a WARNING) reach the client too. */
  PQsetNoticeReceiver (conn, notice_received_cb, &warnings);
  res = PQexec (conn, "commit");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  g_assert_cmpint (warnings, ==, 1);
  PQfinish (conn);
}

static void
assert_login_fails (const char *conninfo,
                    const char *expect_in_message)
{
  PGconn *conn = PQconnectdb (conninfo);
  const char *message = PQerrorMessage (conn);

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_BAD);
  g_test_message ("login refused: %s", message);
  if (expect_in_message != NULL && strstr (message, expect_in_message) == NULL)
    g_error ("expected '%s' in the error, got: %s", expect_in_message, message);
  PQfinish (conn);
}

static void
test_auth_wrong_token (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;

  if (proxy == NULL)
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, "password=not-the-token");
  assert_login_fails (conninfo, "password authentication failed");
  g_clear_pointer (&conninfo, g_free);
  conninfo = vigil_test_proxy_conninfo (proxy, "password=");
  assert_login_fails (conninfo, NULL);
}

static void
test_auth_unknown_identity (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  g_autofree char *extra = NULL;

  if (proxy == NULL)
    return;
  /* The right token under another name must not work either. */
  extra = g_strdup_printf ("user=nosuchidentity password=%s", vigil_test_proxy_get_token (proxy));
  conninfo = vigil_test_proxy_conninfo (proxy, extra);
  assert_login_fails (conninfo, "password authentication failed");
}

static void
test_auth_unknown_connection (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;

  if (proxy == NULL)
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, "dbname=nosuchconnection");
  assert_login_fails (conninfo, NULL);
}

static void
test_auth_second_identity (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *who = NULL;
  PGconn *conn;

  if (proxy == NULL)
    return;
  token = vigil_test_proxy_add_identity (proxy, "agent2", "agent", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, !=, vigil_test_proxy_get_token (proxy));
  extra = g_strdup_printf ("user=agent2 password=%s", token);
  conninfo = vigil_test_proxy_conninfo (proxy, extra);
  conn = PQconnectdb (conninfo);
  assert_conn_ok (conn);
  /* The upstream sees the connection's role, not the identity. */
  who = vigil_test_query_value (conn, "select current_user");
  g_assert_cmpstr (who, ==, VIGIL_TEST_PG_APP_ROLE);
  PQfinish (conn);
}

static void
test_tls_require (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  g_autofree char *value = NULL;
  PGconn *conn;

  if (proxy == NULL)
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, "sslmode=require");
  conn = PQconnectdb (conninfo);
  assert_conn_ok (conn);
  g_assert_true (PQsslInUse (conn));
  value = vigil_test_query_value (conn, "select 'over tls'");
  g_assert_cmpstr (value, ==, "over tls");
  PQfinish (conn);
}

static void
test_tls_verify_full (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  g_autofree char *extra = NULL;
  PGconn *conn;

  if (proxy == NULL)
    return;
  extra = g_strdup_printf ("sslmode=verify-full sslrootcert=%s",
                           vigil_test_pg_get_cert_file (vigil_test_env_pg ()));
  conninfo = vigil_test_proxy_conninfo (proxy, extra);
  conn = PQconnectdb (conninfo);
  assert_conn_ok (conn);
  g_assert_true (PQsslInUse (conn));
  g_assert_cmpstr (PQsslAttribute (conn, "library"), ==, "OpenSSL");
  PQfinish (conn);
}

static void
test_tls_no_certificate (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  VigilTestProxy *plain;
  g_autoptr(GError) error = NULL;
  g_autofree char *require = NULL;
  g_autofree char *prefer = NULL;
  PGconn *conn;

  if (proxy == NULL)
    return;
  plain = vigil_test_proxy_start (vigil_test_env_pg (), &(VigilTestProxyOptions) { .tls = FALSE },
                                  &error);
  g_assert_no_error (error);
  require = vigil_test_proxy_conninfo (plain, "sslmode=require");
  assert_login_fails (require, "server does not support SSL");

  prefer = vigil_test_proxy_conninfo (plain, "sslmode=prefer");
  conn = PQconnectdb (prefer);
  assert_conn_ok (conn);
  g_assert_false (PQsslInUse (conn));
  PQfinish (conn);
  vigil_test_proxy_stop (plain);
}

/* The upstream password (and the agent's token) must never reach a client or the log. */
static void
test_security_no_upstream_password (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  const char *password;
  g_autofree char *log = NULL;
  PGconn *conn;
  PGresult *res;

  if (proxy == NULL)
    return;
  password = vigil_test_pg_get_password (vigil_test_env_pg ());
  conn = vigil_test_env_connect (NULL);
  if (conn == NULL)
    return;
  res = PQexec (conn, "show all");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  for (int r = 0; r < PQntuples (res); r++)
    g_assert_null (strstr (PQgetvalue (res, r, 1), password));
  PQclear (res);
  res = PQexec (conn, "select current_setting('no.such.setting')");
  g_assert_null (strstr (PQresultErrorMessage (res), password));
  PQclear (res);
  PQfinish (conn);

  log = vigil_test_proxy_read_log (proxy);
  g_assert_null (strstr (log, password));
  g_assert_null (strstr (log, vigil_test_proxy_get_token (proxy)));
  g_assert_null (strstr (log, "not-the-token"));
}

/* SIGTERM with a session open: the proxy exits (status 0 or by the signal) within 10 s. */
static void
test_lifecycle_sigterm (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  VigilTestProxy *other;
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *log = NULL;
  PGconn *conn;
  int status;

  if (proxy == NULL)
    return;
  other = vigil_test_proxy_start (vigil_test_env_pg (), NULL, &error);
  g_assert_no_error (error);
  conninfo = vigil_test_proxy_conninfo (other, NULL);
  conn = PQconnectdb (conninfo);
  assert_conn_ok (conn);
  PQclear (PQexec (conn, "select 1"));
  status = vigil_test_proxy_terminate (other);
  log = vigil_test_proxy_read_log (other);
  PQfinish (conn);
  vigil_test_proxy_stop (other);
  if (status == -1)
    g_test_fail_printf ("vigilctl serve ignored SIGTERM for 10 s; its log:\n%s", log);
  else if (!(WIFEXITED (status) && WEXITSTATUS (status) == 0) &&
           !(WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM))
    g_test_fail_printf ("vigilctl serve did not exit cleanly on SIGTERM (wait status %d); "
                        "its log:\n%s", status, log);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (&(VigilTestProxyOptions) { .tls = TRUE });

  g_test_add_func ("/proxy/fixture/direct", test_fixture_direct);
  g_test_add_func ("/proxy/psql/tcp", test_psql_tcp);
  g_test_add_func ("/proxy/psql/unix", test_psql_unix);
  g_test_add_func ("/proxy/psql/multi-statement", test_psql_multi_statement);
  g_test_add_func ("/proxy/query/multi-statement", test_query_multi_statement);
  g_test_add_func ("/proxy/extended/params", test_extended_params);
  g_test_add_func ("/proxy/extended/prepared", test_extended_prepared);
  g_test_add_func ("/proxy/extended/pipeline", test_extended_pipeline);
  g_test_add_func ("/proxy/extended/single-row", test_extended_single_row);
  g_test_add_func ("/proxy/params/server-version", test_params_server_version);
  g_test_add_func ("/proxy/params/application-name", test_params_application_name);
  g_test_add_func ("/proxy/params/datestyle", test_params_datestyle);
  g_test_add_func ("/proxy/session/backend-pid", test_session_backend_pid);
  g_test_add_func ("/proxy/notify/listen", test_notify_listen);
  g_test_add_func ("/proxy/error/division-by-zero", test_error_division_by_zero);
  g_test_add_func ("/proxy/error/in-transaction", test_error_in_transaction);
  g_test_add_func ("/proxy/auth/wrong-token", test_auth_wrong_token);
  g_test_add_func ("/proxy/auth/unknown-identity", test_auth_unknown_identity);
  g_test_add_func ("/proxy/auth/unknown-connection", test_auth_unknown_connection);
  g_test_add_func ("/proxy/auth/second-identity", test_auth_second_identity);
  g_test_add_func ("/proxy/tls/require", test_tls_require);
  g_test_add_func ("/proxy/tls/verify-full", test_tls_verify_full);
  g_test_add_func ("/proxy/tls/no-certificate", test_tls_no_certificate);
  g_test_add_func ("/proxy/security/no-upstream-password", test_security_no_upstream_password);

  g_test_add_func ("/proxy/lifecycle/sigterm", test_lifecycle_sigterm);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
