/* test-proxy-audit.c: the write-ahead audit through `vigilctl serve`.
 *
 * One PostgreSQL and one allow-all proxy. Every statement through every protocol path
 * gives one record with who, which process and what came of it; the chain verifies; the
 * proxy refuses statements when the audit cannot be written; and after `kill -9` every
 * statement that PostgreSQL's own log shows as run has its record (issue 3).
 *
 * Tests marked "PROXY BUG" fail because of the proxy, not the test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "vigil-test-proxy.h"

#define WAIT_MS 10000

static const char * const psql_only[] = { "psql", NULL };

typedef PGconn AuditConn;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuditConn, PQfinish)

/* ---------------------------------------------------------------- helpers */

static int
vigilctl_status (VigilTestProxy     *proxy,
                 const char * const *args,
                 char              **out,
                 char              **err)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (vigil_test_proxy_vigilctl (proxy, args, out, err, &status, &error));
  g_assert_no_error (error);
  /* vigil_test_run() gives NULL, not "", for an empty output. */
  if (out != NULL && *out == NULL)
    *out = g_strdup ("");
  if (err != NULL && *err == NULL)
    *err = g_strdup ("");
  return status;
}

/* `audit tail --json -n BIG`, parsed, oldest first. Element type JsonObject. */
static GPtrArray *
audit_records (VigilTestProxy *proxy)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  int status;

  status = vigilctl_status (proxy, (const char * const[]) { "audit", "tail", "--json", "-n", "1000000", NULL },
                            &out, &err);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("vigilctl audit tail --json: wait status %d: %s", status, err);
  lines = g_strsplit (out, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonNode *root;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &error))
        g_error ("audit tail --json: bad line '%s': %s", lines[i], error->message);
      root = json_parser_get_root (parser);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
      g_ptr_array_add (rows, json_object_ref (json_node_get_object (root)));
    }
  return rows;
}

