/* vigil-listen.c: listening sockets with a backlog for bursts of clients.
 *
 * GLib listens with a backlog of 10. Agents, a pool warming up or a test suite that
 * connect together overflow it, and the kernel drops each connect past it: the client
 * sends its SYN again a second later (then three). The kernel caps SOMAXCONN at
 * net.core.somaxconn.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sys/socket.h>

#include "vigil-listen.h"

GSocket *
vigil_listen_socket_new (GSocketAddress  *address,
                         gboolean         allow_reuse,
                         GError         **error)
{
  GSocketFamily family = g_socket_address_get_family (address);
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
                         family == G_SOCKET_FAMILY_UNIX ? G_SOCKET_PROTOCOL_DEFAULT
                                                        : G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, allow_reuse, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}
