/* test-audit.c: the write-ahead, hash-chained audit log.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "vigil-audit-private.h"
#include "vigil-audit-read.h"
#include "vigil-store.h"
#include "vigil-test-pg.h"

#define N_THREADS        8
#define PER_THREAD       100
#define TAMPER_STATEMENTS 20
#define CRASH_COMMITTED  300
#define BENCH_SECONDS    1

typedef struct
{
  gint64 *ids;
  GError *error;
  guint   done;
  guint   failed;
} Results;

typedef struct
{
  Results *results;
  guint    index;
} Slot;

typedef struct
{
  VigilAudit   *audit;
  GMainContext *context;
  Results      *results;
  guint         thread;
} Appender;

/* Helpers */

static char *
make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  char *dir = g_dir_make_tmp ("vigil-audit-XXXXXX", &error);

  g_assert_no_error (error);
  store = vigil_store_open (dir, &error);
  g_assert_no_error (error);
  return dir;
}

static VigilAudit *
open_audit (const char *dir)
{
  g_autoptr(GError) error = NULL;
  VigilAudit *audit = vigil_audit_new (dir, &error);

  g_assert_no_error (error);
  g_assert_true (VIGIL_IS_AUDIT (audit));
  return audit;
}

static VigilAuditRecord *
make_record (guint thread,
             guint index)
{
  VigilAuditRecord *record = vigil_audit_record_new ();

  record->time_us = g_get_real_time ();
  record->identity = g_strdup_printf ("agent-%u", thread);
  record->identity_kind = g_strdup ("agent");
  record->pid = 1000 + (gint) thread;
  record->exe = g_strdup ("/usr/bin/psql");
  record->os_user = g_strdup ("tester");
  record->connection = g_strdup ("shop");
  record->session = thread;
  record->protocol = g_strdup ("extended");
  record->statement = g_strdup_printf ("SELECT * FROM t WHERE id = $1 -- %u/%u", thread, index);
  record->params = g_strdup_printf ("[\"%u\", null]", index);
  record->class = g_strdup ("read");
  record->relations = g_strdup ("t");
  record->decision = g_strdup ("allow");
  return record;
}

static void
committed_cb (gint64        record_id,
              const GError *error,
              gpointer      user_data)
{
  Slot *slot = user_data;

  if (error != NULL)
    {
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);
      g_assert_cmpint (record_id, ==, 0);
      if (slot->results->error == NULL)
        slot->results->error = g_error_copy (error);
      slot->results->failed++;
    }
  slot->results->ids[slot->index] = record_id;
  slot->results->done++;
  g_free (slot);
}

static void
append (VigilAudit   *audit,
        GMainContext *context,
        Results      *results,
        guint         thread,
        guint         index,
        guint         slot_index)
{
  Slot *slot = g_new0 (Slot, 1);

  slot->results = results;
  slot->index = slot_index;
  vigil_audit_append_statement (audit, make_record (thread, index), context, committed_cb, slot);
}

static void
wait_done (GMainContext *context,
           Results      *results,
           guint         n)
{
  while (results->done < n)
    g_main_context_iteration (context, TRUE);
}

static void
assert_intact (const char *dir,
               gint64      expected_entries)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  gint64 entries = -1, first_bad = -1;

  g_assert_true (vigil_audit_verify (dir, &entries, &first_bad, &reason, &error));
  g_assert_no_error (error);
  g_assert_null (reason);
  g_assert_cmpint (first_bad, ==, 0);
  if (expected_entries >= 0)
    g_assert_cmpint (entries, ==, expected_entries);
}

static char *
assert_broken (const char *dir,
               gint64      expected_first_bad)
{
  g_autoptr(GError) error = NULL;
  char *reason = NULL;
  gint64 first_bad = -1;

  g_assert_false (vigil_audit_verify (dir, NULL, &first_bad, &reason, &error));
  g_assert_error (error, VIGIL_AUDIT_VERIFY_ERROR, VIGIL_AUDIT_VERIFY_ERROR_BROKEN);
  g_assert_nonnull (reason);
  g_test_message ("tampered: first bad id %" G_GINT64_FORMAT ": %s", first_bad, reason);
  g_assert_cmpint (first_bad, ==, expected_first_bad);
  return reason;
}

static sqlite3 *
open_raw (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, VIGIL_AUDIT_DB_NAME, NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static void
exec_raw (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
tamper (const char *dir,
        const char *sql)
{
  sqlite3 *db = open_raw (dir);

  exec_raw (db, sql);
  sqlite3_close (db);
}

static char *
copy_data_dir (const char *source)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("vigil-audit-tamper-XXXXXX", &error);
  const char *names[] = { VIGIL_AUDIT_DB_NAME, VIGIL_AUDIT_HEAD_NAME };

  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *from = g_build_filename (source, names[i], NULL);
      g_autofree char *to = g_build_filename (dir, names[i], NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_file_get_contents (from, &contents, &len, &error);
      g_assert_no_error (error);
      g_file_set_contents (to, contents, len, &error);
      g_assert_no_error (error);
    }
  return dir;
}

/* Recomputes entry ID's hash as an attacker who knows the format would. */
static char *
rehash_entry (sqlite3 *db,
              gint64   id)
{
  sqlite3_stmt *stmt = NULL;
  VigilAuditEntry entry;
  char hash[VIGIL_AUDIT_HEX_LEN + 1];

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT " VIGIL_AUDIT_CONTENT_COLUMNS ", prev_hash"
                                       " FROM audit_log WHERE id = ?", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  _vigil_audit_entry_from_row (&entry, stmt, 0);
  g_assert_true (_vigil_audit_entry_hash (&entry, (const char *) sqlite3_column_text (
                                            stmt, VIGIL_AUDIT_N_FIELDS), hash));
  sqlite3_finalize (stmt);
  return g_strdup (hash);
}

/* Statements from many threads */

static gpointer
appender_thread (gpointer data)
{
  Appender *appender = data;

  for (guint i = 0; i < PER_THREAD; i++)
    append (appender->audit, appender->context, appender->results, appender->thread, i,
            appender->thread * PER_THREAD + i);
  return NULL;
}

static void
test_append_threads (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GPtrArray) latest = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  Results results = { g_new0 (gint64, N_THREADS * PER_THREAD), NULL, 0, 0 };
  Appender appenders[N_THREADS];
  GThread *threads[N_THREADS];

  for (guint t = 0; t < N_THREADS; t++)
    {
      appenders[t] = (Appender) { audit, context, &results, t };
      threads[t] = g_thread_new ("appender", appender_thread, &appenders[t]);
    }
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);
  wait_done (context, &results, N_THREADS * PER_THREAD);
  g_assert_no_error (results.error);

  for (guint t = 0; t < N_THREADS; t++)
    for (guint i = 0; i < PER_THREAD; i++)
      {
        gint64 *id = &results.ids[t * PER_THREAD + i];

        g_assert_cmpint (*id, >, 0);
        g_assert_false (g_hash_table_contains (seen, id));
        g_hash_table_add (seen, id);
        if (i > 0)
          g_assert_cmpint (*id, >, *(id - 1));
      }

  for (guint i = 0; i < N_THREADS * PER_THREAD; i++)
    vigil_audit_append_outcome (audit, results.ids[i], i, 100 + i, i % 3,
                                i % 10 == 0 ? "42P01" : NULL,
                                i % 10 == 0 ? "relation \"t\" does not exist" : NULL, 64 * i);
  vigil_audit_flush (audit);
  g_assert_cmpuint (vigil_audit_get_queue_depth (audit), ==, 0);
  g_assert_cmpint (vigil_audit_get_last_commit_us (audit), >, 0);
  assert_intact (dir, 2 * N_THREADS * PER_THREAD);

  latest = vigil_audit_read_latest (dir, 10, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (latest->len, ==, 10);
  for (guint i = 1; i < latest->len; i++)
    g_assert_cmpint (((VigilAuditRecord *) latest->pdata[i - 1])->id, <,
                     ((VigilAuditRecord *) latest->pdata[i])->id);
  for (guint i = 0; i < latest->len; i++)
    {
      VigilAuditRecord *record = latest->pdata[i];

      g_assert_cmpint (record->rows, >=, 0);
      g_assert_cmpint (record->duration_us, >=, 100);
      g_assert_cmpstr (record->exe, ==, "/usr/bin/psql");
    }
  json = vigil_audit_record_to_json (latest->pdata[9]);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "\"process\":{\"pid\":"));
  g_assert_nonnull (strstr (json, "\"params\":[\""));
  g_assert_true (g_regex_match_simple ("\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z\"",
                                       json, 0, 0));
  g_free (results.ids);
  g_clear_object (&audit);
  vigil_test_rm_rf (dir);
}