static const char *
obj_str (JsonObject *o,
         const char *member)
{
  JsonNode *n = o ? json_object_get_member (o, member) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

static gint64
obj_int (JsonObject *o,
         const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_int (n) : G_MININT64;
}

/* Records whose statement contains MARK, oldest first; waits (bounded) until there are
 * at least MIN with an outcome (rows or error or duration set). */
static GPtrArray *
records_with (VigilTestProxy *proxy,
              const char     *mark,
              guint           min)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GPtrArray *found = NULL;

  do
    {
      g_autoptr(GPtrArray) all = audit_records (proxy);
      guint finished = 0;

      g_clear_pointer (&found, g_ptr_array_unref);
      found = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      for (guint i = 0; i < all->len; i++)
        {
          const char *st = obj_str (all->pdata[i], "statement");

          if (st != NULL && strstr (st, mark) != NULL)
            {
              g_ptr_array_add (found, json_object_ref (all->pdata[i]));
              if (obj_int (all->pdata[i], "duration_us") != G_MININT64)
                finished++;
            }
        }
      if (finished >= min)
        return found;
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return found;
}

static char *
self_exe (void)
{
  return g_file_read_link ("/proc/self/exe", NULL);
}

static void
assert_record (JsonObject *r,
               const char *protocol,
               gint64      pid,
               const char *exe_suffix)
{
  JsonObject *process = json_object_get_object_member (r, "process");

  g_assert_cmpstr (obj_str (r, "identity"), ==, VIGIL_TEST_PROXY_IDENTITY);
  g_assert_cmpstr (obj_str (r, "connection"), ==, VIGIL_TEST_PG_APP_DB);
  g_assert_cmpstr (obj_str (r, "protocol"), ==, protocol);
  g_assert_cmpstr (obj_str (r, "decision"), ==, "allow");
  g_assert_nonnull (obj_str (r, "time"));
  g_assert_nonnull (obj_str (r, "class"));
  g_assert_cmpint (obj_int (r, "id"), >, 0);
  g_assert_nonnull (process);
  g_assert_cmpint (json_object_get_int_member (process, "pid"), ==, pid);
  if (exe_suffix != NULL)
    {
      const char *exe = obj_str (process, "exe");

      if (exe == NULL || !g_str_has_suffix (exe, exe_suffix))
        g_error ("record %" G_GINT64_FORMAT ": exe '%s', expected '...%s'", obj_int (r, "id"),
                 exe, exe_suffix);
    }
}

/* ---------------------------------------------------------------- protocol paths */

static void
test_simple_psql (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;
  gint64 pid;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  proc = g_subprocess_launcher_spawn (launcher, &error, "psql", "-X", "-A", "-t", "-v",
                                      "ON_ERROR_STOP=1", "-d", conninfo, "-c",
                                      "select 'aud_psql_1'; select 'aud_psql_2'; "
                                      "select 'aud_psql_3'", NULL);
  g_assert_no_error (error);
  pid = g_ascii_strtoll (g_subprocess_get_identifier (proc), NULL, 10);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  g_assert_cmpstr (out, ==, "aud_psql_1\naud_psql_2\naud_psql_3\n");

  recs = records_with (proxy, "aud_psql_", 3);
  g_assert_cmpuint (recs->len, ==, 3);
  for (guint i = 0; i < recs->len; i++)
    {
      g_autofree char *mark = g_strdup_printf ("aud_psql_%u", i + 1);

      assert_record (recs->pdata[i], "simple", pid, "psql");
      g_assert_nonnull (strstr (obj_str (recs->pdata[i], "statement"), mark));
      g_assert_cmpint (obj_int (recs->pdata[i], "rows"), ==, 1);
      g_assert_cmpint (obj_int (recs->pdata[i], "session"), ==,
                       obj_int (recs->pdata[0], "session"));
    }
}

static void
test_simple_libpq (void)
{
  g_autoptr(AuditConn) conn = vigil_test_env_connect (NULL);
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *exe = self_exe ();
  PGresult *res;

  if (conn == NULL)
    return;
  /* One string, five statements: five records. */
  res = PQexec (conn, "select 'aud_lq_1'; select 'aud_lq_2'; select 'aud_lq_3'; "
                      "select 'aud_lq_4'; select 'aud_lq_5'");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  PQclear (res);
  /* And two more strings. */
  vigil_test_exec_ok (conn, "select 'aud_lq_6'");
  vigil_test_exec_ok (conn, "select 'aud_lq_7'");
  recs = records_with (vigil_test_env_proxy (), "aud_lq_", 7);
  g_assert_cmpuint (recs->len, ==, 7);
  for (guint i = 0; i < recs->len; i++)
    {
      g_autofree char *mark = g_strdup_printf ("aud_lq_%u", i + 1);

      assert_record (recs->pdata[i], "simple", getpid (), exe);
      g_assert_nonnull (strstr (obj_str (recs->pdata[i], "statement"), mark));
      /* Each statement of the string has its own text, not the whole string. */
      g_assert_null (strstr (obj_str (recs->pdata[i], "statement"), ";"));
    }
}

static void
test_extended_params (void)
{
  g_autoptr(AuditConn) conn = vigil_test_env_connect (NULL);
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *exe = self_exe ();

  if (conn == NULL)
    return;
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *a = g_strdup_printf ("%d", 40 + i);
      PGresult *res = PQexecParams (conn, "select $1::int + $2::int as aud_ext", 2, NULL,
                                    (const char *[]) { a, "2" }, NULL, NULL, 0);

      g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
      PQclear (res);
    }
  recs = records_with (vigil_test_env_proxy (), "aud_ext", 4);
  g_assert_cmpuint (recs->len, ==, 4);
  for (guint i = 0; i < recs->len; i++)
    {
      JsonNode *params = json_object_get_member (recs->pdata[i], "params");
      JsonArray *array;
      g_autofree char *a = g_strdup_printf ("%u", 40 + i);

      assert_record (recs->pdata[i], "extended", getpid (), exe);
      g_assert_cmpstr (obj_str (recs->pdata[i], "statement"), ==, "select $1::int + $2::int as aud_ext");
      g_assert_nonnull (params);
      g_assert_true (JSON_NODE_HOLDS_ARRAY (params));
      array = json_node_get_array (params);
      g_assert_cmpuint (json_array_get_length (array), ==, 2);
      g_assert_cmpstr (json_array_get_string_element (array, 0), ==, a);
      g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "2");
      g_assert_cmpint (obj_int (recs->pdata[i], "rows"), ==, 1);
    }
}

