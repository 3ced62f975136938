/* vigil-jwt.c: JSON Web Tokens (RS256, ES256) and JSON Web Key Sets, through OpenSSL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <string.h>

#include "vigil-jwt.h"

#define ES256_COORD   32
#define MIN_RSA_BITS  2048

struct _VigilJwt
{
  char       *algorithm;
  char       *key_id;
  JsonNode   *header;
  JsonNode   *claims;
  char       *signing_input;   /* "header.payload", as signed */
  GBytes     *signature;
};

G_DEFINE_QUARK (vigil-jwt-error-quark, vigil_jwt_error)

/* ---- helpers -------------------------------------------------------------------------- */

GBytes *
vigil_base64url_decode (const char *text,
                        gsize       length)
{
  g_autoptr(GString) standard = g_string_sized_new (length + 3);
  guchar *data;
  gsize out_len;

  if (length % 4 == 1)
    return NULL;
  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        return NULL;
      g_string_append_c (standard, c);
    }
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');
  data = g_base64_decode (standard->str, &out_len);
  return g_bytes_new_take (data, out_len);
}

static JsonNode *
decode_object (const char  *text,
               gsize        length,
               const char  *what,
               GError     **error)
{
  g_autoptr(GBytes) bytes = vigil_base64url_decode (text, length);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  if (bytes == NULL || len == 0 || !g_utf8_validate (data, len, NULL) ||
      !json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_MALFORMED,
                   "the token's %s is not base64url-encoded JSON", what);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* A NumericDate member: FALSE when present but not a number. */
static gboolean
date_member (JsonObject *object,
             const char *name,
             gboolean   *out_present,
             gint64     *out_value)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  *out_present = node != NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out_value = json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE && json_node_get_double (node) > -1e15 &&
           json_node_get_double (node) < 1e15)
    *out_value = (gint64) json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

/* ---- parsing -------------------------------------------------------------------------- */

void
vigil_jwt_free (VigilJwt *self)
{
  if (self == NULL)
    return;
  g_free (self->algorithm);
  g_free (self->key_id);
  g_clear_pointer (&self->header, json_node_unref);
  g_clear_pointer (&self->claims, json_node_unref);
  g_free (self->signing_input);
  g_clear_pointer (&self->signature, g_bytes_unref);
  g_free (self);
}

static gboolean
read_header (VigilJwt  *self,
             GError   **error)
{
  JsonObject *header = json_node_get_object (self->header);
  const char *alg = string_member (header, "alg");

  if (alg == NULL || json_object_has_member (header, "crit"))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_MALFORMED,
                   "the token's header has no algorithm, or critical extensions");
      return FALSE;
    }
  if (!g_str_equal (alg, "RS256") && !g_str_equal (alg, "ES256"))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_ALGORITHM,
                   "the token's algorithm \"%s\" is not accepted (RS256 or ES256 only)", alg);
      return FALSE;
    }
  self->algorithm = g_strdup (alg);
  self->key_id = g_strdup (string_member (header, "kid"));
  return TRUE;
}

VigilJwt *
vigil_jwt_parse (const char  *token,
                 GError     **error)
{
  g_autoptr(VigilJwt) self = NULL;
  const char *dot1, *dot2;
  gsize len;

  g_return_val_if_fail (token != NULL, NULL);

  len = strnlen (token, VIGIL_JWT_MAX_LENGTH + 1);
  if (len > VIGIL_JWT_MAX_LENGTH)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_TOO_LARGE,
                   "the token is longer than %d bytes", VIGIL_JWT_MAX_LENGTH);
      return NULL;
    }
  dot1 = strchr (token, '.');
  dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;
  if (dot2 == NULL || strchr (dot2 + 1, '.') != NULL)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_MALFORMED,
                   "the token is not three dot-separated parts");
      return NULL;
    }
  self = g_new0 (VigilJwt, 1);
  self->header = decode_object (token, dot1 - token, "header", error);
  if (self->header == NULL || !read_header (self, error))
    return NULL;
  self->claims = decode_object (dot1 + 1, dot2 - dot1 - 1, "payload", error);
  if (self->claims == NULL)
    return NULL;
  self->signature = vigil_base64url_decode (dot2 + 1, strlen (dot2 + 1));
  if (self->signature == NULL || g_bytes_get_size (self->signature) == 0)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_MALFORMED,
                   "the token's signature is not base64url");
      return NULL;
    }
  self->signing_input = g_strndup (token, dot2 - token);
  return g_steal_pointer (&self);
}

const char *
vigil_jwt_get_algorithm (VigilJwt *self)
{
  return self->algorithm;
}

const char *
vigil_jwt_get_key_id (VigilJwt *self)
{
  return self->key_id;
}

JsonObject *
vigil_jwt_get_claims (VigilJwt *self)
{
  return json_node_get_object (self->claims);
}

