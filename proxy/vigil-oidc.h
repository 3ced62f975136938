/* vigil-oidc.h: OpenID Connect ID tokens as passwords for human identities.
 *
 * The issuer's JWKS is found through its discovery document (or configured), fetched
 * with libsoup, cached for its Cache-Control max-age (5 minutes without one) and fetched
 * again when a token names an unknown key (at most every MIN_REFETCH seconds).
 * Use one VigilOidc from one thread (its SoupSession belongs to the thread-default
 * context of the first vigil_oidc_validate_async() call). A validation waiting for the key
 * set ends early, with G_IO_ERROR_CANCELLED, when its cancellable is cancelled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-jwt.h"

G_BEGIN_DECLS

#define VIGIL_OIDC_DEFAULT_MAX_AGE   300
#define VIGIL_OIDC_MIN_REFETCH       30

#define VIGIL_TYPE_OIDC (vigil_oidc_get_type ())
G_DECLARE_FINAL_TYPE (VigilOidc, vigil_oidc, VIGIL, OIDC, GObject)

/* ISSUER: "https://login.example.com" (http only for loopback); CLAIM, e.g. "email", names
 * the identity; JWKS_URL: NULL to discover it. */
VigilOidc *vigil_oidc_new                  (const char           *issuer,
                                            const char           *audience,
                                            const char           *claim,
                                            const char           *jwks_url);
void       vigil_oidc_set_min_refetch      (VigilOidc            *self,
                                            guint                 seconds);
/* https, or http to this machine only: what may serve discovery and key sets. */
gboolean   vigil_oidc_url_allowed          (const char           *url);
/* Stops a fetch under way (its waiting validations fail); on the validating thread. */
void       vigil_oidc_abort                (VigilOidc            *self);
void       vigil_oidc_validate_async       (VigilOidc            *self,
                                            const char           *jwt,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* The identity name (the claim's value), or NULL with a VIGIL_JWT_ERROR. */
char      *vigil_oidc_validate_finish      (VigilOidc            *self,
                                            GAsyncResult         *result,
                                            GError              **error);

G_END_DECLS
