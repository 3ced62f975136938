/* test-proxy-copy.c: COPY in both directions through `vigilctl serve`.
 *
 * 100k rows (with tabs, backslashes, newlines, non-ASCII and NULLs among them) go out with
 * COPY TO STDOUT and back in with COPY FROM STDIN in chunks that ignore row boundaries;
 * the upstream must end with identical tables.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>

#include "vigil-test-proxy.h"

#define N_ROWS      100000
#define CHUNK_BYTES 65521  /* a prime: chunks never line up with rows */

static const char * const psql_only[] = { "psql", NULL };

static const char table_digest_sql[] =
  "select md5(string_agg(id || ':' || coalesce(txt, '<null>') || ':' || n || ':' || ts, ','"
  " order by id)) || '/' || count(*) from %s";

static GString *copied_out;

static char *
table_digest (const char *table)
{
  VigilTestPg *pg = vigil_test_env_pg ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = g_strdup_printf (table_digest_sql, table);
  char *digest = vigil_test_pg_query_value (pg, sql, &error);

  g_assert_no_error (error);
  return digest;
}

static void
create_tables (void)
{
  VigilTestPg *pg = vigil_test_env_pg ();
  g_autoptr(GError) error = NULL;

  vigil_test_pg_exec (pg,
    "create table t (id int primary key, txt text, n numeric, ts timestamptz);"
    "insert into t select g,"
    "  case when g % 1000 = 0 then E'tab\\there back\\\\slash\\nnewline \u00e9\u20ac'"
    "       when g % 777 = 0 then null else md5(g::text) end,"
    "  g * 1.5, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'"
    "  from generate_series(1, 100000) g;"
    "create table t2 (like t including all);"
    "create table t3 (like t including all);"
    "create table small (id int, txt text);"
    "alter table t owner to " VIGIL_TEST_PG_APP_ROLE ";"
    "alter table t2 owner to " VIGIL_TEST_PG_APP_ROLE ";"
    "alter table t3 owner to " VIGIL_TEST_PG_APP_ROLE ";"
    "alter table small owner to " VIGIL_TEST_PG_APP_ROLE ";",
    &error);
  g_assert_no_error (error);
}

/* COPY TO STDOUT on conn, all of it. */
static GString *
copy_out (PGconn     *conn,
          const char *sql)
{
  GString *data = g_string_new (NULL);
  PGresult *res = PQexec (conn, sql);
  char *buf = NULL;
  int n;

  if (PQresultStatus (res) != PGRES_COPY_OUT)
    g_error ("%s: %s %s", sql, PQresStatus (PQresultStatus (res)), PQerrorMessage (conn));
  PQclear (res);
  while ((n = PQgetCopyData (conn, &buf, 0)) > 0)
    {
      g_string_append_len (data, buf, n);
      PQfreemem (buf);
    }
  g_assert_cmpint (n, ==, -1);
  res = PQgetResult (conn);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  g_assert_cmpstr (PQcmdStatus (res), ==, "COPY 100000");
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  return data;
}

static void
test_copy_out (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autofree char *direct_conninfo = NULL;
  g_autofree char *via_proxy = NULL;
  g_autofree char *via_direct = NULL;
  GString *direct;
  PGconn *upstream;

  if (conn == NULL)
    return;
  copied_out = copy_out (conn, "copy t to stdout");
  PQfinish (conn);

  direct_conninfo = vigil_test_pg_conninfo (vigil_test_env_pg (), NULL);
  upstream = PQconnectdb (direct_conninfo);
  g_assert_cmpint (PQstatus (upstream), ==, CONNECTION_OK);
  direct = copy_out (upstream, "copy t to stdout");
  PQfinish (upstream);

  via_proxy = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) copied_out->str,
                                           copied_out->len);
  via_direct = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guchar *) direct->str,
                                            direct->len);
  g_test_message ("COPY OUT: %zu bytes, sha256 %s", copied_out->len, via_proxy);
  g_assert_cmpuint (copied_out->len, ==, direct->len);
  g_assert_cmpstr (via_proxy, ==, via_direct);
  g_string_free (direct, TRUE);
}

