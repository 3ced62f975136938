/* test-scram.c: the SCRAM-SHA-256 server against a small client written here with OpenSSL,
 * RFC 7677's test vector, and a table of malformed messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "vigil-scram.h"
#include "vigil-scram-private.h"
#include "vigil-test-scram-client.h"

#define KEY_LEN SHA256_DIGEST_LENGTH

/* RFC 7677, section 3. */
#define RFC_PASSWORD      "pencil"
#define RFC_SALT          "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CLIENT_FIRST  "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_NONCE  "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_NONCE         "rOprNGfwEbeRWgbNEkqO" RFC_SERVER_NONCE
#define RFC_SERVER_FIRST  "r=" RFC_NONCE ",s=" RFC_SALT ",i=4096"
#define RFC_CLIENT_FINAL  "c=biws,r=" RFC_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* Fixed nonces for the malformed-message table. */
#define T_CLIENT_NONCE    "clientnonce"
#define T_SERVER_NONCE    "servernonce"
#define T_NONCE           T_CLIENT_NONCE T_SERVER_NONCE
#define ZERO_PROOF        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static gboolean
server_first (VigilScramServer  *server,
              const char        *msg,
              GString           *out,
              GError           **error)
{
  return vigil_scram_server_first (server, (const guint8 *) msg, strlen (msg), out, error);
}

static gboolean
server_final (VigilScramServer  *server,
              const char        *msg,
              GString           *out,
              GError           **error)
{
  return vigil_scram_server_final (server, (const guint8 *) msg, strlen (msg), out, error);
}

/* Runs a whole exchange as libpq would; returns the server's error, if any. */
static GError *
run_exchange (const char *verifier,
              const char *password,
              const char *gs2_header,
              const char *cbind_b64)
{
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (verifier);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *first = g_strconcat (gs2_header, "n=,r=fyko+d2lbbFgONRv9qkxdawL", NULL);
  g_autofree char *final = NULL, *expected = NULL;
  GError *error = NULL;

  g_assert_true (server_first (server, first, out, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out->str, "r=fyko+d2lbbFgONRv9qkxdawL"));
  final = vigil_test_scram_client_final (first + strlen (gs2_header), out->str, password,
                                         cbind_b64, &expected);
  g_string_truncate (out, 0);

  if (server_final (server, final, out, &error))
    g_assert_cmpstr (out->str, ==, expected);
  else
    g_assert_cmpuint (out->len, ==, 0);
  return error;
}

/* Verifiers */

static void
test_verifier_format (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *v1 = vigil_scram_make_verifier ("pencil", &error);
  g_autofree char *v2 = vigil_scram_make_verifier ("pencil", &error);
  g_auto(GStrv) parts = NULL;
  g_autofree guint8 *salt = NULL, *key = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  g_assert_true (g_regex_match_simple ("^SCRAM-SHA-256\\$4096:[A-Za-z0-9+/=]+\\$"
                                       "[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$", v1, 0, 0));
  parts = g_strsplit_set (v1, "$:", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 5);
  salt = g_base64_decode (parts[2], &len);
  g_assert_cmpuint (len, ==, 16);
  key = g_base64_decode (parts[3], &len);
  g_assert_cmpuint (len, ==, KEY_LEN);
  g_free (g_steal_pointer (&key));
  key = g_base64_decode (parts[4], &len);
  g_assert_cmpuint (len, ==, KEY_LEN);

  g_assert_cmpstr (v1, !=, v2);  /* random salt */
  g_assert_true (vigil_scram_verifier_check (v1, "pencil"));
  g_assert_true (vigil_scram_verifier_check (v2, "pencil"));
  g_assert_false (vigil_scram_verifier_check (v1, "pencil "));
  g_assert_false (vigil_scram_verifier_check (v1, ""));
}

