/* vigil-bundle-records.c: one records.jsonl line, written and read back.
 *
 * A full entry is {"id", "time", "columns", "prev_hash", "hash"}: "columns" holds the 25
 * content columns of audit_log by name, typed as the canonical encoding hashes them (null,
 * integer, string), so the verifier rebuilds the exact VigilAuditEntry the writer hashed.
 * Text that JSON cannot carry byte for byte (invalid UTF-8, a NUL) and the types the
 * writer never produces (real, blob) travel as {"text_base64"}, {"blob_base64"} or
 * {"real_bits"}. "time" is the only field not hashed; the verifier checks it against
 * time_us. A redacted entry (outside an export's identity/connection filter) is
 * {"id", "redacted": true, "prev_hash", "hash"}: enough to check the links, nothing more.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <inttypes.h>
#include <string.h>

#include "vigil-bundle-private.h"

static const char *const *
column_names (void)
{
  static char **names;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      names = g_strsplit (VIGIL_AUDIT_CONTENT_COLUMNS, ", ", -1);
      g_assert (g_strv_length (names) == VIGIL_AUDIT_N_FIELDS);
      g_once_init_leave (&initialized, 1);
    }
  return (const char *const *) names;
}

/* Writing */

static void
add_tagged (JsonBuilder *b,
            const char  *tag,
            const char  *value)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, tag);
  json_builder_add_string_value (b, value);
  json_builder_end_object (b);
}

static void
add_value (JsonBuilder           *b,
           const VigilAuditValue *value)
{
  g_autofree char *encoded = NULL;
  guint64 bits;

  switch (value->type)
    {
    case 'I':
      json_builder_add_int_value (b, value->i);
      break;
    case 'T':
      if (g_utf8_validate ((const char *) value->data, (gssize) value->len, NULL))
        {
          g_autofree char *text = g_strndup ((const char *) value->data, value->len);

          json_builder_add_string_value (b, text);
          break;
        }
      encoded = g_base64_encode (value->data, value->len);
      add_tagged (b, "text_base64", encoded);
      break;
    case 'B':
      encoded = g_base64_encode (value->data, value->len);
      add_tagged (b, "blob_base64", encoded);
      break;
    case 'F':
      memcpy (&bits, &value->f, sizeof bits);
      encoded = g_strdup_printf ("%016" PRIx64, bits);
      add_tagged (b, "real_bits", encoded);
      break;
    default:
      json_builder_add_null_value (b);
    }
}

static void
append_node (GString     *line,
             JsonBuilder *b)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  json_generator_set_root (generator, root);
  json_generator_to_gstring (generator, line);
  g_string_append_c (line, '\n');
}

void
_vigil_bundle_entry_write (GString               *line,
                           const VigilAuditEntry *entry,
                           const char            *prev_hash,
                           const char            *hash)
{
  const char *const *names = column_names ();
  const VigilAuditValue *time = &entry->v[VIGIL_AUDIT_FIELD_TIME_US];
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, entry->v[VIGIL_AUDIT_FIELD_ID].i);
  if (time->type == 'I')
    {
      g_autofree char *text = _vigil_bundle_time_string (time->i);

      json_builder_set_member_name (b, "time");
      json_builder_add_string_value (b, text);
    }
  json_builder_set_member_name (b, "columns");
  json_builder_begin_object (b);
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    {
      json_builder_set_member_name (b, names[i]);
      add_value (b, &entry->v[i]);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "prev_hash");
  json_builder_add_string_value (b, prev_hash);
  json_builder_set_member_name (b, "hash");
  json_builder_add_string_value (b, hash);
  json_builder_end_object (b);
  append_node (line, b);
}

void
_vigil_bundle_redacted_write (GString    *line,
                              gint64      id,
                              const char *prev_hash,
                              const char *hash)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, id);
  json_builder_set_member_name (b, "redacted");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "prev_hash");
  json_builder_add_string_value (b, prev_hash);
  json_builder_set_member_name (b, "hash");
  json_builder_add_string_value (b, hash);
  json_builder_end_object (b);
  append_node (line, b);
}

/* Reading */

