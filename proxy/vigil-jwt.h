/* vigil-jwt.h: JSON Web Tokens (RS256, ES256) and JSON Web Key Sets, through OpenSSL.
 *
 * Only what an OpenID Connect relying party needs: parse a compact JWS, check its
 * signature with a key from the issuer's JWKS, check its registered claims. "none",
 * HMAC and every other algorithm are refused.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define VIGIL_JWT_ERROR (vigil_jwt_error_quark ())
GQuark vigil_jwt_error_quark (void);

typedef enum {
  VIGIL_JWT_ERROR_MALFORMED,      /* not three base64url parts of JSON */
  VIGIL_JWT_ERROR_TOO_LARGE,
  VIGIL_JWT_ERROR_ALGORITHM,      /* none, HS256, ... or a key of the wrong type */
  VIGIL_JWT_ERROR_UNKNOWN_KEY,    /* no key in the JWKS has this kid */
  VIGIL_JWT_ERROR_SIGNATURE,
  VIGIL_JWT_ERROR_EXPIRED,
  VIGIL_JWT_ERROR_NOT_YET_VALID,  /* nbf or iat in the future */
  VIGIL_JWT_ERROR_ISSUER,
  VIGIL_JWT_ERROR_AUDIENCE,
  VIGIL_JWT_ERROR_CLAIM,          /* the identity claim is missing or unusable */
  VIGIL_JWT_ERROR_JWKS,           /* the key set could not be fetched or read */
} VigilJwtError;

#define VIGIL_JWT_MAX_LENGTH     16384
#define VIGIL_JWT_LEEWAY_SECONDS 60

typedef struct _VigilJwt VigilJwt;

VigilJwt    *vigil_jwt_parse            (const char   *token,
                                         GError      **error);
void         vigil_jwt_free             (VigilJwt     *self);
const char  *vigil_jwt_get_algorithm    (VigilJwt     *self);
/* NULL when the header has none. */
const char  *vigil_jwt_get_key_id       (VigilJwt     *self);
JsonObject  *vigil_jwt_get_claims       (VigilJwt     *self);
/* KEY must suit the algorithm: RSA (2048 bits or more) for RS256, P-256 for ES256. */
gboolean     vigil_jwt_verify_signature (VigilJwt     *self,
                                         EVP_PKEY     *key,
                                         GError      **error);
/* iss exactly ISSUER; aud AUDIENCE or an array holding it; exp, nbf, iat against NOW
 * (unix seconds) with the leeway. Returns the string claim CLAIM (the identity name). */
char        *vigil_jwt_check_claims     (VigilJwt     *self,
                                         const char   *issuer,
                                         const char   *audience,
                                         const char   *claim,
                                         gint64        now,
                                         GError      **error);

/* A JWKS document -> kid ("" for a key without one) -> EVP_PKEY. Keys of other types
 * or curves, and encryption keys, are skipped. */
GHashTable  *vigil_jwks_parse           (const char   *json,
                                         gsize         length,
                                         GError      **error);
/* Strict base64url without padding; NULL when TEXT is not that. */
GBytes      *vigil_base64url_decode     (const char   *text,
                                         gsize         length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilJwt, vigil_jwt_free)

G_END_DECLS
