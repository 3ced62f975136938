/* vigilctl-serve.c: `vigilctl serve`, the proxy without a window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "vigil-api.h"
#include "vigil-engine.h"
#include "vigil-options.h"
#include "vigil-store.h"
#include "vigilctl.h"

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

/* The line scripts and tests wait for: where to connect, once everything listens. */
static void
print_ready (VigilEngine *engine,
             VigilApi    *api)
{
  const char *socket_path = vigil_engine_get_socket_path (engine);
  const char *host = vigil_engine_get_listen_host (engine);
  gboolean v6 = strchr (host, ':') != NULL;

  printf ("vigil: ready tcp=%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
          vigil_engine_get_port (engine));
  if (socket_path != NULL)
    printf (" unix=%s", socket_path);
  if (api != NULL)
    printf (" api=http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", vigil_api_get_port (api));
  printf ("\n");
  fflush (stdout);
}

static int
run_engine (VigilOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = vigil_options_resolve_data_dir (o);
  g_autoptr(VigilStore) store = vigil_store_open (data_dir, &error);
  g_autoptr(VigilEngine) engine = NULL;
  g_autoptr(VigilApi) api = NULL;
  g_autoptr(GMainLoop) loop = NULL;

  if (store == NULL)
    {
      fprintf (stderr, "vigilctl: %s\n", error->message);
      return VIGILCTL_EXIT_ERROR;
    }
  engine = vigil_engine_new (store);
  if (!vigil_options_configure_engine (o, engine, &error) || !vigil_engine_start (engine, &error))
    {
      fprintf (stderr, "vigilctl: %s\n", error->message);
      return VIGILCTL_EXIT_ERROR;
    }
  api = vigil_options_start_api (o, engine, store, data_dir, &error);
  if (api == NULL && error != NULL)
    {
      fprintf (stderr, "vigilctl: --api %s: %s\n", o->api, error->message);
      vigil_engine_stop (engine);
      return VIGILCTL_EXIT_ERROR;
    }
  print_ready (engine, api);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  if (api != NULL)
    vigil_api_stop (api);
  vigil_engine_stop (engine);
  return VIGILCTL_EXIT_OK;
}

int
vigilctl_serve_main (int    argc,
                     char **argv)
{
  g_auto(VigilOptions) o = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree GOptionEntry *entries = vigil_options_get_entries (&o, FALSE);

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
