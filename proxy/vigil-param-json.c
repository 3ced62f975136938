/* vigil-param-json.c: a Bind parameter as the audit keeps it, written by hand.
 *
 * Runs once per parameter of every Bind, so it writes straight into the array's GString:
 * no printf, no intermediate strings. The escaping is g_strescape()'s to the byte (the
 * audit's content must not change with the writer; tests/test-param-json.c compares the
 * two on every byte value): \b \f \n \r \t \v \\ \" by name, other bytes below 0x20 or
 * from 0x7f up as three octal digits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-param-json.h"

#define ESCAPED_MAX 4   /* bytes one input byte may become: \ooo */

static char *
put_octal (char   *out,
           guint8  c)
{
  *out++ = '\\';
  *out++ = (char) ('0' + ((c >> 6) & 07));
  *out++ = (char) ('0' + ((c >> 3) & 07));
  *out++ = (char) ('0' + (c & 07));
  return out;
}

static char
named_escape (guint8 c)
{
  switch (c)
    {
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\v': return 'v';
    case '\\': return '\\';
    case '"':  return '"';
    default:   return '\0';
    }
}

static char *
put_escaped (char   *out,
             guint8  c)
{
  char name = named_escape (c);

  if (name != '\0')
    {
      *out++ = '\\';
      *out++ = name;
      return out;
    }
  if (c < ' ' || c >= 0177)
    return put_octal (out, c);
  *out++ = (char) c;
  return out;
}

/* Appends LEN bytes of TEXT to JSON, escaped. */
static void
append_escaped (GString      *json,
                const guint8 *text,
                gsize         len)
{
  gsize at = json->len;
  char *out;

  g_string_set_size (json, at + len * ESCAPED_MAX);
  out = json->str + at;
  for (gsize i = 0; i < len; i++)
    out = put_escaped (out, text[i]);
  g_string_truncate (json, (gsize) (out - json->str));
}

static void
append_hex (GString      *json,
            const guint8 *value,
            gsize         len)
{
  static const char digits[] = "0123456789abcdef";
  gsize at = json->len;
  char *out;

  g_string_set_size (json, at + len * 2);
  out = json->str + at;
  for (gsize i = 0; i < len; i++)
    {
      *out++ = digits[value[i] >> 4];
      *out++ = digits[value[i] & 0xf];
    }
}

/* Text as g_utf8_make_valid() leaves it (each invalid byte, NUL included, becomes
 * U+FFFD), escaped; valid text, the usual case, is escaped where it lies. */
static void
append_text (GString      *json,
             const guint8 *value,
             gsize         len)
{
  g_autofree char *valid = NULL;

  if (len == 0)
    return;
  if (g_utf8_validate_len ((const char *) value, len, NULL))
    {
      append_escaped (json, value, len);
      return;
    }
  valid = g_utf8_make_valid ((const char *) value, (gssize) len);
  append_escaped (json, (const guint8 *) valid, strlen (valid));
}

void
vigil_param_json_append (GString      *json,
                         const guint8 *value,
                         gint32        len,
                         gboolean      binary)
{
  gsize shown;

  g_return_if_fail (json != NULL);
  g_return_if_fail (len <= 0 || value != NULL);

  if (len < 0)
    {
      g_string_append (json, "null");
      return;
    }
  shown = MIN ((gsize) len, VIGIL_PARAM_TEXT_LIMIT);
  g_string_append_c (json, '"');
  if (binary)
    {
      /* "\\x" escaped, then hex digits, which need no escaping. */
      g_string_append (json, "\\\\\\\\x");
      append_hex (json, value, MIN (shown, VIGIL_PARAM_TEXT_LIMIT / 2));
    }
  else
    append_text (json, value, shown);
  if (shown < (gsize) len)
    g_string_append (json, "...");
  g_string_append_c (json, '"');
}
