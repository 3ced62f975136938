/* vigil-scram.c: SCRAM-SHA-256 server side (RFC 5802, RFC 7677), as PostgreSQL speaks it.
 *
 * Tokens are ASCII (base64url), so SASLprep is the identity on them and is not applied.
 * Every message is bounded, checked for NUL and control bytes and parsed strictly;
 * any failure leaves the exchange in a failed state that refuses further steps.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "vigil-scram.h"
#include "vigil-scram-private.h"

#define SCRAM_KEY_LEN        SHA256_DIGEST_LENGTH
#define SCRAM_ITERATIONS     4096
#define SCRAM_SALT_LEN       16
#define SCRAM_NONCE_RAW_LEN  18
#define SCRAM_MAX_SALT_LEN   64
#define SCRAM_PREFIX         VIGIL_SCRAM_MECHANISM "$"

typedef enum {
  SCRAM_STATE_INIT,
  SCRAM_STATE_FIRST_SENT,
  SCRAM_STATE_DONE,
  SCRAM_STATE_FAILED,
} ScramState;

typedef struct
{
  guint  iterations;
  guint8 salt[SCRAM_MAX_SALT_LEN];
  gsize  salt_len;
  guint8 stored_key[SCRAM_KEY_LEN];
  guint8 server_key[SCRAM_KEY_LEN];
} ScramVerifier;

struct _VigilScramServer
{
  ScramState     state;
  gboolean       mock;
  ScramVerifier  verifier;
  char           cbind_flag;         /* 'n' or 'y' from the gs2 header */
  char          *client_first_bare;
  char          *server_first;
  char          *nonce;              /* client nonce + server nonce */
  char          *test_server_nonce;
};

/* Helpers */

static gboolean
fail (GError    **error,
      VigilError  code,
      const char *message)
{
  g_set_error_literal (error, VIGIL_ERROR, code, message);
  return FALSE;
}

static gboolean
is_b64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* g_base64_decode() skips garbage silently; SCRAM input must be canonical base64. */
static guint8 *
b64_decode_strict (const char *str,
                   gsize      *out_len)
{
  gsize len = strlen (str);
  gsize pad = 0;

  if (len == 0 || len % 4 != 0)
    return NULL;
  while (pad < 2 && str[len - 1 - pad] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++)
    if (!is_b64_char (str[i]))
      return NULL;
  return g_base64_decode (str, out_len);
}

static gboolean
b64_decode_exact (const char *str,
                  guint8     *out,
                  gsize       min_len,
                  gsize       max_len,
                  gsize      *out_len)
{
  g_autofree guint8 *raw = NULL;
  gsize len = 0;

  raw = b64_decode_strict (str, &len);
  if (raw == NULL || len < min_len || len > max_len)
    return FALSE;
  memcpy (out, raw, len);
  OPENSSL_cleanse (raw, len);
  if (out_len != NULL)
    *out_len = len;
  return TRUE;
}

static void
hmac_sha256 (const guint8 *key,
             gsize         key_len,
             const char   *data,
             gsize         data_len,
             guint8        out[SCRAM_KEY_LEN])
{
  unsigned int out_len = SCRAM_KEY_LEN;

  if (HMAC (EVP_sha256 (), key, (int) key_len, (const guint8 *) data, data_len,
            out, &out_len) == NULL)
    g_error ("HMAC-SHA-256 failed");
}

static gboolean
derive_keys (const char    *password,
             ScramVerifier *v)
{
  guint8 salted[SCRAM_KEY_LEN];
  guint8 client_key[SCRAM_KEY_LEN];

  if (PKCS5_PBKDF2_HMAC (password, (int) strlen (password), v->salt, (int) v->salt_len,
                         (int) v->iterations, EVP_sha256 (), SCRAM_KEY_LEN, salted) != 1)
    return FALSE;
  hmac_sha256 (salted, SCRAM_KEY_LEN, "Client Key", 10, client_key);
  SHA256 (client_key, SCRAM_KEY_LEN, v->stored_key);
  hmac_sha256 (salted, SCRAM_KEY_LEN, "Server Key", 10, v->server_key);
  OPENSSL_cleanse (salted, sizeof salted);
  OPENSSL_cleanse (client_key, sizeof client_key);
  return TRUE;
}

