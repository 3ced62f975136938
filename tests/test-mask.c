/* test-mask.c: strategies per kind, the hash pseudonym, null, UTF-8, growth bounds, junk,
 * the key file, and a throughput figure (printed, never asserted).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "vigil-detect.h"
#include "vigil-mask.h"
#include "vigil-types.h"

static const guint8 key_a[VIGIL_MASK_KEY_LEN] = { 1, 2, 3 };
static const guint8 key_b[VIGIL_MASK_KEY_LEN] = { 3, 2, 1 };

static char *
mask_text (VigilMasker       *masker,
           const char        *in,
           VigilMaskStrategy  strategy)
{
  GString *out = g_string_new (NULL);

  if (!vigil_mask_text (masker, in, strlen (in), VIGIL_DETECT_ALL, strategy, out, NULL))
    g_string_append (out, in);
  return g_string_free (out, FALSE);
}

static char *
mask_whole (VigilMasker       *masker,
            const char        *in,
            VigilDetector      kind,
            VigilMaskStrategy  strategy)
{
  GString *out = g_string_new (NULL);

  if (!vigil_mask_whole_value (masker, in, strlen (in), kind, strategy, out))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

#define assert_masked(masker, in, strategy, want) G_STMT_START {          \
    g_autofree char *got_ = mask_text (masker, in, strategy);               \
    g_assert_cmpstr (got_, ==, want);                                       \
  } G_STMT_END

static void
test_strategy_names (void)
{
  for (guint s = VIGIL_MASK_REDACT; s <= VIGIL_MASK_NULL; s++)
    {
      VigilMaskStrategy back;

      g_assert_true (vigil_mask_strategy_from_string (vigil_mask_strategy_to_string (s), &back));
      g_assert_cmpuint (back, ==, s);
    }
  g_assert_false (vigil_mask_strategy_from_string ("shuffle", NULL));
  g_assert_cmpstr (vigil_mask_strategy_to_string (VIGIL_MASK_PARTIAL), ==, "partial");
}

static void
test_redact (void)
{
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);
  g_autofree char *generic = mask_whole (m, "Alice Smith", VIGIL_DETECTOR_GENERIC,
                                         VIGIL_MASK_REDACT);

  assert_masked (m, "mail ann@example.com now", VIGIL_MASK_REDACT, "mail [email] now");
  assert_masked (m, "ssn 123-45-6789", VIGIL_MASK_REDACT, "ssn [ssn]");
  g_assert_cmpstr (generic, ==, "[redacted]");
}

static void
test_partial (void)
{
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);
  g_autofree char *name = mask_whole (m, "Alice Smith", VIGIL_DETECTOR_GENERIC, VIGIL_MASK_PARTIAL);
  g_autofree char *email = mask_whole (m, "bob@example.com", VIGIL_DETECTOR_GENERIC,
                                       VIGIL_MASK_PARTIAL);
  g_autofree char *tiny = mask_whole (m, "ab", VIGIL_DETECTOR_GENERIC, VIGIL_MASK_PARTIAL);

  assert_masked (m, "to ann@example.com.", VIGIL_MASK_PARTIAL, "to a***@example.com.");
  assert_masked (m, "4111 1111 1111 1234", VIGIL_MASK_PARTIAL, "4111 1111 1111 1234");  /* Luhn */
  assert_masked (m, "4111 1111 1111 1111", VIGIL_MASK_PARTIAL, "**** **** **** 1111");
  assert_masked (m, "4111-1111-1111-1111", VIGIL_MASK_PARTIAL, "****-****-****-1111");
  assert_masked (m, "378282246310005", VIGIL_MASK_PARTIAL, "***********0005");
  assert_masked (m, "ssn 123-45-6789", VIGIL_MASK_PARTIAL, "ssn ***-**-6789");
  assert_masked (m, "(415) 555-2671", VIGIL_MASK_PARTIAL, "(***) ***-2671");
  assert_masked (m, "+44 20 7946 0958", VIGIL_MASK_PARTIAL, "+** ** **** 0958");
  assert_masked (m, "DE89 3704 0044 0532 0130 00", VIGIL_MASK_PARTIAL,
                 "DE** **** **** **** **30 00");
  assert_masked (m, "ghp_0123456789abcdefABCDEFghijklmnopqrst", VIGIL_MASK_PARTIAL, "ghp_***");
  assert_masked (m, "AKIAIOSFODNN7EXAMPLE", VIGIL_MASK_PARTIAL, "AKIA***");
  assert_masked (m, "password=hunter2 ok", VIGIL_MASK_PARTIAL, "password=*** ok");
  assert_masked (m, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----",
                 VIGIL_MASK_PARTIAL, "-----BEGIN EC PRIVATE KEY-----***");
  g_assert_cmpstr (name, ==, "A***h");
  g_assert_cmpstr (email, ==, "b***@example.com");  /* a generic rule on an email column */
  g_assert_cmpstr (tiny, ==, "***");
}