static void
test_extended_prepared (void)
{
  g_autoptr(AuditConn) conn = vigil_test_env_connect (NULL);
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *exe = self_exe ();
  PGresult *res;

  if (conn == NULL)
    return;
  res = PQprepare (conn, "aud_prep", "select upper($1::text) as aud_prep", 1, NULL);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  for (int i = 0; i < 5; i++)
    {
      /* Quotes, a control character and an accent: the parameters stay a JSON array. */
      g_autofree char *v = g_strdup_printf ("v%d \"caf\xc3\xa9\"\n", i);

      res = PQexecPrepared (conn, "aud_prep", 1, (const char *[]) { v }, NULL, NULL, 0);
      g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
      PQclear (res);
    }
  recs = records_with (vigil_test_env_proxy (), "aud_prep", 5);
  g_assert_cmpuint (recs->len, ==, 5);
  for (guint i = 0; i < recs->len; i++)
    {
      JsonNode *params = json_object_get_member (recs->pdata[i], "params");
      g_autofree char *v = g_strdup_printf ("v%u \"caf\xc3\xa9\"\n", i);

      assert_record (recs->pdata[i], "extended", getpid (), exe);
      g_assert_true (params != NULL && JSON_NODE_HOLDS_ARRAY (params));
      g_assert_cmpstr (json_array_get_string_element (json_node_get_array (params), 0), ==, v);
    }
}

static void
test_copy_from_stdin (void)
{
  g_autoptr(AuditConn) conn = vigil_test_env_connect (NULL);
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *exe = self_exe ();
  g_autofree char *count = NULL;
  PGresult *res;

  if (conn == NULL)
    return;
  vigil_test_exec_ok (conn, "create table aud_copy (a int)");
  res = PQexec (conn, "COPY aud_copy FROM STDIN");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COPY_IN);
  PQclear (res);
  for (int i = 0; i < 25; i++)
    {
      g_autofree char *line = g_strdup_printf ("%d\n", i);

      g_assert_cmpint (PQputCopyData (conn, line, strlen (line)), ==, 1);
    }
  g_assert_cmpint (PQputCopyEnd (conn, NULL), ==, 1);
  res = PQgetResult (conn);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  count = vigil_test_env_upstream_value ("select count(*) from aud_copy");
  g_assert_cmpstr (count, ==, "25");

  recs = records_with (vigil_test_env_proxy (), "COPY aud_copy", 1);
  g_assert_cmpuint (recs->len, ==, 1);
  assert_record (recs->pdata[0], "simple", getpid (), exe);
  g_assert_nonnull (strstr (obj_str (recs->pdata[0], "class"), "copy-from"));
  g_assert_cmpint (obj_int (recs->pdata[0], "rows"), ==, 25);
}

static void
test_function_call (void)
{
  g_autoptr(AuditConn) conn = vigil_test_env_connect (NULL);
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *exe = self_exe ();
  g_autofree char *oid_text = NULL;
  g_autofree char *mark = NULL;
  g_autofree char *expect = NULL;
  char buf[64] = { 0 };
  int len = 0;
  PQArgBlock arg = { .isint = 0, .len = 5 };
  PGresult *res;
  guint64 oid;

  if (conn == NULL)
    return;
  oid_text = vigil_test_query_value (conn, "select 'md5(text)'::regprocedure::oid");
  g_assert_true (g_ascii_string_to_unsigned (oid_text, 10, 1, G_MAXUINT32, &oid, NULL));
  arg.u.ptr = (int *) "VIGIL";
  res = PQfn (conn, (int) oid, (int *) buf, &len, 0, &arg, 1);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("PQfn md5(text) through the proxy: %s %s %s / %s", PQresStatus (PQresultStatus (res)),
             vigil_test_sqlstate (res), PQresultErrorMessage (res), PQerrorMessage (conn));
  g_assert_cmpint (len, ==, 32);
  expect = vigil_test_query_value (conn, "select md5('VIGIL')");
  g_assert_cmpmem (buf, 32, expect, 32);
  PQclear (res);

  mark = g_strdup_printf ("oid %s", oid_text);
  recs = records_with (vigil_test_env_proxy (), mark, 1);
  g_assert_cmpuint (recs->len, ==, 1);
  assert_record (recs->pdata[0], "function", getpid (), exe);
}

