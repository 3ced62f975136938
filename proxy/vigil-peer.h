/* vigil-peer.h: the local process behind a client socket.
 *
 * Blocking (reads /proc): call from a worker thread, never the engine thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "vigil-types.h"

G_BEGIN_DECLS

struct _VigilPeer
{
  gint   pid;       /* 0 when unknown */
  gint64 uid;       /* -1 when unknown */
  char  *user;      /* OS user name, or NULL */
  char  *exe;       /* /proc/PID/exe target, or NULL */
  char  *cmdline;   /* arguments joined by spaces, or NULL */
};

/* The peer of a connected Unix socket, through SO_PEERCRED. */
VigilPeer *vigil_peer_from_unix_fd (int                  fd);
/* The peer of a loopback TCP connection accepted on LOCAL from REMOTE, through
 * /proc/net/tcp{,6} and /proc/PID/fd. Never NULL: unknown fields stay unset. */
VigilPeer *vigil_peer_from_tcp     (GInetSocketAddress  *local,
                                    GInetSocketAddress  *remote);
VigilPeer *vigil_peer_copy         (const VigilPeer     *self);
void       vigil_peer_free         (VigilPeer           *self);
/* "pid=123 exe=/usr/bin/psql user=alice" for logs. */
char      *vigil_peer_to_string    (const VigilPeer     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilPeer, vigil_peer_free)

G_END_DECLS