static gboolean
parse_pair (const char  *str,
            char       **first,
            char       **second)
{
  const char *colon = strchr (str, ':');

  if (colon == NULL || strchr (colon + 1, ':') != NULL)
    return FALSE;
  *first = g_strndup (str, colon - str);
  *second = g_strdup (colon + 1);
  return TRUE;
}

static gboolean
parse_verifier (const char    *verifier,
                ScramVerifier *v)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *iter = NULL, *salt = NULL, *stored = NULL, *server = NULL;
  guint64 iterations = 0;

  if (verifier == NULL || !g_str_has_prefix (verifier, SCRAM_PREFIX))
    return FALSE;
  parts = g_strsplit (verifier + strlen (SCRAM_PREFIX), "$", 3);
  if (g_strv_length (parts) != 2
      || !parse_pair (parts[0], &iter, &salt)
      || !parse_pair (parts[1], &stored, &server))
    return FALSE;
  if (!g_ascii_string_to_unsigned (iter, 10, 1, G_MAXINT, &iterations, NULL))
    return FALSE;
  v->iterations = (guint) iterations;
  return b64_decode_exact (salt, v->salt, 1, SCRAM_MAX_SALT_LEN, &v->salt_len)
         && b64_decode_exact (stored, v->stored_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN, NULL)
         && b64_decode_exact (server, v->server_key, SCRAM_KEY_LEN, SCRAM_KEY_LEN, NULL);
}

static char *
format_verifier (const ScramVerifier *v)
{
  g_autofree char *salt = g_base64_encode (v->salt, v->salt_len);
  g_autofree char *stored = g_base64_encode (v->stored_key, SCRAM_KEY_LEN);
  g_autofree char *server = g_base64_encode (v->server_key, SCRAM_KEY_LEN);

  return g_strdup_printf (SCRAM_PREFIX "%u:%s$%s:%s", v->iterations, salt, stored, server);
}

static void
random_bytes (guint8 *buf,
              gsize   len)
{
  /* Without randomness no exchange is safe; there is nothing sensible to fall back to. */
  if (RAND_bytes (buf, (int) len) != 1)
    g_error ("RAND_bytes failed: no entropy");
}

/* RFC 5802 printable: %x21-7E except ','. */
static gboolean
is_valid_nonce (const char *nonce)
{
  if (*nonce == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) nonce; *p != '\0'; p++)
    if (*p < 0x21 || *p > 0x7e || *p == ',')
      return FALSE;
  return TRUE;
}

/* A NUL-terminated copy of a client message, refused if it is empty, too long, or
 * carries NUL or control bytes. */
static gboolean
copy_message (const guint8  *data,
              gsize          len,
              char         **out_msg,
              GError       **error)
{
  if (len == 0)
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: empty");
  if (len > VIGIL_SCRAM_MAX_MESSAGE)
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: too long");
  for (gsize i = 0; i < len; i++)
    if (data[i] < 0x20 || data[i] == 0x7f)
      return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: control character");
  *out_msg = g_strndup ((const char *) data, len);
  return TRUE;
}

/* Reads "ATTR=value" at *p, leaving *p on the following ',' or NUL. attr 0 takes any
 * attribute letter (an extension). */
static gboolean
read_attr (const char  **p,
           char          attr,
           char        **value,
           GError      **error)
{
  const char *start = *p;
  const char *end;

  if (attr != 0 && start[0] != attr)
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: unexpected attribute");
  if (!g_ascii_isalpha (start[0]) || start[1] != '=')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: bad attribute");
  end = start + 2 + strcspn (start + 2, ",");
  if (value != NULL)
    *value = g_strndup (start + 2, end - (start + 2));
  *p = end;
  return TRUE;
}

static gboolean
expect_comma (const char  **p,
              GError      **error)
{
  if (**p != ',')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: expected ','");
  (*p)++;
  return TRUE;
}