/* Tampering */

static char *
populated_dir (void)
{
  char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GMainContext) context = g_main_context_new ();
  Results results = { g_new0 (gint64, TAMPER_STATEMENTS), NULL, 0, 0 };

  for (guint i = 0; i < TAMPER_STATEMENTS; i++)
    append (audit, context, &results, 0, i, i);
  wait_done (context, &results, TAMPER_STATEMENTS);
  for (guint i = 0; i < TAMPER_STATEMENTS; i++)
    vigil_audit_append_outcome (audit, results.ids[i], 1, 10, 0, NULL, NULL, 100);
  vigil_audit_flush (audit);
  g_free (results.ids);
  return dir;  /* 40 entries: statements 1..20, outcomes 21..40 */
}

static int
run_vigilctl (const char *dir,
              char      **out)
{
  const char *vigilctl = g_getenv ("VIGILCTL");
  const char *argv[] = { vigilctl, "audit", "verify", "--data-dir", dir, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, out, NULL,
                &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_tamper (void)
{
  g_autofree char *source = populated_dir ();
  const gint64 n = 2 * TAMPER_STATEMENTS;
  struct { const char *name; const char *sql; gint64 first_bad; } cases[] = {
    { "edit", "DROP TRIGGER audit_log_no_update;"
              "UPDATE audit_log SET statement = 'SELECT 1' WHERE id = 7", 7 },
    { "edit-outcome", "DROP TRIGGER audit_log_no_update;"
                      "UPDATE audit_log SET rows = 0 WHERE id = 25", 25 },
    { "retype", "DROP TRIGGER audit_log_no_update;"
                "UPDATE audit_log SET statement = CAST (statement AS BLOB) WHERE id = 3", 3 },
    { "delete-middle", "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 10", 10 },
    { "swap-ids", "DROP TRIGGER audit_log_no_update;"
                  "UPDATE audit_log SET id = -5 WHERE id = 5;"
                  "UPDATE audit_log SET id = 5 WHERE id = 6;"
                  "UPDATE audit_log SET id = 6 WHERE id = -5", 5 },
    { "insert-forged", "INSERT INTO audit_log (id, kind, time_us, statement, prev_hash, hash)"
                       " SELECT 41, 'statement', 0, 'DROP TABLE t', hash, hash FROM audit_log"
                       " WHERE id = 40", n + 1 },
    { "insert-gap", "INSERT INTO audit_log (id, kind, time_us, prev_hash, hash)"
                    " SELECT 45, 'statement', 0, hash, hash FROM audit_log WHERE id = 40", n + 1 },
    { "delete-first", "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id = 1", 1 },
  };
  g_autofree char *out = NULL;

  assert_intact (source, n);
  g_assert_cmpint (run_vigilctl (source, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "audit log intact: 40 entries, head "));

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = copy_data_dir (source);
      g_autofree char *reason = NULL;

      g_test_message ("case %s", cases[i].name);
      tamper (dir, cases[i].sql);
      reason = assert_broken (dir, cases[i].first_bad);
      if (i == 0)
        {
          g_clear_pointer (&out, g_free);
          g_assert_cmpint (run_vigilctl (dir, &out), ==, 1);
          g_assert_true (g_str_has_prefix (out, "first bad record: id 7: "));
        }
      vigil_test_rm_rf (dir);
    }
  vigil_test_rm_rf (source);
}

/* The writer names only the columns an entry has, with a few INSERTs kept by shape and
 * the full one past them, and writes VIGIL_AUDIT_DB_GROUP rows at once with every column:
 * whichever wrote a row, it reads back as hashed. The first half is committed a pair at a
 * time (single rows, more shapes than are kept), the rest in one batch (groups and a
 * tail of single rows). A group INSERT keeps its bindings from one group to the next and
 * leaves a NULL bound where it stays NULL: rule and approver change from one group to the
 * next at the same place, so a value left bound from the group before would not read back
 * as hashed. */
static void
test_append_shapes (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  const guint n = 3 * VIGIL_AUDIT_DB_SHAPES + 4 * VIGIL_AUDIT_DB_GROUP;
  sqlite3 *db;
  sqlite3_stmt *stmt;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VigilAuditRecord) record = make_record (0, i);
      g_autoptr(GError) error = NULL;
      gint64 id;

      /* A different set of empty columns for each record. */
      if (i & 1)
        g_clear_pointer (&record->params, g_free);
      if (i & 2)
        g_clear_pointer (&record->relations, g_free);
      if (i & 4)
        g_clear_pointer (&record->exe, g_free);
      if (i & 8)
        record->rule = g_strdup ("rule");
      if (i & 16)
        record->approver = g_strdup ("");
      id = vigil_audit_log_statement (audit, record, &error);
      g_assert_no_error (error);
      g_assert_cmpint (id, >, 0);
      vigil_audit_append_outcome (audit, id, i, 10, 0, (i & 1) ? "42P01" : NULL,
                                  (i & 2) ? "no such table" : NULL, 100);
      if (i < n / 2)
        g_assert_true (vigil_audit_flush (audit));
    }
  /* Two entries a record: the one batch holds at least four groups. */
  g_assert_cmpuint (2 * (n - n / 2), >=, 4 * VIGIL_AUDIT_DB_GROUP);
  g_assert_true (vigil_audit_flush (audit));
  g_clear_object (&audit);
  assert_intact (dir, 2 * n);

  db = open_raw (dir);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM audit_log WHERE"
                                       " (params IS NULL) = (id % 4 = 3)"
                                       " AND (approver IS NULL) != ((id - 1) / 2 & 16 != 0)"
                                       " AND kind = 'statement'", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, n);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  vigil_test_rm_rf (dir);
}

