/* vigil-classify.c: classify statements with PostgreSQL's own parser (libpg_query).
 *
 * The query string is parsed once into pg_query's JSON tree and walked with json-glib.
 * pg_query wraps Node-typed fields in {"TypeName": {...}} but not fields of a fixed struct
 * type (UpdateStmt.relation is a bare RangeVar), so RangeVars and FuncCalls are
 * recognised by their members ("relname"; "funcname" + "funcformat"), statements by
 * their wrapper key.
 *
 * Results are cached by the full query text in an LRU. Cached statement arrays are
 * immutable and shared; each call returns a new GPtrArray holding its own references.
 * A single statement whose classes cannot depend on the values of its constants is also
 * cached by its shape (vigil-sql-shape.c), so a query that differs from an earlier one
 * only in those values is not parsed again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <pg_query.h>

#include "vigil-classify.h"
#include "vigil-sql-shape.h"

#define CACHE_MAX_QUERY (1024 * 1024)

typedef struct
{
  char      *query;       /* the query text, or its shape */
  gboolean   by_shape;
  GPtrArray *statements;  /* immutable once cached */
} CacheEntry;

/* What a constant's value can change: WHERE 1 = 1 makes a write unbounded, EXPLAIN's
 * options are read from their values. Statements with none of these may share a shape's
 * classification. */
#define VALUE_SENSITIVE_CLASSES                                                         \
  (VIGIL_CLASS_BIT (VIGIL_CLASS_UPDATE) | VIGIL_CLASS_BIT (VIGIL_CLASS_DELETE) |        \
   VIGIL_CLASS_BIT (VIGIL_CLASS_MERGE) | VIGIL_CLASS_BIT (VIGIL_CLASS_UNBOUNDED_WRITE) | \
   VIGIL_CLASS_BIT (VIGIL_CLASS_EXPLAIN) | VIGIL_CLASS_BIT (VIGIL_CLASS_EXPLAIN_ANALYZE) | \
   VIGIL_CLASS_BIT (VIGIL_CLASS_UNPARSED))

struct _VigilClassifier
{
  GObject     parent_instance;

  /* immutable after construction */
  guint       cache_size;

  /* shared, under lock */
  GMutex      lock;
  GHashTable *cache;  /* query -> GList link in lru, data CacheEntry */
  GHashTable *shapes; /* shape -> GList link in lru, data CacheEntry */
  GQueue      lru;    /* most recently used first */
};

G_DEFINE_FINAL_TYPE (VigilClassifier, vigil_classifier, G_TYPE_OBJECT)

/* What a walk over one statement's tree collects. */
typedef struct
{
  VigilClassSet  classes;
  GPtrArray     *relations;  /* char *, deduplicated */
  GPtrArray     *functions;  /* char *, deduplicated */
  GHashTable    *ctes;       /* CTE names, not relations when referenced unqualified */
  gboolean       temp_only;  /* every created/dropped/altered object is temporary */
  gboolean       ddl_seen;
} Walk;

typedef enum {
  TRUTH_TRUE,
  TRUTH_FALSE,
  TRUTH_VARIES,  /* depends on the row */
} Truth;

static void walk_value (Walk *w, JsonNode *node, const char *key, gboolean runs);
static void walk_node  (Walk *w, const char *type, JsonObject *obj, gboolean runs,
                        gboolean top);

static const char * const class_names[VIGIL_N_CLASSES] = {
  [VIGIL_CLASS_READ] = "read",
  [VIGIL_CLASS_INSERT] = "insert",
  [VIGIL_CLASS_UPDATE] = "update",
  [VIGIL_CLASS_DELETE] = "delete",
  [VIGIL_CLASS_MERGE] = "merge",
  [VIGIL_CLASS_CREATE] = "create",
  [VIGIL_CLASS_ALTER] = "alter",
  [VIGIL_CLASS_DROP] = "drop",
  [VIGIL_CLASS_TRUNCATE] = "truncate",
  [VIGIL_CLASS_GRANT] = "grant",
  [VIGIL_CLASS_ROLE] = "role",
  [VIGIL_CLASS_COPY_FROM] = "copy-from",
  [VIGIL_CLASS_COPY_TO] = "copy-to",
  [VIGIL_CLASS_COPY_FILE] = "copy-file",
  [VIGIL_CLASS_COPY_PROGRAM] = "copy-program",
  [VIGIL_CLASS_SET] = "set",
  [VIGIL_CLASS_TRANSACTION] = "transaction",
  [VIGIL_CLASS_DO] = "do",
  [VIGIL_CLASS_EXPLAIN] = "explain",
  [VIGIL_CLASS_EXPLAIN_ANALYZE] = "explain-analyze",
  [VIGIL_CLASS_PREPARE] = "prepare",
  [VIGIL_CLASS_EXECUTE] = "execute",
  [VIGIL_CLASS_MAINTENANCE] = "maintenance",
  [VIGIL_CLASS_LOCK] = "lock",
  [VIGIL_CLASS_LISTEN] = "listen",
  [VIGIL_CLASS_UNBOUNDED_WRITE] = "unbounded-write",
  [VIGIL_CLASS_TEMP] = "temp",
  [VIGIL_CLASS_SIDE_EFFECT] = "side-effect",
  [VIGIL_CLASS_UNPARSED] = "unparsed",
  [VIGIL_CLASS_OTHER] = "other",
};

