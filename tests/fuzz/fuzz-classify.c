/* fuzz-classify.c: vigil_classifier_classify on arbitrary SQL.
 *
 * Never NULL (no statement for empty text); each statement has text, a class, and NULL-terminated lists;
 * an unparsed statement carries the parser's message. The same query again (now from the
 * cache) gives the same classes. Whatever the cache holds from earlier inputs (a shape
 * shared with an earlier query included), the answer is the one an uncached classifier
 * gives. The PREPARE/EXECUTE helpers run on each statement.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-classify.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static VigilClassifier *classifier;
static VigilClassifier *uncached;

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *query = g_strndup ((const char *) data, size);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GPtrArray) fresh = NULL;

  if (classifier == NULL)
    classifier = vigil_classifier_new (256);
  if (uncached == NULL)
    uncached = vigil_classifier_new (0);
  first = vigil_classifier_classify (classifier, query);
  CHECK (first != NULL);   /* empty or comment-only text: no statement at all */
  for (guint i = 0; i < first->len; i++)
    {
      VigilStatement *st = g_ptr_array_index (first, i);
      g_autofree char *classes = vigil_class_set_to_string (st->classes);
      g_autofree char *name = NULL;
      g_autofree char *body = NULL;
      g_autofree char *exec_name = NULL;
      gboolean deallocate = FALSE;

      CHECK (st->text != NULL && classes != NULL);
      CHECK (st->classes != 0 && st->classes < VIGIL_CLASS_BIT (VIGIL_N_CLASSES));
      CHECK (st->relations != NULL && st->functions != NULL);
      if (st->classes & VIGIL_CLASS_BIT (VIGIL_CLASS_UNPARSED))
        CHECK (st->error != NULL);
      for (char **r = st->relations; *r != NULL; r++)
        CHECK (strlen (*r) < size + 16);
      if (vigil_classifier_split_prepare (st->text, &name, &body))
        CHECK (name != NULL && body != NULL);
      (void) vigil_classifier_execute_name (st->text, &exec_name, &deallocate);
    }
  fresh = vigil_classifier_classify (uncached, query);
  CHECK (fresh->len == first->len);
  for (guint i = 0; i < first->len; i++)
    {
      VigilStatement *a = g_ptr_array_index (first, i);
      VigilStatement *b = g_ptr_array_index (fresh, i);

      CHECK (a->classes == b->classes);
      CHECK (strcmp (a->text, b->text) == 0);
      CHECK (g_strv_equal ((const char * const *) a->relations, (const char * const *) b->relations));
      CHECK (g_strv_equal ((const char * const *) a->functions, (const char * const *) b->functions));
    }
  second = vigil_classifier_classify (classifier, query);
  CHECK (second->len == first->len);
  for (guint i = 0; i < first->len; i++)
    CHECK (((VigilStatement *) g_ptr_array_index (first, i))->classes ==
           ((VigilStatement *) g_ptr_array_index (second, i))->classes);
  return 0;
}
