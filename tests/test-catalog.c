/* test-catalog.c: the masking catalog against a real PostgreSQL: sessions that miss the
 * same table at once make one query, and an invalidation makes the next lookup query again.
 *
 * The queries are counted in the server's own log (log_statement = all for the test's
 * database): every execution of the catalog's SQL is one line there. A catalog kept
 * waiting is a lock on pg_attribute, which its query reads, held by another session.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib.h>
#include <libpq-fe.h>

#include "vigil-catalog.h"
#include "vigil-test-pg.h"
#include "vigil-test-proxy.h"

#define HERD_SIZE  8
#define ASYNC_LOADS 12   /* more than the 10 threads GLib's shared task pool starts with */

/* Text of the two catalog queries (proxy/vigil-catalog.c) as the server logs them. */
#define TABLES_QUERY   "where c.oid = any ($1::pg_catalog.oid[])"
#define RELATION_QUERY "where c.oid = pg_catalog.to_regclass ($1)"

static VigilTestPg *pg;   /* the environment's, once it started */

static guint
count_in_log (const char *needle)
{
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  g_file_get_contents (vigil_test_pg_get_log_file (pg), &log, NULL, &error);
  g_assert_no_error (error);
  for (const char *at = strstr (log, needle); at != NULL; at = strstr (at + 1, needle))
    n++;
  return n;
}

static void
exec_super (const char *sql)
{
  g_autoptr(GError) error = NULL;

  vigil_test_pg_exec (pg, sql, &error);
  g_assert_no_error (error);
}

/* The environment's PostgreSQL (NULL: the test is skipped or failed), logging every
 * statement of the test's database from the first call on. */
static VigilTestPg *
require_pg (void)
{
  if (pg == NULL && (pg = vigil_test_env_pg ()) != NULL)
    exec_super ("alter database " VIGIL_TEST_PG_APP_DB " set log_statement = 'all'");
  return pg;
}

static guint32
table_oid (const char *table)
{
  g_autofree char *sql = g_strdup_printf ("select '%s'::regclass::oid", table);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = vigil_test_pg_query_value (pg, sql, &error);

  g_assert_no_error (error);
  return (guint32) g_ascii_strtoull (value, NULL, 10);
}

static VigilCatalog *
test_catalog (void)
{
  g_autofree char *conninfo = vigil_test_pg_conninfo (pg, NULL);

  return vigil_catalog_get (conninfo);
}

/* ---- a herd of lookups, released together ---------------------------------------------- */

typedef struct
{
  VigilCatalog *catalog;
  guint32       oid;          /* load_tables when set */
  const char   *relation;     /* else load_relation */
  GMutex        lock;
  GCond         cond;
  gboolean      go;
  gint          ok;           /* atomic: lookups that returned TRUE */
} Herd;

static gpointer
herd_member (gpointer data)
{
  Herd *herd = data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_mutex_lock (&herd->lock);
  while (!herd->go)
    g_cond_wait (&herd->cond, &herd->lock);
  g_mutex_unlock (&herd->lock);
  if (herd->relation != NULL)
    ok = vigil_catalog_load_relation (herd->catalog, herd->relation, &error);
  else
    ok = vigil_catalog_load_tables (herd->catalog, &herd->oid, 1, &error);
  g_assert_no_error (error);
  if (ok)
    g_atomic_int_inc (&herd->ok);
  return NULL;
}

static void
run_herd (Herd *herd)
{
  GThread *threads[HERD_SIZE];

  g_mutex_init (&herd->lock);
  g_cond_init (&herd->cond);
  for (guint i = 0; i < HERD_SIZE; i++)
    threads[i] = g_thread_new ("herd", herd_member, herd);
  g_mutex_lock (&herd->lock);
  herd->go = TRUE;
  g_cond_broadcast (&herd->cond);
  g_mutex_unlock (&herd->lock);
  for (guint i = 0; i < HERD_SIZE; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&herd->lock);
  g_cond_clear (&herd->cond);
  g_assert_cmpint (g_atomic_int_get (&herd->ok), ==, HERD_SIZE);
}

/* ---- cases ------------------------------------------------------------------------------ */