/* gs2-header: "n,," or "y,,". 'y' means the client could bind but we did not offer
 * SCRAM-SHA-256-PLUS, which is true: we never do. */
static gboolean
parse_gs2_header (VigilScramServer  *self,
                  const char       **p,
                  GError           **error)
{
  const char *s = *p;

  if (s[0] == 'p')
    return fail (error, VIGIL_ERROR_PROTOCOL,
                 "client requires SCRAM channel binding, but it was not offered");
  if (s[0] != 'n' && s[0] != 'y')
    return fail (error, VIGIL_ERROR_PROTOCOL,
                 "malformed SCRAM message: unexpected channel-binding flag");
  self->cbind_flag = s[0];
  if (s[1] != ',')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: bad gs2 header");
  if (s[2] == 'a')
    return fail (error, VIGIL_ERROR_PROTOCOL,
                 "client uses authorization identity, which is not supported");
  if (s[2] != ',')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: bad gs2 header");
  *p = s + 3;
  return TRUE;
}

/* Skips optional ",x=value" extensions; the message must end after them. */
static gboolean
skip_extensions (const char  **p,
                 GError      **error)
{
  while (**p == ',')
    {
      (*p)++;
      if (!read_attr (p, 0, NULL, error))
        return FALSE;
    }
  if (**p != '\0')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: trailing garbage");
  return TRUE;
}

static gboolean
parse_client_first (VigilScramServer  *self,
                    const char        *msg,
                    char             **client_nonce,
                    GError           **error)
{
  const char *p = msg;
  const char *bare;

  if (!parse_gs2_header (self, &p, error))
    return FALSE;
  bare = p;
  if (p[0] == 'm')
    return fail (error, VIGIL_ERROR_PROTOCOL,
                 "client requires an unsupported SCRAM extension");
  /* PostgreSQL clients send an empty user name: the startup packet carries it. */
  if (!read_attr (&p, 'n', NULL, error)
      || !expect_comma (&p, error)
      || !read_attr (&p, 'r', client_nonce, error))
    return FALSE;
  if (!is_valid_nonce (*client_nonce))
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: invalid nonce");
  if (!skip_extensions (&p, error))
    return FALSE;
  self->client_first_bare = g_strdup (bare);
  return TRUE;
}

static char *
make_server_nonce (VigilScramServer *self)
{
  guint8 raw[SCRAM_NONCE_RAW_LEN];

  if (self->test_server_nonce != NULL)
    return g_strdup (self->test_server_nonce);
  random_bytes (raw, sizeof raw);
  return g_base64_encode (raw, sizeof raw);
}

static gboolean
server_first (VigilScramServer  *self,
              const guint8      *data,
              gsize              len,
              GString           *out,
              GError           **error)
{
  g_autofree char *msg = NULL;
  g_autofree char *client_nonce = NULL;
  g_autofree char *server_nonce = NULL;
  g_autofree char *salt = NULL;

  if (self->state != SCRAM_STATE_INIT)
    return fail (error, VIGIL_ERROR_PROTOCOL, "unexpected SCRAM client-first-message");
  if (!copy_message (data, len, &msg, error)
      || !parse_client_first (self, msg, &client_nonce, error))
    return FALSE;

  server_nonce = make_server_nonce (self);
  salt = g_base64_encode (self->verifier.salt, self->verifier.salt_len);
  self->nonce = g_strconcat (client_nonce, server_nonce, NULL);
  self->server_first = g_strdup_printf ("r=%s,s=%s,i=%u",
                                        self->nonce, salt, self->verifier.iterations);
  g_string_append (out, self->server_first);
  self->state = SCRAM_STATE_FIRST_SENT;
  return TRUE;
}

static gboolean
check_channel_binding (VigilScramServer  *self,
                       const char        *cbind,
                       GError           **error)
{
  char expected[3] = { self->cbind_flag, ',', ',' };
  guint8 raw[sizeof expected];
  gsize raw_len = 0;

  if (!b64_decode_exact (cbind, raw, 1, sizeof raw, &raw_len)
      || raw_len != sizeof expected
      || memcmp (raw, expected, sizeof expected) != 0)
    return fail (error, VIGIL_ERROR_PROTOCOL,
                 "SCRAM channel binding check failed: gs2 header mismatch");
  return TRUE;
}

