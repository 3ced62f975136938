/* vigil-session-mask-copy.c: COPY TO STDOUT, masked row by row.
 *
 * The format comes from the CopyOutResponse (text or binary) and the statement's options
 * (CSV, HEADER, DELIMITER, QUOTE, ESCAPE). `COPY table [(columns)]` gets the column rules
 * by the table's column names from the catalog; `COPY (query)` gets the detectors on
 * every field. PostgreSQL sends one row per CopyData; a row split across messages anyway
 * waits in a bounded buffer for its end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-session-mask.h"

static const guint8 binary_signature[11] = "PGCOPY\n\377\r\n";
#define BINARY_HEADER_FIXED 19   /* signature, flags, extension length */

/* ---- the statement ------------------------------------------------------------------- */

static const char *
skip_space (const char *p)
{
  while (g_ascii_isspace (*p))
    p++;
  return p;
}

/* An identifier, quoted or not; NULL at anything else. *OUT gets it as the catalog has it. */
static const char *
read_identifier (const char  *p,
                 char       **out)
{
  GString *id = g_string_new (NULL);

  if (*p == '"')
    {
      for (p++; *p != '\0'; p++)
        {
          if (*p == '"' && p[1] == '"')
            p++;
          else if (*p == '"')
            break;
          g_string_append_c (id, *p);
        }
      if (*p == '"')
        p++;
    }
  else
    while (g_ascii_isalnum (*p) || *p == '_' || *p == '$' || (guchar) *p >= 0x80)
      g_string_append_c (id, g_ascii_tolower (*p++));
  if (id->len == 0)
    {
      g_string_free (id, TRUE);
      *out = NULL;
      return NULL;
    }
  *out = g_string_free (id, FALSE);
  return p;
}

/* `COPY name [(a, b)] TO ...`: the column list, empty when absent; NULL for COPY (query). */
static GPtrArray *
copy_column_list (const char *statement)
{
  const char *p = skip_space (statement);
  GPtrArray *columns;
  char *id = NULL;

  if (g_ascii_strncasecmp (p, "copy", 4) != 0)
    return NULL;
  p = skip_space (p + 4);
  if (*p == '(')
    return NULL;
  while ((p = read_identifier (p, &id)) != NULL && *p == '.')
    {
      g_free (id);
      p++;
    }
  g_free (id);
  columns = g_ptr_array_new_with_free_func (g_free);
  if (p == NULL || *(p = skip_space (p)) != '(')
    return columns;
  for (p = skip_space (p + 1); (p = read_identifier (p, &id)) != NULL; p = skip_space (p + 1))
    {
      g_ptr_array_add (columns, id);
      p = skip_space (p);
      if (*p != ',')
        break;
    }
  return columns;
}

static gboolean
has_word (const char *options,
          const char *word,
          const char **after)
{
  gsize n = strlen (word);

  for (const char *p = strstr (options, word); p != NULL; p = strstr (p + 1, word))
    {
      gboolean starts = p == options || !(g_ascii_isalnum (p[-1]) || p[-1] == '_');
      gboolean ends = !(g_ascii_isalnum (p[n]) || p[n] == '_');

      if (starts && ends)
        {
          if (after != NULL)
            *after = p + n;
          return TRUE;
        }
    }
  return FALSE;
}

/* The one-character value of an option (`delimiter ';'`, `quote as '"'`). */
static char
option_char (const char *options,
             const char *word,
             char        fallback)
{
  const char *after;
  const char *q;

  if (!has_word (options, word, &after))
    return fallback;
  q = strchr (after, '\'');
  if (q == NULL || q - after > 8 || q[1] == '\0')
    return fallback;
  return q[1] == '\'' && q[2] == '\'' ? '\'' : q[1];
}

static void
read_options (CopyState  *copy,
              const char *statement,
              guint8      overall_format)
{
  g_autofree char *lower = g_ascii_strdown (statement, -1);
  const char *options = g_strrstr (lower, "stdout");
  const char *after;

  options = options != NULL ? options + 6 : "";
  if (overall_format == 1)
    copy->format = COPY_BINARY;
  else
    copy->format = has_word (options, "csv", NULL) ? COPY_CSV : COPY_TEXT;
  copy->delimiter = option_char (options, "delimiter", copy->format == COPY_CSV ? ',' : '\t');
  copy->quote = option_char (options, "quote", '"');
  copy->escape = option_char (options, "escape", copy->quote);
  copy->skip_header = copy->format != COPY_BINARY && has_word (options, "header", &after) &&
                      !has_word (after, "false", NULL) && !has_word (after, "off", NULL) &&
                      strncmp (skip_space (after), "0", 1) != 0;
  copy->binary_header = copy->format == COPY_BINARY;
}

