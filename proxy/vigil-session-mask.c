/* vigil-session-mask.c: masking of what leaves the proxy.
 *
 * The masking rules of the policy in force that apply to the session's subject (identity,
 * kind, connection; masking rules are matched without a statement) are worked out again
 * only when the policy changes. Each result gets a column plan once, at its
 * RowDescription: a column whose "schema.table.column" name a rule's glob matches is
 * masked whole; a text-like column gets the value detectors. Names come from the
 * upstream catalog (vigil-catalog.c), looked up on a worker while the message waits.
 *
 * Column globs are matched part by part against the last parts of the name, case
 * insensitively: "email" matches any table's email column, "*.email" too,
 * "customers.ssn" that table's ssn column in any schema, "public.customers.ssn" one
 * column; `*` never crosses a dot.
 *
 * DataRows are rebuilt only when a value changed; nothing is allocated per row otherwise.
 * A result whose RowDescription the client did not ask for again (a prepared statement
 * executed without Describe) reuses the plan last built for the same statement text, or
 * scans every column with the detectors.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "vigil-session-mask.h"
#include "vigil-store.h"

#define DESCRIBED_MAX 256

/* Type OIDs (pg_type.h): their text (and for scalars, binary) form is text. */
enum {
  OID_NAME = 19, OID_TEXT = 25, OID_JSON = 114, OID_XML = 142, OID_XML_ARRAY = 143,
  OID_JSON_ARRAY = 199, OID_UNKNOWN = 705, OID_NAME_ARRAY = 1003, OID_TEXT_ARRAY = 1009,
  OID_BPCHAR_ARRAY = 1014, OID_VARCHAR_ARRAY = 1015, OID_BPCHAR = 1042, OID_VARCHAR = 1043,
  OID_JSONB = 3802, OID_JSONB_ARRAY = 3807, OID_FIRST_USER = 16384,
};

static const guint8 error_fields[] = { 'M', 'D', 'H', 'W', 'q' };

/* ---- helpers ------------------------------------------------------------------------- */

