/* test-detect.c: the detectors against the table in detect-cases.txt, plus names, order,
 * subsets and inputs built to make a careless scanner quadratic.
 *
 * detect-cases.txt: one case a line, DETECTORS<TAB>EXPECTED<TAB>INPUT, where DETECTORS is
 * "none" or a comma-separated list of detector names, EXPECTED is INPUT masked with
 * `redact` and every detector on, and both strings take C escapes (\n, \t, \\).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-detect.h"
#include "vigil-mask.h"
#include "vigil-types.h"

static const guint8 zero_key[VIGIL_MASK_KEY_LEN] = { 0 };

static char *
cases_path (void)
{
  const char *srcdir = g_getenv ("VIGIL_TEST_SRCDIR");

  return srcdir != NULL ? g_build_filename (srcdir, "detect-cases.txt", NULL)
                        : g_test_build_filename (G_TEST_DIST, "detect-cases.txt", NULL);
}

static char *
redact_all (VigilMasker *masker,
            const char  *input)
{
  GString *out = g_string_new (NULL);

  if (!vigil_mask_text (masker, input, strlen (input), VIGIL_DETECT_ALL, VIGIL_MASK_REDACT, out,
                        NULL))
    g_string_append (out, input);
  return g_string_free (out, FALSE);
}

/* Returns NULL when the case holds, or why it does not. */
static char *
check_case (VigilMasker *masker,
            const char  *detectors,
            const char  *expected,
            const char  *input)
{
  g_autoptr(GArray) matches = g_array_new (FALSE, FALSE, sizeof (VigilMatch));
  g_autofree char *got = redact_all (masker, input);
  g_auto(GStrv) names = NULL;
  VigilDetectorSet want = VIGIL_DETECT_NONE;

  vigil_detect_scan (input, strlen (input), VIGIL_DETECT_ALL, matches);
  if (strcmp (got, expected) != 0)
    return g_strdup_printf ("got “%s”", got);
  if (strcmp (detectors, "none") == 0)
    return matches->len == 0 ? NULL : g_strdup ("matched, expected nothing");
  names = g_strsplit (detectors, ",", -1);
  if (!vigil_detector_set_from_names ((const char * const *) names, &want, NULL))
    return g_strdup ("unknown detector name in the table");
  if (matches->len == 0)
    return g_strdup ("nothing matched");
  for (guint i = 0; i < matches->len; i++)
    {
      VigilMatch *m = &g_array_index (matches, VigilMatch, i);

      if ((want & (1u << m->kind)) == 0)
        return g_strdup_printf ("matched as %s", vigil_detector_to_string (m->kind));
    }
  /* Each listed detector finds its value on its own, too. */
  if (vigil_detect_scan (input, strlen (input), want, NULL) != matches->len)
    return g_strdup ("the listed detectors alone found a different number of matches");
  return NULL;
}

static void
test_cases (void)
{
  g_autoptr(VigilMasker) masker = vigil_masker_new (zero_key);
  g_autofree char *path = cases_path ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_cases = 0, n_failed = 0;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_autofree char *expected = NULL, *input = NULL, *why = NULL;

      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      fields = g_strsplit (lines[i], "\t", 3);
      g_assert_cmpuint (g_strv_length (fields), ==, 3);
      expected = g_strcompress (fields[1]);
      input = g_strcompress (fields[2]);
      why = check_case (masker, fields[0], expected, input);
      n_cases++;
      if (why != NULL)
        {
          g_test_message ("line %u (%s): %s\n  input: %s\n  want:  %s", i + 1, fields[0], why,
                          fields[2], fields[1]);
          n_failed++;
        }
    }
  g_test_message ("%u cases, %u failed", n_cases, n_failed);
  g_assert_cmpuint (n_cases, >=, 150);
  g_assert_cmpuint (n_failed, ==, 0);
}

