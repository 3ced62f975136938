/* vigil-tls.h: the server-side TLS context toward clients.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <openssl/ssl.h>

#include "vigil-types.h"

G_BEGIN_DECLS

/* A TLS 1.2+ server context for CERT_FILE/KEY_FILE (PEM), or NULL with an error. */
SSL_CTX *vigil_tls_server_context_new (const char  *cert_file,
                                       const char  *key_file,
                                       GError     **error);

G_END_DECLS
