/* vigil-function-names.c: what a FunctionCall's oid names, from the upstream catalog.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libpq-fe.h>

#include "vigil-function-names.h"

#define CACHE_LIMIT 4096

static GMutex cache_lock;
static GHashTable *cache;   /* "conninfo\noid" -> "schema.name" or "" */

static char *
cache_key (const char *conninfo,
           guint32     oid)
{
  return g_strdup_printf ("%s\n%u", conninfo, oid);
}

char *
vigil_function_names_lookup (const char *conninfo,
                             guint32     oid)
{
  g_autofree char *key = cache_key (conninfo, oid);
  char *name = NULL;

  g_mutex_lock (&cache_lock);
  if (cache != NULL)
    name = g_strdup (g_hash_table_lookup (cache, key));
  g_mutex_unlock (&cache_lock);
  return name;
}

static void
remember (const char *conninfo,
          guint32     oid,
          const char *name)
{
  g_mutex_lock (&cache_lock);
  if (cache == NULL || g_hash_table_size (cache) >= CACHE_LIMIT)
    {
      g_clear_pointer (&cache, g_hash_table_unref);
      cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  g_hash_table_replace (cache, cache_key (conninfo, oid), g_strdup (name));
  g_mutex_unlock (&cache_lock);
}

/* "" when the upstream answered that there is no such function; NULL when it could not
 * be asked (the call is then judged as an unknown function, and asked again next time). */
static char *
query_name (const char *conninfo,
            guint32     oid)
{
  g_autofree char *oid_text = g_strdup_printf ("%u", oid);
  const char *values[1] = { oid_text };
  PGconn *conn = PQconnectdb (conninfo);
  PGresult *res;
  char *name = NULL;

  if (PQstatus (conn) == CONNECTION_OK)
    {
      res = PQexecParams (conn,
                          "SELECT n.nspname || '.' || p.proname FROM pg_catalog.pg_proc p"
                          " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                          " WHERE p.oid = $1::pg_catalog.oid",
                          1, NULL, values, NULL, NULL, 0);
      if (PQresultStatus (res) == PGRES_TUPLES_OK)
        name = g_strdup (PQntuples (res) == 1 ? PQgetvalue (res, 0, 0) : "");
      PQclear (res);
    }
  PQfinish (conn);
  return name;
}

typedef struct
{
  char    *conninfo;
  guint32  oid;
} Lookup;

static void
lookup_free (gpointer data)
{
  Lookup *l = data;

  g_free (l->conninfo);
  g_free (l);
}

static void
resolve_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Lookup *l = task_data;
  g_autofree char *name = query_name (l->conninfo, l->oid);

  remember (l->conninfo, l->oid, name ? name : "");
  g_task_return_boolean (task, TRUE);
}

void
vigil_function_names_resolve_async (const char          *conninfo,
                                    guint32              oid,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  Lookup *l = g_new0 (Lookup, 1);

  l->conninfo = g_strdup (conninfo);
  l->oid = oid;
  g_task_set_source_tag (task, vigil_function_names_resolve_async);
  g_task_set_task_data (task, l, lookup_free);
  g_task_run_in_thread (task, resolve_thread);
}

void
vigil_function_names_resolve_finish (GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}
