/* vigil-sql-markup.c: SQL as Pango markup, keywords emphasised.
 *
 * A display aid, not a parser: it only has to be right about words and quotes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-sql"

#include <string.h>

#include "vigil-sql-markup.h"

static const char *const keywords[] = {
  "all", "alter", "and", "as", "asc", "begin", "by", "case", "commit", "copy", "create",
  "delete", "desc", "distinct", "drop", "else", "end", "exists", "from", "grant", "group",
  "having", "in", "insert", "interval", "into", "is", "join", "left", "like", "limit", "not",
  "null", "offset", "on", "or", "order", "program", "returning", "revoke", "right", "rollback",
  "select", "set", "table", "then", "to", "truncate", "union", "update", "using", "values",
  "when", "where", "with",
};

static gboolean
is_keyword (const char *word,
            gsize       len)
{
  for (guint i = 0; i < G_N_ELEMENTS (keywords); i++)
    if (strlen (keywords[i]) == len && g_ascii_strncasecmp (word, keywords[i], len) == 0)
      return TRUE;
  return FALSE;
}

static void
append_escaped (GString    *out,
                const char *text,
                gsize       len)
{
  g_autofree char *escaped = g_markup_escape_text (text, (gssize) len);

  g_string_append (out, escaped);
}

/* Returns the length of the quoted literal starting at P (up to the end when unclosed). */
static gsize
literal_length (const char *p)
{
  const char *q = p + 1;

  while (*q != '\0' && !(*q == '\'' && q[1] != '\''))
    q += (*q == '\'' ? 2 : 1);
  return (gsize) (q - p) + (*q == '\'' ? 1 : 0);
}

char *
vigil_sql_to_markup (const char *sql)
{
  GString *out = g_string_new (NULL);
  const char *p = sql ? sql : "";

  while (*p != '\0')
    {
      gsize len = 1;

      if (*p == '\'')
        {
          len = literal_length (p);
          g_string_append (out, "<i>");
          append_escaped (out, p, len);
          g_string_append (out, "</i>");
        }
      else if (g_ascii_isalpha (*p) || *p == '_')
        {
          while (g_ascii_isalnum (p[len]) || p[len] == '_')
            len++;
          if (is_keyword (p, len))
            g_string_append (out, "<b>");
          append_escaped (out, p, len);
          if (is_keyword (p, len))
            g_string_append (out, "</b>");
        }
      else
        {
          len = (gsize) (g_utf8_next_char (p) - p);
          append_escaped (out, p, len);
        }
      p += len;
    }
  return g_string_free (out, FALSE);
}