static void
test_hash (void)
{
  g_autoptr(VigilMasker) a = vigil_masker_new (key_a);
  g_autoptr(VigilMasker) a2 = vigil_masker_new (key_a);
  g_autoptr(VigilMasker) b = vigil_masker_new (key_b);
  g_autofree char *e1 = mask_text (a, "Ann@Example.com", VIGIL_MASK_HASH);
  g_autofree char *e2 = mask_text (a2, "ann@example.com", VIGIL_MASK_HASH);
  g_autofree char *e3 = mask_text (b, "ann@example.com", VIGIL_MASK_HASH);
  g_autofree char *e4 = mask_text (a, "bob@example.com", VIGIL_MASK_HASH);
  g_autofree char *c1 = mask_text (a, "4111 1111 1111 1111", VIGIL_MASK_HASH);
  g_autofree char *c2 = mask_text (a, "4111-1111-1111-1111", VIGIL_MASK_HASH);
  g_autofree char *w1 = mask_whole (a, "Alice", VIGIL_DETECTOR_GENERIC, VIGIL_MASK_HASH);
  g_autofree char *w2 = mask_whole (a, "Alice", VIGIL_DETECTOR_GENERIC, VIGIL_MASK_HASH);

  g_assert_true (g_str_has_prefix (e1, "u_"));
  g_assert_true (g_str_has_suffix (e1, "@masked.invalid"));
  g_assert_cmpuint (strlen (e1), ==, strlen ("u_") + 16 + strlen ("@masked.invalid"));
  g_assert_cmpstr (e1, ==, e2);      /* deterministic, and email case does not matter */
  g_assert_cmpstr (e1, !=, e3);      /* another install, another pseudonym */
  g_assert_cmpstr (e1, !=, e4);
  g_assert_true (g_str_has_prefix (c1, "card_"));
  g_assert_cmpstr (c1, ==, c2);      /* separators do not matter */
  g_assert_cmpstr (w1, ==, w2);
  g_assert_true (g_str_has_prefix (w1, "h_"));
}

static void
test_null (void)
{
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);
  g_autoptr(GString) out = g_string_new ("kept");

  g_assert_false (vigil_mask_whole_value (m, "x", 1, VIGIL_DETECTOR_EMAIL, VIGIL_MASK_NULL, out));
  g_assert_cmpstr (out->str, ==, "kept");
  /* Inside a longer text, null cannot null a part: it redacts. */
  assert_masked (m, "mail ann@example.com now", VIGIL_MASK_NULL, "mail [email] now");
}

