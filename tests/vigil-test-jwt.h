/* vigil-test-jwt.h: a test identity provider, and ID tokens minted with its keys.
 *
 * The provider is a SoupServer on its own thread (mutex/cond handshake) serving
 * /.well-known/openid-configuration and /jwks for http://127.0.0.1:PORT; its keys (RSA
 * 2048 "rsa-1", EC P-256 "ec-1", and an unpublished RSA key for forgeries) are made at
 * start. It counts what it is asked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define VIGIL_TEST_JWT_AUDIENCE "vigil-test"

typedef struct _VigilTestIdp VigilTestIdp;

VigilTestIdp *vigil_test_idp_start            (void);
void          vigil_test_idp_stop             (VigilTestIdp *self);
/* "http://127.0.0.1:PORT" */
const char   *vigil_test_idp_get_issuer       (VigilTestIdp *self);
EVP_PKEY     *vigil_test_idp_get_rsa          (VigilTestIdp *self);
EVP_PKEY     *vigil_test_idp_get_ec           (VigilTestIdp *self);
/* Never published: what a forger would sign with. */
EVP_PKEY     *vigil_test_idp_get_other_rsa    (VigilTestIdp *self);
/* Serves JWKS with "Cache-Control: max-age=MAX_AGE". */
void          vigil_test_idp_set_jwks         (VigilTestIdp *self,
                                               const char   *jwks,
                                               guint         max_age);
/* The published keys: rsa-1 and ec-1. */
void          vigil_test_idp_publish_default  (VigilTestIdp *self,
                                               guint         max_age);
/* HOLD: /jwks answers wait until called again with FALSE (which sends them). */
void          vigil_test_idp_hold_jwks        (VigilTestIdp *self,
                                               gboolean      hold);
gint          vigil_test_idp_get_jwks_hits    (VigilTestIdp *self);
gint          vigil_test_idp_get_discovery_hits (VigilTestIdp *self);

/* KEY's public half as a JWK. */
char         *vigil_test_jwk                  (EVP_PKEY     *key,
                                               const char   *kid);
/* A compact JWS of PAYLOAD: ALG "RS256"/"ES256" signed with KEY; "none" unsigned;
 * "HS256" keyed with KEY's public PEM (the algorithm-confusion attack). */
char         *vigil_test_jwt_make             (const char   *alg,
                                               const char   *kid,
                                               EVP_PKEY     *key,
                                               const char   *payload);
/* Claims from ISSUER for AUDIENCE_JSON (a JSON string or array) naming EMAIL (verified),
 * expiring EXP_DELTA and valid from NBF_DELTA seconds from now. */
char         *vigil_test_jwt_claims           (const char   *issuer,
                                               const char   *audience_json,
                                               const char   *email,
                                               gint64        exp_delta,
                                               gint64        nbf_delta);

G_END_DECLS
