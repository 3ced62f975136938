/* test-proxy-oidc.c: single sign-on with OpenID Connect ID tokens through `vigilctl serve`.
 *
 * A test identity provider (tests/vigil-test-jwt.c) serves discovery and a JWKS of an RSA
 * and an EC P-256 key, with max-age=0 so that every login fetches the keys; the proxy runs
 * with --oidc-issuer pointing at it and with TLS. Over the Unix socket and TLS an ID token
 * is the password of a human; agents keep their own tokens; over plain TCP it is SCRAM.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>

#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

#include "vigil-test-jwt.h"
#include "vigil-test-proxy.h"

#define ALICE    "alice@example.com"   /* human */
#define BOB      "bob@example.com"     /* human */
#define CAROL    "carol@example.com"   /* admin */
#define DAVE     "dave@example.com"    /* human, revoked */
#define ROBOT    "robot@example.com"   /* agent */
#define WAIT_MS  60000

static VigilTestIdp *idp;
static gboolean identities_added;

typedef PGconn OidcConn;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OidcConn, PQfinish)

/* ---- helpers ------------------------------------------------------------------------- */

static VigilTestProxy *
proxy_with_identities (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  const char *humans[][2] = {
    { ALICE, "human" }, { BOB, "human" }, { CAROL, "admin" }, { DAVE, "human" },
    { ROBOT, "agent" },
  };
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (proxy == NULL || identities_added)
    return proxy;
  for (guint i = 0; i < G_N_ELEMENTS (humans); i++)
    {
      g_autofree char *token = vigil_test_proxy_add_identity (proxy, humans[i][0], humans[i][1],
                                                              &error);
      g_assert_no_error (error);
    }
  g_assert_true (vigil_test_proxy_vigilctl (proxy, (const char * const[]) { "identity", "revoke",
                                                                            DAVE, NULL },
                                            NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  identities_added = TRUE;
  return proxy;
}

/* TRANSPORT: "unix", "tcp" (no TLS) or "tls". Error messages carry the SQLSTATE. */
static PGconn *
connect_as (VigilTestProxy *proxy,
            const char     *transport,
            const char     *user,
            const char     *password)
{
  g_autofree char *port = g_strdup_printf ("%u", vigil_test_proxy_get_port (proxy));
  gboolean unix_socket = g_str_equal (transport, "unix");
  const char * const keys[] = { "host", "port", "user", "password", "dbname", "sslmode", NULL };
  const char * const values[] = {
    unix_socket ? vigil_test_proxy_get_socket_dir (proxy) : "127.0.0.1", port, user, password,
    VIGIL_TEST_PG_APP_DB, g_str_equal (transport, "tls") ? "require" : "disable", NULL
  };
  PGconn *conn = PQconnectStartParams (keys, values, 0);
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;

  g_assert_nonnull (conn);
  PQsetErrorVerbosity (conn, PQERRORS_VERBOSE);
  while (PQstatus (conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
         st != PGRES_POLLING_FAILED)
    {
      struct pollfd pfd = { .fd = PQsocket (conn),
                            .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT };
      int n;

      do
        n = poll (&pfd, 1, WAIT_MS);
      while (n < 0 && errno == EINTR);
      if (n <= 0)
        g_error ("no progress logging in as %s over %s for %d s", user, transport, WAIT_MS / 1000);
      st = PQconnectPoll (conn);
    }
  return conn;
}

static void
assert_login_ok (VigilTestProxy *proxy,
                 const char     *transport,
                 const char     *user,
                 const char     *password)
{
  g_autoptr(OidcConn) conn = connect_as (proxy, transport, user, password);
  g_autofree char *one = NULL;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("%s over %s was refused: %s", user, transport, PQerrorMessage (conn));
  one = vigil_test_query_value (conn, "select 1");
  g_assert_cmpstr (one, ==, "1");
}

static void
assert_login_refused (VigilTestProxy *proxy,
                      const char     *transport,
                      const char     *user,
                      const char     *password,
                      const char     *sqlstate)
{
  g_autoptr(OidcConn) conn = connect_as (proxy, transport, user, password);
  const char *message = PQerrorMessage (conn);
  g_autofree char *expected = g_strdup_printf ("FATAL:  %s: ", sqlstate);

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_BAD);
  g_test_message ("%s over %s refused: %s", user, transport, message);
  if (strstr (message, expected) == NULL)
    g_error ("expected '%s' refusing %s over %s, got: %s", expected, user, transport, message);
  if (g_str_equal (sqlstate, "28P01"))
    {
      g_autofree char *text = g_strdup_printf ("password authentication failed for user \"%s\"",
                                               user);
      g_assert_nonnull (strstr (message, text));
    }
}

static char *
token_for (const char *email,
           const char *alg)
{
  g_autofree char *payload = vigil_test_jwt_claims (vigil_test_idp_get_issuer (idp),
                                                    "\"" VIGIL_TEST_JWT_AUDIENCE "\"", email,
                                                    600, -10);
  gboolean ec = g_str_equal (alg, "ES256");

  return vigil_test_jwt_make (alg, ec ? "ec-1" : "rsa-1",
                              ec ? vigil_test_idp_get_ec (idp) : vigil_test_idp_get_rsa (idp),
                              payload);
}

/* The number of log lines holding every one of the strings in WORDS. */
static guint
count_log_lines (VigilTestProxy     *proxy,
                 const char * const *words)
{
  g_autofree char *log = vigil_test_proxy_read_log (proxy);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  guint count = 0;

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      gboolean all = TRUE;

      for (gsize w = 0; words[w] != NULL && all; w++)
        all = strstr (lines[i], words[w]) != NULL;
      count += all;
    }
  return count;
}

static void
assert_not_logged (VigilTestProxy *proxy,
                   const char     *secret)
{
  g_autofree char *log = vigil_test_proxy_read_log (proxy);

  g_assert_null (strstr (log, secret));
}

/* The audit record of the statement holding MARK, waiting (bounded) for it. */
static JsonObject *
audit_record_with (VigilTestProxy *proxy,
                   const char     *mark)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  do
    {
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) lines = NULL;
      int status = 0;

      g_assert_true (vigil_test_proxy_vigilctl (proxy, (const char * const[]) { "audit", "tail",
                                                                                "--json", "-n",
                                                                                "1000", NULL },
                                                &out, NULL, &status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      lines = g_strsplit (out ? out : "", "\n", -1);
      for (gsize i = 0; lines[i] != NULL; i++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *record;
          const char *statement;

          if (strstr (lines[i], mark) == NULL)
            continue;
          g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
          record = json_node_get_object (json_parser_get_root (parser));
          statement = json_object_get_string_member_with_default (record, "statement", "");
          if (strstr (statement, mark) != NULL)
            return json_object_ref (record);
        }
      g_usleep (100 * 1000);
    }
  while (g_get_monotonic_time () < deadline);
  g_error ("no audit record of '%s' within 10 s", mark);
}

/* Logs in with TOKEN as USER, runs a marked statement, checks who the audit says ran it. */
static void
assert_sso_login (VigilTestProxy *proxy,
                  const char     *transport,
                  const char     *user,
                  const char     *token,
                  const char     *kind)
{
  g_autoptr(OidcConn) conn = connect_as (proxy, transport, user, token);
  g_autofree char *mark = g_strdup_printf ("oidc-mark-%08x", g_random_int ());
  g_autofree char *sql = g_strdup_printf ("select '%s'", mark);
  g_autofree char *value = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autofree char *logged = g_strdup_printf ("login identity=%s auth=oidc transport=%s", user,
                                             transport);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("%s with an ID token over %s was refused: %s", user, transport,
             PQerrorMessage (conn));
  value = vigil_test_query_value (conn, sql);
  g_assert_cmpstr (value, ==, mark);
  record = audit_record_with (proxy, mark);
  g_assert_cmpstr (json_object_get_string_member (record, "identity"), ==, user);
  g_assert_cmpstr (json_object_get_string_member (record, "identity_kind"), ==, kind);
  g_assert_cmpuint (count_log_lines (proxy, (const char * const[]) { logged, NULL }), >=, 1);
  assert_not_logged (proxy, token);
}

/* ---- cases --------------------------------------------------------------------------- */

static void
test_unix_rs256 (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  g_autofree char *token = NULL;

  if (proxy == NULL)
    return;
  token = token_for (ALICE, "RS256");
  assert_sso_login (proxy, "unix", ALICE, token, "human");
}

static void
test_unix_es256 (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  g_autofree char *token = NULL;

  if (proxy == NULL)
    return;
  token = token_for (CAROL, "ES256");
  assert_sso_login (proxy, "unix", CAROL, token, "admin");
}

static void
test_unix_refused (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  const char *issuer;
  EVP_PKEY *rsa;
  g_autofree char *expired = NULL;
  g_autofree char *audience = NULL;
  g_autofree char *other_issuer = NULL;
  g_autofree char *good = NULL;
  struct { const char *name, *user, *reason; char *token; } cases[9];

  if (proxy == NULL)
    return;
  issuer = vigil_test_idp_get_issuer (idp);
  rsa = vigil_test_idp_get_rsa (idp);
  expired = vigil_test_jwt_claims (issuer, "\"" VIGIL_TEST_JWT_AUDIENCE "\"", ALICE, -600, -900);
  audience = vigil_test_jwt_claims (issuer, "\"someone-else\"", ALICE, 600, -10);
  other_issuer = vigil_test_jwt_claims ("https://evil.example.com",
                                        "\"" VIGIL_TEST_JWT_AUDIENCE "\"", ALICE, 600, -10);
  good = vigil_test_jwt_claims (issuer, "\"" VIGIL_TEST_JWT_AUDIENCE "\"", ALICE, 600, -10);
  cases[0] = (typeof (cases[0])) { "expired", ALICE, "expired:",
                                   vigil_test_jwt_make ("RS256", "rsa-1", rsa, expired) };
  cases[1] = (typeof (cases[0])) { "wrong audience", ALICE, "audience:",
                                   vigil_test_jwt_make ("RS256", "rsa-1", rsa, audience) };
  cases[2] = (typeof (cases[0])) { "wrong issuer", ALICE, "issuer:",
                                   vigil_test_jwt_make ("ES256", "ec-1",
                                                        vigil_test_idp_get_ec (idp),
                                                        other_issuer) };
  cases[3] = (typeof (cases[0])) { "bad signature", ALICE, "signature:",
                                   vigil_test_jwt_make ("RS256", "rsa-1",
                                                        vigil_test_idp_get_other_rsa (idp),
                                                        good) };
  cases[4] = (typeof (cases[0])) { "alg none", ALICE, "alg:",
                                   vigil_test_jwt_make ("none", "rsa-1", NULL, good) };
  cases[5] = (typeof (cases[0])) { "HS256 keyed with the public key", ALICE, "alg:",
                                   vigil_test_jwt_make ("HS256", "rsa-1", rsa, good) };
  cases[6] = (typeof (cases[0])) { "an agent named by the claim", ROBOT, "identity:",
                                   token_for (ROBOT, "RS256") };
  cases[7] = (typeof (cases[0])) { "the claim names another user", BOB, "identity:",
                                   token_for (ALICE, "RS256") };
  cases[8] = (typeof (cases[0])) { "a revoked identity", DAVE, "identity:",
                                   token_for (DAVE, "ES256") };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("login failed identity=%s auth=oidc "
                                               "transport=unix reason=\"%s", cases[i].user,
                                               cases[i].reason);
      guint before = count_log_lines (proxy, (const char * const[]) { line, NULL });

      g_test_message ("case: %s", cases[i].name);
      assert_login_refused (proxy, "unix", cases[i].user, cases[i].token, "28P01");
      g_assert_cmpuint (count_log_lines (proxy, (const char * const[]) { line, NULL }), ==,
                        before + 1);
      assert_not_logged (proxy, cases[i].token);
      g_free (cases[i].token);
    }
}

