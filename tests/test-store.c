/* test-store.c: identities and named connections in the SQLite store.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include <libpq-fe.h>

#include "vigil-conninfo.h"
#include "vigil-scram.h"
#include "vigil-store.h"
#include "vigil-test-pg.h"

#define N_THREADS      4
#define PER_THREAD     8

typedef struct
{
  char       *dir;
  VigilStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("vigil-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->store = vigil_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  g_assert_true (VIGIL_IS_STORE (fixture->store));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->store);
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
}

static char *
add_ok (VigilStore        *store,
        const char        *name,
        VigilIdentityKind  kind)
{
  g_autoptr(GError) error = NULL;
  char *token = NULL;

  g_assert_true (vigil_store_identity_add (store, name, kind, &token, &error));
  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static gint64
user_version (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "vigil.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 version;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

static void
test_open_creates_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("vigil-store-XXXXXX", &error);
  g_autofree char *data_dir = g_build_filename (tmp, "a", "b", NULL);
  g_autofree char *db_path = g_build_filename (data_dir, "vigil.db", NULL);
  g_autoptr(VigilStore) store = NULL;
  GStatBuf st;

  store = vigil_store_open (data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vigil_store_get_data_dir (store), ==, data_dir);
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_stat (data_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (user_version (data_dir), >=, 1);

  g_clear_object (&store);
  vigil_test_rm_rf (tmp);
}

static void
test_open_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;

  /* A regular file where the directory should be. */
  store = vigil_store_open ("/dev/null", &error);
  g_assert_null (store);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);
}

static void
test_add_lookup (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *token = add_ok (fixture->store, "claude@ci", VIGIL_IDENTITY_KIND_HUMAN);
  g_autoptr(VigilIdentity) identity = NULL;
  g_autoptr(VigilIdentity) copy = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* "vgl_" + 32 bytes in unpadded base64url */
  g_assert_true (g_str_has_prefix (token, "vgl_"));
  g_assert_cmpuint (strlen (token), ==, 4 + 43);
  g_assert_true (g_regex_match_simple ("^vgl_[A-Za-z0-9_-]{43}$", token, 0, 0));

  identity = vigil_store_identity_lookup (fixture->store, "claude@ci", &error);
  g_assert_no_error (error);
  g_assert_nonnull (identity);
  g_assert_cmpint (identity->id, >, 0);
  g_assert_cmpstr (identity->name, ==, "claude@ci");
  g_assert_cmpint (identity->kind, ==, VIGIL_IDENTITY_KIND_HUMAN);
  g_assert_cmpint (identity->revoked_at, ==, 0);
  g_assert_cmpint (ABS (identity->created_at - now), <=, 5);
  g_assert_true (g_str_has_prefix (identity->scram_verifier, "SCRAM-SHA-256$4096:"));
  g_assert_true (vigil_scram_verifier_check (identity->scram_verifier, token));
  g_assert_false (vigil_scram_verifier_check (identity->scram_verifier, "vgl_wrong"));

  copy = g_boxed_copy (VIGIL_TYPE_IDENTITY, identity);
  g_assert_cmpstr (copy->name, ==, identity->name);
  g_assert_true (copy->name != identity->name);
  g_assert_cmpstr (copy->scram_verifier, ==, identity->scram_verifier);

  g_assert_null (vigil_store_identity_lookup (fixture->store, "nobody", &error));
  g_assert_no_error (error);
}

static void
test_default_kinds (Fixture       *fixture,
                    gconstpointer  data)
{
  static const VigilIdentityKind kinds[] = {
    VIGIL_IDENTITY_KIND_AGENT, VIGIL_IDENTITY_KIND_HUMAN, VIGIL_IDENTITY_KIND_ADMIN,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *name = g_strdup_printf ("id%u", i);
      g_autofree char *token = add_ok (fixture->store, name, kinds[i]);
      g_autoptr(VigilIdentity) identity = vigil_store_identity_lookup (fixture->store, name,
                                                                       NULL);

      g_assert_cmpint (identity->kind, ==, kinds[i]);
    }
}

