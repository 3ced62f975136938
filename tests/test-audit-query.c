/* test-audit-query.c: searching the audit log in SQL, a page at a time.
 *
 * Every case runs over a real store whose records were appended through VigilAudit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "vigil-audit-query.h"
#include "vigil-audit-read.h"
#include "vigil-audit.h"
#include "vigil-store.h"
#include "vigil-test-pg.h"

#define N_SEED      60
#define BASE_US     G_GINT64_CONSTANT (1795000000000000)   /* 2026-11-17, a fixed clock */
#define STEP_US     (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define N_SEARCHERS 4

typedef struct
{
  char       *dir;
  VigilAudit *audit;
  guint       appended;
} Fixture;

static const char *const identities[] = { "claude", "copilot", "alice" };
static const char *const connections[] = { "shop", "crm" };
static const char *const decisions[] = { "allow", "allow", "deny", "review" };

/* Helpers */

/* Record I of the seed: identities, connections and decisions cycle; one minute apart. */
static VigilAuditRecord *
make_record (guint i)
{
  VigilAuditRecord *record = vigil_audit_record_new ();

  record->time_us = BASE_US + (gint64) i * STEP_US;
  record->identity = g_strdup (identities[i % G_N_ELEMENTS (identities)]);
  record->identity_kind = g_strdup ("agent");
  record->pid = 4000 + (gint) i;
  record->exe = g_strdup ("/usr/bin/psql");
  record->os_user = g_strdup ("tester");
  record->connection = g_strdup (connections[i % G_N_ELEMENTS (connections)]);
  record->session = i % 5;
  record->protocol = g_strdup ("simple");
  if (i % 10 == 0)
    record->statement = g_strdup_printf ("UPDATE invoices SET paid = true WHERE id = %u", i);
  else
    record->statement = g_strdup_printf ("SELECT email, name FROM customers WHERE id = %u", i);
  record->class = g_strdup (i % 10 == 0 ? "update" : "read");
  record->relations = g_strdup (i % 10 == 0 ? "public.invoices" : "public.customers");
  record->decision = g_strdup (decisions[i % G_N_ELEMENTS (decisions)]);
  return record;
}

static void
append_n (Fixture *fixture,
          guint    n)
{
  for (guint i = 0; i < n; i++)
    vigil_audit_append_statement (fixture->audit, make_record (fixture->appended++), NULL, NULL,
                                  NULL);
  vigil_audit_flush (fixture->audit);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;

  fixture->dir = g_dir_make_tmp ("vigil-query-XXXXXX", &error);
  g_assert_no_error (error);
  store = vigil_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  fixture->audit = vigil_audit_new (fixture->dir, &error);
  g_assert_no_error (error);
  append_n (fixture, N_SEED);

  /* Outcomes for the first three statements: rows, and an error for the third. */
  records = vigil_audit_read_latest (fixture->dir, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, N_SEED);
  for (guint i = 0; i < 3; i++)
    vigil_audit_append_outcome (fixture->audit,
                                ((VigilAuditRecord *) g_ptr_array_index (records, i))->id,
                                i == 2 ? -1 : (gint64) (10 + i), 500, i, i == 2 ? "42501" : NULL,
                                i == 2 ? "denied" : NULL, 100);
  vigil_audit_flush (fixture->audit);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->audit);
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
}

static GPtrArray *
run (Fixture         *fixture,
     VigilAuditQuery *query,
     gboolean        *out_more)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = vigil_audit_query_run (fixture->dir, query, out_more, &error);

  g_assert_no_error (error);
  g_assert_nonnull (records);
  /* Newest first, always. */
  for (guint i = 1; i < records->len; i++)
    g_assert_cmpint (((VigilAuditRecord *) g_ptr_array_index (records, i - 1))->id, >,
                     ((VigilAuditRecord *) g_ptr_array_index (records, i))->id);
  return records;
}

static VigilAuditRecord *
at (GPtrArray *records,
    guint      i)
{
  return g_ptr_array_index (records, i);
}

static guint
seed_count (gboolean (*matches) (guint i, gconstpointer data),
            gconstpointer data)
{
  guint n = 0;

  for (guint i = 0; i < N_SEED; i++)
    n += matches (i, data) ? 1 : 0;
  return n;
}

static gboolean
identity_is (guint         i,
             gconstpointer data)
{
  return g_str_equal (identities[i % G_N_ELEMENTS (identities)], data);
}