static gboolean
is_text_scalar (guint32 oid)
{
  switch (oid)
    {
    case OID_NAME: case OID_TEXT: case OID_JSON: case OID_XML: case OID_UNKNOWN:
    case OID_BPCHAR: case OID_VARCHAR: case OID_JSONB:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_text_like (guint32  oid,
              gboolean binary)
{
  if (is_text_scalar (oid))
    return TRUE;
  if (binary)
    return FALSE;
  /* Arrays of text, and in text format user types (domains, enums, citext). */
  switch (oid)
    {
    case OID_XML_ARRAY: case OID_JSON_ARRAY: case OID_NAME_ARRAY: case OID_TEXT_ARRAY:
    case OID_BPCHAR_ARRAY: case OID_VARCHAR_ARRAY: case OID_JSONB_ARRAY:
      return TRUE;
    default:
      return oid >= OID_FIRST_USER;
    }
}

/* '*' and '?' (one character), ignoring ASCII case, without allocating: this runs for
 * every column of every result. PATTERN is LEN bytes. */
static gboolean
glob_part_matches (const char *pattern,
                   gsize       len,
                   const char *name)
{
  const char *star_n = NULL;
  gsize star_p = G_MAXSIZE;
  gsize p = 0;
  const char *n = name;

  while (*n != '\0')
    {
      if (p < len && pattern[p] == '?')
        p++, n = g_utf8_next_char (n);
      else if (p < len && pattern[p] != '*' && g_ascii_tolower (pattern[p]) == g_ascii_tolower (*n))
        p++, n++;
      else if (p < len && pattern[p] == '*')
        star_p = p++, star_n = n;
      else if (star_p != G_MAXSIZE)
        p = star_p + 1, n = star_n = g_utf8_next_char (star_n);
      else
        return FALSE;
    }
  while (p < len && pattern[p] == '*')
    p++;
  return p == len;
}

/* GLOB is column, table.column or schema.table.column. */
static gboolean
column_glob_matches (const char *glob,
                     const char *schema,
                     const char *table,
                     const char *column)
{
  const char *names[] = { schema, table, column };
  guint n = 1;

  for (const char *c = glob; *c != '\0'; c++)
    n += *c == '.';
  if (n > 3)
    return FALSE;
  for (guint i = 3 - n; i < 3; i++)
    {
      gsize len = strcspn (glob, ".");

      if (!glob_part_matches (glob, len, names[i] != NULL ? names[i] : ""))
        return FALSE;
      glob += len + (glob[len] == '.');
    }
  return TRUE;
}

static const VigilMaskingRule *
column_rule_for (SessionMask *mask,
                 const char  *schema,
                 const char  *table,
                 const char  *column)
{
  for (guint i = 0; i < mask->column_rules->len; i++)
    {
      const VigilMaskingRule *rule = g_ptr_array_index (mask->column_rules, i);

      for (guint j = 0; rule->columns[j] != NULL; j++)
        if (column_glob_matches (rule->columns[j], schema, table, column))
          return rule;
    }
  return NULL;
}

static void
add_pass (SessionMask       *mask,
          VigilDetectorSet   set,
          VigilMaskStrategy  strategy)
{
  VigilDetectorSet taken = 0;

  for (guint i = 0; i < mask->n_passes; i++)
    taken |= mask->passes[i].set;
  set &= ~taken;
  if (set == 0)
    return;
  for (guint i = 0; i < mask->n_passes; i++)
    if (mask->passes[i].strategy == strategy)
      {
        mask->passes[i].set |= set;
        return;
      }
  g_assert (mask->n_passes < MASK_MAX_PASSES);
  mask->passes[mask->n_passes++] = (DetectPass) { set, strategy };
}

static void
json_quote (GString *value)
{
  g_autoptr(GString) quoted = g_string_sized_new (value->len + 2);

  g_string_append_c (quoted, '"');
  for (gsize i = 0; i < value->len; i++)
    {
      if (value->str[i] == '"' || value->str[i] == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, value->str[i]);
    }
  g_string_append_c (quoted, '"');
  g_string_assign (value, quoted->str);
}

/* Runs the detector passes over IN; *OUT is one of the scratch strings when TRUE. */
static gboolean
scan_value (SessionMask  *mask,
            const char   *in,
            gsize         len,
            GString     **out,
            guint        *count)
{
  GString *bufs[] = { mask->value, mask->value2 };
  gboolean changed = FALSE;
  guint b = 0;

  for (guint i = 0; i < mask->n_passes; i++)
    {
      GString *dst = bufs[b];
      guint n = 0;

      g_string_truncate (dst, 0);
      if (!vigil_mask_text (mask->masker, in, len, mask->passes[i].set,
                            mask->passes[i].strategy, dst, &n))
        continue;
      *count += n;
      in = dst->str;
      len = dst->len;
      *out = dst;
      changed = TRUE;
      b ^= 1;
    }
  return changed;
}

static gboolean
whole_value (SessionMask      *mask,
             const ColumnPlan *col,
             const char       *in,
             gsize             len,
             GString         **out,
             guint            *count)
{
  GString *dst = mask->value;
  gsize skip = col->jsonb_bin && len > 0 ? 1 : 0;

  (*count)++;
  if (!col->text_like)
    {
      *out = NULL;
      return TRUE;
    }
  g_string_truncate (dst, 0);
  if (!vigil_mask_whole_value (mask->masker, in + skip, len - skip, VIGIL_DETECTOR_GENERIC,
                               col->strategy, dst))
    {
      *out = NULL;
      return TRUE;
    }
  if (col->json)
    json_quote (dst);
  if (skip)
    g_string_prepend_len (dst, in, 1);
  *out = dst;
  return TRUE;
}

/* The statement a RowDescription describes, by the key its plan is kept under: the one a
 * Describe named, or CURRENT's. Only the extended protocol executes without a Describe; a
 * simple query's text often differs by its literals every time, and would churn the
 * table for nothing. */
static const char *
described_key (SessionMask     *mask,
               SessionInFlight *current)
{
  if (mask->describing != NULL)
    return mask->describing;
  if (current == NULL || current->record == NULL || current->record->statement == NULL ||
      g_strcmp0 (current->record->protocol, "extended") != 0)
    return NULL;
  return current->record->statement;
}

static gboolean
same_plan (const GArray *a,
           const GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (ColumnPlan)) == 0;
}

static void
remember_described (SessionMask *mask,
                    const char  *key,
                    GArray      *plan)
{
  mask->described_last_key = key;
  mask->described_last = plan;
}

static void
forget_described (SessionMask *mask)
{
  g_hash_table_remove_all (mask->described);
  remember_described (mask, NULL, NULL);
}

static void
store_described (SessionMask     *mask,
                 SessionInFlight *current)
{
  const char *key = described_key (mask, current);
  gpointer stored_key = NULL;
  GArray *copy = NULL;

  if (key == NULL)
    return;
  /* Usually the statement described last time, described alike (a driver's Describe
   * before each Execute): its text needs no hashing. */
  if (mask->described_last != NULL && strcmp (key, mask->described_last_key) == 0 &&
      same_plan (mask->described_last, mask->plan))
    return;
  if (g_hash_table_lookup_extended (mask->described, key, &stored_key, (gpointer *) &copy) &&
      same_plan (copy, mask->plan))
    {
      remember_described (mask, stored_key, copy);
      return;
    }
  if (g_hash_table_size (mask->described) >= DESCRIBED_MAX)
    forget_described (mask);
  copy = g_array_sized_new (FALSE, FALSE, sizeof (ColumnPlan), mask->plan->len);
  g_array_append_vals (copy, mask->plan->data, mask->plan->len);
  stored_key = g_strdup (key);
  g_hash_table_replace (mask->described, stored_key, copy);
  remember_described (mask, stored_key, copy);
}

void
_vigil_session_mask_set_describing (SessionMask *mask,
                                    const char  *statement)
{
  g_free (mask->describing);
  mask->describing = g_strdup (statement);
}

/* A statement's description is kept for its Executes; it comes with no rows of its own
 * (an Execute in the same batch may be another statement's: it finds its plan by key). */
static MaskAction
described (SessionMask     *mask,
           SessionInFlight *current)
{
  store_described (mask, current);
  if (mask->describing != NULL)
    mask->state = PLAN_NONE;
  return MASK_PASS;
}

static gboolean
masking_enabled (SessionMask     *mask,
                 SessionInFlight *current)
{
  if (current != NULL && !current->mask)
    return FALSE;
  return _vigil_session_mask_rules (mask);
}

/* ---- RowDescription ------------------------------------------------------------------ */

typedef struct
{
  guint32 table_oid;
  gint16  attnum;
  guint32 type_oid;
  gint16  format;
} FieldInfo;

static gboolean
read_field (VigilWireReader *r,
            FieldInfo       *out)
{
  const char *name;
  gint16 typlen;
  gint32 table_oid, type_oid, typmod;

  if (!vigil_wire_read_string (r, &name) || !vigil_wire_read_int32 (r, &table_oid) ||
      !vigil_wire_read_int16 (r, &out->attnum) || !vigil_wire_read_int32 (r, &type_oid) ||
      !vigil_wire_read_int16 (r, &typlen) || !vigil_wire_read_int32 (r, &typmod) ||
      !vigil_wire_read_int16 (r, &out->format))
    return FALSE;
  out->table_oid = (guint32) table_oid;
  out->type_oid = (guint32) type_oid;
  return TRUE;
}

/* The distinct table OIDs of the RowDescription into mask->oids; FALSE if malformed. */
static gboolean
collect_oids (SessionMask  *mask,
              const guint8 *msg,
              gsize         len)
{
  VigilWireReader r;
  gint16 n;

  g_array_set_size (mask->oids, 0);
  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_int16 (&r, &n))
    return FALSE;
  for (gint16 i = 0; i < n; i++)
    {
      FieldInfo f;
      gboolean seen = FALSE;

      if (!read_field (&r, &f))
        return FALSE;
      for (guint j = 0; j < mask->oids->len && !seen; j++)
        seen = g_array_index (mask->oids, guint32, j) == f.table_oid;
      if (f.table_oid != 0 && !seen)
        g_array_append_val (mask->oids, f.table_oid);
    }
  return TRUE;
}