/* An attacker who knows the format: rehashing the edited entry moves the break to the
 * next link; appending a well-formed entry is caught by the checkpoint. */
static void
test_tamper_rehash (void)
{
  g_autofree char *source = populated_dir ();
  g_autofree char *dir = copy_data_dir (source);
  g_autofree char *dir2 = copy_data_dir (source);
  g_autofree char *reason = NULL;
  g_autofree char *reason2 = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sql = NULL;
  sqlite3 *db = open_raw (dir);

  exec_raw (db, "DROP TRIGGER audit_log_no_update;"
                "UPDATE audit_log SET identity = 'nobody' WHERE id = 12");
  hash = rehash_entry (db, 12);
  sql = g_strdup_printf ("UPDATE audit_log SET hash = '%s' WHERE id = 12", hash);
  exec_raw (db, sql);
  sqlite3_close (db);
  reason = assert_broken (dir, 13);

  db = open_raw (dir2);
  exec_raw (db, "DROP TRIGGER audit_log_no_update;"
                "INSERT INTO audit_log (id, kind, time_us, statement, prev_hash, hash)"
                " SELECT 41, 'statement', 0, 'DROP TABLE t', hash, '' FROM audit_log"
                " WHERE id = 40");
  g_free (hash);
  hash = rehash_entry (db, 41);
  g_free (sql);
  sql = g_strdup_printf ("UPDATE audit_log SET hash = '%s' WHERE id = 41", hash);
  exec_raw (db, sql);
  sqlite3_close (db);
  reason2 = assert_broken (dir2, 41);
  g_assert_nonnull (strstr (reason2, "checkpoint"));

  vigil_test_rm_rf (dir);
  vigil_test_rm_rf (dir2);
  vigil_test_rm_rf (source);
}

/* Truncation made consistent with the checkpoint table is still caught by audit.head;
 * the proxy refuses to append over it. Deleting audit.head alone fails verification too. */
static void
test_tamper_truncate (void)
{
  g_autofree char *source = populated_dir ();
  g_autofree char *dir = copy_data_dir (source);
  g_autofree char *dir2 = copy_data_dir (source);
  g_autofree char *head = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *reason2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAudit) audit = NULL;
  const gint64 keep = 2 * TAMPER_STATEMENTS - 5;

  tamper (dir, "DROP TRIGGER audit_log_no_delete;"
               "DELETE FROM audit_log WHERE id > 35;"
               "UPDATE audit_checkpoint SET entries = 35,"
               " head_hash = (SELECT hash FROM audit_log WHERE id = 35)");
  reason = assert_broken (dir, keep + 1);
  g_assert_nonnull (strstr (reason, VIGIL_AUDIT_HEAD_NAME));
  audit = vigil_audit_new (dir, &error);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);
  g_assert_null (audit);
  g_clear_error (&error);

  /* The head file alone: nothing in the log is bad, but truncation can no longer be
   * ruled out, so verify fails with no single entry to blame (id 0). */
  head = g_build_filename (dir2, VIGIL_AUDIT_HEAD_NAME, NULL);
  g_assert_cmpint (g_unlink (head), ==, 0);
  reason2 = assert_broken (dir2, 0);
  g_assert_nonnull (strstr (reason2, "audit.head is missing"));
  audit = vigil_audit_new (dir2, &error);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);

  vigil_test_rm_rf (dir);
  vigil_test_rm_rf (dir2);
  vigil_test_rm_rf (source);
}

/* Fail closed */

/* A locked database: what was appended is durable in the journal and accepted; once the
 * database refuses a batch, new statements are refused (fail closed) until it takes the
 * retried batch, and nothing appended before is lost. */
static void
test_fail_closed_locked (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GMainContext) context = g_main_context_new ();
  Results results = { g_new0 (gint64, 16), NULL, 0, 0 };
  sqlite3 *locker;
  guint attempts = 0;

  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  _vigil_audit_set_busy_timeout (audit, 50);
  append (audit, context, &results, 0, 0, 0);
  wait_done (context, &results, 1);
  g_assert_cmpint (results.ids[0], ==, 1);
  g_assert_true (vigil_audit_flush (audit));

  locker = open_raw (dir);
  exec_raw (locker, "BEGIN EXCLUSIVE");
  vigil_audit_append_outcome (audit, results.ids[0], 1, 5, 0, NULL, NULL, 10);
  append (audit, context, &results, 0, 1, 1);
  wait_done (context, &results, 2);
  g_assert_cmpuint (results.failed, ==, 0);
  g_assert_cmpint (results.ids[1], ==, 3);   /* after the outcome, entry 2 */

  g_assert_false (vigil_audit_flush (audit));
  g_assert_cmpuint (vigil_audit_get_queue_depth (audit), ==, 2);
  for (guint i = 2; i <= 4; i++)
    append (audit, context, &results, 0, i, i);
  wait_done (context, &results, 5);
  g_assert_cmpuint (results.failed, ==, 3);
  g_test_message ("while locked: %s", results.error->message);
  g_assert_error (results.error, VIGIL_ERROR, VIGIL_ERROR_STORE);
  exec_raw (locker, "ROLLBACK");
  sqlite3_close (locker);

  /* The writer retries every 100 ms; a flush that saw a refusal says so. */
  while (!vigil_audit_flush (audit))
    {
      g_assert_cmpuint (++attempts, <, 100);
      g_usleep (20 * 1000);
    }
  for (guint i = 5; i <= 7; i++)
    append (audit, context, &results, 0, i, i);
  wait_done (context, &results, 8);
  g_assert_cmpuint (results.failed, ==, 3);
  g_assert_true (vigil_audit_flush (audit));
  g_assert_cmpuint (vigil_audit_get_queue_depth (audit), ==, 0);
  g_assert_cmpint (results.ids[5], ==, 4);
  g_assert_cmpint (results.ids[7], ==, 6);
  assert_intact (dir, 6);

  g_clear_error (&results.error);
  g_free (results.ids);
  g_clear_object (&audit);
  vigil_test_rm_rf (dir);
  g_log_set_always_fatal (fatal);
}

