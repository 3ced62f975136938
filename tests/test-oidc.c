/* test-oidc.c: ID tokens validated against a JWKS served by a SoupServer in the test.
 *
 * The keys (RSA 2048, EC P-256) are made here, the tokens signed here; the server runs on
 * its own thread behind a mutex/cond handshake and counts what it is asked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "vigil-oidc.h"

#define AUDIENCE "vigil-test"
#define EMAIL    "alice@example.com"

static struct
{
  GMutex      lock;
  GCond       cond;
  GThread    *thread;
  GMainLoop  *loop;
  guint16     port;
  char       *issuer;
  char       *jwks;          /* under lock */
  guint       max_age;       /* under lock */
  gint        discovery_hits; /* atomic */
  gint        jwks_hits;      /* atomic */
  EVP_PKEY   *rsa;
  EVP_PKEY   *ec;
  EVP_PKEY   *other_rsa;
} srv;

/* ---- encoding and signing ------------------------------------------------------------- */

static char *
b64url (const guchar *data,
        gsize         len)
{
  char *text = g_base64_encode (data, len);
  char *end = strchr (text, '=');

  if (end != NULL)
    *end = '\0';
  for (char *p = text; *p; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  return text;
}

static char *
b64url_bn (EVP_PKEY   *key,
           const char *param,
           int         pad)
{
  BIGNUM *bn = NULL;
  guchar buf[512];
  int len;

  g_assert_cmpint (EVP_PKEY_get_bn_param (key, param, &bn), ==, 1);
  len = pad ? BN_bn2binpad (bn, buf, pad) : BN_bn2bin (bn, buf);
  BN_free (bn);
  return b64url (buf, len);
}

static char *
jwk (EVP_PKEY   *key,
     const char *kid)
{
  if (EVP_PKEY_is_a (key, "RSA"))
    {
      g_autofree char *n = b64url_bn (key, OSSL_PKEY_PARAM_RSA_N, 0);
      g_autofree char *e = b64url_bn (key, OSSL_PKEY_PARAM_RSA_E, 0);
      return g_strdup_printf ("{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"%s\",\"n\":\"%s\","
                              "\"e\":\"%s\"}", kid, n, e);
    }
  else
    {
      g_autofree char *x = b64url_bn (key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
      g_autofree char *y = b64url_bn (key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
      return g_strdup_printf ("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\","
                              "\"y\":\"%s\"}", kid, x, y);
    }
}

static void
set_jwks (const char *jwks,
          guint       max_age)
{
  g_mutex_lock (&srv.lock);
  g_free (srv.jwks);
  srv.jwks = g_strdup (jwks);
  srv.max_age = max_age;
  g_mutex_unlock (&srv.lock);
}

static void
default_jwks (guint max_age)
{
  g_autofree char *rsa = jwk (srv.rsa, "rsa-1");
  g_autofree char *ec = jwk (srv.ec, "ec-1");
  g_autofree char *jwks = g_strdup_printf ("{\"keys\":[%s,%s]}", rsa, ec);

  set_jwks (jwks, max_age);
}

static GBytes *
sign (EVP_PKEY   *key,
      const char *alg,
      const char *input)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guchar sig[1024];
  gsize len = sizeof sig;

  g_assert_cmpint (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
  g_assert_cmpint (EVP_DigestSign (ctx, sig, &len, (const guchar *) input, strlen (input)), ==, 1);
  EVP_MD_CTX_free (ctx);
  if (g_str_equal (alg, "ES256"))
    {
      const guchar *p = sig;
      ECDSA_SIG *ecdsa = d2i_ECDSA_SIG (NULL, &p, (long) len);
      guchar raw[64];

      BN_bn2binpad (ECDSA_SIG_get0_r (ecdsa), raw, 32);
      BN_bn2binpad (ECDSA_SIG_get0_s (ecdsa), raw + 32, 32);
      ECDSA_SIG_free (ecdsa);
      return g_bytes_new (raw, sizeof raw);
    }
  return g_bytes_new (sig, len);
}

/* HS256 keyed with the RSA public key in PEM: the algorithm-confusion attack. */
static GBytes *
sign_hs256_with_public_key (const char *input)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *pem;
  long pem_len;
  guchar mac[32];
  gsize mac_len = 0;

  PEM_write_bio_PUBKEY (bio, srv.rsa);
  pem_len = BIO_get_mem_data (bio, &pem);
  g_assert_nonnull (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, pem, pem_len,
                               (const guchar *) input, strlen (input), mac, sizeof mac, &mac_len));
  BIO_free (bio);
  return g_bytes_new (mac, mac_len);
}

/* A token: ALG with KEY ("none" and "HS256" sign their own way). CLAIMS is the JSON
 * payload with %s for the issuer and %ld for times relative to now. */
static char *
make_token (const char *alg,
            const char *kid,
            EVP_PKEY   *key,
            const char *payload)
{
  g_autofree char *header = g_strdup_printf ("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
                                             alg, kid);
  g_autofree char *h = b64url ((const guchar *) header, strlen (header));
  g_autofree char *p = b64url ((const guchar *) payload, strlen (payload));
  g_autofree char *input = g_strconcat (h, ".", p, NULL);
  g_autoptr(GBytes) sig = NULL;
  g_autofree char *s = NULL;

  if (g_str_equal (alg, "none"))
    return g_strconcat (input, ".", NULL);
  sig = g_str_equal (alg, "HS256") ? sign_hs256_with_public_key (input) : sign (key, alg, input);
  s = b64url (g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
  return g_strconcat (input, ".", s, NULL);
}

/* Standard claims, with the issuer, audience and times given. */
static char *
claims (const char *issuer,
        const char *audience_json,
        gint64      exp_delta,
        gint64      nbf_delta)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  return g_strdup_printf ("{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"1234\",\"email\":\"" EMAIL "\","
                          "\"email_verified\":true,\"iat\":%" G_GINT64_FORMAT ",\"nbf\":%"
                          G_GINT64_FORMAT ",\"exp\":%" G_GINT64_FORMAT "}",
                          issuer, audience_json, now, now + nbf_delta, now + exp_delta);
}

static char *
good_claims (void)
{
  return claims (srv.issuer, "\"" AUDIENCE "\"", 600, -10);
}

/* ---- the identity provider ------------------------------------------------------------ */

static void
provider_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  g_autofree char *body = NULL;
  g_autofree char *cache = NULL;

  if (g_str_equal (path, "/.well-known/openid-configuration"))
    {
      g_atomic_int_inc (&srv.discovery_hits);
      body = g_strdup_printf ("{\"issuer\":\"%s\",\"jwks_uri\":\"%s/jwks\"}", srv.issuer,
                              srv.issuer);
    }
  else if (g_str_equal (path, "/jwks"))
    {
      g_atomic_int_inc (&srv.jwks_hits);
      g_mutex_lock (&srv.lock);
      body = g_strdup (srv.jwks);
      cache = g_strdup_printf ("max-age=%u", srv.max_age);
      g_mutex_unlock (&srv.lock);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Cache-Control", cache);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static gpointer
provider_thread (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  g_main_context_push_thread_default (context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, provider_cb, NULL, NULL);
  g_assert_true (soup_server_listen (server, address, 0, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);

  g_mutex_lock (&srv.lock);
  srv.port = (guint16) g_uri_get_port (uris->data);
  srv.loop = g_main_loop_new (context, FALSE);
  g_cond_signal (&srv.cond);
  g_mutex_unlock (&srv.lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (srv.loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
provider_start (void)
{
  g_mutex_lock (&srv.lock);
  srv.thread = g_thread_new ("provider", provider_thread, NULL);
  while (srv.loop == NULL)
    g_cond_wait (&srv.cond, &srv.lock);
  g_mutex_unlock (&srv.lock);
  srv.issuer = g_strdup_printf ("http://127.0.0.1:%u", srv.port);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
provider_stop (void)
{
  g_main_context_invoke (g_main_loop_get_context (srv.loop), quit_cb, srv.loop);
  g_thread_join (srv.thread);
  g_main_loop_unref (srv.loop);
  g_free (srv.issuer);
  g_free (srv.jwks);
}

/* ---- validating ----------------------------------------------------------------------- */

typedef struct
{
  char    *name;
  GError  *error;
  gboolean done;
} Outcome;

static void
validated_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *o = user_data;

  o->name = vigil_oidc_validate_finish (VIGIL_OIDC (source), result, &o->error);
  o->done = TRUE;
}

static char *
validate (VigilOidc   *oidc,
          const char  *token,
          GError     **error)
{
  Outcome o = { 0 };

  vigil_oidc_validate_async (oidc, token, NULL, validated_cb, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);
  if (o.error != NULL)
    g_propagate_error (error, o.error);
  return o.name;
}

static void
assert_valid (VigilOidc  *oidc,
              const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = validate (oidc, token, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, EMAIL);
}

static void
assert_refused (VigilOidc    *oidc,
                const char   *token,
                VigilJwtError code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = validate (oidc, token, &error);

  g_assert_null (name);
  g_assert_error (error, VIGIL_JWT_ERROR, (gint) code);
  g_test_message ("refused: %s", error->message);
}

static VigilOidc *
new_oidc (void)
{
  return vigil_oidc_new (srv.issuer, AUDIENCE, "email", NULL);
}

/* ---- cases ---------------------------------------------------------------------------- */

static void
test_valid (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *rs = make_token ("RS256", "rsa-1", srv.rsa, payload);
  g_autofree char *es = make_token ("ES256", "ec-1", srv.ec, payload);
  g_autofree char *array_aud = claims (srv.issuer, "[\"other\", \"" AUDIENCE "\"]", 600, 0);
  g_autofree char *rs_array = make_token ("RS256", "rsa-1", srv.rsa, array_aud);

  default_jwks (300);
  assert_valid (oidc, rs);
  assert_valid (oidc, es);
  assert_valid (oidc, rs_array);
}

static void
test_claims_refused (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *expired = claims (srv.issuer, "\"" AUDIENCE "\"", -120, -600);
  g_autofree char *early = claims (srv.issuer, "\"" AUDIENCE "\"", 600, 300);
  g_autofree char *audience = claims (srv.issuer, "\"someone-else\"", 600, 0);
  g_autofree char *audiences = claims (srv.issuer, "[\"a\", \"b\"]", 600, 0);
  g_autofree char *issuer = claims ("https://evil.example.com", "\"" AUDIENCE "\"", 600, 0);
  g_autofree char *unverified = g_strdup_printf ("{\"iss\":\"%s\",\"aud\":\"" AUDIENCE "\","
                                                 "\"email\":\"x@example.com\",\"email_verified\":"
                                                 "false,\"exp\":%" G_GINT64_FORMAT "}", srv.issuer,
                                                 g_get_real_time () / G_USEC_PER_SEC + 600);
  struct { const char *payload; VigilJwtError code; } cases[] = {
    { expired, VIGIL_JWT_ERROR_EXPIRED },
    { early, VIGIL_JWT_ERROR_NOT_YET_VALID },
    { audience, VIGIL_JWT_ERROR_AUDIENCE },
    { audiences, VIGIL_JWT_ERROR_AUDIENCE },
    { issuer, VIGIL_JWT_ERROR_ISSUER },
    { unverified, VIGIL_JWT_ERROR_CLAIM },
  };

  default_jwks (300);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *token = make_token ("ES256", "ec-1", srv.ec, cases[i].payload);
      assert_refused (oidc, token, cases[i].code);
    }
}

static void
test_signature_refused (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *forged = make_token ("RS256", "rsa-1", srv.other_rsa, payload);
  g_autofree char *none = make_token ("none", "rsa-1", NULL, payload);
  g_autofree char *hs256 = make_token ("HS256", "rsa-1", NULL, payload);
  g_autofree char *wrong_type = make_token ("RS256", "ec-1", srv.rsa, payload);
  g_autofree char *good = make_token ("RS256", "rsa-1", srv.rsa, payload);
  g_autofree char *tampered = g_strdup (good);
  g_autofree char *huge = NULL;
  char *dot;

  default_jwks (300);
  assert_refused (oidc, forged, VIGIL_JWT_ERROR_SIGNATURE);
  assert_refused (oidc, none, VIGIL_JWT_ERROR_ALGORITHM);
  assert_refused (oidc, hs256, VIGIL_JWT_ERROR_ALGORITHM);
  assert_refused (oidc, wrong_type, VIGIL_JWT_ERROR_ALGORITHM);
  /* A payload changed after signing. */
  dot = strchr (tampered, '.') + 5;
  *dot = *dot == 'A' ? 'B' : 'A';
  assert_refused (oidc, tampered, VIGIL_JWT_ERROR_SIGNATURE);
  assert_refused (oidc, "not-a-token", VIGIL_JWT_ERROR_MALFORMED);
  assert_refused (oidc, "eyJ!!!.eyJ.c2ln", VIGIL_JWT_ERROR_MALFORMED);
  assert_refused (oidc, "a.b.c.d", VIGIL_JWT_ERROR_MALFORMED);
  assert_refused (oidc, "e30.e30.", VIGIL_JWT_ERROR_MALFORMED);
  huge = g_strnfill (VIGIL_JWT_MAX_LENGTH + 1, 'A');
  assert_refused (oidc, huge, VIGIL_JWT_ERROR_TOO_LARGE);
}

static void
test_unknown_kid (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *unknown = make_token ("RS256", "rsa-9", srv.rsa, payload);
  g_autofree char *rotated = make_token ("RS256", "rsa-2", srv.other_rsa, payload);
  g_autofree char *good = make_token ("RS256", "rsa-1", srv.rsa, payload);
  g_autofree char *rsa1 = jwk (srv.rsa, "rsa-1");
  g_autofree char *rsa2 = jwk (srv.other_rsa, "rsa-2");
  g_autofree char *both = g_strdup_printf ("{\"keys\":[%s,%s]}", rsa1, rsa2);
  gint hits;

  default_jwks (300);
  assert_valid (oidc, good);
  hits = g_atomic_int_get (&srv.jwks_hits);
  /* Within the rate limit an unknown kid does not refetch. */
  assert_refused (oidc, unknown, VIGIL_JWT_ERROR_UNKNOWN_KEY);
  g_assert_cmpint (g_atomic_int_get (&srv.jwks_hits), ==, hits);

  /* Past it, a new key published by the issuer is found. */
  vigil_oidc_set_min_refetch (oidc, 0);
  set_jwks (both, 300);
  assert_valid (oidc, rotated);
  g_assert_cmpint (g_atomic_int_get (&srv.jwks_hits), ==, hits + 1);
  assert_refused (oidc, unknown, VIGIL_JWT_ERROR_UNKNOWN_KEY);
}

static void
test_cache (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *token = make_token ("ES256", "ec-1", srv.ec, payload);
  gint jwks_hits, discovery_hits;

  default_jwks (1);
  jwks_hits = g_atomic_int_get (&srv.jwks_hits);
  discovery_hits = g_atomic_int_get (&srv.discovery_hits);
  for (int i = 0; i < 5; i++)
    assert_valid (oidc, token);
  g_assert_cmpint (g_atomic_int_get (&srv.jwks_hits), ==, jwks_hits + 1);
  g_assert_cmpint (g_atomic_int_get (&srv.discovery_hits), ==, discovery_hits + 1);

  /* max-age=1: after it, fetched again (the discovery is not repeated). */
  g_usleep (1100 * 1000);
  assert_valid (oidc, token);
  assert_valid (oidc, token);
  g_assert_cmpint (g_atomic_int_get (&srv.jwks_hits), ==, jwks_hits + 2);
  g_assert_cmpint (g_atomic_int_get (&srv.discovery_hits), ==, discovery_hits + 1);
}

static void
test_jwks_unreachable (void)
{
  g_autoptr(VigilOidc) oidc = vigil_oidc_new ("http://127.0.0.1:1", AUDIENCE, "email", NULL);
  g_autoptr(VigilOidc) insecure = vigil_oidc_new ("http://idp.example.com", AUDIENCE, "email",
                                                  NULL);
  g_autofree char *payload = good_claims ();
  g_autofree char *token = make_token ("RS256", "rsa-1", srv.rsa, payload);

  assert_refused (oidc, token, VIGIL_JWT_ERROR_JWKS);
  assert_refused (insecure, token, VIGIL_JWT_ERROR_JWKS);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  srv.rsa = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  srv.other_rsa = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  srv.ec = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_assert_nonnull (srv.rsa);
  g_assert_nonnull (srv.ec);
  provider_start ();

  g_test_add_func ("/oidc/token/valid", test_valid);
  g_test_add_func ("/oidc/token/claims-refused", test_claims_refused);
  g_test_add_func ("/oidc/token/signature-refused", test_signature_refused);
  g_test_add_func ("/oidc/jwks/unknown-kid", test_unknown_kid);
  g_test_add_func ("/oidc/jwks/cache", test_cache);
  g_test_add_func ("/oidc/jwks/unreachable", test_jwks_unreachable);
  status = g_test_run ();

  provider_stop ();
  EVP_PKEY_free (srv.rsa);
  EVP_PKEY_free (srv.other_rsa);
  EVP_PKEY_free (srv.ec);
  return status;
}