/* Top-level statement node -> classes. Anything else is "other". */
static const struct { const char *type; VigilClassSet classes; } stmt_classes[] = {
#define C(x) VIGIL_CLASS_BIT (VIGIL_CLASS_##x)
  { "SelectStmt", C (READ) },
  { "InsertStmt", 0 }, { "UpdateStmt", 0 }, { "DeleteStmt", 0 }, { "MergeStmt", 0 },
  { "VariableShowStmt", C (READ) },
  { "DeclareCursorStmt", C (READ) }, { "FetchStmt", C (READ) }, { "ClosePortalStmt", C (READ) },
  { "ViewStmt", C (CREATE) }, { "IndexStmt", C (CREATE) }, { "DefineStmt", C (CREATE) },
  { "RuleStmt", C (CREATE) }, { "CompositeTypeStmt", C (CREATE) },
  { "ImportForeignSchemaStmt", C (CREATE) },
  { "DropStmt", C (DROP) }, { "DropOwnedStmt", C (DROP) }, { "DropdbStmt", C (DROP) },
  { "DropTableSpaceStmt", C (DROP) }, { "DropSubscriptionStmt", C (DROP) },
  { "DropUserMappingStmt", C (DROP) },
  { "RenameStmt", C (ALTER) }, { "CommentStmt", C (ALTER) }, { "SecLabelStmt", C (ALTER) },
  { "ReassignOwnedStmt", C (ALTER) }, { "ClusterStmt", C (MAINTENANCE) },
  { "AlterSystemStmt", C (ALTER) | C (SET) | C (SIDE_EFFECT) },
  { "TruncateStmt", C (TRUNCATE) },
  { "GrantStmt", C (GRANT) }, { "AlterDefaultPrivilegesStmt", C (GRANT) },
  { "GrantRoleStmt", C (GRANT) | C (ROLE) },
  { "CreateRoleStmt", C (ROLE) }, { "AlterRoleStmt", C (ROLE) },
  { "AlterRoleSetStmt", C (ROLE) }, { "DropRoleStmt", C (ROLE) },
  { "VariableSetStmt", C (SET) }, { "DiscardStmt", C (SET) }, { "ConstraintsSetStmt", C (SET) },
  { "TransactionStmt", C (TRANSACTION) },
  { "DoStmt", C (DO) }, { "CallStmt", C (DO) }, { "LoadStmt", C (DO) | C (SIDE_EFFECT) },
  { "ExplainStmt", C (EXPLAIN) },
  { "PrepareStmt", C (PREPARE) }, { "DeallocateStmt", C (PREPARE) },
  { "ExecuteStmt", C (EXECUTE) },
  { "VacuumStmt", C (MAINTENANCE) }, { "ReindexStmt", C (MAINTENANCE) },
  { "RefreshMatViewStmt", C (MAINTENANCE) }, { "CheckPointStmt", C (MAINTENANCE) },
  { "LockStmt", C (LOCK) },
  { "ListenStmt", C (LISTEN) }, { "UnlistenStmt", C (LISTEN) }, { "NotifyStmt", C (LISTEN) },
#undef C
};

/* Functions that change or reveal server state beyond the query's own rows. Any function
 * not in pure_functions counts as a side effect as well; this list documents the ones a
 * policy is most likely to name, and keeps them out of the pure list for good. */
static const char * const side_effect_functions[] = {
  "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_ls_logdir",
  "pg_ls_waldir", "pg_ls_tmpdir", "pg_ls_archive_statusdir", "lo_import", "lo_export",
  "lo_unlink", "lo_create", "lo_creat", "lo_from_bytea", "lo_put", "lowrite", "set_config",
  "dblink", "dblink_exec", "dblink_connect", "dblink_send_query", "pg_terminate_backend",
  "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal",
  "pg_create_restore_point", "pg_promote", "pg_file_write", "pg_file_rename",
  "pg_file_unlink", "pg_sleep", "nextval", "setval", "query_to_xml", "pg_backup_start",
  "pg_backup_stop", "pg_create_logical_replication_slot", "pg_drop_replication_slot",
  "pg_create_physical_replication_slot", "pg_stat_reset", "pg_wal_replay_pause",
  NULL
};

/* Built-in functions without side effects that agents call all the time. */
static const char * const pure_functions[] = {
  "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "stddev",
  "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "percentile_cont",
  "percentile_disc", "mode", "array_agg", "string_agg", "json_agg", "jsonb_agg",
  "json_object_agg", "jsonb_object_agg", "row_number", "rank", "dense_rank", "percent_rank",
  "cume_dist", "ntile", "lag", "lead", "first_value", "last_value", "nth_value",
  "now", "current_timestamp", "clock_timestamp", "statement_timestamp",
  "transaction_timestamp", "timeofday", "date_trunc", "date_part", "extract", "age",
  "to_char", "to_date", "to_timestamp", "to_number", "make_date", "make_timestamp",
  "make_interval", "timezone", "date_bin", "isfinite", "justify_days", "justify_hours",
  "lower", "upper", "initcap", "length", "char_length", "character_length", "octet_length",
  "bit_length", "substr", "substring", "position", "strpos", "trim", "btrim", "ltrim",
  "rtrim", "lpad", "rpad", "left", "right", "replace", "reverse", "repeat", "split_part",
  "concat", "concat_ws", "format", "quote_ident", "quote_literal", "quote_nullable",
  "regexp_replace", "regexp_match", "regexp_matches", "regexp_split_to_array",
  "regexp_split_to_table", "starts_with", "translate", "overlay", "chr", "ascii", "md5",
  "sha256", "encode", "decode", "to_hex", "string_to_array", "array_to_string",
  "coalesce", "nullif", "greatest", "least", "abs", "ceil", "ceiling", "floor", "round",
  "trunc", "mod", "power", "pow", "sqrt", "cbrt", "exp", "ln", "log", "log10", "sign", "pi",
  "div", "width_bucket", "random", "gen_random_uuid", "uuid_generate_v4",
  "generate_series", "generate_subscripts", "unnest", "array_length", "array_lower",
  "array_upper", "array_position", "array_positions", "array_remove", "array_replace",
  "array_append", "array_prepend", "array_cat", "array_dims", "cardinality",
  "to_json", "to_jsonb", "row_to_json", "array_to_json", "json_build_object",
  "jsonb_build_object", "json_build_array", "jsonb_build_array", "json_object",
  "jsonb_object", "jsonb_set", "jsonb_insert", "jsonb_strip_nulls", "jsonb_pretty",
  "json_array_length", "jsonb_array_length", "json_array_elements", "jsonb_array_elements",
  "json_array_elements_text", "jsonb_array_elements_text", "json_each", "jsonb_each",
  "json_each_text", "jsonb_each_text", "json_object_keys", "jsonb_object_keys",
  "json_extract_path", "jsonb_extract_path", "json_extract_path_text",
  "jsonb_extract_path_text", "json_typeof", "jsonb_typeof", "jsonb_path_query",
  "jsonb_path_exists", "jsonb_path_match", "pg_typeof", "version", "current_setting",
  "current_database", "current_schema", "current_schemas", "current_user", "session_user",
  "inet_server_addr", "pg_backend_pid", "txid_current", "pg_current_xact_id",
  "has_table_privilege", "has_schema_privilege", "has_column_privilege",
  "pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size",
  "pg_database_size", "pg_size_pretty", "pg_get_viewdef", "pg_get_indexdef",
  "pg_get_constraintdef", "pg_get_functiondef", "pg_get_triggerdef", "pg_get_expr",
  "pg_get_userbyid", "pg_get_serial_sequence", "format_type", "obj_description",
  "col_description", "pg_table_is_visible", "pg_is_in_recovery", "currval", "lastval",
  "to_tsvector", "to_tsquery", "plainto_tsquery", "websearch_to_tsquery", "ts_rank",
  "ts_headline", "similarity", "bool", "int4", "int8", "text", "numeric", "float8",
  NULL
};