static void
build_plan (SessionMask  *mask,
            const guint8 *msg,
            gsize         len)
{
  VigilCatalog *catalog = mask->column_rules->len > 0 ? _vigil_session_mask_catalog (mask) : NULL;
  VigilWireReader r;
  gboolean active = FALSE;
  gint16 n;

  g_array_set_size (mask->plan, 0);
  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_int16 (&r, &n))
    return;
  for (gint16 i = 0; i < n; i++)
    {
      VigilCatalogColumn name = { 0 };
      ColumnPlan col;
      FieldInfo f;

      if (!read_field (&r, &f))
        break;
      if (catalog != NULL && f.table_oid != 0)
        (void) vigil_catalog_lookup_column (catalog, f.table_oid, f.attnum, &name);
      _vigil_session_mask_plan_column (mask, name.schema, name.table, name.column, f.type_oid,
                                       f.format == 1, &col);
      active |= col.action != COLUMN_PASS;
      g_array_append_val (mask->plan, col);
      g_free (name.schema);
      g_free (name.table);
      g_free (name.column);
    }
  mask->state = active ? PLAN_ACTIVE : PLAN_PASS;
}

static guint
catalog_generation (SessionMask *mask)
{
  VigilCatalog *catalog = mask->column_rules->len > 0 ? _vigil_session_mask_catalog (mask) : NULL;

  return catalog != NULL ? vigil_catalog_get_generation (catalog) : 0;
}

