/* test-param-json.c: Bind parameters as the audit keeps them.
 *
 * The writer replaced g_string_append_printf + g_strescape + g_utf8_make_valid; the audit
 * must read exactly as before, so every case is also checked against that way of writing
 * it (reference_append below).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-param-json.h"

/* The writer as it was, for non-empty values (an empty text value made it print
 * "(null)" after two criticals: see /param-json/text/empty). */
static void
reference_append (GString      *json,
                  const guint8 *value,
                  gint32        len,
                  gboolean      binary)
{
  gsize shown = MIN ((gsize) len, VIGIL_PARAM_TEXT_LIMIT);
  g_autofree char *text = NULL;
  g_autofree char *escaped = NULL;

  if (len < 0)
    {
      g_string_append (json, "null");
      return;
    }
  if (binary)
    {
      GString *hex = g_string_new ("\\\\x");

      for (gsize i = 0; i < MIN (shown, VIGIL_PARAM_TEXT_LIMIT / 2); i++)
        g_string_append_printf (hex, "%02x", value[i]);
      text = g_string_free (hex, FALSE);
    }
  else
    text = g_utf8_make_valid ((const char *) value, shown);
  escaped = g_strescape (text, NULL);
  g_string_append_printf (json, "\"%s%s\"", escaped, shown < (gsize) len ? "..." : "");
}

static char *
written (const guint8 *value,
         gint32        len,
         gboolean      binary)
{
  GString *json = g_string_new ("[");

  vigil_param_json_append (json, value, len, binary);
  g_string_append_c (json, ']');
  return g_string_free (json, FALSE);
}

static void
assert_as_before (const guint8 *value,
                  gint32        len,
                  gboolean      binary)
{
  g_autofree char *got = written (value, len, binary);
  GString *want = g_string_new ("[");
  g_autofree char *expected = NULL;

  reference_append (want, value, len, binary);
  g_string_append_c (want, ']');
  expected = g_string_free (want, FALSE);
  g_assert_cmpstr (got, ==, expected);
}

static void
assert_written (const char *text,
                gboolean    binary,
                const char *expected)
{
  g_autofree char *got = written ((const guint8 *) text, (gint32) strlen (text), binary);

  g_assert_cmpstr (got, ==, expected);
}

static void
test_null (void)
{
  g_autofree char *got = written (NULL, -1, FALSE);

  g_assert_cmpstr (got, ==, "[null]");
}

static void
test_text_plain (void)
{
  assert_written ("bob@example.com", FALSE, "[\"bob@example.com\"]");
  assert_written ("say \"hi\"\\now", FALSE, "[\"say \\\"hi\\\"\\\\now\"]");
  assert_written ("a\tb\nc\rd\be\ff\vg", FALSE, "[\"a\\tb\\nc\\rd\\be\\ff\\vg\"]");
  assert_written ("\001\037\177", FALSE, "[\"\\001\\037\\177\"]");
  /* é is valid UTF-8: kept, and escaped byte by byte as g_strescape does. */
  assert_written ("caf\xc3\xa9", FALSE, "[\"caf\\303\\251\"]");
}

static void
test_text_empty (void)
{
  g_autofree char *got = written (NULL, 0, FALSE);

  g_assert_cmpstr (got, ==, "[\"\"]");
}

/* Every byte value alone, and after a valid prefix, as the old writer wrote it. */
static void
test_text_every_byte (void)
{
  for (guint c = 0; c < 256; c++)
    {
      guint8 one = (guint8) c;
      guint8 two[3] = { 'a', (guint8) c, 'z' };

      assert_as_before (&one, 1, FALSE);
      assert_as_before (two, sizeof two, FALSE);
    }
}

static void
test_text_invalid_utf8 (void)
{
  static const char *cases[] = {
    "\xff", "a\xc3", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80",
    "\xc0\xaf", "ok\0after", "\xef\xbf\xbd",
  };
  static const gint32 lens[] = { 1, 2, 2, 2, 3, 4, 2, 8, 3 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_as_before ((const guint8 *) cases[i], lens[i], FALSE);
}

/* Cut at the limit, inside a multibyte character too, with "..." after. */
static void
test_text_limit (void)
{
  for (gint32 len = VIGIL_PARAM_TEXT_LIMIT - 3; len <= VIGIL_PARAM_TEXT_LIMIT + 3; len++)
    {
      g_autofree guint8 *value = g_malloc (len);

      for (gint32 i = 0; i < len; i += 2)
        {
          value[i] = 0xc3;
          if (i + 1 < len)
            value[i + 1] = 0xa9;
        }
      assert_as_before (value, len, FALSE);
      memset (value, 'x', len);
      assert_as_before (value, len, FALSE);
    }
}

static void
test_text_random (void)
{
  GRand *rand = g_rand_new_with_seed (20240901);

  for (guint round = 0; round < 2000; round++)
    {
      gint32 len = g_rand_int_range (rand, 1, round % 100 == 0 ? 9000 : 64);
      g_autofree guint8 *value = g_malloc (len);
      /* Mostly printable, sometimes anything: both paths of the writer. */
      gboolean any = g_rand_boolean (rand);

      for (gint32 i = 0; i < len; i++)
        value[i] = any ? (guint8) g_rand_int_range (rand, 0, 256)
                       : (guint8) g_rand_int_range (rand, ' ', 0x7f);
      assert_as_before (value, len, FALSE);
      assert_as_before (value, len, TRUE);
    }
  g_rand_free (rand);
}

static void
test_binary (void)
{
  static const guint8 bytes[] = { 0x00, 0x01, 0xab, 0xff };
  g_autofree char *got = written (bytes, sizeof bytes, TRUE);
  g_autofree char *empty = written (NULL, 0, TRUE);

  g_assert_cmpstr (got, ==, "[\"\\\\\\\\x0001abff\"]");
  g_assert_cmpstr (empty, ==, "[\"\\\\\\\\x\"]");
  for (gint32 len = VIGIL_PARAM_TEXT_LIMIT / 2 - 1; len <= VIGIL_PARAM_TEXT_LIMIT + 1;
       len += VIGIL_PARAM_TEXT_LIMIT / 2)
    {
      g_autofree guint8 *value = g_malloc0 (len);

      assert_as_before (value, len, TRUE);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/param-json/null", test_null);
  g_test_add_func ("/param-json/text/plain", test_text_plain);
  g_test_add_func ("/param-json/text/empty", test_text_empty);
  g_test_add_func ("/param-json/text/every-byte", test_text_every_byte);
  g_test_add_func ("/param-json/text/invalid-utf8", test_text_invalid_utf8);
  g_test_add_func ("/param-json/text/limit", test_text_limit);
  g_test_add_func ("/param-json/text/random", test_text_random);
  g_test_add_func ("/param-json/binary", test_binary);
  return g_test_run ();
}
