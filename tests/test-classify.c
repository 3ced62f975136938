/* test-classify.c: statement classification, table-driven from classify-cases.txt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-classify.h"
#include "vigil-sql-shape.h"

#define N_THREADS   8
#define PER_THREAD  400

typedef struct
{
  guint  line;
  char  *classes;    /* " ; "-separated per statement */
  char  *relations;
  char  *sql;
} Case;

static GPtrArray *cases;

/* Prints QUERY (and what it became, if THEN is not NULL) as escaped ASCII: some cases are
 * not UTF-8, and the test log must stay valid TAP. */
static void
print_query (const char *query,
             const char *then)
{
  g_autofree char *first = g_strescape (query, NULL);
  g_autofree char *second = then != NULL ? g_strescape (then, NULL) : NULL;

  if (second != NULL)
    g_test_message ("%s -> %s", first, second);
  else
    g_test_message ("%s", first);
}

static void
case_free (Case *c)
{
  g_free (c->classes);
  g_free (c->relations);
  g_free (c->sql);
  g_free (c);
}

static void
load_cases (void)
{
  const char *srcdir = g_getenv ("VIGIL_TEST_SRCDIR");
  g_autofree char *path = g_build_filename (srcdir != NULL ? srcdir : ".", "classify-cases.txt",
                                            NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  cases = g_ptr_array_new_with_free_func ((GDestroyNotify) case_free);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      Case *c;

      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      fields = g_strsplit (lines[i], "\t", 3);
      if (g_strv_length (fields) != 3)
        g_error ("%s:%u: expected three tab-separated fields", path, i + 1);
      c = g_new0 (Case, 1);
      c->line = i + 1;
      c->classes = g_strdup (fields[0]);
      c->relations = g_strdup (fields[1]);
      c->sql = g_strcompress (fields[2]);
      g_ptr_array_add (cases, c);
    }
}

static VigilClassSet
parse_classes (const char *text)
{
  g_auto(GStrv) names = g_strsplit (text, ",", -1);
  VigilClassSet set = 0;

  for (guint i = 0; names[i] != NULL; i++)
    {
      VigilClass klass;

      if (*g_strstrip (names[i]) == '\0')
        continue;
      if (!vigil_class_from_string (names[i], &klass))
        g_error ("unknown class '%s' in classify-cases.txt", names[i]);
      set |= VIGIL_CLASS_BIT (klass);
    }
  return set;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* "b,a" and {"a", "b"} both become "a,b"; "-" is the empty set. */
static char *
sorted_set (char **values)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; values[i] != NULL; i++)
    if (strcmp (g_strstrip (values[i]), "-") != 0)
      g_ptr_array_add (sorted, values[i]);
  g_ptr_array_sort (sorted, compare_strings);
  g_ptr_array_add (sorted, NULL);
  return g_strjoinv (",", (char **) sorted->pdata);
}

/* Prints every mismatch (not only the first) and returns whether the case passed. */
static gboolean
check_case (VigilClassifier *classifier,
            const Case      *c)
{
  g_autoptr(GPtrArray) statements = vigil_classifier_classify (classifier, c->sql);
  g_auto(GStrv) class_groups = g_strsplit (c->classes, " ; ", -1);
  g_auto(GStrv) relation_groups = g_strsplit (c->relations, " ; ", -1);

  if (statements->len != g_strv_length (class_groups))
    {
      g_printerr ("line %u: %u statements, expected %u: %s\n", c->line, statements->len,
                  g_strv_length (class_groups), c->sql);
      return FALSE;
    }
  for (guint i = 0; i < statements->len; i++)
    {
      VigilStatement *stmt = statements->pdata[i];
      VigilClassSet expected = parse_classes (class_groups[i]);
      g_auto(GStrv) expected_rel = g_strsplit (relation_groups[i], ",", -1);
      g_auto(GStrv) actual_rel = g_strdupv (stmt->relations);
      g_autofree char *want_rel = sorted_set (expected_rel);
      g_autofree char *got_rel = sorted_set (actual_rel);

      if (stmt->classes != expected)
        {
          g_autofree char *want = vigil_class_set_to_string (expected);
          g_autofree char *got = vigil_class_set_to_string (stmt->classes);

          g_printerr ("line %u: classes %s, expected %s: %s\n", c->line, got, want, stmt->text);
          return FALSE;
        }
      if (strcmp (want_rel, got_rel) != 0)
        {
          g_printerr ("line %u: relations '%s', expected '%s': %s\n", c->line, got_rel,
                      want_rel, stmt->text);
          return FALSE;
        }
      g_assert_true ((stmt->fingerprint == NULL)
                     == ((stmt->classes & VIGIL_CLASS_BIT (VIGIL_CLASS_UNPARSED)) != 0));
      g_assert_true ((stmt->error != NULL) == (stmt->fingerprint == NULL));
    }
  return TRUE;
}

