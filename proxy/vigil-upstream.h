/* vigil-upstream.h: one server connection, opened by libpq, then spoken to byte for byte.
 *
 * libpq does what it is good at: conninfo, ~/.pgpass, TLS modes, trust, password, md5
 * and SCRAM. Once it reports CONNECTION_OK the engine takes the socket (and libpq's TLS
 * object) over and forwards protocol messages itself. Connecting, cancelling and closing
 * block, so they run on worker threads.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>

#include "vigil-types.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *value;
} VigilParameter;

/* STARTUP holds the client's startup parameters (name -> value) other than user and
 * database; they reach the server as the client sent them. */
void           vigil_upstream_connect_async  (const char           *conninfo,
                                              GHashTable           *startup,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
VigilUpstream *vigil_upstream_connect_finish (GAsyncResult         *result,
                                              GError              **error);

int            vigil_upstream_get_fd         (VigilUpstream        *self);
/* libpq's TLS object when the server connection is encrypted (owned by libpq). */
SSL           *vigil_upstream_get_ssl        (VigilUpstream        *self);
guint32        vigil_upstream_get_backend_pid(VigilUpstream        *self);
/* The ParameterStatus values the server reported at startup, in a stable order. */
GPtrArray     *vigil_upstream_get_parameters (VigilUpstream        *self);
/* Sends a CancelRequest for the running query (on a worker thread). */
void           vigil_upstream_cancel         (VigilUpstream        *self);
/* Closes the connection on a worker thread and frees SELF. */
void           vigil_upstream_close          (VigilUpstream        *self);

/* Builds libpq's `options` value: the client's own options followed by "-c name=value"
 * for each other startup parameter, escaped as the server's option parser expects. */
char          *_vigil_upstream_build_options (GHashTable           *startup);

G_END_DECLS