static void
assert_column (VigilCatalog *catalog,
               guint32       oid,
               gint16        attnum,
               const char   *table,
               const char   *column)
{
  VigilCatalogColumn found;

  g_assert_true (vigil_catalog_lookup_column (catalog, oid, attnum, &found));
  g_assert_cmpstr (found.schema, ==, "public");
  g_assert_cmpstr (found.table, ==, table);
  g_assert_cmpstr (found.column, ==, column);
  g_free (found.schema);
  g_free (found.table);
  g_free (found.column);
}

static void
test_herd_tables (void)
{
  Herd herd = { 0 };
  guint before;

  if (require_pg () == NULL)
    return;
  exec_super ("create table public.herd_tables (id int, email text)");
  herd.catalog = test_catalog ();
  herd.oid = table_oid ("public.herd_tables");
  g_assert_false (vigil_catalog_has_tables (herd.catalog, &herd.oid, 1));
  before = count_in_log (TABLES_QUERY);
  run_herd (&herd);
  g_assert_cmpuint (count_in_log (TABLES_QUERY) - before, ==, 1);
  g_assert_true (vigil_catalog_has_tables (herd.catalog, &herd.oid, 1));
  assert_column (herd.catalog, herd.oid, 2, "herd_tables", "email");
}

static void
test_herd_relation (void)
{
  Herd herd = { 0 };
  g_autoptr(GPtrArray) columns = NULL;
  gboolean known = FALSE;
  guint before;

  if (require_pg () == NULL)
    return;
  exec_super ("create table public.herd_relation (id int, api_key text)");
  herd.catalog = test_catalog ();
  herd.relation = "public.herd_relation";
  before = count_in_log (RELATION_QUERY);
  run_herd (&herd);
  g_assert_cmpuint (count_in_log (RELATION_QUERY) - before, ==, 1);
  columns = vigil_catalog_relation_columns (herd.catalog, herd.relation, &known);
  g_assert_true (known);
  g_assert_nonnull (columns);
  g_assert_cmpuint (columns->len, ==, 2);
  g_assert_cmpstr (((VigilCatalogColumn *) columns->pdata[1])->column, ==, "api_key");
}

/* A lookup after an invalidation (DDL) queries again and sees the new columns; one with
 * nothing new to learn does not query. */