/* ---- signatures ----------------------------------------------------------------------- */

static gboolean
key_suits (VigilJwt *self,
           EVP_PKEY *key)
{
  char group[64] = "";

  if (g_str_equal (self->algorithm, "RS256"))
    return EVP_PKEY_is_a (key, "RSA") && EVP_PKEY_get_bits (key) >= MIN_RSA_BITS;
  return EVP_PKEY_is_a (key, "EC") &&
         EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         NULL) == 1 &&
         g_str_equal (group, "prime256v1");
}

/* ES256 signs r || s (32 bytes each); OpenSSL verifies a DER ECDSA-Sig-Value. */
static GBytes *
es256_to_der (GBytes *raw)
{
  gsize len;
  const guchar *data = g_bytes_get_data (raw, &len);
  ECDSA_SIG *sig;
  BIGNUM *r, *s;
  guchar *der = NULL;
  int der_len;
  GBytes *out;

  if (len != 2 * ES256_COORD)
    return NULL;
  r = BN_bin2bn (data, ES256_COORD, NULL);
  s = BN_bin2bn (data + ES256_COORD, ES256_COORD, NULL);
  sig = ECDSA_SIG_new ();
  if (r == NULL || s == NULL || sig == NULL || ECDSA_SIG_set0 (sig, r, s) != 1)
    {
      BN_free (r);
      BN_free (s);
      ECDSA_SIG_free (sig);
      return NULL;
    }
  der_len = i2d_ECDSA_SIG (sig, &der);
  ECDSA_SIG_free (sig);
  if (der_len <= 0)
    return NULL;
  out = g_bytes_new (der, der_len);
  OPENSSL_free (der);
  return out;
}

gboolean
vigil_jwt_verify_signature (VigilJwt  *self,
                            EVP_PKEY  *key,
                            GError   **error)
{
  g_autoptr(GBytes) signature = NULL;
  EVP_MD_CTX *ctx;
  gsize sig_len;
  const guchar *sig;
  int ok;

  g_return_val_if_fail (self != NULL && key != NULL, FALSE);

  if (!key_suits (self, key))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_ALGORITHM,
                   "the key for this token does not suit its algorithm %s", self->algorithm);
      return FALSE;
    }
  signature = g_str_equal (self->algorithm, "ES256") ? es256_to_der (self->signature)
                                                      : g_bytes_ref (self->signature);
  if (signature == NULL)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_SIGNATURE,
                   "the token's signature has the wrong length");
      return FALSE;
    }
  sig = g_bytes_get_data (signature, &sig_len);
  ctx = EVP_MD_CTX_new ();
  ok = ctx != NULL &&
       EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, key) == 1 &&
       EVP_DigestVerify (ctx, sig, sig_len, (const guchar *) self->signing_input,
                         strlen (self->signing_input)) == 1;
  EVP_MD_CTX_free (ctx);
  if (!ok)
    g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_SIGNATURE,
                 "the token's signature is not valid");
  return ok;
}

/* ---- claims --------------------------------------------------------------------------- */

static gboolean
audience_matches (JsonObject *claims,
                  const char *audience)
{
  JsonNode *aud = json_object_get_member (claims, "aud");
  JsonArray *array;

  if (aud == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE (aud))
    return g_strcmp0 (string_member (claims, "aud"), audience) == 0;
  if (!JSON_NODE_HOLDS_ARRAY (aud))
    return FALSE;
  array = json_node_get_array (aud);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (element), audience) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
check_times (JsonObject  *claims,
             gint64       now,
             GError     **error)
{
  gboolean has_exp, has_nbf, has_iat;
  gint64 exp = 0, nbf = 0, iat = 0;

  if (!date_member (claims, "exp", &has_exp, &exp) || !has_exp ||
      !date_member (claims, "nbf", &has_nbf, &nbf) || !date_member (claims, "iat", &has_iat, &iat))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_MALFORMED,
                   "the token needs a numeric exp, and numeric nbf and iat if any");
      return FALSE;
    }
  if (exp <= now - VIGIL_JWT_LEEWAY_SECONDS)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_EXPIRED, "the token has expired");
      return FALSE;
    }
  if ((has_nbf && nbf > now + VIGIL_JWT_LEEWAY_SECONDS) ||
      (has_iat && iat > now + VIGIL_JWT_LEEWAY_SECONDS))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_NOT_YET_VALID,
                   "the token is not valid yet");
      return FALSE;
    }
  return TRUE;
}

