/* vigil-scram.h: SCRAM-SHA-256 (RFC 5802, RFC 7677) for clients logging in to the proxy.
 *
 * Only the server side: the proxy is the SCRAM server toward its clients. Tokens are
 * never stored; a verifier in PostgreSQL's own format is
 * ("SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-types.h"

G_BEGIN_DECLS

#define VIGIL_SCRAM_MECHANISM "SCRAM-SHA-256"
#define VIGIL_SCRAM_MAX_MESSAGE 1024   /* longest client SCRAM message we accept */

char             *vigil_scram_make_verifier  (const char        *password,
                                              GError           **error);
gboolean          vigil_scram_verifier_check (const char        *verifier,
                                              const char        *password);

/* verifier may be NULL for an unknown identity: the exchange then runs against a
 * made-up verifier and always fails at the final step, as PostgreSQL does. */
VigilScramServer *vigil_scram_server_new     (const char        *verifier);
void              vigil_scram_server_free    (VigilScramServer  *self);

/* client-first-message (the SASLInitialResponse payload) -> server-first-message. */
gboolean          vigil_scram_server_first   (VigilScramServer  *self,
                                              const guint8      *data,
                                              gsize              len,
                                              GString           *out,
                                              GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* client-final-message (the SASLResponse payload) -> server-final-message ("v=...").
 * FALSE with VIGIL_ERROR_AUTH when the proof is wrong, VIGIL_ERROR_PROTOCOL when malformed. */
gboolean          vigil_scram_server_final   (VigilScramServer  *self,
                                              const guint8      *data,
                                              gsize              len,
                                              GString           *out,
                                              GError           **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilScramServer, vigil_scram_server_free)

G_END_DECLS