static void
test_verifier_malformed (void)
{
  static const char * const bad[] = {
    "",
    "SCRAM-SHA-256$",
    "md5abcdef",
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==",
    "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SCRAM-SHA-256$x:W22ZaJ0SNY7soEsUEjb6gQ==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SCRAM-SHA-256$4096:W22Z!!0SNY7soEsUEjb6gQ==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$extra",
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==:x$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  };

  g_assert_false (vigil_scram_verifier_check (NULL, "pencil"));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(VigilScramServer) server = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("verifier %u: %s", i, bad[i]);
      g_assert_false (vigil_scram_verifier_check (bad[i], "pencil"));
      /* An unusable verifier must behave like an unknown identity. */
      error = run_exchange (bad[i], "pencil", "n,,", "biws");
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_AUTH);
    }
}

static char *
rfc_verifier (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *salt = NULL;
  gsize salt_len = 0;
  char *verifier;

  salt = g_base64_decode (RFC_SALT, &salt_len);
  verifier = _vigil_scram_make_verifier_full (RFC_PASSWORD, salt, salt_len, 4096, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (verifier, "SCRAM-SHA-256$4096:" RFC_SALT "$"));
  return verifier;
}

/* Exchanges */

static void
test_exchange_rfc7677 (void)
{
  g_autofree char *verifier = rfc_verifier ();
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (verifier);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (vigil_scram_verifier_check (verifier, RFC_PASSWORD));
  _vigil_scram_server_set_nonce_for_test (server, RFC_SERVER_NONCE);
  g_assert_true (server_first (server, RFC_CLIENT_FIRST, out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out->str, ==, RFC_SERVER_FIRST);

  g_string_truncate (out, 0);
  g_assert_true (server_final (server, RFC_CLIENT_FINAL, out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out->str, ==, RFC_SERVER_FINAL);

  /* The exchange is over: nothing more is accepted. */
  g_string_truncate (out, 0);
  g_assert_false (server_final (server, RFC_CLIENT_FINAL, out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL);
}

static void
test_exchange_valid (void)
{
  g_autofree char *verifier = vigil_scram_make_verifier ("vgl_secret", NULL);
  GError *error;

  error = run_exchange (verifier, "vgl_secret", "n,,", "biws");
  g_assert_no_error (error);
  /* 'y': the client could bind, but we never offered SCRAM-SHA-256-PLUS. */
  error = run_exchange (verifier, "vgl_secret", "y,,", "eSws");
  g_assert_no_error (error);
}

static void
test_exchange_random_nonce (void)
{
  g_autoptr(VigilScramServer) a = vigil_scram_server_new (NULL);
  g_autoptr(VigilScramServer) b = vigil_scram_server_new (NULL);
  g_autoptr(GString) out_a = g_string_new (NULL);
  g_autoptr(GString) out_b = g_string_new (NULL);
  g_auto(GStrv) fields = NULL;

  g_assert_true (server_first (a, "n,,n=,r=abc", out_a, NULL));
  g_assert_true (server_first (b, "n,,n=,r=abc", out_b, NULL));
  g_assert_cmpstr (out_a->str, !=, out_b->str);
  fields = g_strsplit (out_a->str, ",", -1);
  g_assert_cmpuint (g_strv_length (fields), ==, 3);
  /* "r=" + client nonce + 18 random bytes in base64 */
  g_assert_cmpuint (strlen (fields[0]), ==, 2 + 3 + 24);
  g_assert_cmpstr (fields[2], ==, "i=4096");
}

static void
test_exchange_wrong_password (void)
{
  g_autofree char *verifier = vigil_scram_make_verifier ("vgl_secret", NULL);
  g_autoptr(GError) error = NULL;

  error = run_exchange (verifier, "vgl_secreT", "n,,", "biws");
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_AUTH);
}

static void
test_exchange_unknown_user_mock (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilScramServer) a = vigil_scram_server_new (NULL);
  g_autoptr(VigilScramServer) b = vigil_scram_server_new (NULL);
  g_autoptr(GString) out_a = g_string_new (NULL);
  g_autoptr(GString) out_b = g_string_new (NULL);
  g_auto(GStrv) fields = NULL;
  g_autofree guint8 *salt = NULL;
  gsize salt_len = 0;

  error = run_exchange (NULL, "anything", "n,,", "biws");
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_AUTH);

  /* The server-first-message looks like a real one, with a random salt. */
  g_assert_true (server_first (a, "n,,n=,r=abc", out_a, NULL));
  g_assert_true (server_first (b, "n,,n=,r=abc", out_b, NULL));
  fields = g_strsplit (out_a->str, ",", -1);
  g_assert_true (g_str_has_prefix (fields[1], "s="));
  salt = g_base64_decode (fields[1] + 2, &salt_len);
  g_assert_cmpuint (salt_len, ==, 16);
  g_assert_null (strstr (out_b->str, fields[1]));
}

