/* vigil-test-wire.c: a message-by-message protocol client for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "vigil-test-scram-client.h"
#include "vigil-test-wire.h"
#include "vigil-wire.h"

#define WIRE_TIMEOUT_S  10
#define WIRE_MAX        (64 * 1024 * 1024)

struct _VigilTestWire
{
  int fd;
};

static void
read_exact (VigilTestWire *self,
            guint8        *buf,
            gsize          len)
{
  gsize got = 0;

  while (got < len)
    {
      ssize_t n = read (self->fd, buf + got, len - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("wire: %s", n == 0 ? "the server closed the connection" : g_strerror (errno));
      got += (gsize) n;
    }
}

GBytes *
vigil_test_wire_read (VigilTestWire *self)
{
  guint8 header[5];
  guint32 len;
  guint8 *msg;

  read_exact (self, header, sizeof header);
  len = vigil_wire_get_uint32 (header + 1);
  g_assert_cmpuint (len, >=, 4);
  g_assert_cmpuint (len, <=, WIRE_MAX);
  msg = g_malloc (len + 1);
  memcpy (msg, header, sizeof header);
  read_exact (self, msg + sizeof header, len - 4);
  return g_bytes_new_take (msg, len + 1);
}

GPtrArray *
vigil_test_wire_read_until_ready (VigilTestWire *self)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (;;)
    {
      GBytes *msg = vigil_test_wire_read (self);

      g_ptr_array_add (messages, msg);
      if (((const guint8 *) g_bytes_get_data (msg, NULL))[0] == 'Z')
        return messages;
    }
}

void
vigil_test_wire_send (VigilTestWire *self,
                      GByteArray    *msg)
{
  gsize sent = 0;

  while (sent < msg->len)
    {
      ssize_t n = write (self->fd, msg->data + sent, msg->len - sent);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("wire: %s", g_strerror (errno));
      sent += (gsize) n;
    }
  g_byte_array_set_size (msg, 0);
}

static int
connect_loopback (guint16 port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  struct timeval timeout = { .tv_sec = WIRE_TIMEOUT_S };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), ==, 0);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  return fd;
}

static void
send_startup (VigilTestWire *self,
              const char    *user,
              const char    *database)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  guint8 len[4];

  g_byte_array_append (msg, len, sizeof len);
  vigil_wire_add_int32 (msg, 196608);
  vigil_wire_add_string (msg, "user");
  vigil_wire_add_string (msg, user);
  vigil_wire_add_string (msg, "database");
  vigil_wire_add_string (msg, database);
  vigil_wire_add_byte (msg, 0);
  vigil_wire_put_uint32 (msg->data, msg->len);
  vigil_test_wire_send (self, msg);
}

/* The Authentication message's code and its data (after the code). */
static gint32
read_auth (VigilTestWire *self,
           GBytes       **out_msg,
           const char   **out_data,
           gsize         *out_len)
{
  GBytes *msg = vigil_test_wire_read (self);
  gsize len;
  const guint8 *p = g_bytes_get_data (msg, &len);

  if (p[0] == 'E')
    g_error ("wire: login refused");
  g_assert_cmpint (p[0], ==, 'R');
  g_assert_cmpuint (len, >=, 9);
  *out_msg = msg;
  *out_data = (const char *) p + 9;
  *out_len = len - 9;
  return (gint32) vigil_wire_get_uint32 (p + 5);
}

static void
scram_login (VigilTestWire *self,
             const char    *password)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GBytes) continue_msg = NULL;
  g_autoptr(GBytes) final_msg = NULL;
  g_autofree char *nonce = g_uuid_string_random ();
  g_autofree char *first_bare = g_strconcat ("n=,r=", nonce, NULL);
  g_autofree char *server_first = NULL;
  g_autofree char *final = NULL;
  g_autofree char *expected = NULL;
  const char *data;
  gsize len, start;

  start = vigil_wire_begin (msg, 'p');
  vigil_wire_add_string (msg, "SCRAM-SHA-256");
  vigil_wire_add_int32 (msg, (gint32) strlen (first_bare) + 3);
  vigil_wire_add_bytes (msg, "n,,", 3);
  vigil_wire_add_bytes (msg, first_bare, strlen (first_bare));
  vigil_wire_end (msg, start);
  vigil_test_wire_send (self, msg);

  g_assert_cmpint (read_auth (self, &continue_msg, &data, &len), ==, 11);
  server_first = g_strndup (data, len);
  final = vigil_test_scram_client_final (first_bare, server_first, password, "biws", &expected);
  start = vigil_wire_begin (msg, 'p');
  vigil_wire_add_bytes (msg, final, strlen (final));
  vigil_wire_end (msg, start);
  vigil_test_wire_send (self, msg);

  g_assert_cmpint (read_auth (self, &final_msg, &data, &len), ==, 12);
  g_assert_cmpmem (data, len, expected, strlen (expected));
}

VigilTestWire *
vigil_test_wire_login (guint16     port,
                       const char *user,
                       const char *password,
                       const char *database)
{
  VigilTestWire *self = g_new0 (VigilTestWire, 1);
  g_autoptr(GBytes) sasl = NULL;
  g_autoptr(GBytes) ok = NULL;
  g_autoptr(GPtrArray) rest = NULL;
  const char *data;
  gsize len;

  self->fd = connect_loopback (port);
  send_startup (self, user, database);
  g_assert_cmpint (read_auth (self, &sasl, &data, &len), ==, 10);
  g_assert_nonnull (g_strstr_len (data, (gssize) len, "SCRAM-SHA-256"));
  scram_login (self, password);
  g_assert_cmpint (read_auth (self, &ok, &data, &len), ==, 0);
  rest = vigil_test_wire_read_until_ready (self);
  return self;
}

void
vigil_test_wire_free (VigilTestWire *self)
{
  if (self == NULL)
    return;
  close (self->fd);
  g_free (self);
}