/* On the same socket, an agent's own token is a password like any other. */
static void
test_unix_agent_token (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  const char *line[] = { "login identity=" VIGIL_TEST_PROXY_IDENTITY " auth=password "
                         "transport=unix", NULL };
  const char *wrong[] = { "login failed identity=" VIGIL_TEST_PROXY_IDENTITY " auth=password "
                          "transport=unix reason=\"wrong token\"", NULL };
  guint before;

  if (proxy == NULL)
    return;
  before = count_log_lines (proxy, line);
  assert_login_ok (proxy, "unix", VIGIL_TEST_PROXY_IDENTITY, vigil_test_proxy_get_token (proxy));
  g_assert_cmpuint (count_log_lines (proxy, line), ==, before + 1);
  assert_not_logged (proxy, vigil_test_proxy_get_token (proxy));

  before = count_log_lines (proxy, wrong);
  assert_login_refused (proxy, "unix", VIGIL_TEST_PROXY_IDENTITY, "vgl_not-the-token", "28P01");
  g_assert_cmpuint (count_log_lines (proxy, wrong), ==, before + 1);
  /* A real token under a name that does not exist. */
  assert_login_refused (proxy, "unix", "nobody", vigil_test_proxy_get_token (proxy), "28P01");
}

/* Without TLS, TCP stays SCRAM: the token never travels, so an ID token cannot log in. */
static void
test_tcp_scram (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  const char *scram[] = { "login identity=" VIGIL_TEST_PROXY_IDENTITY " auth=scram "
                          "transport=tcp", NULL };
  const char *refused[] = { "login failed identity=" ALICE " auth=scram transport=tcp", NULL };
  g_autofree char *token = NULL;
  guint before_ok, before_refused;

  if (proxy == NULL)
    return;
  token = token_for (ALICE, "RS256");
  before_ok = count_log_lines (proxy, scram);
  before_refused = count_log_lines (proxy, refused);
  assert_login_ok (proxy, "tcp", VIGIL_TEST_PROXY_IDENTITY, vigil_test_proxy_get_token (proxy));
  assert_login_refused (proxy, "tcp", ALICE, token, "28P01");
  g_assert_cmpuint (count_log_lines (proxy, scram), ==, before_ok + 1);
  g_assert_cmpuint (count_log_lines (proxy, refused), ==, before_refused + 1);
}