static gboolean
decision_is (guint         i,
             gconstpointer data)
{
  return g_str_equal (decisions[i % G_N_ELEMENTS (decisions)], data);
}

static void
assert_count (Fixture         *fixture,
              VigilAuditQuery *query,
              gint64           expected)
{
  g_autoptr(GError) error = NULL;
  gint64 matching = -1, total = -1;

  g_assert_true (vigil_audit_query_count (fixture->dir, query, &matching, &total, &error));
  g_assert_no_error (error);
  g_assert_cmpint (matching, ==, expected);
  g_assert_cmpint (total, ==, fixture->appended);
}

/* Cases */

static void
test_filters (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
  g_autoptr(GPtrArray) records = NULL;
  gboolean more = TRUE;

  query->limit = 1000;
  records = run (fixture, query, &more);
  g_assert_cmpuint (records->len, ==, N_SEED);
  g_assert_false (more);
  assert_count (fixture, query, N_SEED);
  /* Outcomes merged into their statements. */
  g_assert_cmpint (at (records, N_SEED - 1)->rows, ==, 10);
  g_assert_cmpint (at (records, N_SEED - 2)->rows, ==, 11);
  g_assert_cmpstr (at (records, N_SEED - 3)->error_sqlstate, ==, "42501");
  g_assert_cmpint (at (records, 0)->rows, ==, -1);
  g_clear_pointer (&records, g_ptr_array_unref);

  query->identity = g_strdup ("copilot");
  records = run (fixture, query, NULL);
  g_assert_cmpuint (records->len, ==, seed_count (identity_is, "copilot"));
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpstr (at (records, i)->identity, ==, "copilot");
  assert_count (fixture, query, records->len);
  g_clear_pointer (&records, g_ptr_array_unref);
  g_clear_pointer (&query->identity, g_free);

  query->connection = g_strdup ("crm");
  records = run (fixture, query, NULL);
  g_assert_cmpuint (records->len, ==, N_SEED / 2);
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpstr (at (records, i)->connection, ==, "crm");
  g_clear_pointer (&records, g_ptr_array_unref);
  g_clear_pointer (&query->connection, g_free);

  query->decision = g_strdup ("deny");
  records = run (fixture, query, NULL);
  g_assert_cmpuint (records->len, ==, seed_count (decision_is, "deny"));
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpstr (at (records, i)->decision, ==, "deny");
  assert_count (fixture, query, records->len);
  g_clear_pointer (&records, g_ptr_array_unref);
  g_clear_pointer (&query->decision, g_free);

  /* Records 10..19 inclusive. */
  query->since_us = BASE_US + 10 * STEP_US;
  query->until_us = BASE_US + 19 * STEP_US;
  records = run (fixture, query, NULL);
  g_assert_cmpuint (records->len, ==, 10);
  g_assert_cmpint (at (records, 0)->time_us, ==, query->until_us);
  g_assert_cmpint (at (records, 9)->time_us, ==, query->since_us);
  assert_count (fixture, query, 10);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* Everything together: of 10..19, claude's (i % 3 == 0) that were allowed on shop. */
  query->identity = g_strdup ("claude");
  query->connection = g_strdup ("shop");
  query->decision = g_strdup ("allow");
  records = run (fixture, query, NULL);
  /* i in 10..19 with i%3==0, i%2==0, i%4 in {0,1}: 12 only. */
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpint (at (records, 0)->time_us, ==, BASE_US + 12 * STEP_US);
  g_clear_pointer (&records, g_ptr_array_unref);

  g_free (query->identity);
  query->identity = g_strdup ("nobody");
  records = run (fixture, query, &more);
  g_assert_cmpuint (records->len, ==, 0);
  g_assert_false (more);
}

static void
test_count_entries (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 entries = -1;

  /* N_SEED statements and three outcomes. */
  g_assert_true (vigil_audit_query_count_entries (fixture->dir, 0, 0, &entries, &error));
  g_assert_no_error (error);
  g_assert_cmpint (entries, ==, N_SEED + 3);
  g_assert_true (vigil_audit_query_count_entries (fixture->dir, BASE_US, BASE_US + 4 * STEP_US,
                                                  &entries, &error));
  g_assert_cmpint (entries, ==, 5);
}