static void
test_cases (void)
{
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (64);
  VigilClassSet seen = 0;
  guint failed = 0;

  g_assert_cmpuint (cases->len, >=, 80);
  for (guint i = 0; i < cases->len; i++)
    {
      const Case *c = cases->pdata[i];

      g_autofree char *all = g_strdelimit (g_strdup (c->classes), ";", ',');

      if (!check_case (classifier, c))
        failed++;
      seen |= parse_classes (all);
    }
  g_assert_cmpuint (failed, ==, 0);
  /* Every class but "other" has a case. */
  for (guint k = 0; k < VIGIL_CLASS_OTHER; k++)
    if ((seen & VIGIL_CLASS_BIT (k)) == 0)
      g_error ("no case for class %s", vigil_class_to_string (k));
}

static void
test_statement_text (void)
{
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (0);
  g_autoptr(GPtrArray) statements = NULL;
  g_autoptr(GPtrArray) empty = NULL;
  g_autoptr(GPtrArray) unparsed = NULL;
  VigilStatement *first, *second;

  statements = vigil_classifier_classify (classifier, "  SELECT 1 ;\n  delete from t where id = 2;");
  g_assert_cmpuint (statements->len, ==, 2);
  first = statements->pdata[0];
  second = statements->pdata[1];
  g_assert_cmpstr (first->text, ==, "SELECT 1");
  g_assert_cmpstr (second->text, ==, "delete from t where id = 2");
  g_assert_nonnull (second->fingerprint);
  g_assert_cmpstr (second->relations[0], ==, "t");
  g_assert_null (second->relations[1]);

  empty = vigil_classifier_classify (classifier, "");
  g_assert_cmpuint (empty->len, ==, 0);
  g_clear_pointer (&empty, g_ptr_array_unref);
  empty = vigil_classifier_classify (classifier, "  -- nothing\n ");
  g_assert_cmpuint (empty->len, ==, 0);

  unparsed = vigil_classifier_classify (classifier, "SELEC 1");
  g_assert_cmpuint (unparsed->len, ==, 1);
  first = unparsed->pdata[0];
  g_assert_cmpuint (first->classes, ==, VIGIL_CLASS_BIT (VIGIL_CLASS_UNPARSED));
  g_assert_nonnull (strstr (first->error, "syntax error"));
  g_assert_cmpstr (first->text, ==, "SELEC 1");
}

static void
test_functions (void)
{
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (0);
  g_autoptr(GPtrArray) statements = NULL;
  VigilStatement *stmt;

  statements = vigil_classifier_classify (classifier,
                                          "SELECT PG_CATALOG.Lower(a), pg_read_file('x'), "
                                          "count(*) FROM t");
  stmt = statements->pdata[0];
  g_assert_cmpstr (stmt->functions[0], ==, "lower");
  g_assert_cmpstr (stmt->functions[1], ==, "pg_read_file");
  g_assert_cmpstr (stmt->functions[2], ==, "count");
  g_assert_null (stmt->functions[3]);
}

static void
test_fingerprint (void)
{
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (0);
  g_autoptr(GPtrArray) a = vigil_classifier_classify (classifier, "DELETE FROM t WHERE id = 1");
  g_autoptr(GPtrArray) b = vigil_classifier_classify (classifier, "delete from t where id = 42");
  g_autoptr(GPtrArray) c = vigil_classifier_classify (classifier, "DELETE FROM u WHERE id = 1");

  g_assert_cmpstr (((VigilStatement *) a->pdata[0])->fingerprint, ==,
                   ((VigilStatement *) b->pdata[0])->fingerprint);
  g_assert_cmpstr (((VigilStatement *) a->pdata[0])->fingerprint, !=,
                   ((VigilStatement *) c->pdata[0])->fingerprint);
}

