/* vigil-sql-shape.c: a query's shape, its text with the values of plain constants taken out.
 *
 * The classifier keys a second cache by shape, so that "SELECT ... WHERE id = 42" and "...
 * = 43" are parsed once (pgbench -S, ORMs that inline values). The scanner follows
 * PostgreSQL's lexer (scan.l) for what it accepts and refuses everything else, so two
 * queries only share a shape when PostgreSQL would see the same tokens in the same order
 * with different constant values. Whether a classification may be shared across values
 * is the classifier's decision, not this file's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-sql-shape.h"

static gboolean
is_ident_start (guchar c)
{
  return g_ascii_isalpha (c) || c == '_' || c >= 0x80;
}

static gboolean
is_ident_char (guchar c)
{
  return is_ident_start (c) || g_ascii_isdigit (c) || c == '$';
}

static gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A block comment, which nests in PostgreSQL; NULL when unterminated. */
static const char *
skip_block_comment (const char *p)
{
  guint depth = 0;

  do
    {
      if (*p == '\0')
        return NULL;
      if (p[0] == '/' && p[1] == '*')
        depth++, p += 2;
      else if (p[0] == '*' && p[1] == '/')
        depth--, p += 2;
      else
        p++;
    }
  while (depth > 0);
  return p;
}

/* Whitespace and comments; NULL at an unterminated comment. */
static const char *
skip_blank (const char *p)
{
  for (;;)
    {
      if (is_space (*p))
        p++;
      else if (p[0] == '-' && p[1] == '-')
        p += strcspn (p, "\n");
      else if (p[0] == '/' && p[1] == '*')
        {
          if ((p = skip_block_comment (p)) == NULL)
            return NULL;
        }
      else
        return p;
    }
}

/* "..." with "" inside; NULL when unterminated. */
static const char *
skip_quoted_identifier (const char *p)
{
  for (p++; *p != '\0'; p++)
    if (*p == '"')
      {
        if (p[1] != '"')
          return p + 1;
        p++;
      }
  return NULL;
}

/* A plain '...' string with '' inside; NULL when unterminated, when it holds a backslash
 * (standard_conforming_strings may be off) or invalid UTF-8 (the parser rejects the query
 * then, whatever else it says), or when another string continues it. */
static const char *
skip_string (const char *p)
{
  const char *start = p + 1;
  const char *after;

  for (p++;; p++)
    {
      if (*p == '\0' || *p == '\\')
        return NULL;
      if (*p == '\'')
        {
          if (p[1] != '\'')
            break;
          p++;
        }
    }
  if (!g_utf8_validate_len (start, p - start, NULL))
    return NULL;
  after = p + 1;
  /* 'a' <newline> 'b' is one constant to PostgreSQL: refuse any string after blanks. */
  p = skip_blank (after);
  if (p == NULL || *p == '\'')
    return NULL;
  return after;
}

/* digits [. digits] [e [+-] digits], not run into an identifier; NULL otherwise. */
static const char *
skip_number (const char *p)
{
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.' && p[1] != '.')
    {
      p++;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return NULL;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (is_ident_char (*p) || *p == '.')
    return NULL;
  return p;
}

static gboolean
append_span (GString    *out,
             const char *from,
             const char *to)
{
  if (to == NULL)
    return FALSE;
  g_string_append_len (out, from, to - from);
  return TRUE;
}

gboolean
vigil_sql_shape (const char *query,
                 GString    *out,
                 gsize      *out_statement_len)
{
  const char *p = query;
  gsize statement_len = 0;
  guchar previous = ' ';   /* the last character copied, to tell prefixed strings */

  g_return_val_if_fail (query != NULL && out != NULL, FALSE);

  while (*p != '\0')
    {
      const char *start = p;
      guchar c = (guchar) *p;

      if (c < 0x20 && !is_space (c))
        return FALSE;
      if (is_space (c) || (p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'))
        {
          if (!append_span (out, start, p = skip_blank (p)))
            return FALSE;
          previous = ' ';
          continue;
        }
      if (c == ';')
        {
          statement_len = (gsize) (p - query);
          p = skip_blank (p + 1);
          if (p == NULL || *p != '\0')
            return FALSE;   /* another statement follows */
          break;
        }
      if (c == '"')
        {
          if (!append_span (out, start, p = skip_quoted_identifier (p)))
            return FALSE;
        }
      else if (c == '\'')
        {
          if (is_ident_char (previous) || previous == '&' || (p = skip_string (p)) == NULL)
            return FALSE;
          g_string_append_c (out, VIGIL_SQL_SHAPE_STRING);
        }
      else if (c == '$')
        {
          /* $1 is a parameter; anything else starts a dollar quote. */
          if (!g_ascii_isdigit (p[1]))
            return FALSE;
          for (p++; g_ascii_isdigit (*p); p++)
            ;
          if (is_ident_char (*p))
            return FALSE;
          g_string_append_len (out, start, p - start);
        }
      else if (g_ascii_isdigit (c))
        {
          if ((p = skip_number (p)) == NULL)
            return FALSE;
          g_string_append_c (out, VIGIL_SQL_SHAPE_NUMBER);
        }
      else if (c == '.' && g_ascii_isdigit (p[1]))
        return FALSE;
      else if (is_ident_start (c))
        {
          while (is_ident_char (*p))
            p++;
          g_string_append_len (out, start, p - start);
        }
      else
        g_string_append_c (out, *p++);
      previous = (guchar) p[-1];
    }
  if (out_statement_len != NULL)
    *out_statement_len = statement_len > 0 ? statement_len : (gsize) (p - query);
  return TRUE;
}