static void
test_names (void)
{
  const char *policy[] = { "email", "card", "ssn", "iban", "phone", "secret", NULL };
  const char *bad[] = { "email", "creditcard", NULL };
  g_autoptr(GError) error = NULL;
  VigilDetectorSet set = VIGIL_DETECT_NONE;

  for (guint k = 0; k < VIGIL_N_DETECTORS; k++)
    {
      VigilDetector back;

      g_assert_true (vigil_detector_from_string (vigil_detector_to_string (k), &back));
      g_assert_cmpuint (back, ==, k);
    }
  g_assert_true (vigil_detector_set_from_names (policy, &set, &error));
  g_assert_no_error (error);
  g_assert_cmphex (set, ==, VIGIL_DETECT_ALL);
  g_assert_false (vigil_detector_set_from_names (bad, &set, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (vigil_detector_set_from_names ((const char *[]) { "private-key", "cloud-key",
                                                                  NULL },
                                                &set, &error));
  g_assert_cmphex (set, ==, VIGIL_DETECT_PRIVATE_KEY | VIGIL_DETECT_CLOUD_KEY);
  g_assert_true (vigil_detector_set_from_names (NULL, &set, &error));
  g_assert_cmphex (set, ==, VIGIL_DETECT_NONE);
}

static void
test_ordered (void)
{
  const char *text = "mail bob@example.com or call (415) 555-2671, card 4111 1111 1111 1111, "
                     "key AKIAIOSFODNN7EXAMPLE and postgres://u:pw1@h/db; ssn 123-45-6789.";
  const VigilDetector kinds[] = {
    VIGIL_DETECTOR_EMAIL, VIGIL_DETECTOR_PHONE, VIGIL_DETECTOR_CARD, VIGIL_DETECTOR_CLOUD_KEY,
    VIGIL_DETECTOR_PASSWORD, VIGIL_DETECTOR_SSN,
  };
  g_autoptr(GArray) matches = g_array_new (FALSE, FALSE, sizeof (VigilMatch));
  gsize end = 0;

  g_assert_cmpuint (vigil_detect_scan (text, strlen (text), VIGIL_DETECT_ALL, matches), ==,
                    G_N_ELEMENTS (kinds));
  for (guint i = 0; i < matches->len; i++)
    {
      VigilMatch *m = &g_array_index (matches, VigilMatch, i);

      g_assert_cmpuint (m->kind, ==, kinds[i]);
      g_assert_cmpuint (m->start, >=, end);
      end = m->start + m->len;
    }
  g_assert_cmpstr (text + g_array_index (matches, VigilMatch, 4).start, ==,
                   "pw1@h/db; ssn 123-45-6789.");
}

static void
test_subset (void)
{
  const char *text = "bob@example.com 4111111111111111 ghp_0123456789abcdefABCDEFghijklmnopqrst";
  g_autoptr(GArray) matches = g_array_new (FALSE, FALSE, sizeof (VigilMatch));

  g_assert_cmpuint (vigil_detect_scan (text, strlen (text), VIGIL_DETECT_NONE, NULL), ==, 0);
  g_assert_cmpuint (vigil_detect_scan (text, strlen (text), VIGIL_DETECT_CARD, matches), ==, 1);
  g_assert_cmpuint (g_array_index (matches, VigilMatch, 0).kind, ==, VIGIL_DETECTOR_CARD);
  g_assert_cmpuint (vigil_detect_scan (text, strlen (text), VIGIL_DETECT_SECRET, NULL), ==, 1);
  g_assert_cmpuint (vigil_detect_scan (text, strlen (text), VIGIL_DETECT_ALL, NULL), ==, 3);
  /* Lengths are honoured: no NUL needed, nothing read past the end. */
  g_assert_cmpuint (vigil_detect_scan (text, 15, VIGIL_DETECT_ALL, NULL), ==, 1);
  g_assert_cmpuint (vigil_detect_scan (text, 13, VIGIL_DETECT_ALL, NULL), ==, 0);
  g_assert_cmpuint (vigil_detect_scan (NULL, 0, VIGIL_DETECT_ALL, NULL), ==, 0);
}

/* Runs that every inner word start could rescan; each must stay one pass. */
static void
test_linear (void)
{
  const char *units[] = { "a.", "a-", "1 ", "1-", "a/", "a_", "a@", "x=", "+1", "(", "ab1+",
                          "eyJ.", "-----BEGIN ", "password=" };
  gsize size = 1 << 20;

  for (guint u = 0; u < G_N_ELEMENTS (units); u++)
    {
      g_autoptr(GString) text = g_string_sized_new (size);
      gint64 start = g_get_monotonic_time ();

      while (text->len < size)
        g_string_append (text, units[u]);
      vigil_detect_scan (text->str, text->len, VIGIL_DETECT_ALL, NULL);
      g_test_message ("1 MiB of “%s”: %.1f ms", units[u],
                      (g_get_monotonic_time () - start) / 1000.0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/detect/corpus/cases", test_cases);
  g_test_add_func ("/detect/names/roundtrip", test_names);
  g_test_add_func ("/detect/scan/ordered", test_ordered);
  g_test_add_func ("/detect/scan/subset", test_subset);
  g_test_add_func ("/detect/scan/linear", test_linear);

  return g_test_run ();
}