static void
test_class_strings (void)
{
  g_autofree char *text = NULL;

  for (guint k = 0; k < VIGIL_N_CLASSES; k++)
    {
      VigilClass back;

      g_assert_true (vigil_class_from_string (vigil_class_to_string (k), &back));
      g_assert_cmpint (back, ==, k);
    }
  g_assert_false (vigil_class_from_string ("dropp", NULL));
  text = vigil_class_set_to_string (VIGIL_CLASS_BIT (VIGIL_CLASS_UPDATE)
                                    | VIGIL_CLASS_BIT (VIGIL_CLASS_UNBOUNDED_WRITE));
  g_assert_cmpstr (text, ==, "update,unbounded-write");
}

static void
test_split_prepare (void)
{
  static const struct { const char *sql; const char *name; const char *body; } ok[] = {
    { "PREPARE p AS DELETE FROM t", "p", "DELETE FROM t" },
    { "prepare \"My As\" (int, text) as\n select $1, $2", "My As", "select $1, $2" },
    { "PREPARE q (\"as\") AS UPDATE t SET a = 'as' WHERE id = $1", "q",
      "UPDATE t SET a = 'as' WHERE id = $1" },
    { "/* as */ PREPARE r AS SELECT 1;", "r", "SELECT 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *body = NULL;

      g_assert_true (vigil_classifier_split_prepare (ok[i].sql, &name, &body));
      g_assert_cmpstr (name, ==, ok[i].name);
      g_assert_cmpstr (body, ==, ok[i].body);
    }
  g_assert_false (vigil_classifier_split_prepare ("SELECT 1", NULL, NULL));
  g_assert_false (vigil_classifier_split_prepare ("PREPARE p AS", NULL, NULL));
}

static void
test_cache (void)
{
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (2);
  g_autoptr(GPtrArray) a1 = vigil_classifier_classify (classifier, "SELECT 1");
  g_autoptr(GPtrArray) a2 = vigil_classifier_classify (classifier, "SELECT 1");
  g_autoptr(GPtrArray) b = NULL;
  g_autoptr(GPtrArray) c = NULL;
  g_autoptr(GPtrArray) a3 = NULL;
  g_autoptr(GPtrArray) big1 = NULL;
  g_autoptr(GPtrArray) big2 = NULL;
  g_autoptr(GString) big = g_string_new ("SELECT 1 /* ");

  /* A hit shares the cached statements; the arrays are the caller's own. */
  g_assert_true (a1 != a2);
  g_assert_true (a1->pdata[0] == a2->pdata[0]);

  b = vigil_classifier_classify (classifier, "SELECT b");
  g_clear_pointer (&a2, g_ptr_array_unref);
  a2 = vigil_classifier_classify (classifier, "SELECT 1");  /* refresh: b is now oldest */
  g_assert_true (a1->pdata[0] == a2->pdata[0]);
  c = vigil_classifier_classify (classifier, "SELECT c");   /* evicts SELECT b */
  a3 = vigil_classifier_classify (classifier, "SELECT 1");
  g_assert_true (a1->pdata[0] == a3->pdata[0]);
  g_clear_pointer (&a3, g_ptr_array_unref);
  a3 = vigil_classifier_classify (classifier, "SELECT b");
  g_assert_true (b->pdata[0] != a3->pdata[0]);
  g_assert_cmpstr (((VigilStatement *) b->pdata[0])->text, ==, "SELECT b");

  /* Over 1 MiB: classified, never cached. */
  while (big->len <= 1024 * 1024)
    g_string_append (big, "padding padding padding padding ");
  g_string_append (big, "*/");
  big1 = vigil_classifier_classify (classifier, big->str);
  big2 = vigil_classifier_classify (classifier, big->str);
  g_assert_cmpuint (big1->len, ==, 1);
  g_assert_cmpuint (((VigilStatement *) big1->pdata[0])->classes, ==,
                    VIGIL_CLASS_BIT (VIGIL_CLASS_READ));
  g_assert_true (big1->pdata[0] != big2->pdata[0]);
}

/* Queries that differ only in constant values share a classification, with their own
 * text; never when a value can change the classes. */
static void
test_cache_by_shape (void)
{
  static const struct { const char *first, *second; VigilClassSet second_has; } pairs[] = {
    { "SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id = 22;",
      VIGIL_CLASS_BIT (VIGIL_CLASS_READ) },
    { "SELECT 'x' FROM t", "SELECT 'it''s' FROM t", VIGIL_CLASS_BIT (VIGIL_CLASS_READ) },
    { "DELETE FROM t WHERE 1 = 2", "DELETE FROM t WHERE 1 = 1",
      VIGIL_CLASS_BIT (VIGIL_CLASS_UNBOUNDED_WRITE) },
    { "UPDATE t SET a = 1 WHERE 'a' = 'b'", "UPDATE t SET a = 1 WHERE 'a' = 'a'",
      VIGIL_CLASS_BIT (VIGIL_CLASS_UNBOUNDED_WRITE) },
    { "EXPLAIN (ANALYZE 'off') SELECT 1", "EXPLAIN (ANALYZE 'on') SELECT 1",
      VIGIL_CLASS_BIT (VIGIL_CLASS_EXPLAIN_ANALYZE) },
    { "SELECT 1", "SELECT 1; DROP TABLE t", VIGIL_CLASS_BIT (VIGIL_CLASS_DROP) },
    /* One string each, whatever a naive scanner would make of them. */
    { "SELECT 'a'", "SELECT E'a\\'; DROP TABLE t; --'", VIGIL_CLASS_BIT (VIGIL_CLASS_READ) },
    { "SELECT 'a' FROM t", "SELECT 'a'\n'; DROP TABLE t; --' FROM t",
      VIGIL_CLASS_BIT (VIGIL_CLASS_READ) },
    { "SELECT $1", "SELECT $$1; DROP TABLE t$$", VIGIL_CLASS_BIT (VIGIL_CLASS_READ) },
    /* Found by fuzz-classify: a string the parser rejects for its bytes. */
    { "COPY t TO PROGRAM 'x'", "COPY t TO PROGRAM 'x\xff'", VIGIL_CLASS_BIT (VIGIL_CLASS_UNPARSED) },
  };
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (64);
  g_autoptr(VigilClassifier) uncached = vigil_classifier_new (0);

  for (guint i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_autoptr(GPtrArray) first = vigil_classifier_classify (classifier, pairs[i].first);
      g_autoptr(GPtrArray) second = vigil_classifier_classify (classifier, pairs[i].second);
      g_autoptr(GPtrArray) fresh = vigil_classifier_classify (uncached, pairs[i].second);
      VigilClassSet all = 0;

      for (guint j = 0; j < second->len; j++)
        all |= ((VigilStatement *) second->pdata[j])->classes;
      print_query (pairs[i].first, pairs[i].second);
      g_assert_cmpuint (all & pairs[i].second_has, ==, pairs[i].second_has);
      /* Exactly what an uncached classification says. */
      g_assert_cmpuint (second->len, ==, fresh->len);
      for (guint j = 0; j < second->len; j++)
        {
          VigilStatement *a = second->pdata[j], *b = fresh->pdata[j];

          g_assert_cmpuint (a->classes, ==, b->classes);
          g_assert_cmpstr (a->text, ==, b->text);
          g_assert_cmpstrv (a->relations, b->relations);
          g_assert_cmpstrv (a->functions, b->functions);
        }
    }
}

static void
assert_shape (const char *query,
              const char *expected)
{
  g_autoptr(GString) shape = g_string_new (NULL);
  gboolean shaped = vigil_sql_shape (query, shape, NULL);

  print_query (query, NULL);
  if (expected == NULL)
    g_assert_false (shaped);
  else
    {
      g_assert_true (shaped);
      g_assert_cmpstr (shape->str, ==, expected);
    }
}

static void
test_shape (void)
{
  assert_shape ("SELECT a FROM t WHERE id = 42", "SELECT a FROM t WHERE id = \001");
  assert_shape ("select 1.5e-3, 'x''y', t1.c2 -- 9\n", "select \001, \002, t1.c2 -- 9\n");
  assert_shape ("SELECT $1 /* 'q' /* 7 */ */ ;  ", "SELECT $1 /* 'q' /* 7 */ */ ");
  assert_shape ("SELECT date '2026-11-25'", "SELECT date \002");
  assert_shape ("SELECT \"a'1\" FROM t", "SELECT \"a'1\" FROM t");
  assert_shape ("SELECT 1; SELECT 2", NULL);
  assert_shape ("SELECT E'a'", NULL);
  assert_shape ("SELECT X'1f'", NULL);
  assert_shape ("SELECT U&'d\\0061'", NULL);
  assert_shape ("SELECT 'a\\'", NULL);
  assert_shape ("SELECT 'a'\n'b'", NULL);
  assert_shape ("SELECT $$a$$", NULL);
  assert_shape ("SELECT 1abc", NULL);
  assert_shape ("SELECT .5", NULL);
  assert_shape ("SELECT 1e", NULL);
  assert_shape ("SELECT 'open", NULL);
  assert_shape ("SELECT /* open", NULL);
  assert_shape ("SELECT \"open", NULL);
  assert_shape ("SELECT \001", NULL);
  assert_shape ("SELECT 'caf\xc3\xa9'", "SELECT \002");
  assert_shape ("SELECT 'caf\xc3'", NULL);
}

static gpointer
classify_thread (gpointer data)
{
  VigilClassifier *classifier = data;

  for (guint i = 0; i < PER_THREAD; i++)
    {
      const Case *c = cases->pdata[(i * 7) % cases->len];
      g_autofree char *unique = g_strdup_printf ("SELECT %u FROM t", i % 50);
      g_autoptr(GPtrArray) statements = vigil_classifier_classify (classifier, c->sql);
      g_autoptr(GPtrArray) more = vigil_classifier_classify (classifier, unique);

      g_assert_cmpuint (statements->len, >=, 1);
      g_assert_cmpuint (more->len, ==, 1);
      g_assert_cmpuint (((VigilStatement *) more->pdata[0])->classes, ==,
                        VIGIL_CLASS_BIT (VIGIL_CLASS_READ));
    }
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr(VigilClassifier) classifier = vigil_classifier_new (32);
  GThread *threads[N_THREADS];

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("classify", classify_thread, classifier);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
}

/* A single class's name needs no allocation; a set of several is built as before. */
static void
test_class_set_single_name (void)
{
  g_autofree char *pair = NULL;
  VigilClassSet two = VIGIL_CLASS_BIT (VIGIL_CLASS_READ) | VIGIL_CLASS_BIT (VIGIL_CLASS_DROP);

  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    {
      g_autofree char *built = vigil_class_set_to_string (VIGIL_CLASS_BIT (i));

      g_assert_cmpstr (vigil_class_set_single_name (VIGIL_CLASS_BIT (i)), ==, built);
    }
  g_assert_null (vigil_class_set_single_name (0));
  g_assert_null (vigil_class_set_single_name (two));
  pair = vigil_class_set_to_string (two);
  g_assert_cmpstr (pair, ==, "read,drop");
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  load_cases ();

  g_test_add_func ("/classify/Classifier/cases", test_cases);
  g_test_add_func ("/classify/ClassSet/single-name", test_class_set_single_name);
  g_test_add_func ("/classify/Classifier/statement-text", test_statement_text);
  g_test_add_func ("/classify/Classifier/functions", test_functions);
  g_test_add_func ("/classify/Classifier/fingerprint", test_fingerprint);
  g_test_add_func ("/classify/Class/strings", test_class_strings);
  g_test_add_func ("/classify/Classifier/split-prepare", test_split_prepare);
  g_test_add_func ("/classify/Classifier/cache", test_cache);
  g_test_add_func ("/classify/Classifier/cache-by-shape", test_cache_by_shape);
  g_test_add_func ("/classify/shape", test_shape);
  g_test_add_func ("/classify/Classifier/threads", test_threads);

  status = g_test_run ();
  g_ptr_array_unref (cases);
  return status;
}