static void
append_raw (const char *path,
            const char *bytes,
            gsize       len)
{
  FILE *f = fopen (path, "ab");

  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (bytes, 1, len, f), ==, len);
  fclose (f);
}

/* Entries the database never took (it was locked when the writer stopped) are replayed
 * from the journal by a reader and by the next writer; a torn frame at its end is not an
 * entry; a second writer for the same directory is refused. */
static void
test_journal_replay (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *journal = g_build_filename (dir, "audit.journal", NULL);
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(VigilAudit) second = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  Results results = { g_new0 (gint64, 8), NULL, 0, 0 };
  static const char torn[] = "VGJ1\0\0\1\0partial frame";
  guint64 replayed = 0;
  sqlite3 *locker;

  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  second = vigil_audit_new (dir, &error);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);
  g_assert_null (second);
  g_test_message ("second writer: %s", error->message);
  g_clear_error (&error);

  _vigil_audit_set_busy_timeout (audit, 50);
  append (audit, context, &results, 0, 0, 0);
  wait_done (context, &results, 1);
  g_assert_true (vigil_audit_flush (audit));

  locker = open_raw (dir);
  exec_raw (locker, "BEGIN EXCLUSIVE");
  for (guint i = 1; i <= 3; i++)
    append (audit, context, &results, 0, i, i);
  wait_done (context, &results, 4);
  g_assert_cmpuint (results.failed, ==, 0);
  g_assert_false (vigil_audit_flush (audit));
  g_clear_object (&audit);      /* entries 2-4 are only in the journal now */
  exec_raw (locker, "ROLLBACK");
  sqlite3_close (locker);
  assert_intact (dir, 1);
  append_raw (journal, torn, sizeof torn - 1);

  g_assert_true (vigil_audit_recover (dir, &replayed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (replayed, ==, 3);
  assert_intact (dir, 4);
  g_assert_true (vigil_audit_recover (dir, &replayed, &error));
  g_assert_cmpuint (replayed, ==, 0);

  audit = open_audit (dir);
  append (audit, context, &results, 0, 4, 4);
  wait_done (context, &results, 5);
  g_assert_cmpint (results.ids[4], ==, 5);
  g_assert_true (vigil_audit_flush (audit));
  assert_intact (dir, 5);

  g_free (results.ids);
  g_clear_object (&audit);
  vigil_test_rm_rf (dir);
  g_log_set_always_fatal (fatal);
}

/* A read-only database file (opened read-write before it became read-only is not
 * enough for SQLite to notice, so reopen after chmod). */
static void
test_fail_closed_readonly (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *path = g_build_filename (dir, VIGIL_AUDIT_DB_NAME, NULL);
  g_autoptr(VigilAudit) audit = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  Results results = { g_new0 (gint64, 4), NULL, 0, 0 };
  g_autoptr(GError) error = NULL;
  GLogLevelFlags fatal;

  if (geteuid () == 0)
    {
      g_test_skip ("root ignores file permissions");
      g_free (results.ids);
      vigil_test_rm_rf (dir);
      return;
    }
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_assert_cmpint (g_chmod (path, 0400), ==, 0);
  /* Nothing could be recorded: the writer refuses to start, so the engine does too. */
  audit = vigil_audit_new (dir, &error);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);
  g_assert_null (audit);
  g_test_message ("read-only: %s", error->message);

  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  audit = open_audit (dir);
  append (audit, context, &results, 0, 2, 2);
  wait_done (context, &results, 3);
  g_assert_cmpuint (results.failed, ==, 0);
  g_assert_cmpint (results.ids[2], ==, 1);
  g_assert_true (vigil_audit_flush (audit));
  assert_intact (dir, 1);

  g_clear_error (&results.error);
  g_free (results.ids);
  g_clear_object (&audit);
  vigil_test_rm_rf (dir);
  g_log_set_always_fatal (fatal);
}

/* A steady stream never leaves the writer caught up at the end of a batch by chance;
 * the journal must stay bounded anyway. */
#define STREAM_RECORDS 100000

/* Appends STREAM_RECORDS statements as fast as it can, then flushes; the journal file's
 * largest size meanwhile. */
static goffset
stream_records (VigilAudit *audit,
                const char *journal)
{
  goffset largest = 0;
  GStatBuf st;

  for (guint i = 0; i < STREAM_RECORDS; i++)
    {
      g_autoptr(GError) error = NULL;
      VigilAuditRecord *record = make_record (0, i);

      g_assert_cmpint (vigil_audit_log_statement (audit, record, &error), ==, i + 1);
      g_assert_no_error (error);
      vigil_audit_record_free (record);
      if (i % 500 == 0 && g_stat (journal, &st) == 0)
        largest = MAX (largest, (goffset) st.st_size);
    }
  g_assert_true (vigil_audit_flush (audit));
  return largest;
}

static void
test_journal_bounded (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *journal = g_build_filename (dir, "audit.journal", NULL);
  g_autoptr(VigilAudit) audit = open_audit (dir);
  goffset largest;

  _vigil_audit_set_journal_limits (audit, 16 * 1024, 64 * 1024);
  largest = stream_records (audit, journal);
  g_test_message ("%u records appended; the journal peaked at %" G_GOFFSET_FORMAT " bytes",
                  STREAM_RECORDS, largest);
  /* Unbounded it would hold all of them, about 25 MB. */
  g_assert_cmpint (largest, <, 8 * 1024 * 1024);
  g_clear_object (&audit);
  assert_intact (dir, STREAM_RECORDS);
  vigil_test_rm_rf (dir);
}

static guint64 journal_generation (const char *dir);

/* The bound is the last resort: the writer catches up and rewinds once the journal is
 * past journal_reset_bytes, at the end of its next batch, so a steady stream keeps the
 * journal within its first pages (mapped once) without waiting for room. The stream runs
 * until the journal has rewound REWINDS_WANTED times; the writer that only rewinds when it
 * happens to be caught up never does while this loop (faster than any engine) appends.
 * It takes about 12 000 records here; the budget is for a writer thread the machine starves
 * (two suites on two cores once left it 3 rewinds in 400 000 records). */
