/* vigil-api.h: the local HTTP API (libsoup), on its own thread.
 *
 * Bearer tokens are identities' tokens. GET /api/v1/health, GET /metrics,
 * GET /api/v1/approvals, POST /api/v1/approvals/{id}/approve|deny, GET /api/v1/events (SSE),
 * GET /api/v1/audit, GET|POST /api/v1/policy, GET|POST /api/v1/identities,
 * DELETE /api/v1/identities/{name}.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-engine.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_DEFAULT_API_PORT 6544
#define VIGIL_API_MAX_BODY     (64 * 1024)

#define VIGIL_TYPE_API (vigil_api_get_type ())
G_DECLARE_FINAL_TYPE (VigilApi, vigil_api, VIGIL, API, GObject)

/* Holds references to ENGINE and STORE until vigil_api_stop() or finalization. */
VigilApi *vigil_api_new      (VigilEngine  *engine,
                              VigilStore   *store,
                              const char   *data_dir);
/* Binds HOST_PORT ("127.0.0.1:6544"; port 0 picks one; NULL for the default) and starts
 * the API thread. Errors (bad address, port in use) are reported here. */
gboolean  vigil_api_start    (VigilApi     *self,
                              const char   *host_port,
                              GError      **error);
guint16   vigil_api_get_port (VigilApi     *self);
/* Closes every connection and joins the API thread. Idempotent. */
void      vigil_api_stop     (VigilApi     *self);

G_END_DECLS