static const char *
first_relation (SessionInFlight *current,
                char           **owned)
{
  const char *rels = current != NULL && current->record != NULL ? current->record->relations : NULL;
  const char *comma;

  if (rels == NULL || *rels == '\0')
    return NULL;
  comma = strchr (rels, ',');
  *owned = comma != NULL ? g_strndup (rels, comma - rels) : g_strdup (rels);
  return *owned;
}

/* The plan for each field, by the table's columns (or the COPY's column list). */
static void
plan_table_columns (SessionMask *mask,
                    GPtrArray   *catalog_columns,
                    GPtrArray   *listed,
                    const char  *relation,
                    gboolean     binary)
{
  g_auto(GStrv) parts = g_strsplit (relation, ".", 3);
  guint n = listed->len > 0 ? listed->len : (catalog_columns ? catalog_columns->len : 0);

  g_array_set_size (mask->plan, 0);
  for (guint i = 0; i < n; i++)
    {
      const VigilCatalogColumn *found = NULL;
      const char *name = listed->len > 0 ? g_ptr_array_index (listed, i) : NULL;
      guint32 type_oid = 0;
      ColumnPlan col;

      for (guint j = 0; catalog_columns != NULL && j < catalog_columns->len && !found; j++)
        {
          const VigilCatalogColumn *c = g_ptr_array_index (catalog_columns, j);

          if (name == NULL ? j == i : strcmp (c->column, name) == 0)
            found = c;
        }
      if (found != NULL)
        type_oid = found->type_oid;
      _vigil_session_mask_plan_column (mask,
                                       found ? found->schema : (parts[1] ? parts[0] : ""),
                                       found ? found->table : parts[parts[1] ? 1 : 0],
                                       found ? found->column : name, type_oid, binary, &col);
      /* An unknown type still carries text in text and CSV format. */
      if (found == NULL && !binary && col.action == COLUMN_PASS && mask->n_passes > 0)
        col = (ColumnPlan) { .action = COLUMN_SCAN, .text_like = TRUE };
      if (found == NULL && col.action == COLUMN_WHOLE)
        col.text_like = !binary;
      g_array_append_val (mask->plan, col);
    }
}

/* ---- rows ---------------------------------------------------------------------------- */

/* Bytes in the first complete row of BUF, 0 when incomplete, -1 when malformed. */
static gssize
row_length (CopyState    *copy,
            const guint8 *buf,
            gsize         len)
{
  gboolean in_quote = FALSE;
  VigilWireReader r;
  gint16 n;

  switch (copy->format)
    {
    case COPY_TEXT:
      {
        const guint8 *nl = memchr (buf, '\n', len);
        return nl != NULL ? nl - buf + 1 : 0;
      }
    case COPY_CSV:
      for (gsize i = 0; i < len; i++)
        {
          if (in_quote && buf[i] == copy->escape && copy->escape != copy->quote && i + 1 < len)
            i++;
          else if (buf[i] == copy->quote)
            in_quote = !in_quote;
          else if (buf[i] == '\n' && !in_quote)
            return (gssize) i + 1;
        }
      return 0;
    case COPY_BINARY:
      vigil_wire_reader_init (&r, buf, len);
      if (copy->binary_header)
        {
          gint32 ext;

          if (len < BINARY_HEADER_FIXED)
            return 0;
          if (memcmp (buf, binary_signature, sizeof binary_signature) != 0)
            return -1;
          ext = (gint32) vigil_wire_get_uint32 (buf + 15);
          if (ext < 0)
            return -1;
          return len - BINARY_HEADER_FIXED >= (gsize) ext ? BINARY_HEADER_FIXED + ext : 0;
        }
      if (!vigil_wire_read_int16 (&r, &n))
        return 0;
      for (gint16 i = 0; i < n; i++)
        {
          gint32 flen;
          const guint8 *skip;

          if (!vigil_wire_read_int32 (&r, &flen))
            return 0;
          if (flen > 0 && !vigil_wire_read_bytes (&r, (gsize) flen, &skip))
            return 0;
        }
      return (gssize) r.pos;
    case COPY_NONE:
    default:
      return -1;
    }
}

static const ColumnPlan *
field_plan (SessionMask *mask,
            guint        index)
{
  static const ColumnPlan scan = { .action = COLUMN_SCAN, .text_like = TRUE };

  if (index < mask->plan->len)
    return &g_array_index (mask->plan, ColumnPlan, index);
  return mask->n_passes > 0 ? &scan : NULL;
}