static void
test_fast_path (void)
{
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);
  g_autoptr(GString) out = g_string_new ("prefix:");
  const char *clean = "Order 98765 shipped on 2024-05-01 for $1,234.56.";
  const char *dirty = "card 4111111111111111 and 378282246310005";
  guint count = 99;

  g_assert_false (vigil_mask_text (m, clean, strlen (clean), VIGIL_DETECT_ALL, VIGIL_MASK_REDACT,
                                   out, &count));
  g_assert_cmpuint (count, ==, 0);
  g_assert_cmpstr (out->str, ==, "prefix:");
  g_assert_true (vigil_mask_text (m, dirty, strlen (dirty), VIGIL_DETECT_ALL, VIGIL_MASK_REDACT,
                                  out, &count));
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpstr (out->str, ==, "prefix:card [card] and [card]");
  g_string_truncate (out, 0);
  g_assert_false (vigil_mask_text (m, dirty, strlen (dirty), VIGIL_DETECT_EMAIL, VIGIL_MASK_REDACT,
                                   out, NULL));
  g_assert_false (vigil_mask_text (m, "", 0, VIGIL_DETECT_ALL, VIGIL_MASK_REDACT, out, NULL));
}

static const char *samples[] = {
  "Grüße an jürgen.müller@example.de — café 4111 1111 1111 1111 ✓",
  "東京 📞 +81 3 1234 5678, 口座 DE89370400440532013000, パスワード password=päss wört",
  "ȧ@example.com ñ ghp_0123456789abcdefABCDEFghijklmnopqrst ñ",
  "token: Ünïcödé123 and postgres://ü:sëcret@host/db",
  "José Ñúñez",
};

static void
test_utf8_and_growth (void)
{
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    for (guint s = VIGIL_MASK_REDACT; s <= VIGIL_MASK_NULL; s++)
      {
        g_autoptr(GString) out = g_string_new (NULL);
        gsize len = strlen (samples[i]);
        guint count = 0;

        g_assert_true (g_utf8_validate (samples[i], -1, NULL));
        if (vigil_mask_text (m, samples[i], len, VIGIL_DETECT_ALL, s, out, &count))
          {
            g_assert_true (g_utf8_validate_len (out->str, out->len, NULL));
            g_assert_cmpuint (out->len, <=, len + count * VIGIL_MASK_MAX_GROWTH);
          }
        g_string_truncate (out, 0);
        if (vigil_mask_whole_value (m, samples[i], len, VIGIL_DETECTOR_GENERIC, s, out))
          g_assert_true (g_utf8_validate_len (out->str, out->len, NULL));
      }
}

static void
test_junk (void)
{
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);
  gsize size = 1 << 20;
  g_autofree guint8 *junk = g_malloc (size);
  GRand *rand = g_rand_new_with_seed (42);

  for (guint round = 0; round < 4; round++)
    {
      static const char alphabet[] = "0123456789 -+()@.=:/abcXYZ_";

      for (gsize i = 0; i < size; i++)
        junk[i] = round < 2 ? (guint8) g_rand_int (rand)
                            : (guint8) alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      for (guint s = VIGIL_MASK_REDACT; s <= VIGIL_MASK_NULL; s++)
        {
          g_autoptr(GString) out = g_string_new (NULL);
          guint count = 0;

          if (vigil_mask_text (m, (const char *) junk, size, VIGIL_DETECT_ALL, s, out, &count))
            g_assert_cmpuint (out->len, <=, size + count * VIGIL_MASK_MAX_GROWTH);
          g_string_truncate (out, 0);
          vigil_mask_whole_value (m, (const char *) junk, size, VIGIL_DETECTOR_GENERIC, s, out);
          /* Every prefix length, on a short slice: no read past the end. */
          for (gsize len = 0; len < 64; len++)
            vigil_detect_scan ((const char *) junk, len, VIGIL_DETECT_ALL, NULL);
        }
    }
  g_rand_free (rand);
}

