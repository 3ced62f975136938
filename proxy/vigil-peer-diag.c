/* vigil-peer-diag.c: one TCP socket by its address pair, from the kernel's socket
 * diagnostics (NETLINK_SOCK_DIAG, what ss(8) uses).
 *
 * /proc/net/tcp prints every TCP socket of the machine, TIME_WAIT ones included, and
 * finding one there costs milliseconds once clients connect often; an exact-match
 * request makes the kernel look the socket up in its hash tables and answer with that one
 * socket's owner and inode.
 *
 * Runs on worker threads: a socket of its own for each lookup, nothing static.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE

#include "vigil-peer-private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#define DIAG_TIMEOUT_MS 1000
#define DIAG_REPLY_MAX  8192

typedef struct
{
  struct nlmsghdr         header;
  struct inet_diag_req_v2 request;
} DiagRequest;

static gboolean
is_v4_mapped (const Endpoint *endpoint)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return memcmp (endpoint->addr, prefix, sizeof prefix) == 0;
}

/* The address as inet_diag wants it: network order, IPv4 in the first word. */
static void
put_address (guint32        *out,
             const Endpoint *endpoint,
             int             family)
{
  if (family == AF_INET)
    memcpy (out, endpoint->addr + 12, 4);
  else
    memcpy (out, endpoint->addr, 16);
}

static void
build_request (DiagRequest    *message,
               const Endpoint *local,
               const Endpoint *remote,
               int             family)
{
  struct inet_diag_sockid *id = &message->request.id;

  memset (message, 0, sizeof *message);
  message->header.nlmsg_len = sizeof *message;
  message->header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message->header.nlmsg_flags = NLM_F_REQUEST;
  message->request.sdiag_family = (guint8) family;
  message->request.sdiag_protocol = IPPROTO_TCP;
  message->request.idiag_states = ~0u;
  id->idiag_sport = htons (local->port);
  id->idiag_dport = htons (remote->port);
  put_address (id->idiag_src, local, family);
  put_address (id->idiag_dst, remote, family);
  id->idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  id->idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

static int
open_diag_socket (void)
{
  struct timeval timeout = { DIAG_TIMEOUT_MS / 1000, (DIAG_TIMEOUT_MS % 1000) * 1000 };
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

  if (fd >= 0 && setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* The socket the reply describes, if it is one message about the socket asked for. Every
 * length is checked against what was received before it is read. */
static gboolean
parse_reply (const guint8      *reply,
             gsize              len,
             const DiagRequest *asked,
             ProcSocket        *out)
{
  const struct nlmsghdr *header = (const struct nlmsghdr *) (gconstpointer) reply;
  const struct inet_diag_msg *msg;

  if (len < NLMSG_LENGTH (sizeof *msg) || header->nlmsg_len > len
      || header->nlmsg_len < NLMSG_LENGTH (sizeof *msg)
      || header->nlmsg_type != SOCK_DIAG_BY_FAMILY)
    return FALSE;
  msg = NLMSG_DATA (header);
  if (msg->id.idiag_sport != asked->request.id.idiag_sport
      || msg->id.idiag_dport != asked->request.id.idiag_dport || msg->idiag_inode == 0)
    return FALSE;
  out->uid = msg->idiag_uid;
  out->inode = msg->idiag_inode;
  return TRUE;
}

static gboolean
ask (int             fd,
     const Endpoint *local,
     const Endpoint *remote,
     int             family,
     ProcSocket     *out)
{
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  guint32 reply[DIAG_REPLY_MAX / sizeof (guint32)];  /* aligned as netlink headers are */
  DiagRequest message;
  gssize n;

  build_request (&message, local, remote, family);
  if (sendto (fd, &message, sizeof message, 0, (struct sockaddr *) &kernel, sizeof kernel)
      != (gssize) sizeof message)
    return FALSE;
  do
    n = recv (fd, reply, sizeof reply, 0);
  while (n < 0 && errno == EINTR);
  return n > 0 && parse_reply ((const guint8 *) reply, (gsize) n, &message, out);
}

gboolean
_vigil_peer_diag_find_socket (const Endpoint *local,
                              const Endpoint *remote,
                              ProcSocket     *out)
{
  gboolean found = FALSE;
  int fd = open_diag_socket ();

  if (fd < 0)
    return FALSE;
  /* An IPv4 client's socket is AF_INET even where our listener sees it v4-mapped. */
  if (is_v4_mapped (local) && is_v4_mapped (remote))
    found = ask (fd, local, remote, AF_INET, out);
  if (!found)
    found = ask (fd, local, remote, AF_INET6, out);
  close (fd);
  if (found)
    {
      out->local = *local;
      out->remote = *remote;
    }
  return found;
}