/* The same RowDescription as last time, under the same rules and catalog: same plan. */
static gboolean
reuse_last_plan (SessionMask  *mask,
                 const guint8 *msg,
                 gsize         len)
{
  if (mask->last_desc->len != len || mask->last_serial != mask->rules_serial ||
      mask->last_generation != catalog_generation (mask) ||
      memcmp (mask->last_desc->data, msg, len) != 0)
    return FALSE;
  g_array_set_size (mask->plan, 0);
  g_array_append_vals (mask->plan, mask->last_plan->data, mask->last_plan->len);
  mask->state = mask->last_state;
  return TRUE;
}

static void
remember_plan (SessionMask  *mask,
               const guint8 *msg,
               gsize         len,
               guint         generation)
{
  g_byte_array_set_size (mask->last_desc, 0);
  g_byte_array_append (mask->last_desc, msg, (guint) len);
  g_array_set_size (mask->last_plan, 0);
  g_array_append_vals (mask->last_plan, mask->plan->data, mask->plan->len);
  mask->last_state = mask->state;
  mask->last_serial = mask->rules_serial;
  mask->last_generation = generation;
}

static MaskAction
handle_row_description (SessionMask     *mask,
                        SessionInFlight *current,
                        const guint8    *msg,
                        gsize            len)
{
  VigilCatalog *catalog;
  gboolean names_known = TRUE;
  guint generation;

  mask->state = PLAN_PASS;
  if (!masking_enabled (mask, current))
    return MASK_PASS;
  if (reuse_last_plan (mask, msg, len))
    {
      mask->lookup_done = FALSE;
      return described (mask, current);
    }
  generation = catalog_generation (mask);
  if (mask->column_rules->len > 0 && (catalog = _vigil_session_mask_catalog (mask)) != NULL)
    {
      /* After a lookup: what it found is used, whether or not it found everything. */
      names_known = !mask->lookup_done;
      if (!mask->lookup_done)
        {
          if (mask->lookup_pending)
            return MASK_WAIT;
          if (!collect_oids (mask, msg, len))
            return MASK_PASS;
          if (mask->oids->len > 0 &&
              !vigil_catalog_has_tables (catalog, (guint32 *) mask->oids->data, mask->oids->len))
            {
              _vigil_session_mask_start_lookup (mask, (guint32 *) mask->oids->data,
                                                mask->oids->len, NULL);
              return MASK_WAIT;
            }
        }
    }
  mask->lookup_done = FALSE;
  build_plan (mask, msg, len);
  if (names_known)
    remember_plan (mask, msg, len, generation);
  return described (mask, current);
}

/* COL, kept from a description, for the format this result has: a column rule holds in
 * any format; the detectors' scan only where the bytes are text. */
static void
plan_for_format (SessionMask *mask,
                 ColumnPlan  *col,
                 gboolean     binary)
{
  col->binary = binary;
  col->text_like = is_text_like (col->type_oid, binary);
  col->jsonb_bin = binary && col->type_oid == OID_JSONB;
  if (col->action != COLUMN_WHOLE)
    col->action = col->text_like && mask->n_passes > 0 ? COLUMN_SCAN : COLUMN_PASS;
}

/* A DataRow without a RowDescription in this result. */
static void
fallback_plan (SessionMask     *mask,
               SessionInFlight *current,
               gint16           n_columns)
{
  GArray *known = NULL;
  ColumnPlan scan = { .action = COLUMN_SCAN, .text_like = TRUE };

  mask->state = PLAN_PASS;
  if (!masking_enabled (mask, current))
    return;
  if (current != NULL && current->record != NULL && current->record->statement != NULL)
    known = g_hash_table_lookup (mask->described, current->record->statement);
  g_array_set_size (mask->plan, 0);
  if (known != NULL && known->len == (guint) n_columns)
    {
      g_array_append_vals (mask->plan, known->data, known->len);
      for (guint i = 0; i < mask->plan->len; i++)
        plan_for_format (mask, &g_array_index (mask->plan, ColumnPlan, i),
                         _vigil_session_formats_binary (&current->results, i));
    }
  else if (mask->n_passes > 0)
    for (gint16 i = 0; i < n_columns; i++)
      g_array_append_val (mask->plan, scan);
  mask->state = mask->plan->len > 0 ? PLAN_ACTIVE : PLAN_PASS;
}

