/* vigilctl-serve.c: `vigilctl serve`, the proxy without a window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>

#include <glib-unix.h>
#include <libpq-fe.h>

#include "vigil-engine.h"
#include "vigil-store.h"
#include "vigilctl.h"

typedef struct
{
  char  *data_dir;
  char **upstreams;
  char  *listen;
  char  *socket_dir;
  char  *api;
  char  *tls_cert;
  char  *tls_key;
  int    startup_timeout;
  int    approval_timeout;
} ServeOptions;

static void serve_options_clear (ServeOptions *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ServeOptions, serve_options_clear)

static void
serve_options_clear (ServeOptions *o)
{
  g_free (o->data_dir);
  g_strfreev (o->upstreams);
  g_free (o->listen);
  g_free (o->socket_dir);
  g_free (o->api);
  g_free (o->tls_cert);
  g_free (o->tls_key);
}

/* The connection's name is the conninfo's dbname, as libpq reads it. */
static char *
connection_name_from_conninfo (const char  *conninfo,
                               GError     **error)
{
  char *errmsg = NULL;
  PQconninfoOption *opts = PQconninfoParse (conninfo, &errmsg);
  char *name = NULL;

  if (opts == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "invalid --upstream: %s",
                   errmsg ? g_strchomp (errmsg) : "out of memory");
      PQfreemem (errmsg);
      return NULL;
    }
  for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
    if (g_str_equal (o->keyword, "dbname") && o->val != NULL && *o->val != '\0')
      name = g_strdup (o->val);
  PQconninfoFree (opts);
  if (name == NULL)
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                 "--upstream needs a dbname: it names the connection clients ask for");
  return name;
}

static gboolean
configure_engine (VigilEngine   *engine,
                  ServeOptions  *o,
                  GError       **error)
{
  for (guint i = 0; o->upstreams != NULL && o->upstreams[i] != NULL; i++)
    {
      g_autofree char *name = connection_name_from_conninfo (o->upstreams[i], error);

      if (name == NULL || !vigil_engine_add_connection (engine, name, o->upstreams[i], error))
        return FALSE;
    }
  if (o->listen != NULL && !vigil_engine_set_listen (engine, o->listen, error))
    return FALSE;
  if (o->socket_dir != NULL)
    vigil_engine_set_socket_dir (engine, o->socket_dir);
  if (o->approval_timeout > 0)
    vigil_engine_set_approval_timeout (engine, (guint) o->approval_timeout);
  if (o->startup_timeout > 0)
    vigil_engine_set_startup_timeout (engine, (guint) o->startup_timeout);
  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "--tls-cert and --tls-key go together");
      return FALSE;
    }
  if (o->tls_cert != NULL && !vigil_engine_set_tls (engine, o->tls_cert, o->tls_key, error))
    return FALSE;
  return TRUE;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static void
print_ready (VigilEngine *engine)
{
  const char *socket_path = vigil_engine_get_socket_path (engine);
  const char *host = vigil_engine_get_listen_host (engine);
  gboolean v6 = strchr (host, ':') != NULL;

  printf ("vigil: ready tcp=%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
          vigil_engine_get_port (engine));
  if (socket_path != NULL)
    printf (" unix=%s", socket_path);
  printf ("\n");
  fflush (stdout);
}

static int
run_engine (ServeOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = vigilctl_resolve_data_dir (o->data_dir);
  g_autoptr(VigilStore) store = vigil_store_open (data_dir, &error);
  g_autoptr(VigilEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = NULL;

  if (store == NULL)
    {
      fprintf (stderr, "vigilctl: %s\n", error->message);
      return VIGILCTL_EXIT_ERROR;
    }
  engine = vigil_engine_new (store);
  if (!configure_engine (engine, o, &error) || !vigil_engine_start (engine, &error))
    {
      fprintf (stderr, "vigilctl: %s\n", error->message);
      return VIGILCTL_EXIT_ERROR;
    }
  print_ready (engine);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  vigil_engine_stop (engine);
  return VIGILCTL_EXIT_OK;
}

int
vigilctl_serve_main (int    argc,
                     char **argv)
{
  g_auto(ServeOptions) o = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "upstream", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.upstreams,
      "An upstream PostgreSQL (libpq conninfo); its dbname names the connection", "CONNINFO" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &o.listen,
      "TCP address to listen on (default 127.0.0.1:6543)", "HOST:PORT" },
    { "socket-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.socket_dir,
      "Directory of the Unix socket (default $XDG_RUNTIME_DIR/vigil)", "DIR" },
    { "api", 0, 0, G_OPTION_ARG_STRING, &o.api,
      "HTTP API address (default 127.0.0.1:6544)", "HOST:PORT" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_cert,
      "PEM certificate for TLS toward clients", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o.tls_key,
      "PEM private key for TLS toward clients", "FILE" },
    { "startup-timeout", 0, 0, G_OPTION_ARG_INT, &o.startup_timeout,
      "Seconds a client has to log in (default 30)", "SECONDS" },
    { "approval-timeout", 0, 0, G_OPTION_ARG_INT, &o.approval_timeout,
      "Seconds a held statement waits for a decision before it is denied (default 300)",
      "SECONDS" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.data_dir,
      "Vigil's data directory", "DIR" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("- serve PostgreSQL clients through Vigil");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "vigilctl serve: %s\n", error->message);
      return VIGILCTL_EXIT_ERROR;
    }
  if (argc > 1)
    {
      fprintf (stderr, "vigilctl serve: unexpected argument '%s'\n", argv[1]);
      return VIGILCTL_EXIT_ERROR;
    }
  return run_engine (&o);
}