#define REWINDS_WANTED  4
#define REWIND_RECORDS  1200000
static void
test_journal_rewinds_under_load (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  guint64 generation = journal_generation (dir);
  guint64 rewinds = 0;
  guint n = 0;

  _vigil_audit_set_journal_limits (audit, 16 * 1024, G_MAXINT64);
  while (rewinds < REWINDS_WANTED && n < REWIND_RECORDS)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilAuditRecord) record = make_record (0, n);

      g_assert_cmpint (vigil_audit_log_statement (audit, record, &error), ==, ++n);
      g_assert_no_error (error);
      if (n % 1000 == 0)
        rewinds = journal_generation (dir) - generation;
    }
  g_test_message ("%u records appended, %" G_GUINT64_FORMAT " rewinds", n, rewinds);
  g_assert_cmpuint (rewinds, >=, REWINDS_WANTED);
  g_assert_true (vigil_audit_flush (audit));
  g_clear_object (&audit);
  assert_intact (dir, n);
  vigil_test_rm_rf (dir);
}

/* Resident kilobytes of the mapping of PATH in this process (/proc/self/smaps). */
static guint64
mapping_rss_kb (const char *path)
{
  g_autofree char *smaps = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean in_mapping = FALSE;
  guint64 rss = 0;

  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_ascii_isxdigit (lines[i][0]) && strchr (lines[i], '-') != NULL)
        in_mapping = g_str_has_suffix (lines[i], path);
      else if (in_mapping && g_str_has_prefix (lines[i], "Rss:"))
        rss += g_ascii_strtoull (lines[i] + 4, NULL, 10);
    }
  return rss;
}

static void
append_statements (VigilAudit *audit,
                   guint       from,
                   guint       n,
                   const char *padding)
{
  for (guint i = from; i < from + n; i++)
    {
      g_autoptr(GError) error = NULL;
      VigilAuditRecord *record = make_record (0, i);

      g_free (record->statement);
      record->statement = g_strdup_printf ("SELECT %u -- %s", i, padding);
      g_assert_cmpint (vigil_audit_log_statement (audit, record, &error), ==, i + 1);
      g_assert_no_error (error);
      vigil_audit_record_free (record);
    }
}

/* A rewound journal fills again from its start, so the pages of a normal cycle stay
 * mapped (appends would otherwise fault each one in again, on the engine's path); what a
 * burst grew it past VIGIL_AUDIT_JOURNAL_RESIDENT is given back. */
