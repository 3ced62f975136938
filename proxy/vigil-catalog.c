/* vigil-catalog.c: table and column names from an upstream's catalog, cached per conninfo.
 *
 * One catalog per conninfo for the whole process, each with its own libpq connection
 * (opened on first use, reopened after a failure). The catalog connection sees committed
 * state only: a table created in a client's open transaction stays unknown until commit,
 * and its columns then get the value detectors only. Entries expire after a while so
 * that DDL made by other clients is seen too; the session drops them all after DDL of
 * its own.
 *
 * Lookups share the connection one at a time; the engine's go through the catalog's own
 * worker thread (vigil_catalog_load_async), so while the upstream keeps them waiting they
 * hold none of the threads GLib's tasks share. Sessions that miss the same table at once
 * (agents starting together) make one query: a lookup that waited for the connection
 * first looks again at what the lookup before it stored, and queries only for what is
 * still missing or older than the last invalidation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libpq-fe.h>

#include "vigil-catalog.h"
#include "vigil-types.h"

#define CATALOG_TTL_US         (60 * G_USEC_PER_SEC)
#define CATALOG_MISSING_TTL_US (2 * G_USEC_PER_SEC)
#define CATALOG_MAX_TABLES     4096

static const char tables_sql[] =
  "select c.oid, n.nspname, c.relname, a.attnum, a.attname, a.atttypid"
  "  from pg_catalog.pg_class c"
  "  join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
  "  left join pg_catalog.pg_attribute a"
  "    on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped"
  " where c.oid = any ($1::pg_catalog.oid[])";

static const char relation_sql[] =
  "select c.oid, n.nspname, c.relname, a.attnum, a.attname, a.atttypid"
  "  from pg_catalog.pg_class c"
  "  join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
  "  left join pg_catalog.pg_attribute a"
  "    on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped"
  " where c.oid = pg_catalog.to_regclass ($1)";

typedef struct
{
  char      *schema;      /* NULL: no such table */
  char      *table;
  GPtrArray *columns;     /* attnum - 1 -> CatalogAttr, NULL for dropped ones */
  gint64     loaded_us;
  guint      generation;  /* the catalog's when the query that stored it began */
} CatalogTable;

typedef struct
{
  char    *name;
  guint32  type_oid;
} CatalogAttr;

typedef struct
{
  guint32 oid;            /* 0: no such relation */
  gint64  loaded_us;
  guint   generation;     /* as CatalogTable's */
} CatalogRelation;

struct _VigilCatalog
{
  char       *conninfo;

  /* shared, under lock */
  GMutex      lock;
  GHashTable *tables;     /* GUINT_TO_POINTER (oid) -> CatalogTable */
  GHashTable *relations;  /* name as the classifier wrote it -> CatalogRelation */
  guint       generation; /* atomic: bumped by each invalidation */

  /* the worker holding conn_lock only; it may take lock too (never the other way) */
  GMutex      conn_lock;
  PGconn     *conn;

  GThreadPool *worker;    /* one thread: the async loads, in order */
};

typedef struct
{
  GArray *oids;           /* load_tables, unless */
  char   *relation;       /* load_relation */
} LoadRequest;

static GMutex registry_lock;
static GHashTable *registry;  /* conninfo -> VigilCatalog */

static void
attr_free (gpointer data)
{
  CatalogAttr *attr = data;

  if (attr == NULL)
    return;
  g_free (attr->name);
  g_free (attr);
}

static void
table_free (gpointer data)
{
  CatalogTable *t = data;

  g_free (t->schema);
  g_free (t->table);
  g_clear_pointer (&t->columns, g_ptr_array_unref);
  g_free (t);
}

static gboolean
table_fresh (const CatalogTable *t,
             gint64              now)
{
  return now - t->loaded_us < (t->schema != NULL ? CATALOG_TTL_US : CATALOG_MISSING_TTL_US);
}

static CatalogTable *
table_new_missing (gint64 now,
                   guint  generation)
{
  CatalogTable *t = g_new0 (CatalogTable, 1);

  t->loaded_us = now;
  t->generation = generation;
  return t;
}

/* Caller holds lock. */
static CatalogTable *
fresh_table (VigilCatalog *self,
             guint32       oid,
             gint64        now)
{
  CatalogTable *t = g_hash_table_lookup (self->tables, GUINT_TO_POINTER (oid));

  return t != NULL && table_fresh (t, now) ? t : NULL;
}

/* Caller holds lock. Whether a query that began since the last invalidation stored OID
 * and it has not expired: a lookup for it now would learn nothing new. */
static gboolean
table_current (VigilCatalog *self,
               guint32       oid,
               gint64        now)
{
  CatalogTable *t = fresh_table (self, oid, now);

  return t != NULL && t->generation == (guint) g_atomic_int_get (&self->generation);
}

