/* vigil-options.h: the engine's command-line options, shared by `vigil` and
 * `vigilctl serve` (no GTK here: vigilctl links it too).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "vigil-api.h"
#include "vigil-engine.h"

G_BEGIN_DECLS

typedef struct
{
  char    *data_dir;
  char   **upstreams;
  char    *listen;
  char    *socket_dir;
  char    *api;
  char    *tls_cert;
  char    *tls_key;
  int      startup_timeout;
  int      approval_timeout;
  char    *oidc_issuer;
  char    *oidc_audience;
  char    *oidc_claim;
  char    *oidc_jwks;
  gboolean demo;
} VigilOptions;

/* Entries pointing into OPTIONS; WITH_DEMO adds --demo. Free the array with g_free(). */
GOptionEntry *vigil_options_get_entries       (VigilOptions  *options,
                                               gboolean       with_demo);
void          vigil_options_clear             (VigilOptions  *options);
/* --data-dir DIR, else $VIGIL_DATA_DIR, else $XDG_DATA_HOME/vigil. */
char         *vigil_options_resolve_data_dir  (const VigilOptions *options);
/* The connection's name is the conninfo's dbname, as libpq reads it. */
char         *vigil_options_connection_name   (const char    *conninfo,
                                               GError       **error);
gboolean      vigil_options_configure_engine  (const VigilOptions *options,
                                               VigilEngine   *engine,
                                               GError       **error);

/* Starts the HTTP API of ENGINE: NULL without ERROR when the default address is taken
 * (a warning), NULL with ERROR when the --api address cannot be used. */
VigilApi     *vigil_options_start_api         (const VigilOptions *options,
                                               VigilEngine   *engine,
                                               VigilStore    *store,
                                               const char    *data_dir,
                                               GError       **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VigilOptions, vigil_options_clear)

G_END_DECLS