static void
test_journal_resident (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *journal = g_build_filename (dir, "audit.journal", NULL);
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autofree char *padding = g_strnfill (16 * 1024, 'x');
  guint burst = (VIGIL_AUDIT_JOURNAL_RESIDENT + 4 * 1024 * 1024) / (16 * 1024);
  guint64 generation;
  guint64 rss_kb;
  GStatBuf st;

  /* One cycle of about 12 MiB (a writer that falls that far behind): no rewind during
   * the burst; its last statement is appended once the limits allow one, and the batch
   * that takes it rewinds (the writer may have committed all the others already). */
  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  append_statements (audit, 0, burst - 1, padding);
  g_assert_cmpint (g_stat (journal, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, VIGIL_AUDIT_JOURNAL_RESIDENT + 2 * 1024 * 1024);
  generation = journal_generation (dir);
  _vigil_audit_set_journal_limits (audit, VIGIL_AUDIT_JOURNAL_RESIDENT + 2 * 1024 * 1024,
                                   64 * 1024 * 1024);
  append_statements (audit, burst - 1, 1, padding);
  g_assert_true (vigil_audit_flush (audit));
  /* The writer rewinds after the batch it committed, with nothing appended since. */
  for (guint i = 0; i < 10000 && journal_generation (dir) == generation; i++)
    g_usleep (1000);
  g_assert_cmpuint (journal_generation (dir), ==, generation + 1);

  rss_kb = mapping_rss_kb (journal);
  g_test_message ("after a %u KiB cycle the journal's mapping keeps %" G_GUINT64_FORMAT " KiB",
                  (guint) (st.st_size / 1024), rss_kb);
  g_assert_cmpuint (rss_kb, <=, VIGIL_AUDIT_JOURNAL_RESIDENT / 1024);
  g_assert_cmpuint (rss_kb, >=, VIGIL_AUDIT_JOURNAL_RESIDENT / 1024 - 1024);
  g_clear_object (&audit);
  assert_intact (dir, burst);
  vigil_test_rm_rf (dir);
}

/* The journal's layout (vigil-audit-journal.c): a header, then frames. */
#define JOURNAL_HEADER_LEN 32
#define FRAME_HEADER_LEN   16
#define GROW_RECORDS       400
#define GROW_TEXT          10000

static gint64
log_one (VigilAudit *audit,
         guint       index)
{
  g_autoptr(VigilAuditRecord) record = make_record (0, index);
  g_autoptr(GError) error = NULL;
  gint64 id = vigil_audit_log_statement (audit, record, &error);

  g_assert_no_error (error);
  return id;
}

static GBytes *
read_journal (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

/* Where each frame of a journal image starts, up to the first that is not one. */
static GArray *
frame_offsets (GBytes *journal)
{
  GArray *offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (journal, &len);
  gsize at = JOURNAL_HEADER_LEN;

  while (at + FRAME_HEADER_LEN <= len && memcmp (data + at, "VGJ2", 4) == 0)
    {
      guint32 length = (guint32) data[at + 4] << 24 | (guint32) data[at + 5] << 16
                       | (guint32) data[at + 6] << 8 | data[at + 7];

      g_array_append_val (offsets, at);
      at += FRAME_HEADER_LEN + length;
    }
  return offsets;
}

static gboolean
collect_id_cb (const VigilAuditEntry  *entry,
               const char             *prev_hex,
               const char             *hash_hex,
               gpointer                user_data,
               GError                **error)
{
  g_array_append_val ((GArray *) user_data, entry->v[VIGIL_AUDIT_FIELD_ID].i);
  return TRUE;
}

/* The ids a journal image replays, as "1,2,3". */
static char *
replayed_ids (const guint8 *data,
              gsize         len)
{
  g_autofree char *dir = g_dir_make_tmp ("vigil-audit-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, (const char *) data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_true (_vigil_audit_journal_replay (dir, collect_id_cb, ids, &error));
  g_assert_no_error (error);
  g_assert_true (_vigil_audit_journal_has_frames (dir) == (ids->len > 0));
  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            g_array_index (ids, gint64, i));
  vigil_test_rm_rf (dir);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_replays (GBytes     *journal,
                const char *expected)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (journal, &len);
  g_autofree char *ids = replayed_ids (data, len);

  g_assert_cmpstr (ids, ==, expected);
}

/* A copy of JOURNAL with LEN bytes at AT set to BYTE (or, BYTE < 0, the copy ends at AT). */
static GBytes *
damaged (GBytes *journal,
         gsize   at,
         gsize   len,
         int     byte)
{
  gsize size = 0;
  guint8 *copy = g_memdup2 (g_bytes_get_data (journal, &size), g_bytes_get_size (journal));

  g_assert_cmpuint (at + len, <=, size);
  if (byte < 0)
    return g_bytes_new_take (copy, at);
  memset (copy + at, byte, len);
  return g_bytes_new_take (copy, size);
}

/* What a kill leaves mid-store: a frame whose end is still zeros, a frame whose header
 * (stored last) is missing, an edited frame, a file cut short. Replay takes every frame
 * before the damage and nothing from it on. */
static void
test_journal_torn (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GBytes) journal = NULL;
  g_autoptr(GArray) offsets = NULL;
  g_autoptr(GBytes) half = NULL, headless = NULL, edited = NULL, cut = NULL, zeros = NULL;
  gsize *at;
  gsize last;

  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (log_one (audit, i), ==, i + 1);
  journal = read_journal (dir);   /* as a kill -9 would leave it: mapped, not closed */
  offsets = frame_offsets (journal);
  g_assert_cmpuint (offsets->len, ==, 5);
  at = (gsize *) (gpointer) offsets->data;
  last = at[4] - at[3];           /* entries 4 and 5 encode to the same length */
  assert_replays (journal, "1,2,3,4,5");

  half = damaged (journal, at[4] + last / 2, last - last / 2, 0);
  assert_replays (half, "1,2,3,4");
  headless = damaged (journal, at[4], FRAME_HEADER_LEN, 0);
  assert_replays (headless, "1,2,3,4");
  edited = damaged (journal, at[2] + FRAME_HEADER_LEN + 64 + 20, 1, 'X');
  assert_replays (edited, "1,2");
  cut = damaged (journal, at[3] + 40, 0, -1);
  assert_replays (cut, "1,2,3");
  zeros = damaged (journal, at[0], FRAME_HEADER_LEN, 0);
  assert_replays (zeros, "");

  /* A writer that stops caught up leaves nothing to replay. */
  g_assert_true (vigil_audit_flush (audit));
  g_assert_true (_vigil_audit_journal_has_frames (dir));
  g_clear_object (&audit);
  g_assert_false (_vigil_audit_journal_has_frames (dir));
  assert_intact (dir, 5);
  vigil_test_rm_rf (dir);
}

/* The same frames in the layout before the journal was mapped: no file header, frames
 * "VGJ1" | u32be length | prev | hash | encoding. */
static GBytes *
legacy_journal (GBytes *journal)
{
  g_autoptr(GArray) offsets = frame_offsets (journal);
  GByteArray *out = g_byte_array_new ();
  const guint8 *data = g_bytes_get_data (journal, NULL);

  for (guint i = 0; i < offsets->len; i++)
    {
      gsize at = g_array_index (offsets, gsize, i);
      guint32 length = (guint32) data[at + 4] << 24 | (guint32) data[at + 5] << 16
                       | (guint32) data[at + 6] << 8 | data[at + 7];

      g_byte_array_append (out, (const guint8 *) "VGJ1", 4);
      g_byte_array_append (out, data + at + 4, 4);
      g_byte_array_append (out, data + at + FRAME_HEADER_LEN, length);
    }
  return g_byte_array_free_to_bytes (out);
}

/* A journal an older Vigil left behind (killed before its writer caught up) is replayed
 * into the log when the audit is opened, and then rewritten in the current layout. */
static void
test_journal_legacy (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *fresh = make_data_dir ();
  g_autofree char *path = g_build_filename (fresh, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GBytes) journal = NULL;
  g_autoptr(GBytes) legacy = NULL;
  g_autoptr(GError) error = NULL;

  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  for (guint i = 0; i < 4; i++)
    log_one (audit, i);
  journal = read_journal (dir);
  legacy = legacy_journal (journal);
  assert_replays (legacy, "1,2,3,4");
  g_clear_object (&audit);

  g_assert_true (_vigil_audit_head_write (fresh, 0, VIGIL_AUDIT_GENESIS_HEX, &error));
  g_file_set_contents (path, g_bytes_get_data (legacy, NULL), (gssize) g_bytes_get_size (legacy),
                       &error);
  g_assert_no_error (error);
  audit = open_audit (fresh);
  g_assert_false (_vigil_audit_journal_has_frames (fresh));
  g_assert_cmpint (log_one (audit, 4), ==, 5);
  g_assert_true (vigil_audit_flush (audit));
  g_clear_object (&audit);
  assert_intact (fresh, 5);
  vigil_test_rm_rf (dir);
  vigil_test_rm_rf (fresh);
}

static guint64
journal_generation (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  guint8 data[JOURNAL_HEADER_LEN];
  guint64 generation = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  /* The header alone: tests poll this while the journal holds megabytes. */
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pread (fd, data, sizeof data, 0), ==, sizeof data);
  close (fd);
  g_assert_cmpmem (data, 4, "VGJH", 4);
  for (int i = 8; i < 16; i++)
    generation = generation << 8 | data[i];
  return generation;
}

/* A rewind writes new frames over old ones: neither the old frames after the new (a
 * different generation), nor an old frame made to carry the new generation (it does not
 * continue the chain), nor old frames right after a rewind are ever replayed. */
static void
test_journal_stale (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GBytes) before = NULL, after = NULL, relabelled = NULL, rewound = NULL;
  g_autoptr(GArray) offsets = NULL;
  guint64 generation;
  guint8 *copy;
  gsize len = 0;
  gsize second;

  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  for (guint i = 0; i < 6; i++)
    log_one (audit, i);
  g_assert_true (vigil_audit_flush (audit));
  before = read_journal (dir);
  assert_replays (before, "1,2,3,4,5,6");
  generation = journal_generation (dir);

  /* The next batch leaves the writer caught up: the journal rewinds. */
  _vigil_audit_set_journal_limits (audit, 1, G_MAXINT64);
  log_one (audit, 6);
  g_assert_true (vigil_audit_flush (audit));
  for (guint attempts = 0; journal_generation (dir) == generation; attempts++)
    {
      g_assert_cmpuint (attempts, <, 500);
      g_usleep (10 * 1000);
    }
  g_assert_cmpuint (journal_generation (dir), ==, generation + 1);
  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  log_one (audit, 0);   /* entry 8, as long as entry 1: the old frames follow it aligned */
  after = read_journal (dir);
  assert_replays (after, "8");

  /* An old frame relabelled with the new generation still does not continue entry 8. */
  offsets = frame_offsets (after);
  g_assert_cmpuint (offsets->len, >=, 2);
  second = g_array_index (offsets, gsize, 1);
  copy = g_memdup2 (g_bytes_get_data (after, &len), g_bytes_get_size (after));
  memcpy (copy + second + 8, copy + 8, 8);
  relabelled = g_bytes_new_take (copy, len);
  assert_replays (relabelled, "8");

  /* Old frames under a header already rewound (killed before the first new frame). */
  copy = g_memdup2 (g_bytes_get_data (before, &len), g_bytes_get_size (before));
  memcpy (copy + 8, g_bytes_get_data (after, NULL) + 8, 8);
  rewound = g_bytes_new_take (copy, len);
  assert_replays (rewound, "");

  g_assert_true (vigil_audit_flush (audit));
  g_clear_object (&audit);
  assert_intact (dir, 8);
  vigil_test_rm_rf (dir);
}