/* Caller holds lock. As table_current, for a relation by name and its table. */
static gboolean
relation_current (VigilCatalog *self,
                  const char   *relation,
                  gint64        now)
{
  CatalogRelation *rel = g_hash_table_lookup (self->relations, relation);

  return rel != NULL && now - rel->loaded_us < CATALOG_TTL_US
         && rel->generation == (guint) g_atomic_int_get (&self->generation)
         && (rel->oid == 0 || table_current (self, rel->oid, now));
}

static void
column_fill (VigilCatalogColumn *out,
             const CatalogTable *t,
             const CatalogAttr  *attr)
{
  out->schema = g_strdup (t->schema);
  out->table = g_strdup (t->table);
  out->column = g_strdup (attr->name);
  out->type_oid = attr->type_oid;
}

/* ---- libpq (worker threads) ---------------------------------------------------------- */

static PGconn *
ensure_connection (VigilCatalog  *self,
                   GError       **error)
{
  const char *keys[] = { "dbname", "application_name", "connect_timeout", NULL };
  const char *values[] = { self->conninfo, "vigil-catalog", "10", NULL };

  if (self->conn != NULL && PQstatus (self->conn) == CONNECTION_OK)
    return self->conn;
  g_clear_pointer (&self->conn, PQfinish);
  self->conn = PQconnectdbParams (keys, values, 1);
  if (PQstatus (self->conn) != CONNECTION_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "catalog connection: %s",
                   PQerrorMessage (self->conn));
      g_clear_pointer (&self->conn, PQfinish);
      return NULL;
    }
  return self->conn;
}

/* Runs SQL with one text parameter; retries once on a fresh connection. */
static PGresult *
run_query (VigilCatalog  *self,
           const char    *sql,
           const char    *param,
           GError       **error)
{
  for (int attempt = 0; attempt < 2; attempt++)
    {
      PGconn *conn = ensure_connection (self, error);
      PGresult *res;

      if (conn == NULL)
        return NULL;
      res = PQexecParams (conn, sql, 1, NULL, &param, NULL, NULL, 0);
      if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return res;
      g_clear_error (error);
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "catalog query: %s",
                   PQerrorMessage (conn));
      PQclear (res);
      if (PQstatus (conn) == CONNECTION_OK)
        return NULL;
      g_clear_pointer (&self->conn, PQfinish);
    }
  return NULL;
}

/* Caller holds lock. Rows: oid, nspname, relname, attnum, attname, atttypid, from a
 * query that began at NOW in GENERATION. */
static void
store_rows (VigilCatalog *self,
            PGresult     *res,
            gint64        now,
            guint         generation)
{
  for (int i = 0; i < PQntuples (res); i++)
    {
      guint32 oid = (guint32) g_ascii_strtoull (PQgetvalue (res, i, 0), NULL, 10);
      CatalogTable *t = g_hash_table_lookup (self->tables, GUINT_TO_POINTER (oid));
      gint64 attnum;
      CatalogAttr *attr;

      if (t == NULL || t->loaded_us != now)
        {
          t = g_new0 (CatalogTable, 1);
          t->schema = g_strdup (PQgetvalue (res, i, 1));
          t->table = g_strdup (PQgetvalue (res, i, 2));
          t->columns = g_ptr_array_new_with_free_func (attr_free);
          t->loaded_us = now;
          t->generation = generation;
          g_hash_table_replace (self->tables, GUINT_TO_POINTER (oid), t);
        }
      if (PQgetisnull (res, i, 3))
        continue;
      attnum = g_ascii_strtoll (PQgetvalue (res, i, 3), NULL, 10);
      if (attnum < 1 || attnum > G_MAXINT16)
        continue;
      if ((guint) attnum > t->columns->len)
        g_ptr_array_set_size (t->columns, (guint) attnum);
      attr = g_new0 (CatalogAttr, 1);
      attr->name = g_strdup (PQgetvalue (res, i, 4));
      attr->type_oid = (guint32) g_ascii_strtoull (PQgetvalue (res, i, 5), NULL, 10);
      attr_free (g_ptr_array_index (t->columns, attnum - 1));
      g_ptr_array_index (t->columns, attnum - 1) = attr;
    }
}

/* "schema.name" as the classifier writes it -> "\"schema\".\"name\"" for to_regclass. */
static char *
quote_relation (const char *relation)
{
  g_auto(GStrv) parts = g_strsplit (relation, ".", 3);
  GString *out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *escaped = NULL;
      g_auto(GStrv) quotes = g_strsplit (parts[i], "\"", -1);

      escaped = g_strjoinv ("\"\"", quotes);
      g_string_append_printf (out, "%s\"%s\"", i > 0 ? "." : "", escaped);
    }
  return g_string_free (out, FALSE);
}