/* Classes */

const char *
vigil_class_to_string (VigilClass klass)
{
  g_return_val_if_fail (klass < VIGIL_N_CLASSES, NULL);

  return class_names[klass];
}

gboolean
vigil_class_from_string (const char *str,
                         VigilClass *out)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    {
      if (strcmp (str, class_names[i]) == 0)
        {
          if (out != NULL)
            *out = (VigilClass) i;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
vigil_class_set_single_name (VigilClassSet set)
{
  if (set == 0 || (set & (set - 1)) != 0)
    return NULL;
  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    if (set == VIGIL_CLASS_BIT (i))
      return class_names[i];
  return NULL;
}

char *
vigil_class_set_to_string (VigilClassSet set)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < VIGIL_N_CLASSES; i++)
    {
      if ((set & VIGIL_CLASS_BIT (i)) == 0)
        continue;
      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append (out, class_names[i]);
    }
  return g_string_free (out, FALSE);
}

/* Statements */

VigilStatement *
vigil_statement_ref (VigilStatement *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->refs);
  return self;
}

void
vigil_statement_unref (VigilStatement *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->refs))
    return;
  g_free (self->text);
  g_strfreev (self->relations);
  g_strfreev (self->functions);
  g_free (self->fingerprint);
  g_free (self->error);
  g_free (self);
}

static char *
trim_copy (const char *text,
           gsize       len)
{
  while (len > 0 && g_ascii_isspace (*text))
    text++, len--;
  while (len > 0 && (g_ascii_isspace (text[len - 1]) || text[len - 1] == ';'))
    len--;
  return g_strndup (text, len);
}

static char **
strv_from_array (GPtrArray *array)
{
  char **strv = g_new0 (char *, array->len + 1);

  for (guint i = 0; i < array->len; i++)
    strv[i] = g_strdup (array->pdata[i]);
  return strv;
}

static VigilStatement *
statement_new_unparsed (const char *query,
                        const char *message)
{
  VigilStatement *stmt = g_new0 (VigilStatement, 1);

  stmt->refs = 1;
  stmt->text = trim_copy (query, strlen (query));
  stmt->classes = VIGIL_CLASS_BIT (VIGIL_CLASS_UNPARSED);
  stmt->relations = g_new0 (char *, 1);
  stmt->functions = g_new0 (char *, 1);
  stmt->error = g_strdup (message);
  return stmt;
}

/* Tree helpers */

static gboolean
in_list (const char * const *list,
         const char         *name)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (list[i], name) == 0)
      return TRUE;
  return FALSE;
}

static void
add_unique (GPtrArray  *array,
            const char *value)
{
  for (guint i = 0; i < array->len; i++)
    if (strcmp (array->pdata[i], value) == 0)
      return;
  g_ptr_array_add (array, g_strdup (value));
}

/* {"Type": {...}} -> "Type" and its object; FALSE for anything else. */
static gboolean
unwrap (JsonNode    *node,
        const char **out_type,
        JsonObject **out_obj)
{
  JsonObject *outer;
  JsonNode *inner;
  GList *members;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  outer = json_node_get_object (node);
  if (json_object_get_size (outer) != 1)
    return FALSE;
  members = json_object_get_members (outer);
  *out_type = members->data;
  g_list_free (members);
  inner = json_object_get_member (outer, *out_type);
  if (!JSON_NODE_HOLDS_OBJECT (inner))
    return FALSE;
  *out_obj = json_node_get_object (inner);
  return TRUE;
}

static const char *
get_str (JsonObject *obj,
         const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_obj (JsonObject *obj,
         const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
get_bool (JsonObject *obj,
          const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_boolean (node);
}

/* A list of {"String": {"sval": ...}} joined with dots: DROP's object names. */
static char *
join_names (JsonArray *items)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      const char *type;
      JsonObject *obj;
      const char *sval;

      if (!unwrap (json_array_get_element (items, i), &type, &obj)
          || strcmp (type, "String") != 0 || (sval = get_str (obj, "sval")) == NULL)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '.');
      g_string_append (out, sval);
    }
  return g_string_free (out, FALSE);
}

/* The persistence of a created or altered relation decides the TEMP class. */
static void
note_ddl_target (Walk       *w,
                 JsonObject *range_var)
{
  const char *schema = range_var != NULL ? get_str (range_var, "schemaname") : NULL;
  const char *persistence = range_var != NULL ? get_str (range_var, "relpersistence") : NULL;
  gboolean temp = g_strcmp0 (persistence, "t") == 0 || g_strcmp0 (schema, "pg_temp") == 0;

  w->ddl_seen = TRUE;
  if (!temp)
    w->temp_only = FALSE;
}

static void
add_relation (Walk       *w,
              JsonObject *obj,
              const char *key)
{
  const char *catalog = get_str (obj, "catalogname");
  const char *schema = get_str (obj, "schemaname");
  const char *name = get_str (obj, "relname");
  g_autofree char *full = NULL;

  if (name == NULL)
    return;
  /* A FROM item naming a CTE is not a table; DML targets ("relation") always are. */
  if (schema == NULL && g_strcmp0 (key, "RangeVar") == 0 && g_hash_table_contains (w->ctes, name))
    return;
  if (catalog != NULL)
    full = g_strdup_printf ("%s.%s.%s", catalog, schema != NULL ? schema : "", name);
  else if (schema != NULL)
    full = g_strdup_printf ("%s.%s", schema, name);
  else
    full = g_strdup (name);
  add_unique (w->relations, full);
}

static void
classify_function (Walk       *w,
                   const char *name,
                   gboolean    qualified_elsewhere)
{
  if (g_str_has_prefix (name, "pg_advisory_") || g_str_has_prefix (name, "pg_try_advisory_"))
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_LOCK);
  else if (strcmp (name, "pg_notify") == 0)
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_LISTEN);
  else if (qualified_elsewhere || in_list (side_effect_functions, name)
           || !in_list (pure_functions, name))
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_SIDE_EFFECT);
}