/* Pages LIMIT at a time in one direction, appending between pages; returns the ids seen. */
static GArray *
walk (Fixture  *fixture,
      gboolean  older,
      gint64    from_id,
      guint     limit)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
  gboolean more = TRUE;

  query->limit = limit;
  query->before_id = older ? from_id : 0;
  query->after_id = older ? 0 : from_id;
  while (more)
    {
      g_autoptr(GPtrArray) page = run (fixture, query, &more);

      g_assert_cmpuint (page->len, <=, limit);
      if (more)
        g_assert_cmpuint (page->len, ==, limit);
      /* In walking order: down the older pages, up the newer ones. */
      for (guint i = 0; i < page->len; i++)
        g_array_append_val (ids, at (page, older ? i : page->len - 1 - i)->id);
      if (page->len > 0)
        {
          query->before_id = older ? at (page, page->len - 1)->id : 0;
          query->after_id = older ? 0 : at (page, 0)->id;
        }
      if (more)
        append_n (fixture, 3);
    }
  return ids;
}

static void
assert_statement_ids (Fixture *fixture,
                      GArray  *ids,
                      gint64   lowest,
                      gint64   highest,
                      gboolean newest_first)
{
  g_autoptr(GPtrArray) all = vigil_audit_read_latest (fixture->dir, 0, 0, NULL);
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < all->len; i++)
    if (at (all, i)->id >= lowest && at (all, i)->id <= highest)
      g_array_append_val (expected, at (all, i)->id);
  g_assert_cmpuint (ids->len, ==, expected->len);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpint (g_array_index (ids, gint64, newest_first ? ids->len - 1 - i : i), ==,
                     g_array_index (expected, gint64, i));
}

static void
test_paging (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GArray) older = NULL;
  g_autoptr(GArray) newer = NULL;
  gint64 top, bottom;
  gboolean more = FALSE;

  query->limit = 7;
  first = run (fixture, query, &more);
  g_assert_cmpuint (first->len, ==, 7);
  g_assert_true (more);
  top = at (first, 0)->id;

  /* Older from the first page while the log grows: exactly what was there, once each. */
  older = walk (fixture, TRUE, at (first, 6)->id, 7);
  g_assert_cmpuint (older->len, ==, N_SEED - 7);
  bottom = g_array_index (older, gint64, older->len - 1);
  assert_statement_ids (fixture, older, 0, at (first, 6)->id - 1, TRUE);

  /* Newer from the bottom, still growing: everything above, the appended ones included. */
  newer = walk (fixture, FALSE, bottom, 5);
  assert_statement_ids (fixture, newer, bottom + 1, G_MAXINT64, FALSE);
  g_assert_cmpuint (newer->len, >, N_SEED - 1);
  g_assert_cmpint (g_array_index (newer, gint64, newer->len - 1), >, top);
}

static guint
text_hits (Fixture    *fixture,
           const char *text)
{
  g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
  g_autoptr(GPtrArray) records = NULL;

  query->text = g_strdup (text);
  query->limit = 1000;
  records = run (fixture, query, NULL);
  assert_count (fixture, query, records->len);
  return records->len;
}

static void
test_text (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
  g_autoptr(GPtrArray) records = NULL;

  g_assert_cmpuint (text_hits (fixture, "invoices"), ==, N_SEED / 10);
  g_assert_cmpuint (text_hits (fixture, "INVOICES"), ==, N_SEED / 10);
  /* Phrases: in this order, adjacent. */
  g_assert_cmpuint (text_hits (fixture, "\"email name\""), ==, N_SEED - N_SEED / 10);
  g_assert_cmpuint (text_hits (fixture, "\"name email\""), ==, 0);
  /* Prefixes. */
  g_assert_cmpuint (text_hits (fixture, "invoi*"), ==, N_SEED / 10);
  g_assert_cmpuint (text_hits (fixture, "cust*"), ==, N_SEED - N_SEED / 10);
  g_assert_cmpuint (text_hits (fixture, "invoi"), ==, 0);
  /* Other columns: identity, process, and boolean operators. */
  g_assert_cmpuint (text_hits (fixture, "copilot"), ==, seed_count (identity_is, "copilot"));
  g_assert_cmpuint (text_hits (fixture, "psql AND tester"), ==, N_SEED);
  g_assert_cmpuint (text_hits (fixture, "invoices NOT alice"), ==, 4);
  g_assert_cmpuint (text_hits (fixture, "no_such_word_anywhere"), ==, 0);

  /* With the other filters, and newly appended records found at once. */
  query->text = g_strdup ("invoices");
  query->identity = g_strdup ("claude");
  records = run (fixture, query, NULL);
  g_assert_cmpuint (records->len, ==, 2);   /* i = 0, 30 */
  g_clear_pointer (&records, g_ptr_array_unref);
  append_n (fixture, 10);                   /* i = 60: claude, invoices */
  records = run (fixture, query, NULL);
  g_assert_cmpuint (records->len, ==, 3);
  g_assert_cmpint (at (records, 0)->time_us, ==, BASE_US + 60 * STEP_US);
}