static void
load_request_free (gpointer data)
{
  LoadRequest *request = data;

  g_clear_pointer (&request->oids, g_array_unref);
  g_free (request->relation);
  g_free (request);
}

/* The worker's function: one GTask of vigil_catalog_load_async. */
static void
load_in_worker (gpointer data,
                gpointer user_data)
{
  g_autoptr(GTask) task = data;
  VigilCatalog *self = user_data;
  LoadRequest *request = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean ok;

  if (request->relation != NULL)
    ok = vigil_catalog_load_relation (self, request->relation, &error);
  else
    ok = vigil_catalog_load_tables (self, (const guint32 *) (gconstpointer) request->oids->data,
                                    request->oids->len, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* ---- public -------------------------------------------------------------------------- */

void
vigil_catalog_column_free (VigilCatalogColumn *column)
{
  if (column == NULL)
    return;
  g_free (column->schema);
  g_free (column->table);
  g_free (column->column);
  g_free (column);
}

VigilCatalog *
vigil_catalog_get (const char *conninfo)
{
  VigilCatalog *self;

  g_return_val_if_fail (conninfo != NULL, NULL);

  g_mutex_lock (&registry_lock);
  if (registry == NULL)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  self = g_hash_table_lookup (registry, conninfo);
  if (self == NULL)
    {
      self = g_new0 (VigilCatalog, 1);
      self->conninfo = g_strdup (conninfo);
      g_mutex_init (&self->lock);
      g_mutex_init (&self->conn_lock);
      self->tables = g_hash_table_new_full (NULL, NULL, NULL, table_free);
      self->relations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      self->worker = g_thread_pool_new (load_in_worker, self, 1, FALSE, NULL);
      g_hash_table_insert (registry, self->conninfo, self);
    }
  g_mutex_unlock (&registry_lock);
  return self;
}

gboolean
vigil_catalog_has_tables (VigilCatalog  *self,
                          const guint32 *oids,
                          guint          n_oids)
{
  gint64 now = g_get_monotonic_time ();
  gboolean all = TRUE;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < n_oids && all; i++)
    all = fresh_table (self, oids[i], now) != NULL;
  g_mutex_unlock (&self->lock);
  return all;
}

gboolean
vigil_catalog_lookup_column (VigilCatalog       *self,
                             guint32             table_oid,
                             gint16              attnum,
                             VigilCatalogColumn *out)
{
  CatalogTable *t;
  CatalogAttr *attr = NULL;

  memset (out, 0, sizeof *out);
  g_mutex_lock (&self->lock);
  t = g_hash_table_lookup (self->tables, GUINT_TO_POINTER (table_oid));
  if (t != NULL && t->schema != NULL && attnum >= 1 && (guint) attnum <= t->columns->len)
    attr = g_ptr_array_index (t->columns, attnum - 1);
  if (attr != NULL)
    column_fill (out, t, attr);
  g_mutex_unlock (&self->lock);
  return attr != NULL;
}

GPtrArray *
vigil_catalog_relation_columns (VigilCatalog *self,
                                const char   *relation,
                                gboolean     *out_known)
{
  gint64 now = g_get_monotonic_time ();
  CatalogRelation *rel;
  CatalogTable *t = NULL;
  GPtrArray *columns = NULL;

  g_mutex_lock (&self->lock);
  rel = g_hash_table_lookup (self->relations, relation);
  if (rel != NULL && now - rel->loaded_us < CATALOG_TTL_US)
    {
      *out_known = TRUE;
      t = rel->oid != 0 ? fresh_table (self, rel->oid, now) : NULL;
      if (rel->oid != 0 && t == NULL)
        *out_known = FALSE;
    }
  else
    *out_known = FALSE;
  if (t != NULL && t->schema != NULL)
    {
      columns = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_catalog_column_free);
      for (guint i = 0; i < t->columns->len; i++)
        {
          CatalogAttr *attr = g_ptr_array_index (t->columns, i);
          VigilCatalogColumn *c;

          if (attr == NULL)
            continue;
          c = g_new0 (VigilCatalogColumn, 1);
          column_fill (c, t, attr);
          g_ptr_array_add (columns, c);
        }
    }
  g_mutex_unlock (&self->lock);
  return columns;
}

/* Takes conn_lock, then lock; returns holding both, with *OUT_NOW and *OUT_GENERATION
 * the time and the generation a query made now begins at. */
static void
begin_lookup (VigilCatalog *self,
              gint64       *out_now,
              guint        *out_generation)
{
  g_mutex_lock (&self->conn_lock);
  g_mutex_lock (&self->lock);
  *out_now = g_get_monotonic_time ();
  *out_generation = (guint) g_atomic_int_get (&self->generation);
}

static void
end_lookup (VigilCatalog *self)
{
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->conn_lock);
}