static void
add_function (Walk       *w,
              JsonArray  *funcname,
              gboolean    runs)
{
  guint n = json_array_get_length (funcname);
  const char *type;
  JsonObject *obj;
  const char *last;
  const char *schema = NULL;
  g_autofree char *lower = NULL;

  if (n == 0 || !unwrap (json_array_get_element (funcname, n - 1), &type, &obj)
      || (last = get_str (obj, "sval")) == NULL)
    return;
  if (n > 1 && unwrap (json_array_get_element (funcname, n - 2), &type, &obj))
    schema = get_str (obj, "sval");
  lower = g_ascii_strdown (last, -1);
  add_unique (w->functions, lower);
  /* myschema.lower() is not the built-in lower(): its body is unknown. */
  if (runs)
    classify_function (w, lower, schema != NULL && strcmp (schema, "pg_catalog") != 0);
}

/* Constant truth of WHERE clauses */

static gboolean
contains_column_ref (JsonNode *node)
{
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (contains_column_ref (json_array_get_element (array, i)))
          return TRUE;
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (obj);

      for (GList *l = members; l != NULL; l = l->next)
        {
          if (strcmp (l->data, "ColumnRef") == 0 || strcmp (l->data, "CurrentOfExpr") == 0)
            return TRUE;
          if (contains_column_ref (json_object_get_member (obj, l->data)))
            return TRUE;
        }
    }
  return FALSE;
}

static Truth
truth_of_text (const char *text)
{
  static const char * const yes[] = { "t", "true", "y", "yes", "on", "1", NULL };
  static const char * const no[] = { "f", "false", "n", "no", "off", "0", NULL };
  g_autofree char *lower = g_ascii_strdown (text, -1);

  g_strstrip (lower);
  if (in_list (yes, lower))
    return TRUTH_TRUE;
  if (in_list (no, lower))
    return TRUTH_FALSE;
  return TRUTH_TRUE;  /* a constant we cannot read: assume the worst */
}

/* The literal text of a constant (through casts); NULL when NODE is not one. Integers
 * are formatted into BUFFER. */
static const char *
constant_text (JsonNode *node,
               char      buffer[32])
{
  const char *type;
  JsonObject *obj;
  JsonObject *value;

  if (!unwrap (node, &type, &obj))
    return NULL;
  if (strcmp (type, "TypeCast") == 0)
    return constant_text (json_object_get_member (obj, "arg"), buffer);
  if (strcmp (type, "A_Const") != 0 || get_bool (obj, "isnull"))
    return NULL;
  if ((value = get_obj (obj, "sval")) != NULL)
    return get_str (value, "sval") != NULL ? get_str (value, "sval") : "";
  if ((value = get_obj (obj, "fval")) != NULL)
    return get_str (value, "fval") != NULL ? get_str (value, "fval") : "0";
  if ((value = get_obj (obj, "boolval")) != NULL)
    return get_bool (value, "boolval") ? "true" : "false";
  if ((value = get_obj (obj, "ival")) != NULL)
    {
      JsonNode *ival = json_object_get_member (value, "ival");

      g_snprintf (buffer, 32, "%" G_GINT64_FORMAT,
                  ival != NULL ? json_node_get_int (ival) : 0);
      return buffer;
    }
  return NULL;
}

static Truth
truth_of_comparison (const char *op,
                     JsonNode   *lexpr,
                     JsonNode   *rexpr)
{
  char left_buffer[32], right_buffer[32];
  const char *left = constant_text (lexpr, left_buffer);
  const char *right = constant_text (rexpr, right_buffer);
  char *lend, *rend;
  double l, r;
  int cmp;

  if (left == NULL || right == NULL)
    return TRUTH_TRUE;
  l = g_ascii_strtod (left, &lend);
  r = g_ascii_strtod (right, &rend);
  if (*left != '\0' && *lend == '\0' && *right != '\0' && *rend == '\0')
    cmp = (l > r) - (l < r);
  else
    cmp = strcmp (left, right);

  if (strcmp (op, "=") == 0)
    return cmp == 0 ? TRUTH_TRUE : TRUTH_FALSE;
  if (strcmp (op, "<>") == 0 || strcmp (op, "!=") == 0)
    return cmp != 0 ? TRUTH_TRUE : TRUTH_FALSE;
  if (strcmp (op, "<") == 0)
    return cmp < 0 ? TRUTH_TRUE : TRUTH_FALSE;
  if (strcmp (op, ">") == 0)
    return cmp > 0 ? TRUTH_TRUE : TRUTH_FALSE;
  if (strcmp (op, "<=") == 0)
    return cmp <= 0 ? TRUTH_TRUE : TRUTH_FALSE;
  if (strcmp (op, ">=") == 0)
    return cmp >= 0 ? TRUTH_TRUE : TRUTH_FALSE;
  return TRUTH_TRUE;
}

static Truth truth_of (JsonNode *node);

static Truth
truth_of_bool_expr (JsonObject *obj)
{
  const char *op = get_str (obj, "boolop");
  JsonNode *args_node = json_object_get_member (obj, "args");
  JsonArray *args = args_node != NULL && JSON_NODE_HOLDS_ARRAY (args_node)
                    ? json_node_get_array (args_node) : NULL;
  guint n = args != NULL ? json_array_get_length (args) : 0;
  gboolean is_and = g_strcmp0 (op, "AND_EXPR") == 0;
  gboolean all = TRUE;

  if (g_strcmp0 (op, "NOT_EXPR") == 0 && n == 1)
    {
      Truth t = truth_of (json_array_get_element (args, 0));

      return t == TRUTH_VARIES ? t : (t == TRUTH_TRUE ? TRUTH_FALSE : TRUTH_TRUE);
    }
  for (guint i = 0; i < n; i++)
    {
      Truth t = truth_of (json_array_get_element (args, i));

      if (t == (is_and ? TRUTH_FALSE : TRUTH_TRUE))
        return t;  /* short circuit: false AND x, true OR x */
      if (t == TRUTH_VARIES)
        all = FALSE;
    }
  if (!all)
    return TRUTH_VARIES;
  return is_and ? TRUTH_TRUE : TRUTH_FALSE;
}

/* Whether a WHERE clause holds for every row, none, or depends on the row. A clause
 * that reads no column at all ($1, f(), EXISTS (SELECT 1)) counts as true: it selects
 * every row or none, and nothing here can tell which. */