static void
test_text_invalid (Fixture       *fixture,
                   gconstpointer  data)
{
  static const char *const bad[] = {
    "\"unbalanced", "count(*)", "email AND", "nosuchcolumn: x", "NOT", "\"", "*", "a OR OR b",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) records = NULL;
      gint64 matching = -1;

      query->text = g_strdup (bad[i]);
      records = vigil_audit_query_run (fixture->dir, query, NULL, &error);
      g_assert_null (records);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
      g_assert_false (vigil_audit_query_count (fixture->dir, query, &matching, NULL, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
    }
  /* Blank text is no text. */
  g_assert_cmpuint (text_hits (fixture, "   "), ==, N_SEED);
}

static void
test_rebuild (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *index = g_build_filename (fixture->dir, VIGIL_AUDIT_SEARCH_DB_NAME, NULL);
  g_autofree char *other_dir = g_dir_make_tmp ("vigil-query-other-XXXXXX", NULL);
  g_autofree char *other_index = g_build_filename (other_dir, VIGIL_AUDIT_SEARCH_DB_NAME, NULL);
  g_autoptr(VigilStore) other_store = NULL;
  g_autoptr(VigilAudit) other_audit = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_cmpuint (text_hits (fixture, "invoices"), ==, N_SEED / 10);
  g_assert_true (g_file_test (index, G_FILE_TEST_EXISTS));

  /* Deleted: rebuilt. */
  g_assert_cmpint (g_unlink (index), ==, 0);
  g_assert_cmpuint (text_hits (fixture, "invoices"), ==, N_SEED / 10);

  /* Garbage: rebuilt. */
  g_assert_true (g_file_set_contents (index, "this is not a database, just junk bytes", -1, NULL));
  g_assert_cmpuint (text_hits (fixture, "invoices"), ==, N_SEED / 10);

  /* Another log's index (more entries, another chain): rebuilt, never trusted. */
  other_store = vigil_store_open (other_dir, &error);
  g_assert_no_error (error);
  other_audit = vigil_audit_new (other_dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3 * N_SEED; i++)
    {
      VigilAuditRecord *record = make_record (i);

      g_free (record->statement);
      record->statement = g_strdup ("SELECT elsewhere FROM invoices");
      vigil_audit_append_statement (other_audit, record, NULL, NULL, NULL);
    }
  vigil_audit_flush (other_audit);
  g_assert_no_error (error);
  g_assert_true (vigil_audit_query_update_index (other_dir, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (other_index, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (index, contents, (gssize) length, NULL));
  g_assert_cmpuint (text_hits (fixture, "invoices"), ==, N_SEED / 10);
  g_assert_cmpuint (text_hits (fixture, "elsewhere"), ==, 0);
  g_clear_object (&other_audit);
  vigil_test_rm_rf (other_dir);
}

typedef struct
{
  const char *dir;
  guint       rounds;
  guint       failures;
  GError     *error;
} Searcher;

static gpointer
searcher_thread (gpointer data)
{
  Searcher *searcher = data;

  for (guint i = 0; i < searcher->rounds; i++)
    {
      g_autoptr(VigilAuditQuery) query = vigil_audit_query_new ();
      g_autoptr(GPtrArray) records = NULL;
      GError *error = NULL;

      query->text = g_strdup (i % 2 ? "invoices" : "cust*");
      records = vigil_audit_query_run (searcher->dir, query, NULL, &error);
      if (records == NULL)
        {
          searcher->failures++;
          if (searcher->error == NULL)
            searcher->error = error;
          else
            g_error_free (error);
        }
    }
  return NULL;
}

/* Many searchers at once on a fresh index while the log grows: none fails, none waits
 * forever, and the index ends up holding every statement exactly once. */
static void
test_concurrent (Fixture       *fixture,
                 gconstpointer  data)
{
  Searcher searchers[N_SEARCHERS] = { { 0 } };
  GThread *threads[N_SEARCHERS];
  g_autofree char *index = g_build_filename (fixture->dir, VIGIL_AUDIT_SEARCH_DB_NAME, NULL);

  for (guint i = 0; i < N_SEARCHERS; i++)
    {
      searchers[i].dir = fixture->dir;
      searchers[i].rounds = 20;
      threads[i] = g_thread_new ("searcher", searcher_thread, &searchers[i]);
    }
  for (guint round = 0; round < 10; round++)
    append_n (fixture, 50);
  for (guint i = 0; i < N_SEARCHERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (searchers[i].error);
      g_assert_cmpuint (searchers[i].failures, ==, 0);
    }
  g_assert_cmpuint (text_hits (fixture, "invoices"), ==, fixture->appended / 10);
  g_assert_cmpuint (text_hits (fixture, "cust*"), ==, fixture->appended - fixture->appended / 10);
  g_assert_true (g_file_test (index, G_FILE_TEST_EXISTS));
}

static void
test_parse_time (void)
{
  static const struct { const char *text; gboolean end; gint64 offset_us; } relative[] = {
    { "now", FALSE, 0 }, { "-1h", FALSE, -G_TIME_SPAN_HOUR }, { "-30m", FALSE, -30 * 60 * G_USEC_PER_SEC },
    { "-2d", TRUE, -2 * G_TIME_SPAN_DAY }, { " -1w ", FALSE, -7 * G_TIME_SPAN_DAY },
    { "-45s", FALSE, -45 * G_USEC_PER_SEC },
  };
  static const char *const bad[] = {
    "", "yesterday", "-1", "-h", "1h", "-1y", "2026-13-01", "2026-11-25 25:00", "2026-11-25 14",
    "2026-11-25 14:00 junk", "-99999999999999999999h",
  };
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) at_1400 = g_date_time_new (local, 2026, 11, 25, 14, 0, 0);
  g_autoptr(GDateTime) day = g_date_time_new (local, 2026, 11, 25, 0, 0, 0);
  gint64 now = BASE_US, us = 0;

  for (guint i = 0; i < G_N_ELEMENTS (relative); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (vigil_audit_query_parse_time (relative[i].text, now, relative[i].end, &us, &error));
      g_assert_no_error (error);
      g_assert_cmpint (us, ==, now + relative[i].offset_us);
    }
  g_assert_true (vigil_audit_query_parse_time ("2026-11-25 14:00", now, FALSE, &us, NULL));
  g_assert_cmpint (us, ==, g_date_time_to_unix (at_1400) * G_USEC_PER_SEC);
  g_assert_true (vigil_audit_query_parse_time ("2026-11-25 14:00:30", now, FALSE, &us, NULL));
  g_assert_cmpint (us, ==, (g_date_time_to_unix (at_1400) + 30) * G_USEC_PER_SEC);
  g_assert_true (vigil_audit_query_parse_time ("2026-11-25", now, FALSE, &us, NULL));
  g_assert_cmpint (us, ==, g_date_time_to_unix (day) * G_USEC_PER_SEC);
  g_assert_true (vigil_audit_query_parse_time ("2026-11-25", now, TRUE, &us, NULL));
  g_assert_cmpint (us, ==, g_date_time_to_unix (day) * G_USEC_PER_SEC + G_TIME_SPAN_DAY - 1);
  g_assert_true (vigil_audit_query_parse_time ("2026-11-25T14:00:00Z", now, FALSE, &us, NULL));
  g_assert_cmpint (us, ==, G_GINT64_CONSTANT (1795615200) * G_USEC_PER_SEC);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vigil_audit_query_parse_time (bad[i], now, FALSE, &us, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/audit-query/filter/each", Fixture, NULL, fixture_set_up, test_filters,
              fixture_tear_down);
  g_test_add ("/audit-query/filter/count-entries", Fixture, NULL, fixture_set_up,
              test_count_entries, fixture_tear_down);
  g_test_add ("/audit-query/page/keyset", Fixture, NULL, fixture_set_up, test_paging,
              fixture_tear_down);
  g_test_add ("/audit-query/text/fts", Fixture, NULL, fixture_set_up, test_text,
              fixture_tear_down);
  g_test_add ("/audit-query/text/invalid", Fixture, NULL, fixture_set_up, test_text_invalid,
              fixture_tear_down);
  g_test_add ("/audit-query/index/rebuild", Fixture, NULL, fixture_set_up, test_rebuild,
              fixture_tear_down);
  g_test_add ("/audit-query/index/concurrent", Fixture, NULL, fixture_set_up, test_concurrent,
              fixture_tear_down);
  g_test_add_func ("/audit-query/time/parse", test_parse_time);

  return g_test_run ();
}
