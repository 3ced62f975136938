/* test-wire.c: framing readers and writers, and startup options for the upstream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-buffer.h"
#include "vigil-upstream.h"
#include "vigil-wire.h"

static void
test_reader_bounds (void)
{
  static const guint8 body[] = { 0, 1, 0, 0, 0, 2, 'a', 'b', 0, 'x' };
  VigilWireReader r;
  gint16 i16;
  gint32 i32;
  const char *s;
  guint8 b;

  vigil_wire_reader_init (&r, body, sizeof body);
  g_assert_true (vigil_wire_read_int16 (&r, &i16));
  g_assert_cmpint (i16, ==, 1);
  g_assert_true (vigil_wire_read_int32 (&r, &i32));
  g_assert_cmpint (i32, ==, 2);
  g_assert_true (vigil_wire_read_string (&r, &s));
  g_assert_cmpstr (s, ==, "ab");
  /* "x" has no terminator inside the body: the reader must refuse it. */
  g_assert_false (vigil_wire_read_string (&r, &s));
  g_assert_true (vigil_wire_read_byte (&r, &b));
  g_assert_cmpint (b, ==, 'x');
  g_assert_false (vigil_wire_read_byte (&r, &b));
  g_assert_false (vigil_wire_read_int32 (&r, &i32));
}

static void
test_reader_bytes (void)
{
  static const guint8 body[] = { 1, 2, 3 };
  VigilWireReader r;
  const guint8 *p;

  vigil_wire_reader_init (&r, body, sizeof body);
  g_assert_false (vigil_wire_read_bytes (&r, 4, &p));
  g_assert_true (vigil_wire_read_bytes (&r, 3, &p));
  g_assert_true (p == body);
  g_assert_cmpuint (vigil_wire_reader_remaining (&r), ==, 0);
}

static void
test_writer_error (void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  VigilWireReader r;
  const char *field;
  guint8 code;
  GHashTable *fields = g_hash_table_new (g_direct_hash, g_direct_equal);

  vigil_wire_write_error (buf, "FATAL", "28P01", "password authentication failed", NULL);
  g_assert_cmpint (buf->data[0], ==, 'E');
  g_assert_cmpuint (vigil_wire_get_uint32 (buf->data + 1), ==, buf->len - 1);
  vigil_wire_reader_init (&r, buf->data + 5, buf->len - 5);
  while (vigil_wire_read_byte (&r, &code) && code != 0)
    {
      g_assert_true (vigil_wire_read_string (&r, &field));
      g_hash_table_insert (fields, GINT_TO_POINTER (code), (gpointer) field);
    }
  g_assert_cmpint (code, ==, 0);
  g_assert_cmpuint (vigil_wire_reader_remaining (&r), ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (fields, GINT_TO_POINTER ('S')), ==, "FATAL");
  g_assert_cmpstr (g_hash_table_lookup (fields, GINT_TO_POINTER ('C')), ==, "28P01");
  g_assert_cmpstr (g_hash_table_lookup (fields, GINT_TO_POINTER ('M')), ==,
                   "password authentication failed");
  g_assert_false (g_hash_table_contains (fields, GINT_TO_POINTER ('D')));
  g_hash_table_unref (fields);
}

static void
test_writer_messages (void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  static const guint8 expected[] = {
    'K', 0, 0, 0, 12, 0, 0, 0x30, 0x39, 0xde, 0xad, 0xbe, 0xef,
    'Z', 0, 0, 0, 5, 'I',
    'S', 0, 0, 0, 11, 'a', 'b', 0, 'c', 'd', 'e', 0,
  };

  vigil_wire_write_backend_key_data (buf, 12345, 0xdeadbeef);
  vigil_wire_write_ready_for_query (buf, 'I');
  vigil_wire_write_parameter_status (buf, "ab", "cde");
  g_assert_cmpmem (buf->data, buf->len, expected, sizeof expected);
}

static void
test_writer_negotiate (void)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  const char *unsupported[] = { "_pq_.compression", NULL };
  VigilWireReader r;
  guint32 minor, n;
  const char *name;

  vigil_wire_write_negotiate_version (buf, 0, unsupported);
  g_assert_cmpint (buf->data[0], ==, 'v');
  vigil_wire_reader_init (&r, buf->data + 5, buf->len - 5);
  g_assert_true (vigil_wire_read_uint32 (&r, &minor));
  g_assert_true (vigil_wire_read_uint32 (&r, &n));
  g_assert_true (vigil_wire_read_string (&r, &name));
  g_assert_cmpuint (minor, ==, 0);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpstr (name, ==, "_pq_.compression");
}

static void
test_frontend_types (void)
{
  const char *valid = "BCDEFHPQSXfdcp";

  for (guint t = 0; t < 256; t++)
    g_assert_cmpint (vigil_wire_is_frontend_type ((guint8) t), ==,
                     t != 0 && strchr (valid, (int) t) != NULL);
  g_assert_cmpuint (vigil_wire_frontend_limit ('S'), ==, VIGIL_MAX_SMALL_MESSAGE);
  g_assert_cmpuint (vigil_wire_frontend_limit ('Q'), ==, VIGIL_MAX_MESSAGE);
}

static void
test_buffer_grow_consume (void)
{
  VigilBuffer b;
  guint8 chunk[100];

  memset (chunk, 7, sizeof chunk);
  vigil_buffer_init (&b, 64);
  vigil_buffer_append (&b, chunk, sizeof chunk);
  g_assert_cmpuint (vigil_buffer_len (&b), ==, 100);
  g_assert_cmpuint (b.cap, >=, 100);
  vigil_buffer_consume (&b, 60);
  g_assert_cmpuint (vigil_buffer_len (&b), ==, 40);
  vigil_buffer_reserve (&b, 1000);
  g_assert_cmpuint (b.start, ==, 0);
  g_assert_cmpuint (vigil_buffer_space (&b), >=, 960);
  g_assert_cmpint (vigil_buffer_head (&b)[39], ==, 7);
  vigil_buffer_consume (&b, 40);
  vigil_buffer_shrink (&b, 64);
  g_assert_cmpuint (b.cap, ==, 64);
  vigil_buffer_clear (&b);
}

static void
test_upstream_options (void)
{
  g_autoptr(GHashTable) startup = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *options = NULL;

  g_hash_table_insert (startup, "application_name", "psql");
  g_hash_table_insert (startup, "DateStyle", "ISO, MDY");
  g_hash_table_insert (startup, "search_path", "a\\b");
  g_hash_table_insert (startup, "options", "-c work_mem=64MB");
  options = _vigil_upstream_build_options (startup);
  g_assert_cmpstr (options, ==, "-c work_mem=64MB -c DateStyle=ISO,\\ MDY -c search_path=a\\\\b");

  g_hash_table_remove_all (startup);
  g_hash_table_insert (startup, "client_encoding", "UTF8");
  g_clear_pointer (&options, g_free);
  options = _vigil_upstream_build_options (startup);
  g_assert_null (options);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/wire/reader/bounds", test_reader_bounds);
  g_test_add_func ("/wire/reader/bytes", test_reader_bytes);
  g_test_add_func ("/wire/writer/error", test_writer_error);
  g_test_add_func ("/wire/writer/messages", test_writer_messages);
  g_test_add_func ("/wire/writer/negotiate-version", test_writer_negotiate);
  g_test_add_func ("/wire/frontend/types", test_frontend_types);
  g_test_add_func ("/wire/buffer/grow-consume", test_buffer_grow_consume);
  g_test_add_func ("/wire/upstream/options", test_upstream_options);
  return g_test_run ();
}