static Truth
truth_of (JsonNode *node)
{
  const char *type;
  JsonObject *obj;

  if (!unwrap (node, &type, &obj))
    return TRUTH_VARIES;
  if (strcmp (type, "BoolExpr") == 0)
    return truth_of_bool_expr (obj);
  if (strcmp (type, "A_Const") == 0 || strcmp (type, "TypeCast") == 0)
    {
      char buffer[32];
      const char *text = constant_text (node, buffer);

      if (strcmp (type, "A_Const") == 0 && get_bool (obj, "isnull"))
        return TRUTH_FALSE;
      if (text != NULL)
        return truth_of_text (text);
    }
  if (strcmp (type, "A_Expr") == 0 && g_strcmp0 (get_str (obj, "kind"), "AEXPR_OP") == 0)
    {
      JsonNode *name = json_object_get_member (obj, "name");

      if (!contains_column_ref (node) && name != NULL && JSON_NODE_HOLDS_ARRAY (name))
        {
          g_autofree char *op = join_names (json_node_get_array (name));

          return truth_of_comparison (op, json_object_get_member (obj, "lexpr"),
                                      json_object_get_member (obj, "rexpr"));
        }
    }
  return contains_column_ref (node) ? TRUTH_VARIES : TRUTH_TRUE;
}

/* Walking */

static void
walk_object (Walk       *w,
             JsonObject *obj,
             const char *key,
             gboolean    runs)
{
  g_autoptr(GList) members = NULL;
  JsonNode *funcname;

  if (get_str (obj, "relname") != NULL)
    add_relation (w, obj, key);
  funcname = json_object_get_member (obj, "funcname");
  if (funcname != NULL && JSON_NODE_HOLDS_ARRAY (funcname)
      && json_object_has_member (obj, "funcformat"))
    add_function (w, json_node_get_array (funcname), runs);

  members = json_object_get_members (obj);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *member = l->data;
      JsonNode *child = json_object_get_member (obj, member);

      if (g_ascii_isupper (member[0]) && JSON_NODE_HOLDS_OBJECT (child))
        walk_node (w, member, json_node_get_object (child), runs, FALSE);
      else
        walk_value (w, child, member, runs);
    }
}

static void
walk_value (Walk       *w,
            JsonNode   *node,
            const char *key,
            gboolean    runs)
{
  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        walk_value (w, json_array_get_element (array, i), key, runs);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    walk_object (w, json_node_get_object (node), key, runs);
}

/* Every "ctename" anywhere in the statement. */
static void
collect_ctes (Walk     *w,
              JsonNode *node)
{
  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        collect_ctes (w, json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (obj);
      const char *name = get_str (obj, "ctename");

      if (name != NULL)
        g_hash_table_add (w->ctes, g_strdup (name));
      for (GList *l = members; l != NULL; l = l->next)
        collect_ctes (w, json_object_get_member (obj, l->data));
    }
}

static void
classify_write (Walk       *w,
                const char *type,
                JsonObject *obj)
{
  JsonNode *where;

  if (strcmp (type, "InsertStmt") == 0)
    {
      JsonObject *conflict = get_obj (obj, "onConflictClause");

      w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_INSERT);
      if (conflict != NULL && g_strcmp0 (get_str (conflict, "action"), "ONCONFLICT_UPDATE") == 0)
        w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_UPDATE);
      return;
    }
  if (strcmp (type, "MergeStmt") == 0)
    {
      JsonNode *clauses = json_object_get_member (obj, "mergeWhenClauses");
      JsonArray *array = clauses != NULL && JSON_NODE_HOLDS_ARRAY (clauses)
                         ? json_node_get_array (clauses) : NULL;

      w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_MERGE);
      for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
        {
          const char *clause_type;
          JsonObject *clause;
          const char *cmd;

          if (!unwrap (json_array_get_element (array, i), &clause_type, &clause))
            continue;
          cmd = get_str (clause, "commandType");
          if (g_strcmp0 (cmd, "CMD_INSERT") == 0)
            w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_INSERT);
          else if (g_strcmp0 (cmd, "CMD_UPDATE") == 0)
            w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_UPDATE);
          else if (g_strcmp0 (cmd, "CMD_DELETE") == 0)
            w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_DELETE);
        }
      return;
    }

  w->classes |= VIGIL_CLASS_BIT (strcmp (type, "UpdateStmt") == 0 ? VIGIL_CLASS_UPDATE
                                                                   : VIGIL_CLASS_DELETE);
  /* WHERE false touches nothing; any other constant touches every row. */
  where = json_object_get_member (obj, "whereClause");
  if (where == NULL || truth_of (where) == TRUTH_TRUE)
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_UNBOUNDED_WRITE);
}

static gboolean
explain_analyzes (JsonObject *obj)
{
  JsonNode *options = json_object_get_member (obj, "options");
  JsonArray *array;
  gboolean analyze = FALSE;

  if (options == NULL || !JSON_NODE_HOLDS_ARRAY (options))
    return FALSE;
  array = json_node_get_array (options);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      const char *type;
      JsonObject *def;
      const char *arg;
      char buffer[32];

      if (!unwrap (json_array_get_element (array, i), &type, &def)
          || g_strcmp0 (get_str (def, "defname"), "analyze") != 0)
        continue;
      arg = constant_text (json_object_get_member (def, "arg"), buffer);
      if (arg == NULL)
        {
          const char *arg_type;
          JsonObject *arg_obj;

          /* {"String": {"sval": "off"}} or {"Boolean": {...}}; absent means true. */
          if (unwrap (json_object_get_member (def, "arg"), &arg_type, &arg_obj))
            arg = get_str (arg_obj, "sval") != NULL ? get_str (arg_obj, "sval")
                  : (get_bool (arg_obj, "boolval") ? "true" : "false");
        }
      analyze = arg == NULL || truth_of_text (arg) == TRUTH_TRUE;
    }
  return analyze;
}

static void
classify_copy (Walk       *w,
               JsonObject *obj)
{
  w->classes |= VIGIL_CLASS_BIT (get_bool (obj, "is_from") ? VIGIL_CLASS_COPY_FROM
                                                           : VIGIL_CLASS_COPY_TO);
  if (get_bool (obj, "is_program"))
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_COPY_PROGRAM);
  else if (get_str (obj, "filename") != NULL)
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_COPY_FILE);
}