/* Entries larger than what is left of a chunk, and one larger than a chunk: the journal
 * grows under them, and an image of it taken mid-run (what a kill leaves) replays every
 * entry into an empty log. */
static void
test_journal_grow (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *fresh = make_data_dir ();
  g_autofree char *path = g_build_filename (fresh, VIGIL_AUDIT_JOURNAL_NAME, NULL);
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autoptr(GBytes) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (GROW_TEXT, 'x');
  g_autofree char *huge = g_strnfill (VIGIL_AUDIT_JOURNAL_CHUNK * 5 / 2, 'y');
  g_autoptr(GArray) offsets = NULL;
  g_autofree char *ids = NULL;
  guint64 replayed = 0;

  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  for (guint i = 0; i < GROW_RECORDS + 1; i++)
    {
      g_autoptr(VigilAuditRecord) record = make_record (0, i);

      g_free (record->statement);
      record->statement = g_strdup_printf ("SELECT '%s' -- %u",
                                           i == GROW_RECORDS / 2 ? huge : text, i);
      g_assert_cmpint (vigil_audit_log_statement (audit, record, &error), ==, i + 1);
      g_assert_no_error (error);
    }
  journal = read_journal (dir);
  g_assert_cmpuint (g_bytes_get_size (journal), >, 6 * VIGIL_AUDIT_JOURNAL_CHUNK);
  g_assert_cmpuint (g_bytes_get_size (journal) % VIGIL_AUDIT_JOURNAL_CHUNK, ==, 0);
  ids = replayed_ids (g_bytes_get_data (journal, NULL), g_bytes_get_size (journal));
  g_assert_true (g_str_has_prefix (ids, "1,2,3,"));
  g_assert_true (g_str_has_suffix (ids, ",399,400,401"));
  offsets = frame_offsets (journal);
  g_assert_cmpuint (offsets->len, ==, GROW_RECORDS + 1);
  g_assert_true (vigil_audit_flush (audit));
  g_clear_object (&audit);
  assert_intact (dir, GROW_RECORDS + 1);

  g_assert_true (_vigil_audit_head_write (fresh, 0, VIGIL_AUDIT_GENESIS_HEX, &error));
  g_file_set_contents (path, g_bytes_get_data (journal, NULL), (gssize) g_bytes_get_size (journal),
                       &error);
  g_assert_no_error (error);
  g_assert_true (vigil_audit_recover (fresh, &replayed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (replayed, ==, GROW_RECORDS + 1);
  assert_intact (fresh, GROW_RECORDS + 1);
  vigil_test_rm_rf (dir);
  vigil_test_rm_rf (fresh);
}

/* A journal that cannot grow (the file size limit stands in for a full disk): statements
 * are refused (fail closed) and nothing accepted is lost; outcomes the journal cannot take
 * wait, in chain order, until it can grow again. */
#define FULL_OUTCOMES 3000

static void
test_fail_closed_journal_full (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(VigilAudit) audit = open_audit (dir);
  g_autofree char *text = g_strnfill (50 * 1024, 'z');
  g_autoptr(GBytes) journal = NULL;
  g_autoptr(GArray) offsets = NULL;
  struct rlimit saved, limit;
  sqlite3 *locker;
  gint64 last = 0;
  guint refused = 0;

  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  signal (SIGXFSZ, SIG_IGN);
  _vigil_audit_set_busy_timeout (audit, 10 * 60 * 1000);
  _vigil_audit_set_journal_limits (audit, G_MAXINT64, G_MAXINT64);
  locker = open_raw (dir);
  exec_raw (locker, "BEGIN EXCLUSIVE");    /* the writer waits: all of it stays in the journal */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  limit = saved;
  limit.rlim_cur = VIGIL_AUDIT_JOURNAL_CHUNK;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  for (guint i = 0; i < 100 && refused == 0; i++)
    {
      g_autoptr(VigilAuditRecord) record = make_record (0, i);
      g_autoptr(GError) error = NULL;
      gint64 id;

      g_free (record->statement);
      record->statement = g_strdup_printf ("SELECT '%s' -- %u", text, i);
      id = vigil_audit_log_statement (audit, record, &error);
      if (id == 0)
        {
          g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE);
          g_assert_nonnull (strstr (error->message, "audit journal"));
          g_test_message ("journal full: %s", error->message);
          refused++;
        }
      else
        {
          g_assert_no_error (error);
          g_assert_cmpint (id, ==, last + 1);
          last = id;
        }
    }
  g_assert_cmpuint (refused, ==, 1);
  g_assert_cmpint (last, >=, 10);
  for (guint i = 0; i < FULL_OUTCOMES; i++)
    vigil_audit_append_outcome (audit, last, 1, 5, 0, NULL, NULL, 10);
  journal = read_journal (dir);
  offsets = frame_offsets (journal);
  g_test_message ("%u of %u outcomes in the journal", offsets->len - (guint) last, FULL_OUTCOMES);
  g_assert_cmpuint (offsets->len, <, last + FULL_OUTCOMES);

  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, SIG_DFL);
  g_assert_cmpint (log_one (audit, 0), ==, last + FULL_OUTCOMES + 1);
  g_clear_pointer (&journal, g_bytes_unref);
  g_clear_pointer (&offsets, g_array_unref);
  journal = read_journal (dir);
  offsets = frame_offsets (journal);
  g_assert_cmpuint (offsets->len, ==, last + FULL_OUTCOMES + 1);
  exec_raw (locker, "ROLLBACK");
  sqlite3_close (locker);
  g_assert_true (vigil_audit_flush (audit));
  g_clear_object (&audit);
  assert_intact (dir, last + FULL_OUTCOMES + 1);
  vigil_test_rm_rf (dir);
  g_log_set_always_fatal (fatal);
}

/* Crash: kill -9 while appending */

/* Other sessions, each waiting for its own commit, so the kill lands mid-batch. */
static gpointer
crash_child_session (gpointer data)
{
  VigilAudit *audit = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  Results results = { g_new0 (gint64, 1), NULL, 0, 0 };

  for (guint i = 0;; i++)
    {
      append (audit, context, &results, 1, i, 0);
      wait_done (context, &results, i + 1);
      vigil_audit_append_outcome (audit, results.ids[0], 1, 1, 0, NULL, NULL, 1);
    }
  return NULL;
}

