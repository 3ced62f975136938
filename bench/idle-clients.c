/* idle-clients.c: holds N client connections open and idle, for the RSS figure.
 *
 * Opens N connections one after the other (libpq; the password comes from PGPASSWORD),
 * runs "SELECT 1" on each so that every session is fully set up, upstream included,
 * prints "ready N" and keeps them open and idle until SIGTERM or SIGINT, then closes
 * them and exits 0.
 *
 *   idle-clients N CONNINFO
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <glib-unix.h>
#include <libpq-fe.h>

static gboolean
stop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* A connection that has answered a query, or NULL after saying why not. */
static PGconn *
open_one (const char *conninfo,
          guint       index)
{
  PGconn *conn = PQconnectdb (conninfo);
  PGresult *result;
  gboolean ok;

  if (PQstatus (conn) != CONNECTION_OK)
    {
      fprintf (stderr, "idle-clients: connection %u: %s", index + 1, PQerrorMessage (conn));
      PQfinish (conn);
      return NULL;
    }
  result = PQexec (conn, "SELECT 1");
  ok = PQresultStatus (result) == PGRES_TUPLES_OK;
  if (!ok)
    fprintf (stderr, "idle-clients: connection %u: %s", index + 1, PQerrorMessage (conn));
  PQclear (result);
  if (!ok)
    {
      PQfinish (conn);
      return NULL;
    }
  return conn;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func ((GDestroyNotify) PQfinish);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint n = argc == 3 ? (guint) strtoul (argv[1], NULL, 10) : 0;

  if (n == 0)
    {
      fprintf (stderr, "usage: idle-clients N CONNINFO\n");
      return 2;
    }
  g_unix_signal_add (SIGTERM, stop_cb, loop);
  g_unix_signal_add (SIGINT, stop_cb, loop);
  for (guint i = 0; i < n; i++)
    {
      PGconn *conn = open_one (argv[2], i);

      if (conn == NULL)
        return 1;
      g_ptr_array_add (conns, conn);
    }
  printf ("ready %u\n", n);
  fflush (stdout);
  g_main_loop_run (loop);
  return 0;
}