static void
classify_drop (Walk       *w,
               JsonObject *obj)
{
  JsonNode *objects = json_object_get_member (obj, "objects");
  const char *remove_type = get_str (obj, "removeType");
  static const char * const relation_types[] = {
    "OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_INDEX",
    "OBJECT_FOREIGN_TABLE", NULL
  };
  JsonArray *array;

  w->ddl_seen = TRUE;
  if (objects == NULL || !JSON_NODE_HOLDS_ARRAY (objects))
    {
      w->temp_only = FALSE;
      return;
    }
  array = json_node_get_array (objects);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      const char *type;
      JsonObject *list;
      g_autofree char *name = NULL;
      JsonNode *items;

      if (!unwrap (item, &type, &list))
        continue;
      if (strcmp (type, "String") == 0 && g_strcmp0 (remove_type, "OBJECT_SCHEMA") == 0)
        {
          /* DROP SCHEMA s drops s.*: a relation glob "s.*" matches it. */
          name = g_strdup_printf ("%s.*", get_str (list, "sval"));
          add_unique (w->relations, name);
          w->temp_only = FALSE;
          continue;
        }
      items = json_object_get_member (list, "items");
      if (strcmp (type, "List") != 0 || items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
        {
          w->temp_only = FALSE;
          continue;
        }
      name = join_names (json_node_get_array (items));
      if (!g_str_has_prefix (name, "pg_temp."))
        w->temp_only = FALSE;
      if (remove_type != NULL && in_list (relation_types, remove_type))
        add_unique (w->relations, name);
    }
}

/* Top-level classes of a statement that PostgreSQL will run. */
static void
classify_top (Walk       *w,
              const char *type,
              JsonObject *obj)
{
  for (guint i = 0; i < G_N_ELEMENTS (stmt_classes); i++)
    {
      if (strcmp (stmt_classes[i].type, type) == 0)
        {
          w->classes |= stmt_classes[i].classes;
          goto specific;
        }
    }
  if (g_str_has_prefix (type, "Create") || g_str_has_prefix (type, "Alter")
      || g_str_has_prefix (type, "Drop"))
    w->classes |= VIGIL_CLASS_BIT (type[0] == 'C' ? VIGIL_CLASS_CREATE
                                   : type[0] == 'A' ? VIGIL_CLASS_ALTER : VIGIL_CLASS_DROP);
  else if (strcmp (type, "CopyStmt") != 0)
    w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_OTHER);

specific:
  if (strcmp (type, "CopyStmt") == 0)
    classify_copy (w, obj);
  else if (strcmp (type, "DropStmt") == 0)
    classify_drop (w, obj);
  else if (strcmp (type, "CreateStmt") == 0 || strcmp (type, "AlterTableStmt") == 0)
    note_ddl_target (w, get_obj (obj, "relation"));
  else if (strcmp (type, "ViewStmt") == 0)
    note_ddl_target (w, get_obj (obj, "view"));
  else if (strcmp (type, "CreateSeqStmt") == 0 || strcmp (type, "AlterSeqStmt") == 0)
    note_ddl_target (w, get_obj (obj, "sequence"));
  else if (strcmp (type, "CreateTableAsStmt") == 0)
    {
      JsonObject *into = get_obj (obj, "into");

      w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_READ);
      note_ddl_target (w, into != NULL ? get_obj (into, "rel") : NULL);
    }
  else if (strcmp (type, "SelectStmt") == 0)
    {
      JsonObject *into = get_obj (obj, "intoClause");

      if (into != NULL)
        {
          w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_CREATE);
          note_ddl_target (w, get_obj (into, "rel"));
        }
      if (json_object_has_member (obj, "lockingClause"))
        w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_LOCK);
    }
  else if (strcmp (type, "VariableSetStmt") == 0)
    {
      const char *name = get_str (obj, "name");

      if (g_strcmp0 (get_str (obj, "kind"), "VAR_SET_VALUE") == 0
          && (g_strcmp0 (name, "role") == 0 || g_strcmp0 (name, "session_authorization") == 0))
        w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_ROLE);
    }
  else if (g_str_has_prefix (type, "Create") || g_str_has_prefix (type, "Alter")
           || g_str_has_prefix (type, "Drop") || strcmp (type, "IndexStmt") == 0
           || strcmp (type, "RenameStmt") == 0)
    {
      w->ddl_seen = TRUE;
      w->temp_only = FALSE;
    }

  /* ALTER SYSTEM has no class of its own; policies name it as a function. */
  if (strcmp (type, "AlterSystemStmt") == 0)
    add_unique (w->functions, "alter system");
}

static void
walk_node (Walk       *w,
           const char *type,
           JsonObject *obj,
           gboolean    runs,
           gboolean    top)
{
  gboolean is_write = strcmp (type, "InsertStmt") == 0 || strcmp (type, "UpdateStmt") == 0
                      || strcmp (type, "DeleteStmt") == 0 || strcmp (type, "MergeStmt") == 0;

  if (top)
    classify_top (w, type, obj);
  /* Writes nested anywhere that runs (writable CTEs) count as the writes they are. */
  if (is_write && runs)
    classify_write (w, type, obj);

  if (strcmp (type, "ExplainStmt") == 0)
    {
      const char *inner_type;
      JsonObject *inner;
      gboolean analyze = runs && explain_analyzes (obj);

      if (analyze)
        w->classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_EXPLAIN_ANALYZE);
      if (unwrap (json_object_get_member (obj, "query"), &inner_type, &inner))
        walk_node (w, inner_type, inner, analyze, analyze && top);
      return;
    }
  /* Bodies that are stored, not run: a prepared statement, a rule, a view, a function,
   * a table's defaults and checks. Their names are still collected. */
  if (strcmp (type, "PrepareStmt") == 0 || strcmp (type, "RuleStmt") == 0
      || strcmp (type, "ViewStmt") == 0 || strcmp (type, "CreateFunctionStmt") == 0
      || strcmp (type, "CreateStmt") == 0 || strcmp (type, "CreateTrigStmt") == 0)
    runs = FALSE;
  walk_object (w, obj, type, runs);
}