/* A text-format field without its backslash escapes into FIELD. */
static void
text_unescape (const guint8 *in,
               gsize         len,
               GString      *field)
{
  g_string_truncate (field, 0);
  for (gsize i = 0; i < len; i++)
    {
      guint c = in[i], v = 0, k = 0;

      if (c != '\\' || i + 1 == len)
        {
          g_string_append_c (field, (char) c);
          continue;
        }
      c = in[++i];
      switch (c)
        {
        case 'b': g_string_append_c (field, '\b'); break;
        case 'f': g_string_append_c (field, '\f'); break;
        case 'n': g_string_append_c (field, '\n'); break;
        case 'r': g_string_append_c (field, '\r'); break;
        case 't': g_string_append_c (field, '\t'); break;
        case 'v': g_string_append_c (field, '\v'); break;
        case 'x':
          while (k < 2 && i + 1 < len && g_ascii_isxdigit (in[i + 1]))
            v = v * 16 + (guint) g_ascii_xdigit_value (in[++i]), k++;
          g_string_append_c (field, k > 0 ? (char) v : 'x');
          break;
        default:
          if (c >= '0' && c <= '7')
            {
              v = c - '0';
              while (k < 2 && i + 1 < len && in[i + 1] >= '0' && in[i + 1] <= '7')
                v = v * 8 + (in[++i] - '0'), k++;
              g_string_append_c (field, (char) v);
            }
          else
            g_string_append_c (field, (char) c);
          break;
        }
    }
}

static void
text_escape (CopyState  *copy,
             const char *in,
             gsize       len,
             GByteArray *out)
{
  for (gsize i = 0; i < len; i++)
    {
      const char *esc = NULL;

      switch (in[i])
        {
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\v': esc = "\\v"; break;
        default:
          if (in[i] == copy->delimiter)
            {
              g_byte_array_append (out, (const guint8 *) "\\", 1);
              g_byte_array_append (out, (const guint8 *) &in[i], 1);
              continue;
            }
          break;
        }
      if (esc != NULL)
        g_byte_array_append (out, (const guint8 *) esc, 2);
      else
        g_byte_array_append (out, (const guint8 *) &in[i], 1);
    }
}

static void
csv_quote (CopyState  *copy,
           const char *in,
           gsize       len,
           GByteArray *out)
{
  g_byte_array_append (out, (const guint8 *) &copy->quote, 1);
  for (gsize i = 0; i < len; i++)
    {
      if (in[i] == copy->quote || (in[i] == copy->escape && copy->escape != copy->quote))
        g_byte_array_append (out, (const guint8 *) &copy->escape, 1);
      g_byte_array_append (out, (const guint8 *) &in[i], 1);
    }
  g_byte_array_append (out, (const guint8 *) &copy->quote, 1);
}

/* One CSV field starting at IN: its raw length, its value into FIELD, whether NULL. */
static gsize
csv_field (CopyState    *copy,
           const guint8 *in,
           gsize         len,
           GString      *field,
           gboolean     *is_null)
{
  gsize i = 0;
  gboolean in_quote = FALSE, quoted = FALSE;

  g_string_truncate (field, 0);
  for (; i < len; i++)
    {
      if (in_quote && in[i] == copy->escape && i + 1 < len &&
          (in[i + 1] == copy->quote || in[i + 1] == copy->escape) &&
          (copy->escape != copy->quote || in[i + 1] == copy->quote))
        g_string_append_c (field, (char) in[++i]);
      else if (in[i] == copy->quote)
        in_quote = !in_quote, quoted = TRUE;
      else if (!in_quote && (in[i] == copy->delimiter || in[i] == '\n'))
        break;
      else
        g_string_append_c (field, (char) in[i]);
    }
  *is_null = !quoted && field->len == 0;
  return i;
}