static gboolean
malformed (char       **reason,
           const char  *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
malformed (char       **reason,
           const char  *format,
           ...)
{
  va_list args;

  va_start (args, format);
  *reason = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

static gboolean
is_int (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_INT64;
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
decode_base64 (VigilBundleLine *line,
               VigilAuditValue *value,
               char             type,
               const char      *text)
{
  gsize len = 0;
  guchar *data = g_base64_decode (text, &len);

  g_ptr_array_add (line->scratch, data);
  value->type = type;
  value->data = data;
  value->len = len;
  return TRUE;
}

static gboolean
decode_tagged (VigilBundleLine *line,
               VigilAuditValue *value,
               JsonObject      *object)
{
  const char *text;
  guint64 bits;

  if (json_object_get_size (object) != 1)
    return FALSE;
  if ((text = get_string (object, "text_base64")) != NULL)
    return decode_base64 (line, value, 'T', text);
  if ((text = get_string (object, "blob_base64")) != NULL)
    return decode_base64 (line, value, 'B', text);
  if ((text = get_string (object, "real_bits")) != NULL
      && strlen (text) == 16 && g_ascii_string_to_unsigned (text, 16, 0, G_MAXUINT64, &bits, NULL))
    {
      value->type = 'F';
      memcpy (&value->f, &bits, sizeof bits);
      return TRUE;
    }
  return FALSE;
}

static gboolean
decode_value (VigilBundleLine *line,
              VigilAuditValue *value,
              JsonNode        *node)
{
  memset (value, 0, sizeof *value);
  if (JSON_NODE_HOLDS_NULL (node))
    {
      value->type = 'N';
      return TRUE;
    }
  if (is_int (node))
    {
      _vigil_audit_value_set_int (value, json_node_get_int (node));
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      _vigil_audit_value_set_text (value, json_node_get_string (node));
      return TRUE;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    return decode_tagged (line, value, json_node_get_object (node));
  return FALSE;
}

static gboolean
parse_columns (JsonObject      *columns,
               VigilBundleLine *line,
               char           **reason)
{
  const char *const *names = column_names ();

  if (json_object_get_size (columns) != VIGIL_AUDIT_N_FIELDS)
    return malformed (reason, "\"columns\" must hold exactly the %d audit columns",
                      VIGIL_AUDIT_N_FIELDS);
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    {
      JsonNode *node = json_object_get_member (columns, names[i]);

      if (node == NULL)
        return malformed (reason, "column \"%s\" is missing", names[i]);
      if (!decode_value (line, &line->entry.v[i], node))
        return malformed (reason, "column \"%s\" has an invalid value", names[i]);
    }
  if (line->entry.v[VIGIL_AUDIT_FIELD_ID].type != 'I'
      || line->entry.v[VIGIL_AUDIT_FIELD_ID].i != line->id)
    return malformed (reason, "column \"id\" differs from the line's id");
  return TRUE;
}

static gboolean
check_time (JsonObject      *object,
            VigilBundleLine *line,
            char           **reason)
{
  const VigilAuditValue *time = &line->entry.v[VIGIL_AUDIT_FIELD_TIME_US];
  const char *shown = get_string (object, "time");
  g_autofree char *expected = NULL;

  if (time->type != 'I')
    return shown == NULL || malformed (reason, "\"time\" given without time_us");
  expected = _vigil_bundle_time_string (time->i);
  if (g_strcmp0 (shown, expected) != 0)
    return malformed (reason, "\"time\" does not match time_us");
  return TRUE;
}

gboolean
_vigil_bundle_line_parse (JsonObject      *object,
                          VigilBundleLine *line,
                          char           **reason)
{
  JsonNode *id = json_object_get_member (object, "id");
  JsonNode *columns = json_object_get_member (object, "columns");
  JsonNode *redacted = json_object_get_member (object, "redacted");

  if (line->scratch == NULL)
    line->scratch = g_ptr_array_new_with_free_func (g_free);
  if (!is_int (id))
    return malformed (reason, "no integer \"id\"");
  line->id = json_node_get_int (id);
  line->prev_hash = get_string (object, "prev_hash");
  line->hash = get_string (object, "hash");
  if (line->prev_hash == NULL || line->hash == NULL)
    return malformed (reason, "\"prev_hash\" or \"hash\" is missing");
  if (redacted != NULL)
    {
      line->redacted = TRUE;
      if (!JSON_NODE_HOLDS_VALUE (redacted) || !json_node_get_boolean (redacted)
          || columns != NULL || json_object_get_size (object) != 4)
        return malformed (reason, "a redacted entry holds only id, redacted and the hashes");
      return TRUE;
    }
  line->redacted = FALSE;
  if (columns == NULL || !JSON_NODE_HOLDS_OBJECT (columns))
    return malformed (reason, "no \"columns\" object");
  if (json_object_get_size (object) != 4 + (json_object_has_member (object, "time") ? 1 : 0))
    return malformed (reason, "unexpected members");
  return parse_columns (json_node_get_object (columns), line, reason)
         && check_time (object, line, reason);
}

void
_vigil_bundle_line_clear (VigilBundleLine *line)
{
  if (line->scratch != NULL)
    g_ptr_array_set_size (line->scratch, 0);
  line->prev_hash = NULL;
  line->hash = NULL;
}