static VigilStatement *
classify_one (JsonNode   *raw_stmt,
              const char *query,
              int         location,
              int         len)
{
  VigilStatement *stmt = g_new0 (VigilStatement, 1);
  JsonObject *raw = json_node_get_object (raw_stmt);
  Walk w = { 0, };
  const char *type;
  JsonObject *obj;
  PgQueryFingerprintResult fp;

  w.relations = g_ptr_array_new_with_free_func (g_free);
  w.functions = g_ptr_array_new_with_free_func (g_free);
  w.ctes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w.temp_only = TRUE;

  stmt->refs = 1;
  stmt->text = trim_copy (query + location, len);
  collect_ctes (&w, json_object_get_member (raw, "stmt"));
  if (unwrap (json_object_get_member (raw, "stmt"), &type, &obj))
    walk_node (&w, type, obj, TRUE, TRUE);
  if (w.ddl_seen && w.temp_only
      && (w.classes & (VIGIL_CLASS_BIT (VIGIL_CLASS_CREATE) | VIGIL_CLASS_BIT (VIGIL_CLASS_ALTER)
                       | VIGIL_CLASS_BIT (VIGIL_CLASS_DROP))) != 0)
    w.classes |= VIGIL_CLASS_BIT (VIGIL_CLASS_TEMP);
  if (w.classes == 0)
    w.classes = VIGIL_CLASS_BIT (VIGIL_CLASS_OTHER);

  stmt->classes = w.classes;
  stmt->relations = strv_from_array (w.relations);
  stmt->functions = strv_from_array (w.functions);
  fp = pg_query_fingerprint (stmt->text);
  if (fp.error == NULL)
    stmt->fingerprint = g_strdup (fp.fingerprint_str);
  pg_query_free_fingerprint_result (fp);

  g_ptr_array_unref (w.relations);
  g_ptr_array_unref (w.functions);
  g_hash_table_unref (w.ctes);
  return stmt;
}

static GPtrArray *
classify_uncached (const char *query)
{
  GPtrArray *statements = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_statement_unref);
  PgQueryParseResult result = pg_query_parse (query);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *stmts;
  JsonArray *array;
  int query_len = (int) strlen (query);

  if (result.error != NULL)
    {
      g_ptr_array_add (statements, statement_new_unparsed (query, result.error->message));
      pg_query_free_parse_result (result);
      return statements;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, result.parse_tree, -1, &error))
    {
      g_ptr_array_add (statements, statement_new_unparsed (query, error->message));
      pg_query_free_parse_result (result);
      return statements;
    }
  pg_query_free_parse_result (result);

  stmts = json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "stmts");
  array = stmts != NULL && JSON_NODE_HOLDS_ARRAY (stmts) ? json_node_get_array (stmts) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *raw = json_array_get_element (array, i);
      JsonObject *obj = json_node_get_object (raw);
      int location = json_object_has_member (obj, "stmt_location")
                     ? (int) json_object_get_int_member (obj, "stmt_location") : 0;
      int len = json_object_has_member (obj, "stmt_len")
                ? (int) json_object_get_int_member (obj, "stmt_len") : 0;

      location = CLAMP (location, 0, query_len);
      if (len <= 0 || location + len > query_len)
        len = query_len - location;  /* 0 means "to the end of the string" */
      g_ptr_array_add (statements, classify_one (raw, query, location, len));
    }
  return statements;
}

/* Cache */

static void
cache_entry_free (CacheEntry *entry)
{
  g_free (entry->query);
  g_ptr_array_unref (entry->statements);
  g_free (entry);
}

static GPtrArray *
copy_statements (GPtrArray *statements)
{
  GPtrArray *copy = g_ptr_array_new_full (statements->len,
                                          (GDestroyNotify) vigil_statement_unref);

  for (guint i = 0; i < statements->len; i++)
    g_ptr_array_add (copy, vigil_statement_ref (statements->pdata[i]));
  return copy;
}

static GHashTable *
cache_table (VigilClassifier *self,
             gboolean         by_shape)
{
  return by_shape ? self->shapes : self->cache;
}

/* Called with the lock held. */
static GPtrArray *
cache_lookup (VigilClassifier *self,
              const char      *key,
              gboolean         by_shape)
{
  GList *link = g_hash_table_lookup (cache_table (self, by_shape), key);

  if (link == NULL)
    return NULL;
  g_queue_unlink (&self->lru, link);
  g_queue_push_head_link (&self->lru, link);
  return copy_statements (((CacheEntry *) link->data)->statements);
}

/* Called with the lock held. */
static void
cache_insert (VigilClassifier *self,
              const char      *key,
              gboolean         by_shape,
              GPtrArray       *statements)
{
  GHashTable *table = cache_table (self, by_shape);
  CacheEntry *entry;

  if (g_hash_table_contains (table, key))
    return;  /* another thread classified it meanwhile */
  entry = g_new0 (CacheEntry, 1);
  entry->query = g_strdup (key);
  entry->by_shape = by_shape;
  entry->statements = copy_statements (statements);
  g_queue_push_head (&self->lru, entry);
  g_hash_table_insert (table, entry->query, self->lru.head);

  while (self->lru.length > self->cache_size)
    {
      CacheEntry *oldest = g_queue_pop_tail (&self->lru);

      g_hash_table_remove (cache_table (self, oldest->by_shape), oldest->query);
      cache_entry_free (oldest);
    }
}

static gboolean
shareable_by_shape (GPtrArray *statements)
{
  const VigilStatement *st;

  if (statements->len != 1)
    return FALSE;
  st = statements->pdata[0];
  return (st->classes & VALUE_SENSITIVE_CLASSES) == 0;
}

/* The shape's classification for this query: its own text, everything else shared. */
static GPtrArray *
with_own_text (GPtrArray  *shared,
               const char *query,
               gsize       statement_len)
{
  const VigilStatement *model = shared->pdata[0];
  g_autofree char *text = trim_copy (query, statement_len);
  VigilStatement *st;

  if (strcmp (text, model->text) == 0)
    return shared;
  st = g_new0 (VigilStatement, 1);
  st->refs = 1;
  st->text = g_steal_pointer (&text);
  st->classes = model->classes;
  st->relations = g_strdupv (model->relations);
  st->functions = g_strdupv (model->functions);
  st->fingerprint = g_strdup (model->fingerprint);
  st->error = g_strdup (model->error);
  g_ptr_array_set_size (shared, 0);
  g_ptr_array_add (shared, st);
  return shared;
}

/* GObject */

