/* vigil-catalog.h: table and column names from an upstream's catalog, cached per conninfo.
 *
 * The lookups that may block (libpq) say so; the engine runs them through
 * vigil_catalog_load_async. The cached readers never block on the network and may run
 * on the engine thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VigilCatalog VigilCatalog;

typedef struct
{
  char    *schema;
  char    *table;
  char    *column;
  guint32  type_oid;
} VigilCatalogColumn;

void          vigil_catalog_column_free     (VigilCatalogColumn *column);

/* The process-wide catalog of CONNINFO; lives as long as the process. Thread-safe. */
VigilCatalog *vigil_catalog_get             (const char         *conninfo);

/* Cached readers (never block). */
gboolean      vigil_catalog_has_tables      (VigilCatalog       *self,
                                             const guint32      *oids,
                                             guint               n_oids);
/* FALSE when the column is unknown (not cached, dropped, a system column). */
gboolean      vigil_catalog_lookup_column   (VigilCatalog       *self,
                                             guint32             table_oid,
                                             gint16              attnum,
                                             VigilCatalogColumn *out);
/* The columns of RELATION ("name" or "schema.name") in attnum order, or NULL when not
 * cached; *OUT_KNOWN says whether the relation was looked up at all. */
GPtrArray    *vigil_catalog_relation_columns (VigilCatalog      *self,
                                              const char        *relation,
                                              gboolean          *out_known);

/* Blocking: query the upstream (libpq) and fill the cache. */
gboolean      vigil_catalog_load_tables     (VigilCatalog       *self,
                                             const guint32      *oids,
                                             guint               n_oids,
                                             GError            **error);
gboolean      vigil_catalog_load_relation   (VigilCatalog       *self,
                                             const char         *relation,
                                             GError            **error);

/* Non-blocking: vigil_catalog_load_relation (RELATION set) or vigil_catalog_load_tables
 * on the catalog's own worker thread; CALLBACK runs in the caller's thread-default main
 * context. Lookups waiting for the upstream so never hold the threads GLib's tasks share
 * (upstream connects, token checks). */
void          vigil_catalog_load_async      (VigilCatalog       *self,
                                             const guint32      *oids,
                                             guint               n_oids,
                                             const char         *relation,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
gboolean      vigil_catalog_load_finish     (GAsyncResult       *result,
                                             GError            **error);

/* After DDL: everything is looked up again. */
void          vigil_catalog_invalidate      (VigilCatalog       *self);
/* Changes with every invalidation: what was worked out from the names before is stale. */
guint         vigil_catalog_get_generation  (VigilCatalog       *self);

G_END_DECLS