static void
test_invalidate_looks_again (void)
{
  VigilCatalog *catalog;
  g_autoptr(GError) error = NULL;
  guint32 oid;
  guint before;

  if (require_pg () == NULL)
    return;
  exec_super ("create table public.renamed (id int, mail text)");
  catalog = test_catalog ();
  oid = table_oid ("public.renamed");
  g_assert_true (vigil_catalog_load_tables (catalog, &oid, 1, &error));
  g_assert_no_error (error);
  assert_column (catalog, oid, 2, "renamed", "mail");

  before = count_in_log (TABLES_QUERY);
  g_assert_true (vigil_catalog_load_tables (catalog, &oid, 1, &error));
  g_assert_cmpuint (count_in_log (TABLES_QUERY) - before, ==, 0);

  exec_super ("alter table public.renamed rename column mail to email");
  vigil_catalog_invalidate (catalog);
  g_assert_false (vigil_catalog_has_tables (catalog, &oid, 1));
  before = count_in_log (TABLES_QUERY);
  g_assert_true (vigil_catalog_load_tables (catalog, &oid, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_in_log (TABLES_QUERY) - before, ==, 1);
  assert_column (catalog, oid, 2, "renamed", "email");
}

/* Of a table and one that is gone, only the one that is gone is asked for again, and it
 * is remembered as missing, not as it was. */
static void
test_dropped_table_missing (void)
{
  VigilCatalog *catalog;
  g_autoptr(GError) error = NULL;
  VigilCatalogColumn found;
  guint32 oids[2];
  guint before;

  if (require_pg () == NULL)
    return;
  exec_super ("create table public.kept (id int, email text)");
  exec_super ("create table public.dropped (id int, email text)");
  catalog = test_catalog ();
  oids[0] = table_oid ("public.kept");
  oids[1] = table_oid ("public.dropped");
  g_assert_true (vigil_catalog_load_tables (catalog, oids, 2, &error));
  g_assert_no_error (error);
  assert_column (catalog, oids[1], 2, "dropped", "email");

  exec_super ("drop table public.dropped");
  vigil_catalog_invalidate (catalog);
  g_assert_true (vigil_catalog_load_tables (catalog, &oids[0], 1, &error));
  before = count_in_log (TABLES_QUERY);
  g_assert_true (vigil_catalog_load_tables (catalog, oids, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_in_log (TABLES_QUERY) - before, ==, 1);
  g_assert_true (vigil_catalog_has_tables (catalog, oids, 2));
  g_assert_false (vigil_catalog_lookup_column (catalog, oids[1], 2, &found));
  assert_column (catalog, oids[0], 2, "kept", "email");
}

/* ---- loads on the catalog's own worker -------------------------------------------------- */

typedef struct
{
  guint finished;
  guint ok;
} AsyncLoads;

static void
async_loaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  AsyncLoads *loads = user_data;
  g_autoptr(GError) error = NULL;

  if (vigil_catalog_load_finish (result, &error))
    loads->ok++;
  g_assert_no_error (error);
  loads->finished++;
}

static guint
thread_count (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "Threads:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("Threads:"), NULL, 10);
}

static gboolean
catalog_waits_on_lock (PGconn *super)
{
  PGresult *res = PQexec (super, "select count(*) from pg_catalog.pg_stat_activity"
                                 " where application_name = 'vigil-catalog'"
                                 " and wait_event_type = 'Lock'");
  gboolean waiting = PQresultStatus (res) == PGRES_TUPLES_OK
                     && strcmp (PQgetvalue (res, 0, 0), "0") != 0;

  PQclear (res);
  return waiting;
}

static void
exec_on (PGconn     *conn,
         const char *sql)
{
  PGresult *res = PQexec (conn, sql);

  g_assert_cmpstr (PQresStatus (PQresultStatus (res)), ==, PQresStatus (PGRES_COMMAND_OK));
  PQclear (res);
}

/* Lookups kept waiting by the upstream wait on the catalog's one worker, not on threads
 * of GLib's shared pool (logins and upstream connects run there); they complete, in one
 * query, once the upstream answers. */
static void
test_async_own_worker (void)
{
  g_autofree char *super_conninfo = NULL;
  VigilCatalog *catalog;
  AsyncLoads loads = { 0 };
  PGconn *super;
  guint32 oid;
  guint before_threads, before_queries;

  if (require_pg () == NULL)
    return;
  exec_super ("create table public.waited_for (id int, ssn text)");
  catalog = test_catalog ();
  oid = table_oid ("public.waited_for");
  /* The worker exists once a first load went through it. */
  vigil_catalog_load_async (catalog, NULL, 0, "public.no_such_table", async_loaded_cb, &loads);
  while (loads.finished < 1)
    g_main_context_iteration (NULL, TRUE);

  super_conninfo = vigil_test_pg_super_conninfo (pg, NULL);
  super = PQconnectdb (super_conninfo);
  g_assert_cmpint (PQstatus (super), ==, CONNECTION_OK);
  exec_on (super, "begin");
  exec_on (super, "lock table pg_catalog.pg_attribute in access exclusive mode");
  before_threads = thread_count ();
  before_queries = count_in_log (TABLES_QUERY);
  for (guint i = 0; i < ASYNC_LOADS; i++)
    vigil_catalog_load_async (catalog, &oid, 1, NULL, async_loaded_cb, &loads);
  while (!catalog_waits_on_lock (super))
    g_usleep (10 * 1000);
  g_assert_cmpuint (thread_count (), ==, before_threads);
  g_assert_cmpuint (loads.finished, ==, 1);

  exec_on (super, "commit");
  PQfinish (super);
  while (loads.finished < 1 + ASYNC_LOADS)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (loads.ok, ==, 1 + ASYNC_LOADS);
  g_assert_cmpuint (count_in_log (TABLES_QUERY) - before_queries, ==, 1);
  assert_column (catalog, oid, 2, "waited_for", "ssn");
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup_pg ();
  g_test_add_func ("/catalog/herd/tables", test_herd_tables);
  g_test_add_func ("/catalog/herd/relation", test_herd_relation);
  g_test_add_func ("/catalog/invalidate-looks-again", test_invalidate_looks_again);
  g_test_add_func ("/catalog/dropped-table-missing", test_dropped_table_missing);
  g_test_add_func ("/catalog/async/own-worker", test_async_own_worker);
  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
