/* test-proxy-cancel.c: query cancellation through `vigilctl serve`.
 *
 * A CancelRequest sent to the proxy with the key the client got must cancel that client's
 * upstream query (SQLSTATE 57014, within 2 s), and only that one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-test-proxy.h"

#define CANCEL_BOUND_US (2 * G_USEC_PER_SEC)
#define SLEEP_SQL       "select pg_sleep(30)"

static void
send_sleep (PGconn *conn)
{
  g_assert_cmpint (PQsendQuery (conn, SLEEP_SQL), ==, 1);
  g_assert_cmpint (PQflush (conn), ==, 0);
}

static gboolean
send_cancel (PGconn *conn)
{
  PGcancel *cancel = PQgetCancel (conn);
  char errbuf[256] = "";
  int ok;

  g_assert_nonnull (cancel);
  ok = PQcancel (cancel, errbuf, sizeof errbuf);
  if (!ok)
    g_test_message ("PQcancel: %s", errbuf);
  PQfreeCancel (cancel);
  return ok;
}

/* Waits (bounded by deadline) for the running query's result; NULL when it did not end. */
static PGresult *
wait_result (PGconn *conn,
             gint64  deadline)
{
  while (PQisBusy (conn))
    {
      gint64 left = deadline - g_get_monotonic_time ();

      if (left <= 0 || !vigil_test_wait_input (conn, MAX (1, left / 1000)))
        {
          if (PQisBusy (conn))
            return NULL;
        }
    }
  return PQgetResult (conn);
}

/* Cancels conn's sleep and checks the 57014 arrives within the bound. */
static void
cancel_and_expect_57014 (PGconn *conn)
{
  gint64 sent;
  gint64 took;
  PGresult *res;

  sent = g_get_monotonic_time ();
  g_assert_true (send_cancel (conn));
  res = wait_result (conn, sent + 10 * G_USEC_PER_SEC);
  took = g_get_monotonic_time () - sent;
  g_assert_nonnull (res);
  g_test_message ("cancelled after %" G_GINT64_FORMAT " ms", took / 1000);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "57014");
  g_assert_cmpint (took, <, CANCEL_BOUND_US);
  PQclear (res);
  g_assert_null (PQgetResult (conn));
}

static void
assert_usable (PGconn *conn)
{
  g_autofree char *value = vigil_test_query_value (conn, "select 'usable'");

  g_assert_cmpstr (value, ==, "usable");
}

static void
test_cancel_single (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);

  if (conn == NULL)
    return;
  send_sleep (conn);
  g_usleep (G_USEC_PER_SEC / 2);
  cancel_and_expect_57014 (conn);
  assert_usable (conn);
  PQfinish (conn);
}

/* Two sessions sleep; cancelling one leaves the other running. */
static void
test_cancel_isolated (void)
{
  PGconn *a = vigil_test_env_connect (NULL);
  PGconn *b = a ? vigil_test_env_connect (NULL) : NULL;

  if (b == NULL)
    {
      g_clear_pointer (&a, PQfinish);
      return;
    }
  g_assert_cmpint (PQbackendPID (a), !=, PQbackendPID (b));
  send_sleep (a);
  send_sleep (b);
  g_usleep (G_USEC_PER_SEC / 2);
  cancel_and_expect_57014 (a);

  /* b is still sleeping a second later. */
  g_assert_null (wait_result (b, g_get_monotonic_time () + G_USEC_PER_SEC));
  g_assert_true (PQisBusy (b));
  assert_usable (a);
  cancel_and_expect_57014 (b);
  assert_usable (b);
  PQfinish (a);
  PQfinish (b);
}

/* A cancel over the Unix socket, and a session that was cancelled can be cancelled again. */
static void
test_cancel_unix_and_repeat (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autofree char *conninfo = NULL;
  PGconn *conn;

  if (proxy == NULL)
    return;
  conninfo = vigil_test_proxy_unix_conninfo (proxy, NULL);
  conn = PQconnectdb (conninfo);
  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("unix socket connection failed: %s", PQerrorMessage (conn));
  for (int i = 0; i < 3; i++)
    {
      send_sleep (conn);
      g_usleep (G_USEC_PER_SEC / 2);
      cancel_and_expect_57014 (conn);
    }
  assert_usable (conn);
  PQfinish (conn);
}

/* A cancel with a made-up key does nothing to anybody. */
static void
test_cancel_bogus_key (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnection) sock = NULL;
  g_autoptr(GError) error = NULL;
  guint32 packet[4];
  char byte;
  gssize n;

  if (conn == NULL)
    return;
  send_sleep (conn);
  g_usleep (G_USEC_PER_SEC / 2);

  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  sock = g_socket_client_connect_to_host (client, "127.0.0.1", vigil_test_proxy_get_port (proxy),
                                          NULL, &error);
  g_assert_no_error (error);
  packet[0] = GUINT32_TO_BE (16);
  packet[1] = GUINT32_TO_BE (80877102);
  packet[2] = GUINT32_TO_BE ((guint32) PQbackendPID (conn));
  packet[3] = GUINT32_TO_BE (0x12345678);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (sock)), packet,
                             sizeof packet, NULL, NULL, &error);
  g_assert_no_error (error);
  /* The server answers a cancel request by closing, whatever the key. */
  g_socket_set_timeout (g_socket_connection_get_socket (sock), 5);
  n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (sock)), &byte, 1, NULL,
                           &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 0);

  g_assert_null (wait_result (conn, g_get_monotonic_time () + G_USEC_PER_SEC));
  cancel_and_expect_57014 (conn);
  PQfinish (conn);
}

/* Cancelling an idle session is harmless. */
static void
test_cancel_idle (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);

  if (conn == NULL)
    return;
  g_assert_true (send_cancel (conn));
  g_usleep (G_USEC_PER_SEC / 5);
  assert_usable (conn);
  PQfinish (conn);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (NULL);

  g_test_add_func ("/proxy/cancel/single", test_cancel_single);
  g_test_add_func ("/proxy/cancel/isolated", test_cancel_isolated);
  g_test_add_func ("/proxy/cancel/unix-and-repeat", test_cancel_unix_and_repeat);
  g_test_add_func ("/proxy/cancel/bogus-key", test_cancel_bogus_key);
  g_test_add_func ("/proxy/cancel/idle", test_cancel_idle);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