/* ---- DataRow ------------------------------------------------------------------------- */

static MaskAction
handle_data_row (SessionMask     *mask,
                 SessionInFlight *current,
                 const guint8    *msg,
                 gsize            len,
                 GByteArray      *out)
{
  VigilWireReader r;
  gsize copied = VIGIL_WIRE_HEADER_SIZE;
  gsize start = 0;
  gboolean changed = FALSE;
  guint count = 0;
  gint16 n;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_int16 (&r, &n))
    return MASK_PASS;
  if (mask->state == PLAN_NONE)
    fallback_plan (mask, current, n);
  if (mask->state != PLAN_ACTIVE || (guint) n != mask->plan->len)
    return MASK_PASS;
  for (gint16 i = 0; i < n; i++)
    {
      const ColumnPlan *col = &g_array_index (mask->plan, ColumnPlan, i);
      gsize at = VIGIL_WIRE_HEADER_SIZE + r.pos;
      const guint8 *value;
      GString *masked = NULL;
      gint32 vlen;

      if (!vigil_wire_read_int32 (&r, &vlen) ||
          (vlen > 0 && !vigil_wire_read_bytes (&r, (gsize) vlen, &value)))
        {
          g_byte_array_set_size (out, 0);
          return MASK_PASS;
        }
      if (vlen < 0 || col->action == COLUMN_PASS)
        continue;
      if (vlen == 0)
        value = (const guint8 *) "";
      if (!_vigil_session_mask_value (mask, col, (const char *) value, (gsize) vlen, &masked,
                                      &count))
        continue;
      if (!changed)
        {
          start = vigil_wire_begin (out, VIGIL_BE_DATA_ROW);
          changed = TRUE;
        }
      vigil_wire_add_bytes (out, msg + copied, at - copied);
      vigil_wire_add_int32 (out, masked != NULL ? (gint32) masked->len : -1);
      if (masked != NULL)
        vigil_wire_add_bytes (out, masked->str, masked->len);
      copied = VIGIL_WIRE_HEADER_SIZE + r.pos;
    }
  if (!changed)
    return MASK_PASS;
  vigil_wire_add_bytes (out, msg + copied, len - copied);
  vigil_wire_end (out, start);
  _vigil_session_mask_count (current, count);
  return MASK_REPLACED;
}

/* ---- ErrorResponse, NoticeResponse, NotificationResponse ------------------------------ */

static gboolean
is_masked_field (guint8 code)
{
  return memchr (error_fields, code, sizeof error_fields) != NULL;
}

static MaskAction
handle_error_notice (SessionMask     *mask,
                     SessionInFlight *current,
                     const guint8    *msg,
                     gsize            len,
                     GByteArray      *out)
{
  ColumnPlan scan = { .action = COLUMN_SCAN, .text_like = TRUE };
  VigilWireReader r;
  gboolean changed = FALSE;
  gsize start;
  guint8 code;
  guint count = 0;

  if (!masking_enabled (mask, current) || mask->n_passes == 0)
    return MASK_PASS;
  start = vigil_wire_begin (out, msg[0]);
  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  while (vigil_wire_read_byte (&r, &code) && code != 0)
    {
      const char *value;
      GString *masked = NULL;

      if (!vigil_wire_read_string (&r, &value))
        break;
      vigil_wire_add_byte (out, code);
      if (is_masked_field (code) &&
          _vigil_session_mask_value (mask, &scan, value, strlen (value), &masked, &count))
        {
          vigil_wire_add_string (out, masked->str);
          changed = TRUE;
        }
      else
        vigil_wire_add_string (out, value);
    }
  if (!changed)
    {
      g_byte_array_set_size (out, 0);
      return MASK_PASS;
    }
  vigil_wire_add_byte (out, 0);
  vigil_wire_end (out, start);
  _vigil_session_mask_count (current, count);
  return MASK_REPLACED;
}