/* Masks one text or CSV row into copy->row; FALSE when nothing changed. */
static gboolean
mask_text_row (SessionMask  *mask,
               const guint8 *row,
               gsize         len,
               guint        *count)
{
  CopyState *copy = &mask->copy;
  gboolean changed = FALSE;
  gsize pos = 0, copied = 0;

  g_byte_array_set_size (copy->row, 0);
  for (guint index = 0; pos < len; index++)
    {
      const ColumnPlan *col = field_plan (mask, index);
      gsize start = pos, flen;
      gboolean is_null;
      GString *masked = NULL;

      if (copy->format == COPY_CSV)
        flen = csv_field (copy, row + pos, len - pos, copy->field, &is_null);
      else
        {
          const guint8 *end = row + pos;

          while (end < row + len && *end != copy->delimiter && *end != '\n')
            end += *end == '\\' && end + 1 < row + len ? 2 : 1;
          flen = (gsize) (end - (row + pos));
          is_null = flen == 2 && row[pos] == '\\' && row[pos + 1] == 'N';
          if (!is_null)
            text_unescape (row + pos, flen, copy->field);
        }
      pos += flen;
      if (col != NULL && !is_null &&
          _vigil_session_mask_value (mask, col, copy->field->str, copy->field->len, &masked,
                                     count))
        {
          g_byte_array_append (copy->row, row + copied, start - copied);
          if (masked == NULL)
            {
              if (copy->format == COPY_TEXT)
                g_byte_array_append (copy->row, (const guint8 *) "\\N", 2);
            }
          else if (copy->format == COPY_CSV)
            csv_quote (copy, masked->str, masked->len, copy->row);
          else
            text_escape (copy, masked->str, masked->len, copy->row);
          copied = pos;
          changed = TRUE;
        }
      if (pos < len && row[pos] == '\n')
        break;
      pos++;  /* the delimiter */
    }
  if (changed)
    g_byte_array_append (copy->row, row + copied, len - copied);
  return changed;
}

static gboolean
mask_binary_row (SessionMask  *mask,
                 const guint8 *row,
                 gsize         len,
                 guint        *count)
{
  CopyState *copy = &mask->copy;
  VigilWireReader r;
  gboolean changed = FALSE;
  gsize copied = 0;
  gint16 n;

  g_byte_array_set_size (copy->row, 0);
  vigil_wire_reader_init (&r, row, len);
  if (!vigil_wire_read_int16 (&r, &n) || n < 0)
    return FALSE;
  for (gint16 i = 0; i < n; i++)
    {
      const ColumnPlan *col = field_plan (mask, (guint) i);
      gsize at = r.pos;
      const guint8 *value = (const guint8 *) "";
      GString *masked = NULL;
      gint32 flen;
      guint8 be[4];

      if (!vigil_wire_read_int32 (&r, &flen) ||
          (flen > 0 && !vigil_wire_read_bytes (&r, (gsize) flen, &value)))
        return FALSE;
      if (flen < 0 || col == NULL ||
          !_vigil_session_mask_value (mask, col, (const char *) value, (gsize) flen, &masked,
                                      count))
        continue;
      g_byte_array_append (copy->row, row + copied, at - copied);
      vigil_wire_put_uint32 (be, masked != NULL ? (guint32) masked->len : G_MAXUINT32);
      g_byte_array_append (copy->row, be, 4);
      if (masked != NULL)
        g_byte_array_append (copy->row, (const guint8 *) masked->str, masked->len);
      copied = r.pos;
      changed = TRUE;
    }
  if (changed)
    g_byte_array_append (copy->row, row + copied, len - copied);
  return changed;
}

static gboolean
mask_row (SessionMask  *mask,
          const guint8 *row,
          gsize         len,
          guint        *count)
{
  CopyState *copy = &mask->copy;

  if (copy->format == COPY_BINARY)
    {
      if (copy->binary_header)
        {
          copy->binary_header = FALSE;
          return FALSE;
        }
      return mask_binary_row (mask, row, len, count);
    }
  if (copy->skip_header)
    {
      copy->skip_header = FALSE;
      return FALSE;
    }
  return mask_text_row (mask, row, len, count);
}

/* ---- the hooks ----------------------------------------------------------------------- */

void
_vigil_session_mask_copy_reset (SessionMask *mask)
{
  CopyState *copy = &mask->copy;

  copy->format = COPY_NONE;
  g_clear_pointer (&copy->pending, g_byte_array_unref);
  g_clear_pointer (&copy->row, g_byte_array_unref);
  if (copy->field != NULL)
    g_string_free (g_steal_pointer (&copy->field), TRUE);
}