/* ---------------------------------------------------------------- outcomes, verify */

static JsonObject *
only (GPtrArray *recs)
{
  if (recs->len != 1)
    g_error ("expected one record, found %u", recs->len);
  return recs->pdata[0];
}

static void
test_outcomes (void)
{
  g_autoptr(AuditConn) conn = vigil_test_env_connect (NULL);
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GPtrArray) ins = NULL;
  g_autoptr(GPtrArray) upd = NULL;
  g_autoptr(GPtrArray) sel = NULL;
  g_autoptr(GPtrArray) del = NULL;
  g_autoptr(GPtrArray) bad = NULL;
  JsonObject *r, *err;
  PGresult *res;

  if (conn == NULL)
    return;
  vigil_test_exec_ok (conn, "create table aud_out (a int)");
  vigil_test_exec_ok (conn, "insert into aud_out values (1), (2), (3) /* aud_o_ins */");
  vigil_test_exec_ok (conn, "update aud_out set a = a + 10 where a > 1 /* aud_o_upd */");
  vigil_test_exec_ok (conn, "select * from aud_out /* aud_o_sel */");
  vigil_test_exec_ok (conn, "delete from aud_out where a = 1 /* aud_o_del */");
  res = PQexec (conn, "select 1/0 /* aud_o_bad */");
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "22012");
  PQclear (res);

  ins = records_with (proxy, "aud_o_ins", 1);
  r = only (ins);
  g_assert_cmpint (obj_int (r, "rows"), ==, 3);
  g_assert_nonnull (strstr (obj_str (r, "class"), "insert"));
  g_assert_cmpstr (obj_str (r, "relations"), ==, "aud_out");
  g_assert_cmpint (obj_int (r, "duration_us"), >=, 0);
  g_assert_true (json_node_is_null (json_object_get_member (r, "error")));

  upd = records_with (proxy, "aud_o_upd", 1);
  r = only (upd);
  g_assert_cmpint (obj_int (r, "rows"), ==, 2);
  g_assert_nonnull (strstr (obj_str (r, "class"), "update"));
  g_assert_cmpint (obj_int (r, "duration_us"), >=, 0);

  sel = records_with (proxy, "aud_o_sel", 1);
  r = only (sel);
  g_assert_cmpint (obj_int (r, "rows"), ==, 3);
  g_assert_nonnull (strstr (obj_str (r, "class"), "read"));
  g_assert_cmpint (obj_int (r, "bytes"), >, 0);

  del = records_with (proxy, "aud_o_del", 1);
  r = only (del);
  g_assert_cmpint (obj_int (r, "rows"), ==, 1);
  g_assert_nonnull (strstr (obj_str (r, "class"), "delete"));

  bad = records_with (proxy, "aud_o_bad", 1);
  r = only (bad);
  g_assert_cmpstr (obj_str (r, "decision"), ==, "allow");
  g_assert_cmpint (obj_int (r, "duration_us"), >=, 0);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (r, "error")));
  err = json_object_get_object_member (r, "error");
  g_assert_cmpstr (obj_str (err, "sqlstate"), ==, "22012");
  g_assert_nonnull (strstr (obj_str (err, "message"), "division by zero"));
}

static void
test_verify (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  if (proxy == NULL)
    return;
  status = vigilctl_status (proxy, (const char * const[]) { "audit", "verify", NULL }, &out, &err);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_error ("vigilctl audit verify: wait status %d\n%s%s", status, out, err);
}

/* ---------------------------------------------------------------- fail closed */

/* Sends SQL and collects its results for at most 20 s; the first FATAL error wins (libpq
 * adds its own "connection lost" one after it). */
