/* vigil-listen.h: listening sockets with a backlog for bursts of clients.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A stream socket bound to ADDRESS and listening (SO_REUSEADDR with ALLOW_REUSE), blocking
 * as GLib makes it; NULL and ERROR when it cannot. */
GSocket *vigil_listen_socket_new (GSocketAddress  *address,
                                  gboolean         allow_reuse,
                                  GError         **error);

G_END_DECLS