static MaskAction
handle_notification (SessionMask     *mask,
                     SessionInFlight *current,
                     const guint8    *msg,
                     gsize            len,
                     GByteArray      *out)
{
  ColumnPlan scan = { .action = COLUMN_SCAN, .text_like = TRUE };
  VigilWireReader r;
  const char *channel, *payload;
  GString *masked = NULL;
  guint count = 0;
  gint32 pid;
  gsize start;

  if (!masking_enabled (mask, current) || mask->n_passes == 0)
    return MASK_PASS;
  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_int32 (&r, &pid) || !vigil_wire_read_string (&r, &channel) ||
      !vigil_wire_read_string (&r, &payload) ||
      !_vigil_session_mask_value (mask, &scan, payload, strlen (payload), &masked, &count))
    return MASK_PASS;
  start = vigil_wire_begin (out, VIGIL_BE_NOTIFICATION);
  vigil_wire_add_int32 (out, pid);
  vigil_wire_add_string (out, channel);
  vigil_wire_add_string (out, masked->str);
  vigil_wire_end (out, start);
  _vigil_session_mask_count (current, count);
  return MASK_REPLACED;
}

/* Whether the comma-separated CLASSES name a class that may change the schema: per
 * CommandComplete, so no allocation and no strlen of the names. */
static gboolean
class_list_has_ddl (const char *classes)
{
#define NAME(s) { s, sizeof s - 1 }
  static const struct { const char *name; gsize len; } ddl[] = {
    NAME ("create"), NAME ("alter"), NAME ("drop"), NAME ("temp"), NAME ("do"),
  };
#undef NAME

  for (const char *p = classes; *p != '\0';)
    {
      gsize n = strcspn (p, ",");

      for (guint i = 0; i < G_N_ELEMENTS (ddl); i++)
        if (ddl[i].len == n && memcmp (p, ddl[i].name, n) == 0)
          return TRUE;
      p += n + (p[n] == ',');
    }
  return FALSE;
}

/* CommandComplete: a statement that may have changed the schema empties the catalog. */
static void
handle_command_complete (SessionMask     *mask,
                         SessionInFlight *current)
{
  VigilCatalog *catalog;

  if (current == NULL || current->record == NULL || current->record->class == NULL ||
      !class_list_has_ddl (current->record->class))
    return;
  catalog = _vigil_session_mask_catalog (mask);
  if (catalog != NULL)
    vigil_catalog_invalidate (catalog);
  forget_described (mask);
}

/* ---- catalog lookups ------------------------------------------------------------------ */

static void
lookup_finished_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VigilSession *self = user_data;
  g_autoptr(GError) error = NULL;

  /* Without names, columns still get the detectors: say why column rules did not apply. */
  if (!vigil_catalog_load_finish (result, &error))
    g_warning ("masking: column names unknown: %s", error->message);
  if (self->mask != NULL)
    {
      self->mask->lookup_pending = FALSE;
      self->mask->lookup_done = TRUE;
    }
  if (self->state != SESSION_CLOSED)
    {
      /* The waiting message is already buffered: make the pump look at it again. */
      self->server_readable = TRUE;
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

/* ---- shared with vigil-session-mask-copy.c ------------------------------------------- */

VigilMasker *
_vigil_session_mask_get_masker (VigilEngine *engine)
{
  static GMutex lock;
  static GHashTable *maskers;  /* data dir -> VigilMasker, for the process's lifetime */
  VigilStore *store = _vigil_engine_get_store (engine);
  const char *dir = store != NULL ? vigil_store_get_data_dir (store) : NULL;
  VigilMasker *masker;

  g_mutex_lock (&lock);
  if (maskers == NULL)
    maskers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) vigil_masker_unref);
  masker = g_hash_table_lookup (maskers, dir != NULL ? dir : "");
  if (masker == NULL)
    {
      guint8 key[VIGIL_MASK_KEY_LEN];
      g_autoptr(GError) error = NULL;

      if (dir == NULL || !vigil_mask_load_or_create_key (dir, key, &error))
        {
          /* Pseudonyms then differ from one run to the next, but nothing leaks. */
          if (error != NULL)
            g_warning ("masking key: %s; using a key for this run only", error->message);
          if (RAND_bytes (key, sizeof key) != 1)
            g_error ("RAND_bytes failed");
        }
      masker = vigil_masker_new (key);
      OPENSSL_cleanse (key, sizeof key);
      g_hash_table_insert (maskers, g_strdup (dir != NULL ? dir : ""), masker);
    }
  g_mutex_unlock (&lock);
  return vigil_masker_ref (masker);
}