static PGresult *
send_and_wait (PGconn     *conn,
               const char *sql)
{
  PGresult *res, *last = NULL;

  g_assert_cmpint (PQsendQuery (conn, sql), ==, 1);
  for (;;)
    {
      while (PQisBusy (conn))
        if (!vigil_test_wait_input (conn, 20000))
          break;
      if (PQisBusy (conn))
        g_error ("no answer within 20 s while the audit was locked");
      res = PQgetResult (conn);
      if (res == NULL)
        break;
      if (last == NULL || (PQresultStatus (last) != PGRES_FATAL_ERROR &&
                           PQresultStatus (res) == PGRES_FATAL_ERROR))
        {
          PQclear (last);
          last = res;
        }
      else
        PQclear (res);
      if (PQstatus (conn) == CONNECTION_BAD)
        break;
    }
  return last;
}

/* Holds the store's write lock from here (as root, file modes would not stop the proxy)
 * for longer than the audit writer's busy timeout (5 s in proxy/vigil-audit.c). A record
 * is durable once it is in the journal, so statements run until the database has refused
 * a batch; from then on they are refused, and none of the accepted ones is lost. */
static void
test_fail_closed (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(AuditConn) conn = NULL;
  g_autoptr(AuditConn) fresh = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *count = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *log = NULL;
  sqlite3 *db = NULL;
  PGresult *last = NULL;
  gint64 t0, waited;
  guint accepted = 0;
  char *errmsg = NULL;

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  vigil_test_exec_ok (conn, "create table aud_fc (a int)");

  db_path = g_build_filename (vigil_test_proxy_get_data_dir (proxy), "vigil.db", NULL);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("BEGIN EXCLUSIVE on %s: %s", db_path, errmsg);

  /* In the journal, the first statement is recorded although the database is locked. */
  vigil_test_exec_ok (conn, "insert into aud_fc values (1) /* aud_fc_locked */");
  t0 = g_get_monotonic_time ();
  for (int n = 10;; n++)
    {
      g_autofree char *sql = g_strdup_printf ("insert into aud_fc values (%d)", n);

      last = send_and_wait (conn, sql);
      g_assert_nonnull (last);
      if (PQresultStatus (last) != PGRES_COMMAND_OK)
        break;
      PQclear (last);
      accepted++;
      if (g_get_monotonic_time () - t0 > 20 * G_TIME_SPAN_SECOND)
        g_error ("statements still accepted 20 s after the audit database was locked");
      g_usleep (200 * 1000);
    }
  waited = (g_get_monotonic_time () - t0) / 1000;
  g_test_message ("refused after %" G_GINT64_FORMAT " ms and %u more statements: %s %s", waited,
                  accepted, vigil_test_sqlstate (last), PQerrorMessage (conn));
  g_assert_cmpint (PQresultStatus (last), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (last), ==, "58030");
  g_assert_nonnull (strstr (PQresultErrorMessage (last), "audit"));
  PQclear (last);

  /* The refused statement did not reach the upstream; the accepted ones did. */
  count = vigil_test_env_upstream_value ("select count(*) from aud_fc");
  expected = g_strdup_printf ("%u", 1 + accepted);
  g_assert_cmpstr (count, ==, expected);

  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* The proxy recovers: a new session works, and is recorded; so is what ran while the
   * database was locked. Until the writer's next try has committed (it retries every
   * 100 ms), statements are still refused, cleanly: a session that logs in at once may
   * see one more refusal. A refused insert never reaches the upstream (counted below). */
  t0 = g_get_monotonic_time ();
  for (;;)
    {
      PGresult *res;

      fresh = vigil_test_env_connect (NULL);
      g_assert_nonnull (fresh);
      res = PQexec (fresh, "insert into aud_fc values (2) /* aud_fc_after */");
      if (PQresultStatus (res) == PGRES_COMMAND_OK)
        {
          PQclear (res);
          break;
        }
      g_test_message ("refused after the release: %s", PQerrorMessage (fresh));
      g_assert_nonnull (strstr (PQerrorMessage (fresh), "the audit log cannot be written"));
      PQclear (res);
      g_clear_pointer (&fresh, PQfinish);
      if (g_get_monotonic_time () - t0 > 10 * G_TIME_SPAN_SECOND)
        g_error ("statements still refused 10 s after the audit database was released");
      g_usleep (50 * 1000);
    }
  g_clear_pointer (&count, g_free);
  count = vigil_test_env_upstream_value ("select count(*) from aud_fc where a = 2");
  g_assert_cmpstr (count, ==, "1");
  {
    g_autoptr(GPtrArray) recs = records_with (proxy, "aud_fc_after", 1);
    g_autoptr(GPtrArray) locked = records_with (proxy, "aud_fc_locked", 1);
    g_assert_cmpuint (recs->len, ==, 1);
    g_assert_cmpuint (locked->len, ==, 1);
  }
  g_assert_true (vigil_test_proxy_is_alive (proxy));
  log = vigil_test_proxy_read_log (proxy);
  g_assert_nonnull (strstr (log, "audit"));
}

