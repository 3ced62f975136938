/* vigil-scram-private.h: test hooks for vigil-scram.c; not for engine code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-scram.h"

G_BEGIN_DECLS

/* Replaces the random server nonce part, so RFC 7677's test vector can be replayed.
 * Must be called before vigil_scram_server_first(). */
void  _vigil_scram_server_set_nonce_for_test (VigilScramServer  *self,
                                              const char        *server_nonce);
/* vigil_scram_make_verifier() with a chosen salt and iteration count. */
char *_vigil_scram_make_verifier_full        (const char        *password,
                                              const guint8      *salt,
                                              gsize              salt_len,
                                              guint              iterations,
                                              GError           **error);

G_END_DECLS
