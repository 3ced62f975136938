/* vigil-options.c: the engine's command-line options.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-options"

#include <glib/gi18n.h>
#include <libpq-fe.h>

#include "vigil-oidc.h"
#include "vigil-options.h"

#define DEFAULT_OIDC_CLAIM "email"

GOptionEntry *
vigil_options_get_entries (VigilOptions *o,
                           gboolean      with_demo)
{
  const GOptionEntry entries[] = {
    { "upstream", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->upstreams,
      N_("An upstream PostgreSQL (libpq conninfo); its dbname names the connection"),
      N_("CONNINFO") },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &o->listen,
      N_("TCP address to listen on (default 127.0.0.1:6543)"), N_("HOST:PORT") },
    { "socket-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->socket_dir,
      N_("Directory of the Unix socket (default $XDG_RUNTIME_DIR/vigil)"), N_("DIR") },
    { "api", 0, 0, G_OPTION_ARG_STRING, &o->api,
      N_("HTTP API address (default 127.0.0.1:6544)"), N_("HOST:PORT") },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
      N_("PEM certificate for TLS toward clients"), N_("FILE") },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key,
      N_("PEM private key for TLS toward clients"), N_("FILE") },
    { "startup-timeout", 0, 0, G_OPTION_ARG_INT, &o->startup_timeout,
      N_("Seconds a client has to log in (default 30)"), N_("SECONDS") },
    { "approval-timeout", 0, 0, G_OPTION_ARG_INT, &o->approval_timeout,
      N_("Seconds a held statement waits for a decision before it is denied (default 300)"),
      N_("SECONDS") },
    { "oidc-issuer", 0, 0, G_OPTION_ARG_STRING, &o->oidc_issuer,
      N_("Accept OpenID Connect ID tokens from this issuer as passwords of humans "
         "(over TLS and the Unix socket)"), N_("URL") },
    { "oidc-audience", 0, 0, G_OPTION_ARG_STRING, &o->oidc_audience,
      N_("The audience (client ID) ID tokens must be issued for"), N_("AUDIENCE") },
    { "oidc-claim", 0, 0, G_OPTION_ARG_STRING, &o->oidc_claim,
      N_("The ID token claim that names the identity (default email)"), N_("NAME") },
    { "oidc-jwks", 0, 0, G_OPTION_ARG_STRING, &o->oidc_jwks,
      N_("The issuer’s key set (default: found through its discovery document)"), N_("URL") },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->data_dir,
      N_("Vigil’s data directory"), N_("DIR") },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &o->demo,
      N_("Show generated demonstration traffic in the console"), NULL },
    G_OPTION_ENTRY_NULL
  };
  guint n = G_N_ELEMENTS (entries);
  GOptionEntry *copy = g_new0 (GOptionEntry, n);

  for (guint i = 0, j = 0; i < n; i++)
    if (with_demo || g_strcmp0 (entries[i].long_name, "demo") != 0)
      copy[j++] = entries[i];
  return copy;
}

void
vigil_options_clear (VigilOptions *o)
{
  g_clear_pointer (&o->data_dir, g_free);
  g_clear_pointer (&o->upstreams, g_strfreev);
  g_clear_pointer (&o->listen, g_free);
  g_clear_pointer (&o->socket_dir, g_free);
  g_clear_pointer (&o->api, g_free);
  g_clear_pointer (&o->tls_cert, g_free);
  g_clear_pointer (&o->tls_key, g_free);
  g_clear_pointer (&o->oidc_issuer, g_free);
  g_clear_pointer (&o->oidc_audience, g_free);
  g_clear_pointer (&o->oidc_claim, g_free);
  g_clear_pointer (&o->oidc_jwks, g_free);
  o->startup_timeout = 0;
  o->approval_timeout = 0;
  o->demo = FALSE;
}

char *
vigil_options_resolve_data_dir (const VigilOptions *o)
{
  const char *env;

  if (o->data_dir != NULL && *o->data_dir != '\0')
    return g_strdup (o->data_dir);
  env = g_getenv ("VIGIL_DATA_DIR");
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "vigil", NULL);
}

char *
vigil_options_connection_name (const char  *conninfo,
                               GError     **error)
{
  char *errmsg = NULL;
  PQconninfoOption *opts = PQconninfoParse (conninfo, &errmsg);
  char *name = NULL;

  if (opts == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, _("Invalid --upstream: %s"),
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
                 _("--upstream needs a dbname: it names the connection clients ask for"));
  return name;
}

static gboolean
check_oidc_url (const char  *option,
                const char  *url,
                GError     **error)
{
  if (url == NULL || vigil_oidc_url_allowed (url))
    return TRUE;
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
               _("%s must be an https URL (plain http only to 127.0.0.1, ::1 or localhost): %s"),
               option, url);
  return FALSE;
}

static gboolean
configure_oidc (const VigilOptions  *o,
                VigilEngine         *engine,
                GError             **error)
{
  if (o->oidc_issuer == NULL && o->oidc_audience == NULL)
    {
      if (o->oidc_claim == NULL && o->oidc_jwks == NULL)
        return TRUE;
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   _("--oidc-claim and --oidc-jwks need --oidc-issuer"));
      return FALSE;
    }
  if (o->oidc_issuer == NULL || o->oidc_audience == NULL || *o->oidc_audience == '\0')
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   _("--oidc-issuer and --oidc-audience go together"));
      return FALSE;
    }
  if (o->oidc_claim != NULL && *o->oidc_claim == '\0')
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, _("--oidc-claim cannot be empty"));
      return FALSE;
    }
  if (!check_oidc_url ("--oidc-issuer", o->oidc_issuer, error) ||
      !check_oidc_url ("--oidc-jwks", o->oidc_jwks, error))
    return FALSE;
  vigil_engine_set_oidc (engine, o->oidc_issuer, o->oidc_audience,
                         o->oidc_claim ? o->oidc_claim : DEFAULT_OIDC_CLAIM, o->oidc_jwks);
  return TRUE;
}

gboolean
vigil_options_configure_engine (const VigilOptions  *o,
                                VigilEngine         *engine,
                                GError             **error)
{
  for (guint i = 0; o->upstreams != NULL && o->upstreams[i] != NULL; i++)
    {
      g_autofree char *name = vigil_options_connection_name (o->upstreams[i], error);

      if (name == NULL || !vigil_engine_add_connection (engine, name, o->upstreams[i], error))
        return FALSE;
    }
  if (o->listen != NULL && !vigil_engine_set_listen (engine, o->listen, error))
    return FALSE;
  if (o->socket_dir != NULL)
    vigil_engine_set_socket_dir (engine, o->socket_dir);
  if (o->startup_timeout > 0)
    vigil_engine_set_startup_timeout (engine, (guint) o->startup_timeout);
  if (o->approval_timeout > 0)
    vigil_engine_set_approval_timeout (engine, (guint) o->approval_timeout);
  if ((o->tls_cert == NULL) != (o->tls_key == NULL))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   _("--tls-cert and --tls-key go together"));
      return FALSE;
    }
  if (o->tls_cert != NULL && !vigil_engine_set_tls (engine, o->tls_cert, o->tls_key, error))
    return FALSE;
  return configure_oidc (o, engine, error);
}

VigilApi *
vigil_options_start_api (const VigilOptions  *o,
                         VigilEngine         *engine,
                         VigilStore          *store,
                         const char          *data_dir,
                         GError             **error)
{
  g_autoptr(VigilApi) api = vigil_api_new (engine, store, data_dir);
  g_autoptr(GError) local_error = NULL;

  if (vigil_api_start (api, o->api, &local_error))
    return g_steal_pointer (&api);
  /* The API listens by default; only an address asked for with --api must work. */
  if (o->api != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_warning ("The HTTP API is off: %s", local_error->message);
  return NULL;
}