static void
test_exchange_out_of_order (void)
{
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (server_final (server, "c=biws,r=abc,p=" ZERO_PROOF, out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL);
  g_clear_error (&error);
  /* A failed exchange stays failed. */
  g_assert_false (server_first (server, "n,,n=,r=abc", out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL);
  g_assert_cmpuint (out->len, ==, 0);
}

static void
test_exchange_first_twice (void)
{
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (server_first (server, "n,,n=,r=abc", out, &error));
  g_assert_false (server_first (server, "n,,n=,r=abc", out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL);
}

/* Malformed messages */

typedef struct
{
  const char *name;
  const char *msg;
  gsize       len;   /* messages may hold a NUL */
  VigilError  code;
} MalformedCase;

#define MSG(literal) literal, sizeof (literal) - 1

static const MalformedCase malformed_first[] = {
  { "empty",            MSG (""),                              VIGIL_ERROR_PROTOCOL },
  { "gs2-only",         MSG ("n,,"),                           VIGIL_ERROR_PROTOCOL },
  { "flag-only",        MSG ("n"),                             VIGIL_ERROR_PROTOCOL },
  { "bad-flag",         MSG ("x,,n=,r=abc"),                   VIGIL_ERROR_PROTOCOL },
  { "channel-binding",  MSG ("p=tls-server-end-point,,n=,r=abc"), VIGIL_ERROR_PROTOCOL },
  { "authzid",          MSG ("n,a=admin,n=,r=abc"),            VIGIL_ERROR_PROTOCOL },
  { "bad-gs2",          MSG ("nn,,n=,r=abc"),                  VIGIL_ERROR_PROTOCOL },
  { "mandatory-ext",    MSG ("n,,m=ext,n=,r=abc"),             VIGIL_ERROR_PROTOCOL },
  { "missing-n",        MSG ("n,,r=abc"),                      VIGIL_ERROR_PROTOCOL },
  { "missing-r",        MSG ("n,,n=user"),                     VIGIL_ERROR_PROTOCOL },
  { "missing-r-comma",  MSG ("n,,n=,"),                        VIGIL_ERROR_PROTOCOL },
  { "empty-nonce",      MSG ("n,,n=,r="),                      VIGIL_ERROR_PROTOCOL },
  { "nonce-space",      MSG ("n,,n=,r=ab cd"),                 VIGIL_ERROR_PROTOCOL },
  { "nonce-8bit",       MSG ("n,,n=,r=ab\xc3\xa9"),            VIGIL_ERROR_PROTOCOL },
  { "nonce-control",    MSG ("n,,n=,r=ab\x01"),                VIGIL_ERROR_PROTOCOL },
  { "embedded-nul",     MSG ("n,,n=,r=ab\0cd"),               VIGIL_ERROR_PROTOCOL },
  { "trailing-comma",   MSG ("n,,n=,r=abc,"),                  VIGIL_ERROR_PROTOCOL },
  { "bad-extension",    MSG ("n,,n=,r=abc,xyz"),               VIGIL_ERROR_PROTOCOL },
  { "reordered",        MSG ("n,,r=abc,n="),                   VIGIL_ERROR_PROTOCOL },
};

static const MalformedCase malformed_final[] = {
  { "empty",            MSG (""),                                           VIGIL_ERROR_PROTOCOL },
  { "cbind-only",       MSG ("c=biws"),                                     VIGIL_ERROR_PROTOCOL },
  { "missing-proof",    MSG ("c=biws,r=" T_NONCE),                          VIGIL_ERROR_PROTOCOL },
  { "missing-r",        MSG ("c=biws,p=" ZERO_PROOF),                       VIGIL_ERROR_PROTOCOL },
  { "reordered",        MSG ("r=" T_NONCE ",c=biws,p=" ZERO_PROOF),         VIGIL_ERROR_PROTOCOL },
  { "cbind-y",          MSG ("c=eSws,r=" T_NONCE ",p=" ZERO_PROOF),         VIGIL_ERROR_PROTOCOL },
  { "cbind-p",          MSG ("c=cD10bHMtc2VydmVyLWVuZC1wb2ludCws,r=" T_NONCE ",p=" ZERO_PROOF),
                                                                      VIGIL_ERROR_PROTOCOL },
  { "cbind-bad-base64", MSG ("c=bi!s,r=" T_NONCE ",p=" ZERO_PROOF),         VIGIL_ERROR_PROTOCOL },
  { "cbind-empty",      MSG ("c=,r=" T_NONCE ",p=" ZERO_PROOF),             VIGIL_ERROR_PROTOCOL },
  { "wrong-nonce",      MSG ("c=biws,r=" T_CLIENT_NONCE ",p=" ZERO_PROOF),  VIGIL_ERROR_PROTOCOL },
  { "longer-nonce",     MSG ("c=biws,r=" T_NONCE "x,p=" ZERO_PROOF),        VIGIL_ERROR_PROTOCOL },
  { "short-proof",      MSG ("c=biws,r=" T_NONCE ",p=AAAA"),                VIGIL_ERROR_PROTOCOL },
  { "long-proof",       MSG ("c=biws,r=" T_NONCE ",p=" ZERO_PROOF "AAAA"),  VIGIL_ERROR_PROTOCOL },
  { "empty-proof",      MSG ("c=biws,r=" T_NONCE ",p="),                    VIGIL_ERROR_PROTOCOL },
  { "proof-bad-base64", MSG ("c=biws,r=" T_NONCE ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!="),
                                                                      VIGIL_ERROR_PROTOCOL },
  { "proof-unpadded",   MSG ("c=biws,r=" T_NONCE ",p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                                                                      VIGIL_ERROR_PROTOCOL },
  { "after-proof",      MSG ("c=biws,r=" T_NONCE ",p=" ZERO_PROOF ",x=1"),  VIGIL_ERROR_PROTOCOL },
  { "trailing-comma",   MSG ("c=biws,r=" T_NONCE ",p=" ZERO_PROOF ","),     VIGIL_ERROR_PROTOCOL },
  { "bad-extension",    MSG ("c=biws,r=" T_NONCE ",xyz,p=" ZERO_PROOF),     VIGIL_ERROR_PROTOCOL },
  { "embedded-nul",     MSG ("c=biws,r=" T_NONCE "\0,p=" ZERO_PROOF),      VIGIL_ERROR_PROTOCOL },
  { "control",          MSG ("c=biws,r=" T_NONCE ",p=" ZERO_PROOF "\n"),    VIGIL_ERROR_PROTOCOL },
  /* Well formed, so the proof itself is what fails. */
  { "zero-proof",       MSG ("c=biws,r=" T_NONCE ",p=" ZERO_PROOF),         VIGIL_ERROR_AUTH },
  { "ext-zero-proof",   MSG ("c=biws,r=" T_NONCE ",x=ext,p=" ZERO_PROOF),   VIGIL_ERROR_AUTH },
};

static void
check_rejected (VigilScramServer   *server,
                gboolean            final,
                const MalformedCase *c)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gsize len = c->len;
  gboolean ok;

  ok = final ? vigil_scram_server_final (server, (const guint8 *) c->msg, len, out, &error)
             : vigil_scram_server_first (server, (const guint8 *) c->msg, len, out, &error);
  g_assert_false (ok);
  g_assert_error (error, VIGIL_ERROR, (gint) c->code);
  g_assert_cmpuint (out->len, ==, 0);
  g_test_message ("%s: %s", c->name, error->message);
}

static void
test_malformed_first (gconstpointer data)
{
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (NULL);

  check_rejected (server, FALSE, data);
}

static void
test_malformed_final (gconstpointer data)
{
  g_autofree char *verifier = vigil_scram_make_verifier ("vgl_secret", NULL);
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (verifier);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  _vigil_scram_server_set_nonce_for_test (server, T_SERVER_NONCE);
  g_assert_true (server_first (server, "n,,n=,r=" T_CLIENT_NONCE, out, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out->str, "r=" T_NONCE ","));
  check_rejected (server, TRUE, data);
}

static void
test_malformed_huge (void)
{
  g_autofree char *verifier = vigil_scram_make_verifier ("vgl_secret", NULL);
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (verifier);
  g_autoptr(GString) first = g_string_new ("n,,n=,r=");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  /* Exactly the limit is fine... */
  while (first->len < VIGIL_SCRAM_MAX_MESSAGE)
    g_string_append_c (first, 'a');
  g_assert_true (server_first (server, first->str, out, &error));
  g_assert_no_error (error);

  /* ...one byte more is not. */
  g_string_append_c (first, 'a');
  g_clear_pointer (&server, vigil_scram_server_free);
  server = vigil_scram_server_new (verifier);
  g_assert_false (server_first (server, first->str, out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL);
}

static void
test_malformed_huge_final (void)
{
  g_autoptr(VigilScramServer) server = vigil_scram_server_new (NULL);
  g_autoptr(GString) final = g_string_new ("c=biws,r=" T_NONCE ",x=");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  _vigil_scram_server_set_nonce_for_test (server, T_SERVER_NONCE);
  g_assert_true (server_first (server, "n,,n=,r=" T_CLIENT_NONCE, out, &error));
  while (final->len < 64 * 1024)
    g_string_append_c (final, 'a');
  g_string_append (final, ",p=" ZERO_PROOF);
  g_string_truncate (out, 0);
  g_assert_false (server_final (server, final->str, out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_PROTOCOL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/scram/verifier/format", test_verifier_format);
  g_test_add_func ("/scram/verifier/malformed", test_verifier_malformed);
  g_test_add_func ("/scram/exchange/rfc7677", test_exchange_rfc7677);
  g_test_add_func ("/scram/exchange/valid", test_exchange_valid);
  g_test_add_func ("/scram/exchange/random-nonce", test_exchange_random_nonce);
  g_test_add_func ("/scram/exchange/wrong-password", test_exchange_wrong_password);
  g_test_add_func ("/scram/exchange/unknown-user-mock", test_exchange_unknown_user_mock);
  g_test_add_func ("/scram/exchange/out-of-order", test_exchange_out_of_order);
  g_test_add_func ("/scram/exchange/first-twice", test_exchange_first_twice);
  g_test_add_func ("/scram/malformed/first/huge", test_malformed_huge);
  g_test_add_func ("/scram/malformed/final/huge", test_malformed_huge_final);

  for (guint i = 0; i < G_N_ELEMENTS (malformed_first); i++)
    {
      g_autofree char *path = g_strconcat ("/scram/malformed/first/",
                                           malformed_first[i].name, NULL);
      g_test_add_data_func (path, &malformed_first[i], test_malformed_first);
    }
  for (guint i = 0; i < G_N_ELEMENTS (malformed_final); i++)
    {
      g_autofree char *path = g_strconcat ("/scram/malformed/final/",
                                           malformed_final[i].name, NULL);
      g_test_add_data_func (path, &malformed_final[i], test_malformed_final);
    }

  return g_test_run ();
}