char *
vigil_jwt_check_claims (VigilJwt    *self,
                        const char  *issuer,
                        const char  *audience,
                        const char  *claim,
                        gint64       now,
                        GError     **error)
{
  JsonObject *claims = vigil_jwt_get_claims (self);
  const char *value;

  if (g_strcmp0 (string_member (claims, "iss"), issuer) != 0)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_ISSUER,
                   "the token was not issued by %s", issuer);
      return NULL;
    }
  if (!audience_matches (claims, audience))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_AUDIENCE,
                   "the token is not meant for %s", audience);
      return NULL;
    }
  if (!check_times (claims, now, error))
    return NULL;
  value = string_member (claims, claim);
  /* An unverified address is not an identity. */
  if (value == NULL || *value == '\0' ||
      (g_str_equal (claim, "email") && json_object_has_member (claims, "email_verified") &&
       !json_object_get_boolean_member_with_default (claims, "email_verified", FALSE)))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_CLAIM,
                   "the token has no usable \"%s\" claim", claim);
      return NULL;
    }
  return g_strdup (value);
}

/* ---- key sets ------------------------------------------------------------------------- */

static BIGNUM *
member_bignum (JsonObject *jwk,
               const char *name,
               gsize       want_len)
{
  const char *text = string_member (jwk, name);
  g_autoptr(GBytes) bytes = text ? vigil_base64url_decode (text, strlen (text)) : NULL;
  gsize len = 0;
  const guchar *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  if (data == NULL || len == 0 || (want_len != 0 && len != want_len))
    return NULL;
  return BN_bin2bn (data, (int) len, NULL);
}

static EVP_PKEY *
key_from_params (const char     *type,
                 OSSL_PARAM_BLD *bld)
{
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param (bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name (NULL, type, NULL);
  EVP_PKEY *key = NULL;

  if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init (ctx) != 1 ||
      EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    key = NULL;
  EVP_PKEY_CTX_free (ctx);
  OSSL_PARAM_free (params);
  return key;
}

static EVP_PKEY *
rsa_key (JsonObject *jwk)
{
  BIGNUM *n = member_bignum (jwk, "n", 0);
  BIGNUM *e = member_bignum (jwk, "e", 0);
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new ();
  EVP_PKEY *key = NULL;

  if (n != NULL && e != NULL && bld != NULL &&
      OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
      OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
    key = key_from_params ("RSA", bld);
  OSSL_PARAM_BLD_free (bld);
  BN_free (n);
  BN_free (e);
  return key;
}

static EVP_PKEY *
ec_key (JsonObject *jwk)
{
  const char *x = string_member (jwk, "x"), *y = string_member (jwk, "y");
  g_autoptr(GBytes) xb = x ? vigil_base64url_decode (x, strlen (x)) : NULL;
  g_autoptr(GBytes) yb = y ? vigil_base64url_decode (y, strlen (y)) : NULL;
  guchar point[1 + 2 * ES256_COORD] = { 0x04 };
  OSSL_PARAM_BLD *bld;
  EVP_PKEY_CTX *check;
  EVP_PKEY *key = NULL;

  if (g_strcmp0 (string_member (jwk, "crv"), "P-256") != 0 || xb == NULL || yb == NULL ||
      g_bytes_get_size (xb) != ES256_COORD || g_bytes_get_size (yb) != ES256_COORD)
    return NULL;
  memcpy (point + 1, g_bytes_get_data (xb, NULL), ES256_COORD);
  memcpy (point + 1 + ES256_COORD, g_bytes_get_data (yb, NULL), ES256_COORD);
  bld = OSSL_PARAM_BLD_new ();
  if (bld != NULL &&
      OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) == 1)
    key = key_from_params ("EC", bld);
  OSSL_PARAM_BLD_free (bld);
  /* A point off the curve is refused here, not at the first signature. */
  check = key ? EVP_PKEY_CTX_new_from_pkey (NULL, key, NULL) : NULL;
  if (key != NULL && (check == NULL || EVP_PKEY_public_check (check) != 1))
    g_clear_pointer (&key, EVP_PKEY_free);
  EVP_PKEY_CTX_free (check);
  return key;
}

GHashTable *
vigil_jwks_parse (const char  *json,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify) EVP_PKEY_free);
  JsonNode *root, *list;

  if (!json_parser_load_from_data (parser, json, length, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)) ||
      (list = json_object_get_member (json_node_get_object (root), "keys")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_JWKS,
                   "the key set is not a JSON object with a \"keys\" array");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (list), i);
      JsonObject *jwk = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *kty = jwk ? string_member (jwk, "kty") : NULL;
      const char *use = jwk ? string_member (jwk, "use") : NULL;
      const char *kid = jwk ? string_member (jwk, "kid") : NULL;
      EVP_PKEY *key = NULL;

      if (kty == NULL || (use != NULL && !g_str_equal (use, "sig")))
        continue;
      if (g_str_equal (kty, "RSA"))
        key = rsa_key (jwk);
      else if (g_str_equal (kty, "EC"))
        key = ec_key (jwk);
      if (key != NULL)
        g_hash_table_replace (keys, g_strdup (kid ? kid : ""), key);
    }
  return g_steal_pointer (&keys);
}
