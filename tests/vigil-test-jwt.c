/* vigil-test-jwt.c: a test identity provider, and ID tokens minted with its keys.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <string.h>

#include "vigil-test-jwt.h"

struct _VigilTestIdp
{
  GMutex      lock;
  GCond       cond;
  GThread    *thread;
  GMainLoop  *loop;            /* set by the thread once it listens */
  guint16     port;
  char       *issuer;
  char       *jwks;            /* under lock */
  guint       max_age;         /* under lock */
  gboolean    hold;            /* under lock */
  GPtrArray  *held;            /* SoupServerMessage; the provider's thread only */
  gint        discovery_hits;  /* atomic */
  gint        jwks_hits;       /* atomic */
  EVP_PKEY   *rsa;
  EVP_PKEY   *ec;
  EVP_PKEY   *other_rsa;
};

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

char *
vigil_test_jwk (EVP_PKEY   *key,
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

static GBytes *
sign_hs256_with_public_key (EVP_PKEY   *key,
                            const char *input)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *pem;
  long pem_len;
  guchar mac[32];
  gsize mac_len = 0;

  PEM_write_bio_PUBKEY (bio, key);
  pem_len = BIO_get_mem_data (bio, &pem);
  g_assert_nonnull (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, pem, pem_len,
                               (const guchar *) input, strlen (input), mac, sizeof mac, &mac_len));
  BIO_free (bio);
  return g_bytes_new (mac, mac_len);
}

char *
vigil_test_jwt_make (const char *alg,
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
  sig = g_str_equal (alg, "HS256") ? sign_hs256_with_public_key (key, input)
                                   : sign (key, alg, input);
  s = b64url (g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
  return g_strconcat (input, ".", s, NULL);
}

char *
vigil_test_jwt_claims (const char *issuer,
                       const char *audience_json,
                       const char *email,
                       gint64      exp_delta,
                       gint64      nbf_delta)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  return g_strdup_printf ("{\"iss\":\"%s\",\"aud\":%s,\"sub\":\"1234\",\"email\":\"%s\","
                          "\"email_verified\":true,\"iat\":%" G_GINT64_FORMAT ",\"nbf\":%"
                          G_GINT64_FORMAT ",\"exp\":%" G_GINT64_FORMAT "}",
                          issuer, audience_json, email, now, now + nbf_delta, now + exp_delta);
}

/* ---- the provider's thread ------------------------------------------------------------ */

static gboolean
release_cb (gpointer data)
{
  VigilTestIdp *self = data;

  for (guint i = 0; i < self->held->len; i++)
    soup_server_message_unpause (g_ptr_array_index (self->held, i));
  g_ptr_array_set_size (self->held, 0);
  return G_SOURCE_REMOVE;
}

static void
answer_jwks (VigilTestIdp      *self,
             SoupServerMessage *msg)
{
  g_autofree char *body = NULL;
  g_autofree char *cache = NULL;
  gboolean hold;

  g_atomic_int_inc (&self->jwks_hits);
  g_mutex_lock (&self->lock);
  body = g_strdup (self->jwks ? self->jwks : "{\"keys\":[]}");
  cache = g_strdup_printf ("max-age=%u", self->max_age);
  hold = self->hold;
  g_mutex_unlock (&self->lock);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", cache);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
  if (hold)
    {
      soup_server_message_pause (msg);
      g_ptr_array_add (self->held, g_object_ref (msg));
    }
}

static void
provider_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  VigilTestIdp *self = user_data;
  g_autofree char *body = NULL;

  if (g_str_equal (path, "/jwks"))
    {
      answer_jwks (self, msg);
      return;
    }
  if (!g_str_equal (path, "/.well-known/openid-configuration"))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  g_atomic_int_inc (&self->discovery_hits);
  body = g_strdup_printf ("{\"issuer\":\"%s\",\"jwks_uri\":\"%s/jwks\"}", self->issuer,
                          self->issuer);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

static gpointer
provider_thread (gpointer data)
{
  VigilTestIdp *self = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  g_main_context_push_thread_default (context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, provider_cb, self, NULL);
  g_assert_true (soup_server_listen (server, address, 0, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);

  g_mutex_lock (&self->lock);
  self->port = (guint16) g_uri_get_port (uris->data);
  self->issuer = g_strdup_printf ("http://127.0.0.1:%u", self->port);
  self->loop = g_main_loop_new (context, FALSE);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (self->loop);
  release_cb (self);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* ---- public --------------------------------------------------------------------------- */

VigilTestIdp *
vigil_test_idp_start (void)
{
  VigilTestIdp *self = g_new0 (VigilTestIdp, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->rsa = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  self->other_rsa = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  self->ec = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_assert_nonnull (self->rsa);
  g_assert_nonnull (self->other_rsa);
  g_assert_nonnull (self->ec);
  self->max_age = 300;
  self->held = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->lock);
  self->thread = g_thread_new ("test-idp", provider_thread, self);
  while (self->loop == NULL)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

void
vigil_test_idp_stop (VigilTestIdp *self)
{
  if (self == NULL)
    return;
  g_main_context_invoke (g_main_loop_get_context (self->loop), quit_cb, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  EVP_PKEY_free (self->rsa);
  EVP_PKEY_free (self->other_rsa);
  EVP_PKEY_free (self->ec);
  g_free (self->issuer);
  g_free (self->jwks);
  g_ptr_array_unref (self->held);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

const char *
vigil_test_idp_get_issuer (VigilTestIdp *self)
{
  return self->issuer;
}

EVP_PKEY *
vigil_test_idp_get_rsa (VigilTestIdp *self)
{
  return self->rsa;
}

EVP_PKEY *
vigil_test_idp_get_ec (VigilTestIdp *self)
{
  return self->ec;
}

EVP_PKEY *
vigil_test_idp_get_other_rsa (VigilTestIdp *self)
{
  return self->other_rsa;
}

void
vigil_test_idp_set_jwks (VigilTestIdp *self,
                         const char   *jwks,
                         guint         max_age)
{
  g_mutex_lock (&self->lock);
  g_free (self->jwks);
  self->jwks = g_strdup (jwks);
  self->max_age = max_age;
  g_mutex_unlock (&self->lock);
}

void
vigil_test_idp_publish_default (VigilTestIdp *self,
                                guint         max_age)
{
  g_autofree char *rsa = vigil_test_jwk (self->rsa, "rsa-1");
  g_autofree char *ec = vigil_test_jwk (self->ec, "ec-1");
  g_autofree char *jwks = g_strdup_printf ("{\"keys\":[%s,%s]}", rsa, ec);

  vigil_test_idp_set_jwks (self, jwks, max_age);
}

void
vigil_test_idp_hold_jwks (VigilTestIdp *self,
                          gboolean      hold)
{
  g_mutex_lock (&self->lock);
  self->hold = hold;
  g_mutex_unlock (&self->lock);
  if (!hold)
    g_main_context_invoke (g_main_loop_get_context (self->loop), release_cb, self);
}

gint
vigil_test_idp_get_jwks_hits (VigilTestIdp *self)
{
  return g_atomic_int_get (&self->jwks_hits);
}

gint
vigil_test_idp_get_discovery_hits (VigilTestIdp *self)
{
  return g_atomic_int_get (&self->discovery_hits);
}
