/* vigil-function-names.h: what a FunctionCall's oid names, from the upstream catalog.
 *
 * A FunctionCall message names its function by oid only; the policy judges names.
 * Cached per conninfo for the life of the process; lookups run on a worker thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The cached "schema.name" of OID on CONNINFO: NULL while unknown, "" when the upstream
 * has no such function. Thread-safe, never blocks. */
char    *vigil_function_names_lookup        (const char          *conninfo,
                                             guint32              oid);
/* Looks OID up on the upstream (its own libpq connection, off the caller's thread) and
 * fills the cache; CALLBACK runs on the thread-default context. */
void     vigil_function_names_resolve_async (const char          *conninfo,
                                             guint32              oid,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
void     vigil_function_names_resolve_finish (GAsyncResult       *result);

G_END_DECLS
