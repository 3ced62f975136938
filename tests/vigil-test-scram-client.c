/* vigil-test-scram-client.c: the client side of SCRAM-SHA-256, for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "vigil-test-scram-client.h"

#define KEY_LEN SHA256_DIGEST_LENGTH

static void
hmac (const guint8 *key,
      const char   *data,
      guint8        out[KEY_LEN])
{
  unsigned int len = KEY_LEN;

  g_assert_nonnull (HMAC (EVP_sha256 (), key, KEY_LEN, (const guint8 *) data, strlen (data),
                          out, &len));
}

static char *
attr_value (char       **fields,
            const char  *prefix)
{
  for (guint i = 0; fields[i] != NULL; i++)
    if (g_str_has_prefix (fields[i], prefix))
      return g_strdup (fields[i] + strlen (prefix));
  g_assert_not_reached ();
}

char *
vigil_test_scram_client_final (const char  *client_first_bare,
                               const char  *server_first,
                               const char  *password,
                               const char  *cbind_b64,
                               char       **out_server_final)
{
  g_auto(GStrv) fields = g_strsplit (server_first, ",", -1);
  g_autofree char *nonce = attr_value (fields, "r=");
  g_autofree char *salt_b64 = attr_value (fields, "s=");
  g_autofree char *iterations = attr_value (fields, "i=");
  g_autofree guint8 *salt = NULL;
  g_autofree char *without_proof = NULL, *auth = NULL, *proof_b64 = NULL, *sig_b64 = NULL;
  guint8 salted[KEY_LEN], client_key[KEY_LEN], stored_key[KEY_LEN], server_key[KEY_LEN];
  guint8 client_sig[KEY_LEN], server_sig[KEY_LEN];
  gsize salt_len = 0;

  salt = g_base64_decode (salt_b64, &salt_len);
  g_assert_cmpint (PKCS5_PBKDF2_HMAC (password, strlen (password), salt, salt_len,
                                      atoi (iterations), EVP_sha256 (), KEY_LEN, salted), ==, 1);
  hmac (salted, "Client Key", client_key);
  SHA256 (client_key, KEY_LEN, stored_key);
  hmac (salted, "Server Key", server_key);

  without_proof = g_strdup_printf ("c=%s,r=%s", cbind_b64, nonce);
  auth = g_strdup_printf ("%s,%s,%s", client_first_bare, server_first, without_proof);
  hmac (stored_key, auth, client_sig);
  for (guint i = 0; i < KEY_LEN; i++)
    client_key[i] ^= client_sig[i];
  hmac (server_key, auth, server_sig);

  proof_b64 = g_base64_encode (client_key, KEY_LEN);
  sig_b64 = g_base64_encode (server_sig, KEY_LEN);
  *out_server_final = g_strconcat ("v=", sig_b64, NULL);
  return g_strdup_printf ("%s,p=%s", without_proof, proof_b64);
}