static void
test_copy_in (void)
{
  PGconn *conn;
  PGresult *res;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;

  if (copied_out == NULL)
    {
      g_test_skip ("no COPY OUT data (see /proxy/copy/out)");
      return;
    }
  if ((conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  res = PQexec (conn, "copy t2 from stdin");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COPY_IN);
  PQclear (res);
  for (gsize off = 0; off < copied_out->len; off += CHUNK_BYTES)
    g_assert_cmpint (PQputCopyData (conn, copied_out->str + off,
                                    MIN (CHUNK_BYTES, copied_out->len - off)), ==, 1);
  g_assert_cmpint (PQputCopyEnd (conn, NULL), ==, 1);
  res = PQgetResult (conn);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("COPY FROM STDIN: %s", PQresultErrorMessage (res));
  g_assert_cmpstr (PQcmdTuples (res), ==, "100000");
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  PQfinish (conn);

  want = table_digest ("t");
  got = table_digest ("t2");
  g_assert_cmpstr (got, ==, want);
}

static void
test_copy_psql_roundtrip (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *file = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *out_cmd = NULL;
  g_autofree char *in_cmd = NULL;
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  gsize len = 0;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  dir = g_dir_make_tmp ("vigil-copy-XXXXXX", &error);
  g_assert_no_error (error);
  file = g_build_filename (dir, "t.copy", NULL);
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  out_cmd = g_strdup_printf ("\\copy t to '%s'", file);
  in_cmd = g_strdup_printf ("\\copy t3 from '%s'", file);

  vigil_test_run ((const char * const[]) { "psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                                           "-c", out_cmd, "-c", in_cmd, NULL },
                  NULL, &out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "COPY 100000\nCOPY 100000\n");
  g_assert_true (g_file_get_contents (file, &contents, &len, &error));
  if (copied_out != NULL)
    g_assert_cmpmem (contents, len, copied_out->str, copied_out->len);
  want = table_digest ("t");
  got = table_digest ("t3");
  g_assert_cmpstr (got, ==, want);
  g_unlink (file);
  g_rmdir (dir);
}

static void
assert_session_goes_on (PGconn *conn)
{
  g_autofree char *value = NULL;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_IDLE);
  value = vigil_test_query_value (conn, "select count(*) from small");
  g_assert_cmpstr (value, ==, "0");
}

static void
test_copy_bad_row (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  const char data[] = "1\tfine\n2\talso fine\nnot-an-int\tbad\n4\tnever\n";
  PGresult *res;

  if (conn == NULL)
    return;
  res = PQexec (conn, "copy small from stdin");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COPY_IN);
  PQclear (res);
  g_assert_cmpint (PQputCopyData (conn, data, sizeof data - 1), ==, 1);
  g_assert_cmpint (PQputCopyEnd (conn, NULL), ==, 1);
  res = PQgetResult (conn);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "22P02");
  g_assert_nonnull (strstr (PQresultErrorField (res, PG_DIAG_CONTEXT), "line 3"));
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  assert_session_goes_on (conn);
  PQfinish (conn);
}

static void
test_copy_bad_row_psql (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  vigil_test_run ((const char * const[]) { "psql", "-X", "-At", "-d", conninfo, NULL },
                  "copy small from stdin;\n1\tok\nx\tbad\n\\.\nselect 'after', count(*) from small;\n",
                  &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("psql: %s%s", out, err);
  g_assert_nonnull (strstr (err, "invalid input syntax for type integer"));
  g_assert_cmpstr (out, ==, "after|0\n");
}

static void
test_copy_client_abort (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;

  if (conn == NULL)
    return;
  res = PQexec (conn, "copy small from stdin");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COPY_IN);
  PQclear (res);
  g_assert_cmpint (PQputCopyData (conn, "1\tx\n", 4), ==, 1);
  g_assert_cmpint (PQputCopyEnd (conn, "the client gave up"), ==, 1);
  res = PQgetResult (conn);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "57014");
  g_assert_nonnull (strstr (PQresultErrorMessage (res), "the client gave up"));
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  assert_session_goes_on (conn);
  PQfinish (conn);
}

/* COPY inside an extended-protocol transaction, then more statements. */
static void
test_copy_in_transaction (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autofree char *count = NULL;
  PGresult *res;

  if (conn == NULL)
    return;
  PQclear (PQexec (conn, "begin"));
  res = PQexecParams (conn, "copy (select g, 'x' from generate_series(1, 10) g) to stdout",
                      0, NULL, NULL, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COPY_OUT);
  PQclear (res);
  for (int i = 0; i < 10; i++)
    {
      char *buf = NULL;

      g_assert_cmpint (PQgetCopyData (conn, &buf, 0), >, 0);
      PQfreemem (buf);
    }
  g_assert_cmpint (PQgetCopyData (conn, &(char *) { NULL }, 0), ==, -1);
  res = PQgetResult (conn);
  g_assert_cmpstr (PQcmdStatus (res), ==, "COPY 10");
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  count = vigil_test_query_value (conn, "select 42");
  g_assert_cmpstr (count, ==, "42");
  PQclear (PQexec (conn, "rollback"));
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_IDLE);
  PQfinish (conn);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (NULL);
  if (vigil_test_env_ready ())
    create_tables ();

  g_test_add_func ("/proxy/copy/out", test_copy_out);
  g_test_add_func ("/proxy/copy/in", test_copy_in);
  g_test_add_func ("/proxy/copy/psql-roundtrip", test_copy_psql_roundtrip);
  g_test_add_func ("/proxy/copy/bad-row", test_copy_bad_row);
  g_test_add_func ("/proxy/copy/bad-row-psql", test_copy_bad_row_psql);
  g_test_add_func ("/proxy/copy/client-abort", test_copy_client_abort);
  g_test_add_func ("/proxy/copy/in-transaction", test_copy_in_transaction);

  ret = g_test_run ();
  if (copied_out != NULL)
    g_string_free (copied_out, TRUE);
  vigil_test_env_teardown ();
  return ret;
}