/* ---------------------------------------------------------------- crash */

typedef struct
{
  char     *conninfo;
  gboolean  pipeline;
  int       first;
  int       sent;
  GError   *error;
} Streamer;

static gpointer
stream_simple (Streamer *s)
{
  PGconn *conn = PQconnectdb (s->conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_set_error (&s->error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", PQerrorMessage (conn));
      PQfinish (conn);
      return NULL;
    }
  for (int n = s->first;; n++)
    {
      g_autofree char *sql = g_strdup_printf ("insert into crash_t values (%d)", n);
      PGresult *res = PQexec (conn, sql);
      gboolean ok = PQresultStatus (res) == PGRES_COMMAND_OK;

      PQclear (res);
      s->sent++;
      if (!ok)
        break;
    }
  PQfinish (conn);
  return NULL;
}

static gpointer
stream_pipeline (Streamer *s)
{
  PGconn *conn = PQconnectdb (s->conninfo);
  int n = s->first;

  if (PQstatus (conn) != CONNECTION_OK || PQenterPipelineMode (conn) != 1)
    {
      g_set_error (&s->error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", PQerrorMessage (conn));
      PQfinish (conn);
      return NULL;
    }
  for (;;)
    {
      gboolean broken = FALSE;

      for (int i = 0; i < 20; i++, n++)
        {
          g_autofree char *sql = g_strdup_printf ("insert into crash_t values (%d)", n);

          if (PQsendQueryParams (conn, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
            broken = TRUE;
          s->sent++;
        }
      if (broken || PQpipelineSync (conn) != 1)
        break;
      /* Read to the Sync. */
      for (;;)
        {
          PGresult *res;

          while (PQisBusy (conn))
            if (!vigil_test_wait_input (conn, 5000))
              {
                broken = TRUE;
                break;
              }
          if (broken)
            break;
          res = PQgetResult (conn);
          if (res == NULL)
            continue;
          if (PQresultStatus (res) == PGRES_PIPELINE_SYNC)
            {
              PQclear (res);
              break;
            }
          if (PQresultStatus (res) != PGRES_COMMAND_OK)
            broken = TRUE;
          PQclear (res);
          if (broken || PQstatus (conn) == CONNECTION_BAD)
            break;
        }
      if (broken || PQstatus (conn) == CONNECTION_BAD)
        break;
    }
  PQfinish (conn);
  return NULL;
}

static gpointer
stream_thread (gpointer data)
{
  Streamer *s = data;

  return s->pipeline ? stream_pipeline (s) : stream_simple (s);
}

/* Every N in `insert into crash_t values (N)` lines of TEXT, into SET. */
static void
collect_inserts (const char *text,
                 GHashTable *set)
{
  g_autoptr(GRegex) re = g_regex_new ("insert into crash_t values \\((\\d+)\\)", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  g_regex_match (re, text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_autofree char *n = g_match_info_fetch (match, 1);

      g_hash_table_add (set, GINT_TO_POINTER ((int) g_ascii_strtoll (n, NULL, 10)));
      g_match_info_next (match, NULL);
    }
}

static void
test_crash (void)
{
  VigilTestPg *pg = vigil_test_env_pg ();
  VigilTestProxy *crashy = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) logged = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) audited = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) recs = NULL;
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autofree char *pglog = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *conninfo = NULL;
  Streamer streamers[3];
  GThread *threads[3];
  GHashTableIter iter;
  gpointer key;
  guint nmissing = 0;
  int status;

  if (vigil_test_env_proxy () == NULL)
    return;
  g_assert_true (vigil_test_pg_exec (pg, "create table crash_t (n int)", &error));
  g_assert_true (vigil_test_pg_exec (pg, "grant all on crash_t to " VIGIL_TEST_PG_APP_ROLE, &error));
  g_assert_true (vigil_test_pg_exec (pg, "alter system set log_statement = 'all'", &error));
  g_assert_true (vigil_test_pg_exec (pg, "select pg_reload_conf()", &error));
  g_assert_no_error (error);
  g_usleep (300 * 1000);

  crashy = vigil_test_proxy_start (pg, NULL, &error);
  g_assert_no_error (error);
  conninfo = vigil_test_proxy_conninfo (crashy, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (streamers); i++)
    {
      streamers[i] = (Streamer) { .conninfo = conninfo, .pipeline = i == 2,
                                  .first = 1 + (int) i * 10000000 };
      threads[i] = g_thread_new ("streamer", stream_thread, &streamers[i]);
    }
  g_usleep (1500 * 1000);
  status = vigil_test_proxy_kill (crashy);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  for (guint i = 0; i < G_N_ELEMENTS (streamers); i++)
    {
      g_thread_join (threads[i]);
      if (streamers[i].error != NULL)
        g_error ("streamer %u: %s", i, streamers[i].error->message);
      g_test_message ("streamer %u (%s) sent %d", i, streamers[i].pipeline ? "pipeline" : "simple",
                      streamers[i].sent);
    }

  /* Give the server a moment to write its log, then read what it ran. */
  g_usleep (500 * 1000);
  g_assert_true (g_file_get_contents (vigil_test_pg_get_log_file (pg), &pglog, NULL, &error));
  collect_inserts (pglog, logged);

  /* The store opens cleanly after the crash. */
  status = vigilctl_status (crashy, (const char * const[]) { "audit", "tail", "--json", "-n", "10000000", NULL },
                            &out, &err);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("audit tail after kill -9: wait status %d: %s", status, err);
  recs = audit_records (crashy);
  for (guint i = 0; i < recs->len; i++)
    {
      const char *st = obj_str (recs->pdata[i], "statement");

      if (st != NULL)
        collect_inserts (st, audited);
    }
  g_test_message ("PostgreSQL logged %u inserts, the audit has %u records of them",
                  g_hash_table_size (logged), g_hash_table_size (audited));
  g_assert_cmpuint (g_hash_table_size (logged), >, 50);

  g_hash_table_iter_init (&iter, logged);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (audited, key))
      {
        if (nmissing++ < 20)
          g_string_append_printf (missing, " %d", GPOINTER_TO_INT (key));
      }
  if (nmissing > 0)
    g_test_fail_printf ("PROXY BUG: %u statements ran upstream without an audit record:%s",
                        nmissing, missing->str);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = vigilctl_status (crashy, (const char * const[]) { "audit", "verify", NULL }, &out, &err);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    g_test_fail_printf ("PROXY BUG: audit verify after kill -9: wait status %d\n%s%s", status, out,
                        err);

  vigil_test_proxy_stop (crashy);
  vigil_test_pg_exec (pg, "alter system reset log_statement", NULL);
  vigil_test_pg_exec (pg, "select pg_reload_conf()", NULL);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (NULL);

  g_test_add_func ("/proxy/audit/simple-psql", test_simple_psql);
  g_test_add_func ("/proxy/audit/simple-libpq", test_simple_libpq);
  g_test_add_func ("/proxy/audit/extended-params", test_extended_params);
  g_test_add_func ("/proxy/audit/extended-prepared", test_extended_prepared);
  g_test_add_func ("/proxy/audit/copy-from-stdin", test_copy_from_stdin);
  g_test_add_func ("/proxy/audit/function-call", test_function_call);
  g_test_add_func ("/proxy/audit/outcomes", test_outcomes);
  g_test_add_func ("/proxy/audit/verify", test_verify);
  g_test_add_func ("/proxy/audit/fail-closed", test_fail_closed);
  g_test_add_func ("/proxy/audit/crash", test_crash);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
