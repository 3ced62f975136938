/* vigil-peer-private.h: what vigil-peer*.c share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* An address in IPv6 form (IPv4 as ::ffff:a.b.c.d) and a port, as /proc shows them. */
typedef struct
{
  guint8  addr[16];
  guint16 port;
} Endpoint;

/* One TCP socket: its two ends, its owner and its inode. */
typedef struct
{
  Endpoint local;
  Endpoint remote;
  guint    uid;
  guint64  inode;
} ProcSocket;

/* SA's address and port; FALSE for an address that is neither IPv4 nor IPv6. */
gboolean _vigil_peer_endpoint_from_inet (GInetSocketAddress *sa,
                                         Endpoint           *out);

/* The TCP socket whose ends are LOCAL and REMOTE, asked of the kernel's socket diagnostics
 * (netlink): FALSE when it has none or cannot be asked (the caller reads /proc then). */
gboolean _vigil_peer_diag_find_socket (const Endpoint *local,
                                       const Endpoint *remote,
                                       ProcSocket     *out);

/* The same, read from PATH (/proc/net/tcp or /proc/net/tcp6): every socket of the machine
 * is listed there, so this is the fallback. */
gboolean _vigil_peer_proc_find_socket (const char     *path,
                                       const Endpoint *local,
                                       const Endpoint *remote,
                                       ProcSocket     *out);

G_END_DECLS