gboolean
_vigil_session_mask_rules (SessionMask *mask)
{
  VigilSession *self = mask->session;
  VigilPolicy *policy = _vigil_engine_ref_policy (self->engine);
  VigilPolicySubject subject = {
    .identity = self->user,
    .kind = self->identity != NULL ? self->identity->kind : VIGIL_IDENTITY_KIND_AGENT,
    .connection = self->database,
  };
  const VigilMaskingRule *rules;
  guint n_rules = 0;

  if (policy == mask->policy)
    {
      g_object_unref (policy);
      return mask->column_rules->len > 0 || mask->n_passes > 0;
    }
  g_clear_object (&mask->policy);
  mask->policy = policy;
  g_ptr_array_set_size (mask->column_rules, 0);
  mask->n_passes = 0;
  mask->rules_serial++;
  forget_described (mask);
  rules = policy != NULL ? vigil_policy_get_masking_rules (policy, &n_rules) : NULL;
  for (guint i = 0; i < n_rules; i++)
    {
      if (!vigil_masking_rule_applies (&rules[i], &subject, NULL))
        continue;
      if (rules[i].columns[0] != NULL)
        g_ptr_array_add (mask->column_rules, (gpointer) &rules[i]);
      if (rules[i].detector_set != 0)
        add_pass (mask, rules[i].detector_set, rules[i].strategy);
    }
  if (mask->masker == NULL && (mask->column_rules->len > 0 || mask->n_passes > 0))
    mask->masker = _vigil_session_mask_get_masker (self->engine);
  return mask->column_rules->len > 0 || mask->n_passes > 0;
}

void
_vigil_session_mask_plan_column (SessionMask *mask,
                                 const char  *schema,
                                 const char  *table,
                                 const char  *column,
                                 guint32      type_oid,
                                 gboolean     binary,
                                 ColumnPlan  *col)
{
  const VigilMaskingRule *rule = NULL;

  memset (col, 0, sizeof *col);
  col->type_oid = type_oid;
  col->binary = binary;
  col->text_like = is_text_like (type_oid, binary);
  col->json = type_oid == OID_JSON || type_oid == OID_JSONB;
  col->jsonb_bin = binary && type_oid == OID_JSONB;
  if (column != NULL)
    rule = column_rule_for (mask, schema != NULL ? schema : "", table != NULL ? table : "",
                            column);
  if (rule != NULL)
    {
      col->action = COLUMN_WHOLE;
      col->strategy = rule->strategy;
    }
  else if (col->text_like && mask->n_passes > 0)
    col->action = COLUMN_SCAN;
}

gboolean
_vigil_session_mask_value (SessionMask       *mask,
                           const ColumnPlan  *col,
                           const char        *in,
                           gsize              len,
                           GString          **out,
                           guint             *count)
{
  gsize skip;

  switch (col->action)
    {
    case COLUMN_WHOLE:
      return whole_value (mask, col, in, len, out, count);
    case COLUMN_SCAN:
      skip = col->jsonb_bin && len > 0 ? 1 : 0;
      if (!scan_value (mask, in + skip, len - skip, out, count))
        return FALSE;
      if (skip)
        g_string_prepend_len (*out, in, 1);
      return TRUE;
    case COLUMN_PASS:
    default:
      return FALSE;
    }
}

VigilCatalog *
_vigil_session_mask_catalog (SessionMask *mask)
{
  VigilSession *self = mask->session;
  const char *conninfo;

  if (mask->catalog != NULL)
    return mask->catalog;
  conninfo = self->database != NULL ?
             _vigil_engine_lookup_connection (self->engine, self->database) : NULL;
  if (conninfo != NULL)
    mask->catalog = vigil_catalog_get (conninfo);
  return mask->catalog;
}

void
_vigil_session_mask_start_lookup (SessionMask   *mask,
                                  const guint32 *oids,
                                  guint          n_oids,
                                  const char    *relation)
{
  VigilCatalog *catalog = _vigil_session_mask_catalog (mask);

  g_assert (!mask->lookup_pending);
  g_assert (catalog != NULL);
  mask->lookup_pending = TRUE;
  vigil_catalog_load_async (catalog, oids, n_oids, relation, lookup_finished_cb,
                            vigil_session_ref (mask->session));
}

void
_vigil_session_mask_count (SessionInFlight *current,
                           guint            count)
{
  if (current != NULL && current->record != NULL)
    current->record->masked += count;
}

