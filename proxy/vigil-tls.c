/* vigil-tls.c: the server-side TLS context toward clients.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <openssl/err.h>

#include "vigil-tls.h"

static gboolean
set_tls_error (GError     **error,
               const char  *what,
               const char  *file)
{
  unsigned long code = ERR_get_error ();

  ERR_clear_error ();
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "%s %s: %s", what, file,
               code ? ERR_reason_error_string (code) : "unknown TLS error");
  return FALSE;
}

SSL_CTX *
vigil_tls_server_context_new (const char  *cert_file,
                              const char  *key_file,
                              GError     **error)
{
  SSL_CTX *ctx;

  g_return_val_if_fail (cert_file != NULL && key_file != NULL, NULL);

  ctx = SSL_CTX_new (TLS_server_method ());
  if (ctx == NULL)
    {
      set_tls_error (error, "cannot create a TLS context for", cert_file);
      return NULL;
    }
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  SSL_CTX_set_options (ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode (ctx, SSL_SESS_CACHE_OFF);

  if (SSL_CTX_use_certificate_chain_file (ctx, cert_file) != 1)
    {
      set_tls_error (error, "cannot load the certificate", cert_file);
      SSL_CTX_free (ctx);
      return NULL;
    }
  if (SSL_CTX_use_PrivateKey_file (ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key (ctx) != 1)
    {
      set_tls_error (error, "cannot load the private key", key_file);
      SSL_CTX_free (ctx);
      return NULL;
    }
  return ctx;
}
