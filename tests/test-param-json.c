/* test-param-json.c: Bind parameters as the audit keeps them.
 *
 * Whatever the bytes, what the writer produces must parse as JSON and give back the value
 * the audit means to keep: the text made valid UTF-8, or a binary value as \x and hex, cut
 * at the limit with "..." (expected_value below). Every case goes through json-glib.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <json-glib/json-glib.h>

#include "vigil-param-json.h"

/* What a JSON parser must read back for a non-NULL VALUE. */
static char *
expected_value (const guint8 *value,
                gint32        len,
                gboolean      binary)
{
  gsize shown = MIN ((gsize) len, VIGIL_PARAM_TEXT_LIMIT);
  GString *want = g_string_new (NULL);

  if (binary)
    {
      g_string_append (want, "\\x");
      for (gsize i = 0; i < MIN (shown, VIGIL_PARAM_TEXT_LIMIT / 2); i++)
        g_string_append_printf (want, "%02x", value[i]);
    }
  else if (shown > 0)
    {
      g_autofree char *valid = g_utf8_make_valid ((const char *) value, (gssize) shown);

      g_string_append (want, valid);
    }
  if (shown < (gsize) len)
    g_string_append (want, "...");
  return g_string_free (want, FALSE);
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

/* The written array parses, and its one element is the expected value. */
static void
assert_round_trip (const guint8 *value,
                   gint32        len,
                   gboolean      binary)
{
  g_autofree char *got = written (value, len, binary);
  g_autofree char *expected = expected_value (value, len, binary);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonArray *array;

  g_assert_true (g_utf8_validate (got, -1, NULL));
  json_parser_load_from_data (parser, got, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  array = json_node_get_array (root);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (array, 0), ==, expected);
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
  assert_written ("a\tb\nc\rd\be\ff\vg", FALSE, "[\"a\\tb\\nc\\rd\\be\\ff\\u000bg\"]");
  assert_written ("\001\037\177", FALSE, "[\"\\u0001\\u001f\177\"]");
  /* é is valid UTF-8: kept as it is. */
  assert_written ("caf\xc3\xa9", FALSE, "[\"caf\xc3\xa9\"]");
}

static void
test_text_empty (void)
{
  g_autofree char *got = written (NULL, 0, FALSE);

  g_assert_cmpstr (got, ==, "[\"\"]");
}

/* Every byte value alone, and after a valid prefix. */
static void
test_text_every_byte (void)
{
  for (guint c = 0; c < 256; c++)
    {
      guint8 one = (guint8) c;
      guint8 two[3] = { 'a', (guint8) c, 'z' };

      assert_round_trip (&one, 1, FALSE);
      assert_round_trip (two, sizeof two, FALSE);
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
    assert_round_trip ((const guint8 *) cases[i], lens[i], FALSE);
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
      assert_round_trip (value, len, FALSE);
      memset (value, 'x', len);
      assert_round_trip (value, len, FALSE);
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
      assert_round_trip (value, len, FALSE);
      assert_round_trip (value, len, TRUE);
    }
  g_rand_free (rand);
}

static void
test_binary (void)
{
  static const guint8 bytes[] = { 0x00, 0x01, 0xab, 0xff };
  g_autofree char *got = written (bytes, sizeof bytes, TRUE);
  g_autofree char *empty = written (NULL, 0, TRUE);

  g_assert_cmpstr (got, ==, "[\"\\\\x0001abff\"]");
  g_assert_cmpstr (empty, ==, "[\"\\\\x\"]");
  for (gint32 len = VIGIL_PARAM_TEXT_LIMIT / 2 - 1; len <= VIGIL_PARAM_TEXT_LIMIT + 1;
       len += VIGIL_PARAM_TEXT_LIMIT / 2)
    {
      g_autofree guint8 *value = g_malloc0 (len);

      assert_round_trip (value, len, TRUE);
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