/* ---- the hooks ----------------------------------------------------------------------- */

SessionMask *
_vigil_session_mask_new (VigilSession *self)
{
  SessionMask *mask = g_new0 (SessionMask, 1);

  mask->session = self;
  mask->column_rules = g_ptr_array_new ();
  mask->plan = g_array_new (FALSE, FALSE, sizeof (ColumnPlan));
  mask->last_desc = g_byte_array_new ();
  mask->last_plan = g_array_new (FALSE, FALSE, sizeof (ColumnPlan));
  mask->oids = g_array_new (FALSE, FALSE, sizeof (guint32));
  mask->described = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_array_unref);
  mask->value = g_string_new (NULL);
  mask->value2 = g_string_new (NULL);
  mask->audit = g_string_new (NULL);
  return mask;
}

void
_vigil_session_mask_free (SessionMask *mask)
{
  _vigil_session_mask_copy_reset (mask);
  g_clear_pointer (&mask->masker, vigil_masker_unref);
  g_clear_object (&mask->policy);
  g_ptr_array_unref (mask->column_rules);
  g_array_unref (mask->plan);
  g_byte_array_unref (mask->last_desc);
  g_array_unref (mask->last_plan);
  g_array_unref (mask->oids);
  g_hash_table_unref (mask->described);
  g_free (mask->describing);
  g_string_free (mask->value, TRUE);
  g_string_free (mask->value2, TRUE);
  g_string_free (mask->audit, TRUE);
  g_free (mask);
}

static MaskAction
mask_message (SessionMask     *mask,
              SessionInFlight *current,
              const guint8    *msg,
              gsize            len,
              GByteArray      *out)
{
  switch (msg[0])
    {
    case VIGIL_BE_DATA_ROW:
      if (mask->state == PLAN_PASS)
        return MASK_PASS;
      return handle_data_row (mask, current, msg, len, out);
    case VIGIL_BE_ROW_DESCRIPTION:
      return handle_row_description (mask, current, msg, len);
    case VIGIL_BE_COPY_DATA:
      return _vigil_session_mask_copy_data (mask, current, msg, len, out);
    case VIGIL_BE_COPY_OUT:
      return _vigil_session_mask_copy_start (mask, current, msg, len);
    case VIGIL_BE_COPY_DONE:
      return _vigil_session_mask_copy_done (mask, current, msg, len, out);
    case VIGIL_BE_COMMAND_COMPLETE:
      handle_command_complete (mask, current);
      mask->state = PLAN_NONE;
      _vigil_session_mask_copy_reset (mask);
      return MASK_PASS;
    case VIGIL_BE_ERROR:
    case VIGIL_BE_NOTICE:
      if (msg[0] == VIGIL_BE_ERROR)
        {
          mask->state = PLAN_NONE;
          _vigil_session_mask_copy_reset (mask);
        }
      return handle_error_notice (mask, current, msg, len, out);
    case VIGIL_BE_NOTIFICATION:
      return handle_notification (mask, current, msg, len, out);
    case VIGIL_BE_EMPTY_QUERY:
    case VIGIL_BE_PORTAL_SUSPENDED:
    case VIGIL_BE_READY_FOR_QUERY:
      mask->state = PLAN_NONE;
      return MASK_PASS;
    default:
      return MASK_PASS;
    }
}

MaskAction
_vigil_session_mask_server_message (VigilSession    *self,
                                    SessionInFlight *current,
                                    const guint8    *msg,
                                    gsize            len,
                                    GByteArray      *out)
{
  return mask_message (self->mask, current, msg, len, out);
}

char *
_vigil_session_mask_for_audit (VigilSession *self,
                               const char   *text,
                               guint        *masked)
{
  SessionMask *mask = self->mask;
  guint count = 0;

  if (text == NULL || mask == NULL)
    return NULL;
  if (mask->masker == NULL)
    mask->masker = _vigil_session_mask_get_masker (self->engine);
  /* Most texts hold nothing to redact: the scratch string saves them an allocation. */
  g_string_truncate (mask->audit, 0);
  /* Always redact, whatever the policy: the audit never keeps a value, masked or not. */
  if (!vigil_mask_text (mask->masker, text, strlen (text), VIGIL_DETECT_ALL, VIGIL_MASK_REDACT,
                        mask->audit, &count))
    return NULL;
  if (masked != NULL)
    *masked += count;
  return _vigil_session_scratch_copy (&mask->audit);
}