static int
crash_child (const char *dir)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  VigilAudit *audit = open_audit (dir);
  Results results = { g_new0 (gint64, 1), NULL, 0, 0 };

  for (guint t = 0; t < 7; t++)
    g_thread_unref (g_thread_new ("session", crash_child_session, audit));
  for (guint i = 0;; i++)
    {
      append (audit, context, &results, 0, i, 0);
      wait_done (context, &results, i + 1);
      g_assert_no_error (results.error);
      vigil_audit_append_outcome (audit, results.ids[0], 1, 1, 0, NULL, NULL, 1);
      printf ("%" G_GINT64_FORMAT "\n", results.ids[0]);
      fflush (stdout);
    }
  return 0;
}

static void
test_crash (void)
{
  g_autofree char *dir = make_data_dir ();
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GArray) committed = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAudit) audit = NULL;
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  char *line;

  g_subprocess_launcher_setenv (launcher, "VIGIL_AUDIT_CRASH_CHILD", dir, TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, self_exe, NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  while (committed->len < CRASH_COMMITTED
         && (line = g_data_input_stream_read_line (lines, NULL, NULL, &error)) != NULL)
    {
      gint64 id = g_ascii_strtoll (line, NULL, 10);

      g_array_append_val (committed, id);
      g_free (line);
    }
  g_assert_no_error (error);
  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_term_sig (child), ==, SIGKILL);
  g_assert_cmpuint (committed->len, ==, CRASH_COMMITTED);

  /* What the child was told is durable may still be only in the journal. */
  g_assert_true (vigil_audit_recover (dir, NULL, &error));
  g_assert_no_error (error);
  assert_intact (dir, -1);
  db = open_raw (dir);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM audit_log WHERE id = ?"
                                       " AND kind = 'statement'", -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < committed->len; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, g_array_index (committed, gint64, i));
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, 1);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  audit = open_audit (dir);
  vigil_audit_append_statement (audit, make_record (0, 0), NULL, NULL, NULL);
  vigil_audit_flush (audit);
  g_clear_object (&audit);
  assert_intact (dir, -1);
  vigil_test_rm_rf (dir);
}

/* Throughput */

typedef struct
{
  VigilAudit *audit;
  gint64      deadline;
  guint       count;
} BenchThread;

/* Each thread behaves like a session: the next statement waits for the last commit. */
static gpointer
bench_thread (gpointer data)
{
  BenchThread *bench = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  Results results = { g_new0 (gint64, 1), NULL, 0, 0 };

  while (g_get_monotonic_time () < bench->deadline)
    {
      append (bench->audit, context, &results, 0, bench->count, 0);
      wait_done (context, &results, ++bench->count);
    }
  g_assert_no_error (results.error);
  g_free (results.ids);
  return NULL;
}

static void
bench_one (gboolean full,
           guint    n_threads)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAudit) audit = _vigil_audit_new_full (dir, full, &error);
  BenchThread benches[N_THREADS];
  GThread *threads[N_THREADS];
  gint64 started = g_get_monotonic_time ();
  guint total = 0;

  g_assert_no_error (error);
  for (guint t = 0; t < n_threads; t++)
    {
      benches[t] = (BenchThread) { audit, started + BENCH_SECONDS * G_USEC_PER_SEC, 0 };
      threads[t] = g_thread_new ("bench", bench_thread, &benches[t]);
    }
  for (guint t = 0; t < n_threads; t++)
    {
      g_thread_join (threads[t]);
      total += benches[t].count;
    }
  g_test_message ("synchronous=%s, %u session thread%s waiting for each commit: %.0f records/s,"
                  " last commit %" G_GINT64_FORMAT " us",
                  full ? "FULL" : "NORMAL", n_threads, n_threads > 1 ? "s" : "",
                  total * (double) G_USEC_PER_SEC / (g_get_monotonic_time () - started),
                  vigil_audit_get_last_commit_us (audit));
  g_clear_object (&audit);
  assert_intact (dir, total);
  vigil_test_rm_rf (dir);
}

static void
bench_open_loop (gboolean full)
{
  g_autofree char *dir = make_data_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAudit) audit = _vigil_audit_new_full (dir, full, &error);
  const guint n = 20000;
  gint64 started = g_get_monotonic_time ();

  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    vigil_audit_append_statement (audit, make_record (0, i), NULL, NULL, NULL);
  vigil_audit_flush (audit);
  g_test_message ("synchronous=%s, %u records appended at once: %.0f records/s",
                  full ? "FULL" : "NORMAL", n,
                  n * (double) G_USEC_PER_SEC / (g_get_monotonic_time () - started));
  g_clear_object (&audit);
  vigil_test_rm_rf (dir);
}

static void
test_bench (void)
{
  for (int full = 1; full >= 0; full--)
    {
      bench_one (full, 1);
      bench_one (full, N_THREADS);
      bench_open_loop (full);
    }
}

int
main (int   argc,
      char *argv[])
{
  const char *crash_dir = g_getenv ("VIGIL_AUDIT_CRASH_CHILD");

  if (crash_dir != NULL)
    return crash_child (crash_dir);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audit/append/threads", test_append_threads);
  g_test_add_func ("/audit/append/shapes", test_append_shapes);
  g_test_add_func ("/audit/verify/tamper", test_tamper);
  g_test_add_func ("/audit/verify/tamper-rehash", test_tamper_rehash);
  g_test_add_func ("/audit/verify/truncate", test_tamper_truncate);
  g_test_add_func ("/audit/fail-closed/locked", test_fail_closed_locked);
  g_test_add_func ("/audit/fail-closed/read-only", test_fail_closed_readonly);
  g_test_add_func ("/audit/fail-closed/journal-full", test_fail_closed_journal_full);
  g_test_add_func ("/audit/journal/replay", test_journal_replay);
  g_test_add_func ("/audit/journal/bounded", test_journal_bounded);
  g_test_add_func ("/audit/journal/rewinds-under-load", test_journal_rewinds_under_load);
  g_test_add_func ("/audit/journal/resident", test_journal_resident);
  g_test_add_func ("/audit/journal/torn", test_journal_torn);
  g_test_add_func ("/audit/journal/stale", test_journal_stale);
  g_test_add_func ("/audit/journal/grow", test_journal_grow);
  g_test_add_func ("/audit/journal/legacy", test_journal_legacy);
  g_test_add_func ("/audit/crash/kill-9", test_crash);
  g_test_add_func ("/audit/bench/throughput", test_bench);
  return g_test_run ();
}