/* Runs SQL with PARAM while holding conn_lock only: the cached readers go on meanwhile. */
static PGresult *
query_unlocked (VigilCatalog  *self,
                const char    *sql,
                const char    *param,
                GError       **error)
{
  PGresult *res;

  g_mutex_unlock (&self->lock);
  res = run_query (self, sql, param, error);
  g_mutex_lock (&self->lock);
  return res;
}

/* Caller holds lock. Those of OIDS not current, or NULL when none is missing. */
static GArray *
oids_to_look_up (VigilCatalog  *self,
                 const guint32 *oids,
                 guint          n_oids,
                 gint64         now)
{
  GArray *missing = NULL;

  for (guint i = 0; i < n_oids; i++)
    {
      if (table_current (self, oids[i], now))
        continue;
      if (missing == NULL)
        missing = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_oids - i);
      g_array_append_val (missing, oids[i]);
    }
  return missing;
}

/* OIDS as an oid[] literal. */
static char *
oid_array_literal (GArray *oids)
{
  GString *literal = g_string_new ("{");

  for (guint i = 0; i < oids->len; i++)
    g_string_append_printf (literal, "%s%u", i > 0 ? "," : "", g_array_index (oids, guint32, i));
  g_string_append_c (literal, '}');
  return g_string_free (literal, FALSE);
}

/* Caller holds lock. Remembers, for a while, those of OIDS the query that began at NOW
 * did not find (another database's OID, a dropped table). */
static void
store_missing (VigilCatalog *self,
               GArray       *oids,
               gint64        now,
               guint         generation)
{
  for (guint i = 0; i < oids->len; i++)
    {
      guint32 oid = g_array_index (oids, guint32, i);
      CatalogTable *t = g_hash_table_lookup (self->tables, GUINT_TO_POINTER (oid));

      if (t == NULL || t->loaded_us != now)
        g_hash_table_replace (self->tables, GUINT_TO_POINTER (oid),
                              table_new_missing (now, generation));
    }
}

gboolean
vigil_catalog_load_tables (VigilCatalog   *self,
                           const guint32  *oids,
                           guint           n_oids,
                           GError        **error)
{
  g_autoptr(GArray) missing = NULL;
  g_autofree char *param = NULL;
  PGresult *res = NULL;
  guint generation;
  gint64 now;

  begin_lookup (self, &now, &generation);
  missing = oids_to_look_up (self, oids, n_oids, now);
  if (missing != NULL)
    {
      param = oid_array_literal (missing);
      res = query_unlocked (self, tables_sql, param, error);
    }
  if (res != NULL)
    {
      if (g_hash_table_size (self->tables) > CATALOG_MAX_TABLES)
        g_hash_table_remove_all (self->tables);
      store_rows (self, res, now, generation);
      store_missing (self, missing, now, generation);
    }
  end_lookup (self);
  PQclear (res);
  return missing == NULL || res != NULL;
}

gboolean
vigil_catalog_load_relation (VigilCatalog  *self,
                             const char    *relation,
                             GError       **error)
{
  g_autofree char *quoted = quote_relation (relation);
  CatalogRelation *rel;
  PGresult *res = NULL;
  guint generation;
  gboolean current;
  gint64 now;

  begin_lookup (self, &now, &generation);
  current = relation_current (self, relation, now);
  if (!current && (res = query_unlocked (self, relation_sql, quoted, error)) != NULL)
    {
      rel = g_new0 (CatalogRelation, 1);
      rel->loaded_us = now;
      rel->generation = generation;
      if (PQntuples (res) > 0)
        rel->oid = (guint32) g_ascii_strtoull (PQgetvalue (res, 0, 0), NULL, 10);
      store_rows (self, res, now, generation);
      g_hash_table_replace (self->relations, g_strdup (relation), rel);
    }
  end_lookup (self);
  PQclear (res);
  return current || res != NULL;
}

void
vigil_catalog_load_async (VigilCatalog        *self,
                          const guint32       *oids,
                          guint                n_oids,
                          const char          *relation,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  LoadRequest *request = g_new0 (LoadRequest, 1);
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  if (relation != NULL)
    request->relation = g_strdup (relation);
  else
    {
      request->oids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), n_oids);
      g_array_append_vals (request->oids, oids, n_oids);
    }
  g_task_set_source_tag (task, vigil_catalog_load_async);
  g_task_set_task_data (task, request, load_request_free);
  /* The worker owns the task's reference from here. */
  g_thread_pool_push (self->worker, task, NULL);
}

gboolean
vigil_catalog_load_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vigil_catalog_invalidate (VigilCatalog *self)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->tables);
  g_hash_table_remove_all (self->relations);
  g_atomic_int_inc (&self->generation);
  g_mutex_unlock (&self->lock);
}

guint
vigil_catalog_get_generation (VigilCatalog *self)
{
  return (guint) g_atomic_int_get (&self->generation);
}