static void
vigil_classifier_finalize (GObject *object)
{
  VigilClassifier *self = (VigilClassifier *) object;

  g_hash_table_unref (self->cache);
  g_hash_table_unref (self->shapes);
  g_queue_clear_full (&self->lru, (GDestroyNotify) cache_entry_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (vigil_classifier_parent_class)->finalize (object);
}

static void
vigil_classifier_class_init (VigilClassifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vigil_classifier_finalize;
}

static void
vigil_classifier_init (VigilClassifier *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->lru);
  self->cache = g_hash_table_new (g_str_hash, g_str_equal);
  self->shapes = g_hash_table_new (g_str_hash, g_str_equal);
}

/* Public API */

VigilClassifier *
vigil_classifier_new (guint cache_size)
{
  VigilClassifier *self = g_object_new (VIGIL_TYPE_CLASSIFIER, NULL);

  self->cache_size = cache_size;
  return self;
}

/* Returns a new array holding its own references to the (immutable, possibly shared)
 * statements; free it with g_ptr_array_unref(). */
GPtrArray *
vigil_classifier_classify (VigilClassifier *self,
                           const char      *query)
{
  g_autoptr(GString) shape = g_string_sized_new (256);
  gsize statement_len = 0;
  gboolean cacheable, shaped;
  GPtrArray *statements;

  g_return_val_if_fail (VIGIL_IS_CLASSIFIER (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  cacheable = self->cache_size > 0 && strlen (query) <= CACHE_MAX_QUERY;
  if (!cacheable)
    return classify_uncached (query);

  g_mutex_lock (&self->lock);
  statements = cache_lookup (self, query, FALSE);
  g_mutex_unlock (&self->lock);
  if (statements != NULL)
    return statements;

  shaped = vigil_sql_shape (query, shape, &statement_len);
  if (shaped)
    {
      g_mutex_lock (&self->lock);
      statements = cache_lookup (self, shape->str, TRUE);
      g_mutex_unlock (&self->lock);
      if (statements != NULL)
        return with_own_text (statements, query, statement_len);
    }

  statements = classify_uncached (query);
  g_mutex_lock (&self->lock);
  if (shaped && shareable_by_shape (statements))
    cache_insert (self, shape->str, TRUE, statements);
  else
    cache_insert (self, query, FALSE, statements);
  g_mutex_unlock (&self->lock);
  return statements;
}

static gboolean
is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || (c & 0x80) != 0;
}

/* Skips a quoted string, identifier, comment or dollar quote starting at P. */
static const char *
skip_token (const char *p)
{
  if (*p == '\'' || *p == '"')
    {
      char quote = *p++;

      while (*p != '\0' && !(*p == quote && p[1] != quote))
        p += (*p == quote) ? 2 : 1;
      return *p != '\0' ? p + 1 : p;
    }
  if (p[0] == '-' && p[1] == '-')
    return p + strcspn (p, "\n");
  if (p[0] == '/' && p[1] == '*')
    {
      const char *end = strstr (p + 2, "*/");

      return end != NULL ? end + 2 : p + strlen (p);
    }
  return p + 1;
}

gboolean
vigil_classifier_split_prepare (const char  *statement,
                                char       **out_name,
                                char       **out_body)
{
  PgQueryParseResult result;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *stmts;
  const char *type;
  JsonObject *obj;
  const char *name;
  int depth = 0;
  const char *p;

  g_return_val_if_fail (statement != NULL, FALSE);

  result = pg_query_parse (statement);
  parser = json_parser_new_immutable ();
  if (result.error != NULL || !json_parser_load_from_data (parser, result.parse_tree, -1, NULL))
    {
      pg_query_free_parse_result (result);
      return FALSE;
    }
  pg_query_free_parse_result (result);
  stmts = json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "stmts");
  if (stmts == NULL || !JSON_NODE_HOLDS_ARRAY (stmts)
      || json_array_get_length (json_node_get_array (stmts)) != 1
      || !unwrap (json_object_get_member (json_array_get_object_element (
                                            json_node_get_array (stmts), 0), "stmt"),
                  &type, &obj)
      || strcmp (type, "PrepareStmt") != 0 || (name = get_str (obj, "name")) == NULL)
    return FALSE;

  /* PREPARE name [ ( type, ... ) ] AS body: the body starts after the first AS keyword
   * outside parentheses, quotes and comments ("as" is reserved, never a bare name). */
  for (p = statement; *p != '\0';)
    {
      const char *start = p;

      if (*p == '(' || *p == ')')
        depth += (*p++ == '(') ? 1 : -1;
      else if (is_ident_char (*p))
        {
          while (is_ident_char (*p) || *p == '$')
            p++;
          if (depth == 0 && p - start == 2 && g_ascii_strncasecmp (start, "as", 2) == 0)
            {
              if (out_name != NULL)
                *out_name = g_strdup (name);
              if (out_body != NULL)
                *out_body = trim_copy (p, strlen (p));
              return TRUE;
            }
        }
      else
        p = skip_token (p);
    }
  return FALSE;
}

/* Parses STATEMENT alone and returns its single statement's node type and object. */
static gboolean
parse_single (const char  *statement,
              JsonParser  *parser,
              const char **type,
              JsonObject **obj)
{
  PgQueryParseResult result = pg_query_parse (statement);
  JsonNode *stmts;
  gboolean loaded = result.error == NULL &&
                    json_parser_load_from_data (parser, result.parse_tree, -1, NULL);

  pg_query_free_parse_result (result);
  if (!loaded)
    return FALSE;
  stmts = json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "stmts");
  return stmts != NULL && JSON_NODE_HOLDS_ARRAY (stmts) &&
         json_array_get_length (json_node_get_array (stmts)) == 1 &&
         unwrap (json_object_get_member (json_array_get_object_element (
                   json_node_get_array (stmts), 0), "stmt"), type, obj);
}

gboolean
vigil_classifier_execute_name (const char  *statement,
                               char       **out_name,
                               gboolean    *out_deallocate)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  const char *type, *name;
  JsonObject *obj;

  g_return_val_if_fail (statement != NULL && out_name != NULL, FALSE);

  if (!parse_single (statement, parser, &type, &obj))
    return FALSE;
  if (strcmp (type, "ExecuteStmt") != 0 && strcmp (type, "DeallocateStmt") != 0)
    return FALSE;
  if (out_deallocate != NULL)
    *out_deallocate = strcmp (type, "DeallocateStmt") == 0;
  /* DEALLOCATE ALL has no name: the caller forgets everything. */
  name = get_str (obj, "name");
  *out_name = g_strdup (name);
  return TRUE;
}