static void
test_duplicate (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *token = add_ok (fixture->store, "bot", VIGIL_IDENTITY_KIND_AGENT);
  g_autofree char *second = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (vigil_store_identity_add (fixture->store, "bot", VIGIL_IDENTITY_KIND_ADMIN,
                                            &second, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_EXISTS);
  g_assert_null (second);
}

static void
test_invalid_names (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *long_name = g_strnfill (64, 'a');
  const char *bad[] = {
    "", long_name, "a b", "a/b", "a;drop", "caf\xc3\xa9", "a\nb", "a'b", "a,b", "a:b", "a$b",
  };
  g_autoptr(GPtrArray) list = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      char *token = NULL;

      g_assert_false (vigil_store_identity_add (fixture->store, bad[i],
                                                VIGIL_IDENTITY_KIND_AGENT, &token, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
      g_assert_null (token);
    }

  /* The edges of what is allowed. */
  long_name[63] = '\0';
  g_free (add_ok (fixture->store, long_name, VIGIL_IDENTITY_KIND_AGENT));
  g_free (add_ok (fixture->store, "a", VIGIL_IDENTITY_KIND_AGENT));
  g_free (add_ok (fixture->store, "A-Z_0.9@x", VIGIL_IDENTITY_KIND_AGENT));

  list = vigil_store_identity_list (fixture->store, NULL);
  g_assert_cmpuint (list->len, ==, 3);
}

static void
test_revoke (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *old_token = add_ok (fixture->store, "bot", VIGIL_IDENTITY_KIND_AGENT);
  g_autofree char *new_token = NULL;
  g_autoptr(VigilIdentity) identity = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  const VigilIdentity *first, *second;

  g_assert_true (vigil_store_identity_revoke (fixture->store, "bot", &error));
  g_assert_no_error (error);
  g_assert_null (vigil_store_identity_lookup (fixture->store, "bot", &error));
  g_assert_no_error (error);

  g_assert_false (vigil_store_identity_revoke (fixture->store, "bot", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (vigil_store_identity_revoke (fixture->store, "ghost", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The name is free again; the old row stays for the record. */
  new_token = add_ok (fixture->store, "bot", VIGIL_IDENTITY_KIND_ADMIN);
  identity = vigil_store_identity_lookup (fixture->store, "bot", &error);
  g_assert_no_error (error);
  g_assert_cmpint (identity->kind, ==, VIGIL_IDENTITY_KIND_ADMIN);
  g_assert_true (vigil_scram_verifier_check (identity->scram_verifier, new_token));
  g_assert_false (vigil_scram_verifier_check (identity->scram_verifier, old_token));

  list = vigil_store_identity_list (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  first = list->pdata[0];
  second = list->pdata[1];
  g_assert_cmpstr (first->name, ==, "bot");
  g_assert_cmpint (first->revoked_at, >=, first->created_at);
  g_assert_cmpint (first->revoked_at, >, 0);
  g_assert_cmpstr (second->name, ==, "bot");
  g_assert_cmpint (second->revoked_at, ==, 0);
}

static void
test_list_order (Fixture       *fixture,
                 gconstpointer  data)
{
  static const char * const names[] = { "zed", "alice", "Mallory", "bob" };
  static const char * const sorted[] = { "Mallory", "alice", "bob", "zed" };
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  list = vigil_store_identity_list (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_free (add_ok (fixture->store, names[i], VIGIL_IDENTITY_KIND_AGENT));
  list = vigil_store_identity_list (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (sorted));
  for (guint i = 0; i < G_N_ELEMENTS (sorted); i++)
    g_assert_cmpstr (((VigilIdentity *) list->pdata[i])->name, ==, sorted[i]);
}

static gboolean
contains (const char *haystack,
          gsize       len,
          const char *needle)
{
  gsize needle_len = strlen (needle);

  for (gsize i = 0; i + needle_len <= len; i++)
    if (memcmp (haystack + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_not_in_file (const char *dir,
                    const char *basename,
                    const char *needle)
{
  g_autofree char *path = g_build_filename (dir, basename, NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return;  /* no WAL after a clean close */
  g_test_message ("searched %s (%" G_GSIZE_FORMAT " bytes)", basename, len);
  g_assert_false (contains (contents, len, needle));
}

static void
test_token_not_stored (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *token = add_ok (fixture->store, "bot", VIGIL_IDENTITY_KIND_AGENT);
  const char *secret = token + strlen ("vgl_");
  static const char * const files[] = { "vigil.db", "vigil.db-wal", "vigil.db-shm" };

  /* Once while open (the row is likely still in the WAL), once after the checkpoint. */
  for (guint pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (files); i++)
        {
          assert_not_in_file (fixture->dir, files[i], token);
          assert_not_in_file (fixture->dir, files[i], secret);
        }
      g_clear_object (&fixture->store);
    }
}

static void
test_reopen (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *token = add_ok (fixture->store, "bot", VIGIL_IDENTITY_KIND_ADMIN);
  gint64 version = user_version (fixture->dir);

  g_assert_cmpint (version, >=, 1);
  /* Migrations already applied are not applied again. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(VigilIdentity) identity = NULL;
      g_autoptr(GError) error = NULL;

      g_clear_object (&fixture->store);
      fixture->store = vigil_store_open (fixture->dir, &error);
      g_assert_no_error (error);
      g_assert_cmpint (user_version (fixture->dir), ==, version);

      identity = vigil_store_identity_lookup (fixture->store, "bot", &error);
      g_assert_no_error (error);
      g_assert_nonnull (identity);
      g_assert_cmpint (identity->kind, ==, VIGIL_IDENTITY_KIND_ADMIN);
      g_assert_true (vigil_scram_verifier_check (identity->scram_verifier, token));
    }
}

static void
test_two_stores_same_dir (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(VigilStore) other = NULL;
  g_autoptr(VigilIdentity) identity = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  /* Like vigilctl beside a running console. */
  other = vigil_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  token = add_ok (other, "bot", VIGIL_IDENTITY_KIND_AGENT);
  identity = vigil_store_identity_lookup (fixture->store, "bot", &error);
  g_assert_no_error (error);
  g_assert_nonnull (identity);
}

static gpointer
add_many_thread (gpointer data)
{
  VigilStore *store = data;
  static gint next_thread;
  int thread = g_atomic_int_add (&next_thread, 1);

  for (guint i = 0; i < PER_THREAD; i++)
    {
      g_autofree char *name = g_strdup_printf ("t%d-%u", thread, i);
      g_autofree char *token = add_ok (store, name, VIGIL_IDENTITY_KIND_AGENT);
      g_autoptr(VigilIdentity) identity = vigil_store_identity_lookup (store, name, NULL);

      g_assert_nonnull (identity);
      g_assert_true (vigil_scram_verifier_check (identity->scram_verifier, token));
    }
  return NULL;
}

static void
test_concurrent (Fixture       *fixture,
                 gconstpointer  data)
{
  GThread *threads[N_THREADS];
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("adder", add_many_thread, fixture->store);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  list = vigil_store_identity_list (fixture->store, NULL);
  g_assert_cmpuint (list->len, ==, N_THREADS * PER_THREAD);
  for (guint i = 0; i < list->len; i++)
    g_assert_true (g_hash_table_add (names, ((VigilIdentity *) list->pdata[i])->name));
}

/* ---- named connections --------------------------------------------------------------- */

#define SECRET "s3cr'et \\pw"

GResource *vigil_data_get_resource (void);

static void
connection_add_ok (VigilStore *store,
                   const char *name,
                   const char *conninfo)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vigil_store_connection_add (store, name, conninfo, &error));
  g_assert_no_error (error);
}

static void
test_connection_add_list_remove (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;
  const VigilConnection *first;

  connection_add_ok (fixture->store, "shop", "host=db.internal dbname=shop password=pw");
  connection_add_ok (fixture->store, "analytics", "postgresql://ro@127.0.0.1:5433/warehouse");
  g_assert_false (vigil_store_connection_add (fixture->store, "shop", "host=other", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_EXISTS);
  g_clear_error (&error);

  list = vigil_store_connection_list (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  first = list->pdata[0];
  g_assert_cmpstr (first->name, ==, "analytics");
  g_assert_cmpstr (first->conninfo, ==, "postgresql://ro@127.0.0.1:5433/warehouse");
  g_assert_cmpint (first->created_at, >, 0);
  /* The engine hands the whole conninfo (password included) to libpq. */
  g_assert_cmpstr (((VigilConnection *) list->pdata[1])->conninfo, ==,
                   "host=db.internal dbname=shop password=pw");

  g_assert_true (vigil_store_connection_remove (fixture->store, "shop", &error));
  g_assert_no_error (error);
  g_assert_false (vigil_store_connection_remove (fixture->store, "shop", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  after = vigil_store_connection_list (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpstr (((VigilConnection *) after->pdata[0])->name, ==, "analytics");
  /* The name is free again. */
  connection_add_ok (fixture->store, "shop", "host=other dbname=shop");
}

static void
test_connection_invalid (Fixture       *fixture,
                         gconstpointer  data)
{
  static const struct { const char *name; const char *conninfo; } cases[] = {
    { "", "host=x" },
    { "has space", "host=x" },
    { "semi;colon", "host=x" },
    { "x123456789x123456789x123456789x123456789x123456789x123456789xxxx", "host=x" },
    { "ok", "" },
    { "ok", "host=x bogus=1" },
    { "ok", "host='unterminated" },
    { "ok", "postgresql://[::1" },
    { "ok", "postgresql://app:hunter2@[::1" },
  };
  g_autoptr(GPtrArray) list = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vigil_store_connection_add (fixture->store, cases[i].name,
                                                  cases[i].conninfo, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
      g_assert_null (strstr (error->message, "hunter2"));
      g_test_message ("%s: %s", cases[i].name, error->message);
    }
  list = vigil_store_connection_list (fixture->store, NULL);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, ==, 0);
}

/* The value libpq reads for KEYWORD from CONNINFO. */
static char *
libpq_value (const char *conninfo,
             const char *keyword)
{
  PQconninfoOption *options = PQconninfoParse (conninfo, NULL);
  char *value = NULL;

  if (options == NULL)
    g_error ("libpq cannot parse %s", conninfo);
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (g_str_equal (o->keyword, keyword))
      value = g_strdup (o->val);
  PQconninfoFree (options);
  return value;
}

static void
test_connection_redact (void)
{
  const char *keys[] = { "host", "port", "dbname", "user", "password", "sslmode", NULL };
  const char *values[] = { "db.internal", "", "my shop", "app", SECRET, "require", NULL };
  g_autofree char *built = vigil_conninfo_build (keys, values);
  g_autofree char *password = libpq_value (built, "password");
  g_autofree char *dbname = libpq_value (built, "dbname");
  g_autofree char *port = libpq_value (built, "port");
  g_autofree char *shown = vigil_conninfo_redact (built);
  g_autofree char *uri = vigil_conninfo_redact ("postgresql://app:hunter2@h:5433/shop");
  g_autofree char *none = vigil_conninfo_redact ("host=h dbname=shop");

  /* Built as libpq reads it back: quotes, backslashes and spaces survive. */
  g_assert_cmpstr (password, ==, SECRET);
  g_assert_cmpstr (dbname, ==, "my shop");
  g_assert_null (port);
  g_test_message ("%s", shown);
  g_assert_null (strstr (shown, "s3cr"));
  g_assert_nonnull (strstr (shown, "password=" VIGIL_CONNINFO_HIDDEN));
  g_assert_nonnull (strstr (shown, "host=db.internal"));
  g_assert_nonnull (strstr (shown, "dbname='my shop'"));
  g_assert_nonnull (strstr (shown, "sslmode=require"));
  g_assert_null (strstr (uri, "hunter2"));
  g_assert_nonnull (strstr (uri, "password=" VIGIL_CONNINFO_HIDDEN));
  g_assert_nonnull (strstr (uri, "port=5433"));
  g_assert_null (strstr (none, "password"));
  /* Unparsable: nothing, not a part of it. */
  g_assert_null (vigil_conninfo_redact ("host=h password='hunter2"));
  g_assert_null (vigil_conninfo_redact (NULL));
}

static void
run_migration (sqlite3    *db,
               const char *name)
{
  g_autofree char *path = g_strconcat ("/org/vigil/data/sql/", name, NULL);
  g_autoptr(GBytes) bytes = g_resource_lookup_data (vigil_data_get_resource (), path, 0, NULL);
  g_autofree char *sql = NULL;

  g_assert_nonnull (bytes);
  sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

/* A store from before 0005 whose reserved table has a row: the row survives. */
static void
test_connection_migrate (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vigil-store-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GPtrArray) list = NULL;
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "vigil.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  run_migration (db, "0001-identities.sql");
  run_migration (db, "0002-audit.sql");
  run_migration (db, "0003-policies.sql");
  run_migration (db, "0004-approvals.sql");
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 4;"
                                     "INSERT INTO connections VALUES ('old', 'host=h', 7)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = vigil_store_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user_version (dir), >=, 5);
  list = vigil_store_connection_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((VigilConnection *) list->pdata[0])->name, ==, "old");
  g_assert_cmpint (((VigilConnection *) list->pdata[0])->created_at, ==, 7);
  g_clear_object (&store);
  vigil_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/store/open/creates-dir", test_open_creates_dir);
  g_test_add_func ("/store/open/fails", test_open_fails);
  g_test_add_func ("/store/connection/redact", test_connection_redact);
  g_test_add_func ("/store/connection/migrate", test_connection_migrate);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/store/identity/add-lookup", test_add_lookup);
  ADD ("/store/identity/kinds", test_default_kinds);
  ADD ("/store/identity/duplicate", test_duplicate);
  ADD ("/store/identity/invalid-names", test_invalid_names);
  ADD ("/store/identity/revoke", test_revoke);
  ADD ("/store/identity/list-order", test_list_order);
  ADD ("/store/identity/token-not-stored", test_token_not_stored);
  ADD ("/store/identity/concurrent", test_concurrent);
  ADD ("/store/reopen/idempotent", test_reopen);
  ADD ("/store/reopen/two-stores", test_two_stores_same_dir);
  ADD ("/store/connection/add-list-remove", test_connection_add_list_remove);
  ADD ("/store/connection/invalid", test_connection_invalid);
#undef ADD

  return g_test_run ();
}