static void
test_tls (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  g_autofree char *token = NULL;
  g_autofree char *expired_claims = NULL;
  g_autofree char *expired = NULL;

  if (proxy == NULL)
    return;
  token = token_for (BOB, "ES256");
  expired_claims = vigil_test_jwt_claims (vigil_test_idp_get_issuer (idp),
                                          "\"" VIGIL_TEST_JWT_AUDIENCE "\"", BOB, -600, -900);
  expired = vigil_test_jwt_make ("ES256", "ec-1", vigil_test_idp_get_ec (idp), expired_claims);
  assert_sso_login (proxy, "tls", BOB, token, "human");
  assert_login_refused (proxy, "tls", BOB, expired, "28P01");
  assert_login_ok (proxy, "tls", VIGIL_TEST_PROXY_IDENTITY, vigil_test_proxy_get_token (proxy));
}

/* More than the proxy reads for a password is a protocol violation, not a login failure. */
static void
test_oversized_password (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  g_autofree char *huge = NULL;
  g_autofree char *token = NULL;

  if (proxy == NULL)
    return;
  huge = g_strnfill (20000, 'a');
  assert_login_refused (proxy, "unix", ALICE, huge, "08P01");
  token = token_for (ALICE, "RS256");
  assert_sso_login (proxy, "unix", ALICE, token, "human");
}