/* Fills proof and the length of client-final-message-without-proof. */
static gboolean
parse_client_final (VigilScramServer  *self,
                    const char        *msg,
                    guint8             proof[SCRAM_KEY_LEN],
                    gsize             *without_proof_len,
                    GError           **error)
{
  g_autofree char *cbind = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *proof_b64 = NULL;
  const char *p = msg;

  if (!read_attr (&p, 'c', &cbind, error)
      || !check_channel_binding (self, cbind, error)
      || !expect_comma (&p, error)
      || !read_attr (&p, 'r', &nonce, error))
    return FALSE;
  if (strcmp (nonce, self->nonce) != 0)
    return fail (error, VIGIL_ERROR_PROTOCOL, "SCRAM nonce mismatch");

  /* Extensions may sit between r= and p=; the proof must come last. */
  while (*p == ',' && !(p[1] == 'p' && p[2] == '='))
    {
      p++;
      if (!read_attr (&p, 0, NULL, error))
        return FALSE;
    }
  if (*p != ',')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: proof missing");
  *without_proof_len = p - msg;
  p++;
  if (!read_attr (&p, 'p', &proof_b64, error))
    return FALSE;
  if (*p != '\0')
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM message: garbage after proof");
  if (!b64_decode_exact (proof_b64, proof, SCRAM_KEY_LEN, SCRAM_KEY_LEN, NULL))
    return fail (error, VIGIL_ERROR_PROTOCOL, "malformed SCRAM proof");
  return TRUE;
}

static gboolean
verify_proof (VigilScramServer  *self,
              const char        *auth_message,
              const guint8       proof[SCRAM_KEY_LEN])
{
  guint8 client_signature[SCRAM_KEY_LEN];
  guint8 client_key[SCRAM_KEY_LEN];
  guint8 computed[SCRAM_KEY_LEN];
  gboolean ok;

  hmac_sha256 (self->verifier.stored_key, SCRAM_KEY_LEN,
               auth_message, strlen (auth_message), client_signature);
  for (gsize i = 0; i < SCRAM_KEY_LEN; i++)
    client_key[i] = proof[i] ^ client_signature[i];
  SHA256 (client_key, SCRAM_KEY_LEN, computed);
  ok = CRYPTO_memcmp (computed, self->verifier.stored_key, SCRAM_KEY_LEN) == 0;
  OPENSSL_cleanse (client_key, sizeof client_key);
  /* A mock exchange does the same work, so timing does not reveal unknown identities. */
  return ok && !self->mock;
}

static gboolean
server_final (VigilScramServer  *self,
              const guint8      *data,
              gsize              len,
              GString           *out,
              GError           **error)
{
  g_autofree char *msg = NULL;
  g_autofree char *auth_message = NULL;
  g_autofree char *signature_b64 = NULL;
  guint8 proof[SCRAM_KEY_LEN];
  guint8 signature[SCRAM_KEY_LEN];
  gsize without_proof_len = 0;

  if (self->state != SCRAM_STATE_FIRST_SENT)
    return fail (error, VIGIL_ERROR_PROTOCOL, "unexpected SCRAM client-final-message");
  if (!copy_message (data, len, &msg, error)
      || !parse_client_final (self, msg, proof, &without_proof_len, error))
    return FALSE;

  auth_message = g_strdup_printf ("%s,%s,%.*s", self->client_first_bare, self->server_first,
                                  (int) without_proof_len, msg);
  if (!verify_proof (self, auth_message, proof))
    return fail (error, VIGIL_ERROR_AUTH, "password authentication failed");

  hmac_sha256 (self->verifier.server_key, SCRAM_KEY_LEN,
               auth_message, strlen (auth_message), signature);
  signature_b64 = g_base64_encode (signature, SCRAM_KEY_LEN);
  g_string_append_printf (out, "v=%s", signature_b64);
  self->state = SCRAM_STATE_DONE;
  return TRUE;
}

