/* vigil-param-json.c: a Bind parameter as the audit keeps it, written by hand.
 *
 * Runs once per parameter of every Bind, so it writes straight into the array's GString:
 * no printf, no intermediate strings. JSON's escapes: \" \\ \b \f \n \r \t by name, the
 * other control characters as \u00XX; everything else, UTF-8 included, as it is.
 * (Before, the escapes were g_strescape()'s: octal for every byte from 0x7f up, which no
 * JSON parser reads, so a parameter with an accent made the whole array unreadable.)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-param-json.h"

#define ESCAPED_MAX 6   /* bytes one input byte may become: \u00XX */

static const char hex_digits[] = "0123456789abcdef";

static char *
put_unicode_escape (char   *out,
                    guint8  c)
{
  memcpy (out, "\\u00", 4);
  out[4] = hex_digits[c >> 4];
  out[5] = hex_digits[c & 0xf];
  return out + 6;
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
  if (c < ' ')
    return put_unicode_escape (out, c);
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
  gsize at = json->len;
  char *out;

  g_string_set_size (json, at + len * 2);
  out = json->str + at;
  for (gsize i = 0; i < len; i++)
    {
      *out++ = hex_digits[value[i] >> 4];
      *out++ = hex_digits[value[i] & 0xf];
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
      /* \x (its backslash escaped), then hex digits, which need no escaping. */
      g_string_append (json, "\\\\x");
      append_hex (json, value, MIN (shown, VIGIL_PARAM_TEXT_LIMIT / 2));
    }
  else
    append_text (json, value, shown);
  if (shown < (gsize) len)
    g_string_append (json, "...");
  g_string_append_c (json, '"');
}