MaskAction
_vigil_session_mask_copy_start (SessionMask     *mask,
                                SessionInFlight *current,
                                const guint8    *msg,
                                gsize            len)
{
  CopyState *copy = &mask->copy;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GPtrArray) catalog_columns = NULL;
  g_autofree char *relation_owned = NULL;
  const char *statement, *relation = NULL;
  VigilCatalog *catalog = NULL;
  gboolean known = FALSE;

  _vigil_session_mask_copy_reset (mask);
  if (len < VIGIL_WIRE_HEADER_SIZE + 1 || (current != NULL && !current->mask) ||
      !_vigil_session_mask_rules (mask))
    return MASK_PASS;
  statement = current != NULL && current->record != NULL && current->record->statement != NULL ?
              current->record->statement : "";
  listed = copy_column_list (statement);
  if (listed != NULL)
    relation = first_relation (current, &relation_owned);
  if (relation != NULL && mask->column_rules->len > 0)
    catalog = _vigil_session_mask_catalog (mask);
  if (catalog != NULL)
    {
      if (mask->lookup_pending)
        return MASK_WAIT;
      catalog_columns = vigil_catalog_relation_columns (catalog, relation, &known);
      if (!known && !mask->lookup_done)
        {
          _vigil_session_mask_start_lookup (mask, NULL, 0, relation);
          return MASK_WAIT;
        }
    }
  mask->lookup_done = FALSE;
  read_options (copy, statement, msg[VIGIL_WIRE_HEADER_SIZE]);
  g_array_set_size (mask->plan, 0);
  if (relation != NULL && listed != NULL)
    plan_table_columns (mask, catalog_columns, listed, relation, copy->format == COPY_BINARY);
  copy->pending = g_byte_array_new ();
  copy->row = g_byte_array_new ();
  copy->field = g_string_new (NULL);
  return MASK_PASS;
}

MaskAction
_vigil_session_mask_copy_data (SessionMask     *mask,
                               SessionInFlight *current,
                               const guint8    *msg,
                               gsize            len,
                               GByteArray      *out)
{
  CopyState *copy = &mask->copy;
  const guint8 *buf = msg + VIGIL_WIRE_HEADER_SIZE;
  gsize blen = len - VIGIL_WIRE_HEADER_SIZE, pos = 0, copied = 0;
  gboolean from_pending;
  gboolean started = FALSE;
  gsize start = 0;
  guint count = 0;
  gssize rlen;

  if (copy->format == COPY_NONE)
    return MASK_PASS;
  from_pending = copy->pending->len > 0;
  if (from_pending)
    {
      g_byte_array_append (copy->pending, buf, blen);
      buf = copy->pending->data;
      blen = copy->pending->len;
    }
  while (pos < blen && (rlen = row_length (copy, buf + pos, blen - pos)) > 0)
    {
      if (mask_row (mask, buf + pos, (gsize) rlen, &count))
        {
          if (!started)
            start = vigil_wire_begin (out, VIGIL_BE_COPY_DATA), started = TRUE;
          vigil_wire_add_bytes (out, buf + copied, pos - copied);
          vigil_wire_add_bytes (out, copy->row->data, copy->row->len);
          copied = pos + (gsize) rlen;
        }
      pos += (gsize) rlen;
    }
  if (pos < blen && row_length (copy, buf + pos, blen - pos) < 0)
    pos = blen;  /* not COPY data as we know it: let it through rather than hold it */
  if (!started && !from_pending && pos == blen)
    return MASK_PASS;
  if (pos > copied)
    {
      if (!started)
        start = vigil_wire_begin (out, VIGIL_BE_COPY_DATA), started = TRUE;
      vigil_wire_add_bytes (out, buf + copied, pos - copied);
    }
  if (started)
    vigil_wire_end (out, start);
  if (from_pending)
    g_byte_array_remove_range (copy->pending, 0, (guint) pos);
  else if (pos < blen)
    g_byte_array_append (copy->pending, buf + pos, (guint) (blen - pos));
  if (copy->pending->len > MASK_COPY_MAX_PENDING)
    {
      g_byte_array_set_size (out, 0);
      _vigil_session_fatal (mask->session, VIGIL_SQLSTATE_PROTOCOL_VIOLATION,
                            "a COPY row too long to mask");
      return MASK_REPLACED;
    }
  _vigil_session_mask_count (current, count);
  return MASK_REPLACED;
}

MaskAction
_vigil_session_mask_copy_done (SessionMask     *mask,
                               SessionInFlight *current,
                               const guint8    *msg,
                               gsize            len,
                               GByteArray      *out)
{
  CopyState *copy = &mask->copy;
  guint count = 0;
  gsize start;

  if (copy->format == COPY_NONE || copy->pending->len == 0)
    {
      _vigil_session_mask_copy_reset (mask);
      return MASK_PASS;
    }
  /* A last row without its newline: mask it as a row all the same. */
  start = vigil_wire_begin (out, VIGIL_BE_COPY_DATA);
  if (copy->format != COPY_BINARY &&
      mask_row (mask, copy->pending->data, copy->pending->len, &count))
    vigil_wire_add_bytes (out, copy->row->data, copy->row->len);
  else
    vigil_wire_add_bytes (out, copy->pending->data, copy->pending->len);
  vigil_wire_end (out, start);
  vigil_wire_add_bytes (out, msg, len);
  _vigil_session_mask_count (current, count);
  _vigil_session_mask_copy_reset (mask);
  return MASK_REPLACED;
}