/* Private API */

void
_vigil_scram_server_set_nonce_for_test (VigilScramServer *self,
                                        const char       *server_nonce)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->state == SCRAM_STATE_INIT);
  g_return_if_fail (server_nonce != NULL && is_valid_nonce (server_nonce));

  g_free (self->test_server_nonce);
  self->test_server_nonce = g_strdup (server_nonce);
}

char *
_vigil_scram_make_verifier_full (const char    *password,
                                 const guint8  *salt,
                                 gsize          salt_len,
                                 guint          iterations,
                                 GError       **error)
{
  ScramVerifier v = { .iterations = iterations, .salt_len = salt_len };
  char *result;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (salt != NULL && salt_len > 0 && salt_len <= SCRAM_MAX_SALT_LEN, NULL);
  g_return_val_if_fail (iterations > 0 && iterations <= G_MAXINT, NULL);

  memcpy (v.salt, salt, salt_len);
  if (!derive_keys (password, &v))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "PBKDF2 failed");
      return NULL;
    }
  result = format_verifier (&v);
  OPENSSL_cleanse (&v, sizeof v);
  return result;
}

/* Public API */

char *
vigil_scram_make_verifier (const char  *password,
                           GError     **error)
{
  guint8 salt[SCRAM_SALT_LEN];

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  random_bytes (salt, sizeof salt);
  return _vigil_scram_make_verifier_full (password, salt, sizeof salt, SCRAM_ITERATIONS, error);
}

gboolean
vigil_scram_verifier_check (const char *verifier,
                            const char *password)
{
  ScramVerifier stored = { 0 };
  ScramVerifier computed = { 0 };
  gboolean ok;

  g_return_val_if_fail (password != NULL, FALSE);

  if (!parse_verifier (verifier, &stored))
    return FALSE;
  computed = stored;
  if (!derive_keys (password, &computed))
    return FALSE;
  ok = CRYPTO_memcmp (computed.stored_key, stored.stored_key, SCRAM_KEY_LEN) == 0
       && CRYPTO_memcmp (computed.server_key, stored.server_key, SCRAM_KEY_LEN) == 0;
  OPENSSL_cleanse (&computed, sizeof computed);
  OPENSSL_cleanse (&stored, sizeof stored);
  return ok;
}

VigilScramServer *
vigil_scram_server_new (const char *verifier)
{
  VigilScramServer *self = g_new0 (VigilScramServer, 1);

  self->state = SCRAM_STATE_INIT;
  if (verifier != NULL && parse_verifier (verifier, &self->verifier))
    return self;
  if (verifier != NULL)
    g_message ("Unusable SCRAM verifier; authentication will fail");

  /* Unknown identity: a made-up verifier keeps the exchange looking normal. */
  self->mock = TRUE;
  self->verifier.iterations = SCRAM_ITERATIONS;
  self->verifier.salt_len = SCRAM_SALT_LEN;
  random_bytes (self->verifier.salt, SCRAM_SALT_LEN);
  random_bytes (self->verifier.stored_key, SCRAM_KEY_LEN);
  random_bytes (self->verifier.server_key, SCRAM_KEY_LEN);
  return self;
}

void
vigil_scram_server_free (VigilScramServer *self)
{
  if (self == NULL)
    return;
  OPENSSL_cleanse (&self->verifier, sizeof self->verifier);
  g_free (self->client_first_bare);
  g_free (self->server_first);
  g_free (self->nonce);
  g_free (self->test_server_nonce);
  g_free (self);
}

gboolean
vigil_scram_server_first (VigilScramServer  *self,
                          const guint8      *data,
                          gsize              len,
                          GString           *out,
                          GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (server_first (self, data, len, out, error))
    return TRUE;
  self->state = SCRAM_STATE_FAILED;
  return FALSE;
}

gboolean
vigil_scram_server_final (VigilScramServer  *self,
                          const guint8      *data,
                          gsize              len,
                          GString           *out,
                          GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (server_final (self, data, len, out, error))
    return TRUE;
  self->state = SCRAM_STATE_FAILED;
  return FALSE;
}