static void
test_key_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vigil-mask-XXXXXX", &error);
  g_autofree char *data_dir = NULL, *path = NULL;
  guint8 k1[VIGIL_MASK_KEY_LEN], k2[VIGIL_MASK_KEY_LEN];
  struct stat st;

  g_assert_no_error (error);
  data_dir = g_build_filename (dir, "nested", NULL);
  path = g_build_filename (data_dir, "mask.key", NULL);
  g_assert_true (vigil_mask_load_or_create_key (data_dir, k1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, VIGIL_MASK_KEY_LEN);
  g_assert_true (vigil_mask_load_or_create_key (data_dir, k2, &error));
  g_assert_cmpmem (k1, sizeof k1, k2, sizeof k2);

  g_assert_true (g_file_set_contents (path, "short", -1, &error));
  g_assert_false (vigil_mask_load_or_create_key (data_dir, k2, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
  g_unlink (path);
  g_rmdir (data_dir);
  g_rmdir (dir);
}

static double
mb_per_s (VigilMasker *m,
          GString     *text)
{
  g_autoptr(GString) out = g_string_sized_new (text->len + 1024);
  gint64 start = g_get_monotonic_time ();
  gsize done = 0;
  const char *p = text->str, *end = text->str + text->len;

  /* Row by row, as the proxy calls it: one value at a time. */
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));

      vigil_mask_text (m, p, (gsize) (nl - p), VIGIL_DETECT_ALL, VIGIL_MASK_REDACT, out, NULL);
      g_string_truncate (out, 0);
      done += (gsize) (nl - p) + 1;
      p = nl + 1;
    }
  return done / 1e6 / MAX (1, g_get_monotonic_time () - start) * 1e6;
}

static void
test_throughput (void)
{
  static const char *clean[] = {
    "Order 98765 shipped on 2024-05-01 12:30:45 for $1,234.56 to 742 Evergreen Terrace",
    "Customer asked about the delivery window; agent promised a callback before Friday.",
    "widget-2000 blue, qty 3, sku AB-1234-XYZ-5678, warehouse 7, v1.2.3",
    "3f786850e387550fdab836ed7e6dc881de23001b",
  };
  static const char *dirty[] = {
    "Contact ann.lee@example.com or (415) 555-2671 about invoice 1234",
    "card 4111 1111 1111 1111 exp 12/27, iban DE89370400440532013000",
    "export GITHUB_TOKEN=ghp_0123456789abcdefABCDEFghijklmnopqrst",
  };
  g_autoptr(VigilMasker) m = vigil_masker_new (key_a);
  g_autoptr(GString) text_clean = g_string_new (NULL);
  g_autoptr(GString) text_mixed = g_string_new (NULL);

  for (guint i = 0; text_clean->len < 8 << 20; i++)
    {
      g_string_append_printf (text_clean, "%s\n", clean[i % G_N_ELEMENTS (clean)]);
      g_string_append_printf (text_mixed, "%s\n", i % 4 == 3 ? dirty[i % G_N_ELEMENTS (dirty)]
                                                             : clean[i % G_N_ELEMENTS (clean)]);
    }
  g_test_message ("detect+mask, typical rows without secrets: %.0f MB/s", mb_per_s (m, text_clean));
  g_test_message ("detect+mask, one row in four with secrets: %.0f MB/s", mb_per_s (m, text_mixed));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mask/strategy/names", test_strategy_names);
  g_test_add_func ("/mask/strategy/redact", test_redact);
  g_test_add_func ("/mask/strategy/partial", test_partial);
  g_test_add_func ("/mask/strategy/hash", test_hash);
  g_test_add_func ("/mask/strategy/null", test_null);
  g_test_add_func ("/mask/text/fast-path", test_fast_path);
  g_test_add_func ("/mask/text/utf8-and-growth", test_utf8_and_growth);
  g_test_add_func ("/mask/text/junk", test_junk);
  g_test_add_func ("/mask/key/file", test_key_file);
  g_test_add_func ("/mask/bench/throughput", test_throughput);

  return g_test_run ();
}
