/* vigil-test-scram-client.h: the client side of SCRAM-SHA-256, just enough to drive a
 * server in tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* client-final-message for SERVER_FIRST (after CLIENT_FIRST_BARE, "n=...,r=..."), with
 * PASSWORD and the channel binding CBIND_B64 ("biws" for none); *OUT_SERVER_FINAL gets the
 * "v=..." the server must answer with. */
char *vigil_test_scram_client_final (const char  *client_first_bare,
                                     const char  *server_first,
                                     const char  *password,
                                     const char  *cbind_b64,
                                     char       **out_server_final);

G_END_DECLS