/* ---- a client leaving while its token is being validated ----------------------------- */

static void
write_startup (GOutputStream *out,
               const char    *user)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const char *params[] = { "user", user, "database", VIGIL_TEST_PG_APP_DB, "", NULL };
  guint32 be;

  g_byte_array_set_size (msg, 8);
  for (gsize i = 0; params[i] != NULL; i++)
    g_byte_array_append (msg, (const guint8 *) params[i], strlen (params[i]) + 1);
  be = GUINT32_TO_BE (msg->len);
  memcpy (msg->data, &be, 4);
  be = GUINT32_TO_BE (196608);
  memcpy (msg->data + 4, &be, 4);
  g_assert_true (g_output_stream_write_all (out, msg->data, msg->len, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
write_password (GOutputStream *out,
                const char    *password)
{
  g_autoptr(GError) error = NULL;
  guint32 be = GUINT32_TO_BE (4 + strlen (password) + 1);

  g_assert_true (g_output_stream_write_all (out, "p", 1, NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (out, &be, 4, NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (out, password, strlen (password) + 1, NULL, NULL,
                                            &error));
  g_assert_no_error (error);
}

/* Waits (bounded) until the log has a line with every one of WORDS. */
static gboolean
wait_for_log (VigilTestProxy     *proxy,
              const char * const *words)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (count_log_lines (proxy, words) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (50 * 1000);
    }
  return TRUE;
}

/* A client over the Unix socket that has sent USER's TOKEN and whose proxy now waits for
 * the key set, held back by the provider until vigil_test_idp_hold_jwks (idp, FALSE). */
static GSocketConnection *
login_waiting_for_keys (VigilTestProxy *proxy,
                        const char     *user,
                        const char     *token)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autofree char *path = g_strdup_printf ("%s/.s.PGSQL.%u",
                                           vigil_test_proxy_get_socket_dir (proxy),
                                           vigil_test_proxy_get_port (proxy));
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;
  gint64 deadline;
  guint8 answer[9];
  gint hits;

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  write_startup (g_io_stream_get_output_stream (G_IO_STREAM (connection)), user);
  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                          answer, sizeof answer, NULL, NULL, &error));
  g_assert_no_error (error);
  /* AuthenticationCleartextPassword: 'R', length 8, code 3. */
  g_assert_cmpmem (answer, sizeof answer, "R\0\0\0\x08\0\0\0\x03", 9);

  hits = vigil_test_idp_get_jwks_hits (idp);
  vigil_test_idp_hold_jwks (idp, TRUE);
  write_password (g_io_stream_get_output_stream (G_IO_STREAM (connection)), token);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (vigil_test_idp_get_jwks_hits (idp) == hits && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_cmpint (vigil_test_idp_get_jwks_hits (idp), >, hits);
  return connection;
}

/* The session ends before the key set comes; nothing is logged in later. */
static void
test_disconnect_while_validating (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autofree char *token = NULL;
  g_autofree char *alice = NULL;
  const char *closed[] = { "identity=leaver@example.com ", "end=\"client disconnected\"", NULL };
  const char *login[] = { "login", "identity=leaver@example.com ", NULL };

  if (proxy == NULL)
    return;
  token = token_for ("leaver@example.com", "RS256");
  connection = login_waiting_for_keys (proxy, "leaver@example.com", token);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  if (!wait_for_log (proxy, closed))
    {
      g_autofree char *log = vigil_test_proxy_read_log (proxy);
      vigil_test_idp_hold_jwks (idp, FALSE);
      g_error ("the session did not end while its token waited for the key set:\n%s", log);
    }
  vigil_test_idp_hold_jwks (idp, FALSE);

  alice = token_for (ALICE, "RS256");
  assert_sso_login (proxy, "unix", ALICE, alice, "human");
  g_assert_true (vigil_test_proxy_is_alive (proxy));
  g_assert_cmpuint (count_log_lines (proxy, login), ==, 0);
}

/* SIGTERM while a key set fetch hangs: the proxy still exits cleanly and promptly. */
static void
test_sigterm_while_validating (void)
{
  VigilTestProxy *proxy = proxy_with_identities ();
  VigilTestProxy *other;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *log = NULL;
  const char *args[] = { "--oidc-issuer", vigil_test_idp_get_issuer (idp), "--oidc-audience",
                         VIGIL_TEST_JWT_AUDIENCE, NULL };
  int status;

  if (proxy == NULL)
    return;
  other = vigil_test_proxy_start (vigil_test_env_pg (),
                                  &(VigilTestProxyOptions) { .extra_args = args }, &error);
  g_assert_no_error (error);
  token = token_for (ALICE, "ES256");
  connection = login_waiting_for_keys (other, ALICE, token);
  status = vigil_test_proxy_terminate (other);
  vigil_test_idp_hold_jwks (idp, FALSE);
  log = vigil_test_proxy_read_log (other);
  vigil_test_proxy_stop (other);
  if (status == -1)
    g_error ("vigilctl serve ignored SIGTERM for 10 s while fetching keys; its log:\n%s", log);
  if (!(WIFEXITED (status) && WEXITSTATUS (status) == 0) &&
      !(WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM))
    g_error ("vigilctl serve did not exit cleanly (wait status %d); its log:\n%s", status, log);
  g_assert_null (strstr (log, token));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *issuer = NULL;
  int ret;

  vigil_test_init (&argc, &argv);
  idp = vigil_test_idp_start ();
  vigil_test_idp_publish_default (idp, 0);
  issuer = g_strdup (vigil_test_idp_get_issuer (idp));
  vigil_test_env_setup (&(VigilTestProxyOptions) {
    .tls = TRUE,
    .extra_args = (const char * const[]) { "--oidc-issuer", issuer,
                                           "--oidc-audience", VIGIL_TEST_JWT_AUDIENCE, NULL },
  });

  g_test_add_func ("/proxy/oidc/unix/rs256", test_unix_rs256);
  g_test_add_func ("/proxy/oidc/unix/es256", test_unix_es256);
  g_test_add_func ("/proxy/oidc/unix/refused", test_unix_refused);
  g_test_add_func ("/proxy/oidc/unix/agent-token", test_unix_agent_token);
  g_test_add_func ("/proxy/oidc/unix/oversized-password", test_oversized_password);
  g_test_add_func ("/proxy/oidc/unix/disconnect-while-validating",
                   test_disconnect_while_validating);
  g_test_add_func ("/proxy/oidc/unix/sigterm-while-validating", test_sigterm_while_validating);
  g_test_add_func ("/proxy/oidc/tcp/scram", test_tcp_scram);
  g_test_add_func ("/proxy/oidc/tls/login", test_tls);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  vigil_test_idp_stop (idp);
  return ret;
}
