/* fuzz-engine.c: the engine between a raw client and a fake upstream, for fuzzing.
 *
 * The fake upstream speaks just enough of the protocol for libpq's connect (trust:
 * AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery). Then it either
 * answers every message as a server would, briefly, or sends the script the backend
 * harness set from its input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "vigil-engine.h"
#include "vigil-store.h"
#include "vigil-wire.h"

#include "fuzz-engine.h"

#define UPSTREAM_SILENCE_MS 300

static const char fuzz_policy[] =
  "{\"version\": 1, \"default_action\": \"allow\", \"rules\": [],"
  " \"masking\": ["
  "  {\"name\": \"cols\", \"match\": {\"kind\": \"agent\"}, \"columns\": [\"*.email\", \"*.ssn\"],"
  "   \"strategy\": \"partial\"},"
  "  {\"name\": \"scan\", \"match\": {\"kind\": \"agent\"}, \"detectors\": [\"email\", \"card\","
  "   \"ssn\", \"iban\", \"phone\", \"secret\"], \"strategy\": \"redact\"}]}";

static VigilEngine *engine;
static guint16 engine_port;
static guint16 upstream_port;
static char *token;
static GMutex script_lock;
static GBytes *script;
static gint64 last_peak;

/* ---------------------------------------------------------------- socket helpers */

static gboolean
wait_fd (int    fd,
         short  events,
         guint  timeout_ms)
{
  struct pollfd pfd = { .fd = fd, .events = events };
  int n;

  do
    n = poll (&pfd, 1, timeout_ms);
  while (n < 0 && errno == EINTR);
  return n > 0;
}

gboolean
fuzz_engine_send (int         fd,
                  const void *data,
                  gsize       len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      ssize_t n;

      if (!wait_fd (fd, POLLOUT, 1000))
        return FALSE;
      n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
recv_exact (int     fd,
            guint8 *buf,
            gsize   len,
            guint   timeout_ms)
{
  while (len > 0)
    {
      ssize_t n;

      if (!wait_fd (fd, POLLIN, timeout_ms))
        return FALSE;
      n = recv (fd, buf, len, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        return FALSE;
      buf += n;
      len -= n;
    }
  return TRUE;
}

/* One typed message; the body goes to BODY (replaced). */
static gboolean
recv_message (int         fd,
              guint8     *type,
              GByteArray *body,
              guint       timeout_ms)
{
  guint8 head[5];
  guint32 len;

  if (!recv_exact (fd, head, 5, timeout_ms))
    return FALSE;
  len = vigil_wire_get_uint32 (head + 1);
  if (len < 4 || len > 1024 * 1024)
    return FALSE;
  *type = head[0];
  g_byte_array_set_size (body, len - 4);
  return recv_exact (fd, body->data, len - 4, timeout_ms);
}

/* After connect() failed: whether it was only interrupted (libFuzzer's timeout alarm
 * fires every second; a connect waiting for room in the listener's backlog sees it) and
 * the connection then completed. errno says why not. */
static gboolean
connect_finished (int fd)
{
  int error = 0;
  socklen_t len = sizeof error;

  if (errno != EINTR)
    return FALSE;
  if (!wait_fd (fd, POLLOUT, 10000))
    {
      errno = ETIMEDOUT;
      return FALSE;
    }
  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
    return FALSE;
  errno = error;
  return error == 0;
}

static int
tcp_connect (guint16 port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  g_assert (fd >= 0);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0 && !connect_finished (fd))
    {
      int saved = errno;

      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

/* A connection to the engine; a failure stops the run, saying why. */
int
fuzz_engine_connect (void)
{
  int fd = tcp_connect (engine_port);

  if (fd >= 0)
    return fd;
  fprintf (stderr, "fuzz: the engine no longer takes a connection (connect to 127.0.0.1:%u: "
           "%s)\n", engine_port, g_strerror (errno));
  abort ();
}

void
fuzz_engine_drain (int   fd,
                   guint timeout_ms)
{
  guint8 buf[8192];

  while (wait_fd (fd, POLLIN, timeout_ms))
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
    }
}

/* ---------------------------------------------------------------- fake upstream */

static void
put_message (GByteArray *out,
             guint8      type,
             const void *body,
             gsize       len)
{
  guint8 head[5] = { type };

  vigil_wire_put_uint32 (head + 1, len + 4);
  g_byte_array_append (out, head, 5);
  g_byte_array_append (out, body, len);
}

static void
put_parameter (GByteArray *out,
               const char *name,
               const char *value)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) name, strlen (name) + 1);
  g_byte_array_append (b, (const guint8 *) value, strlen (value) + 1);
  put_message (out, 'S', b->data, b->len);
}

/* Whether the startup packet's parameters (PARAMS, LEN bytes: name, value, ..., "")
 * hold NAME with VALUE. */
static gboolean
startup_has (const guint8 *params,
             gsize         len,
             const char   *name,
             const char   *value)
{
  VigilWireReader r;
  const char *n, *v;

  vigil_wire_reader_init (&r, params, len);
  while (vigil_wire_read_string (&r, &n) && *n != '\0' && vigil_wire_read_string (&r, &v))
    if (strcmp (n, name) == 0 && strcmp (v, value) == 0)
      return TRUE;
  return FALSE;
}

/* The startup phase: SSL/GSS requests refused, anything else is the startup packet.
 * *OUT_CATALOG: it is the masking catalog's own libpq connection. */
static gboolean
upstream_startup (int       fd,
                  gboolean *out_catalog)
{
  for (;;)
    {
      guint8 head[8];
      guint32 len, code;
      g_autofree guint8 *rest = NULL;

      if (!recv_exact (fd, head, 8, 2000))
        return FALSE;
      len = vigil_wire_get_uint32 (head);
      code = vigil_wire_get_uint32 (head + 4);
      if (len < 8 || len > VIGIL_MAX_STARTUP_PACKET)
        return FALSE;
      rest = g_malloc (len - 8 + 1);
      if (!recv_exact (fd, rest, len - 8, 2000))
        return FALSE;
      if (code == VIGIL_SSL_REQUEST_CODE || code == VIGIL_GSSENC_REQUEST_CODE)
        {
          if (!fuzz_engine_send (fd, "N", 1))
            return FALSE;
          continue;
        }
      *out_catalog = startup_has (rest, len - 8, "application_name", "vigil-catalog");
      return code == VIGIL_PROTOCOL_3_0;
    }
}

static void
upstream_greet (int fd)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 auth_ok[4] = { 0 };
  guint8 key[8];

  put_message (out, 'R', auth_ok, 4);
  put_parameter (out, "server_version", "15.0");
  put_parameter (out, "server_encoding", "UTF8");
  put_parameter (out, "client_encoding", "UTF8");
  put_parameter (out, "DateStyle", "ISO, MDY");
  put_parameter (out, "integer_datetimes", "on");
  put_parameter (out, "standard_conforming_strings", "on");
  vigil_wire_put_uint32 (key, 4242);
  vigil_wire_put_uint32 (key + 4, 0x5eC2e7);
  put_message (out, 'K', key, 8);
  put_message (out, 'Z', "I", 1);
  fuzz_engine_send (fd, out->data, out->len);
}

/* A polite server: every message gets the answer PostgreSQL would give to an empty case. */
static void
upstream_answer (int        fd,
                 guint8     type)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  static const char row_desc[] =
    "\0\x02" "email\0" "\0\0\x40\0" "\0\x01" "\0\0\0\x19" "\xff\xff" "\xff\xff\xff\xff" "\0\0"
    "n\0" "\0\0\0\0" "\0\0" "\0\0\0\x17" "\0\x04" "\xff\xff\xff\xff" "\0\0";
  static const char data_row[] =
    "\0\x02" "\0\0\0\x11" "bob@example.com x" "\0\0\0\x01" "7";

  switch (type)
    {
    case 'Q':
      put_message (out, 'T', row_desc, sizeof row_desc - 1);
      put_message (out, 'D', data_row, sizeof data_row - 1);
      put_message (out, 'C', "SELECT 1", 9);
      put_message (out, 'Z', "I", 1);
      break;
    case 'P': put_message (out, '1', NULL, 0); break;
    case 'B': put_message (out, '2', NULL, 0); break;
    case 'C': put_message (out, '3', NULL, 0); break;
    case 'D': put_message (out, 'n', NULL, 0); break;
    case 'E': put_message (out, 'C', "SELECT 0", 9); break;
    case 'S': put_message (out, 'Z', "I", 1); break;
    case 'F': put_message (out, 'V', "\xff\xff\xff\xff", 4); put_message (out, 'Z', "I", 1); break;
    default: break;
    }
  if (out->len > 0)
    fuzz_engine_send (fd, out->data, out->len);
}

static gpointer
upstream_connection_thread (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GBytes) my_script = NULL;
  gboolean catalog = FALSE;
  guint8 type;

  if (!upstream_startup (fd, &catalog))
    goto out;
  /* The catalog reads its answers with libpq, which reserves what a message's length
   * announces before the bytes come (psql does the same: a DataRow that claims 1.6 GB
   * takes its VmPeak to 1.6 GB). That is libpq's, not the engine's: the catalog gets the
   * answers of an empty database, so the VmPeak check measures the engine's own parsing. */
  g_mutex_lock (&script_lock);
  my_script = script != NULL && !catalog ? g_bytes_ref (script) : NULL;
  g_mutex_unlock (&script_lock);
  upstream_greet (fd);
  while (recv_message (fd, &type, body, UPSTREAM_SILENCE_MS))
    {
      if (type == 'X')
        break;
      if (my_script != NULL && (type == 'Q' || type == 'S' || type == 'F'))
        {
          gsize len;
          const guint8 *p = g_bytes_get_data (my_script, &len);

          fuzz_engine_send (fd, p, len);
          shutdown (fd, SHUT_WR);
          fuzz_engine_drain (fd, UPSTREAM_SILENCE_MS);
          break;
        }
      if (my_script == NULL)
        upstream_answer (fd, type);
    }
out:
  close (fd);
  return NULL;
}

static gpointer
upstream_accept_thread (gpointer data)
{
  int lfd = GPOINTER_TO_INT (data);

  for (;;)
    {
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);

      if (fd < 0)
        continue;
      g_thread_unref (g_thread_new ("fake-upstream", upstream_connection_thread,
                                    GINT_TO_POINTER (fd)));
    }
  return NULL;
}

static void
start_upstream (void)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  socklen_t sl = sizeof sa;
  int lfd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  g_assert (lfd >= 0);
  setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert (bind (lfd, (struct sockaddr *) &sa, sizeof sa) == 0);
  g_assert (listen (lfd, 128) == 0);
  g_assert (getsockname (lfd, (struct sockaddr *) &sa, &sl) == 0);
  upstream_port = ntohs (sa.sin_port);
  g_thread_unref (g_thread_new ("fake-upstream-accept", upstream_accept_thread,
                                GINT_TO_POINTER (lfd)));
}

void
fuzz_engine_set_upstream_script (const guint8 *data,
                                 gsize         len)
{
  g_mutex_lock (&script_lock);
  g_clear_pointer (&script, g_bytes_unref);
  if (data != NULL)
    script = g_bytes_new (data, len);
  g_mutex_unlock (&script_lock);
}

/* ---------------------------------------------------------------- engine */

static void
remove_data_dir (void)
{
  const char *dir = g_getenv ("FUZZ_ENGINE_DATA_DIR");

  if (dir != NULL && g_str_has_prefix (dir, g_get_tmp_dir ()))
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", dir);
    }
}

void
fuzz_engine_init (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *conninfo = NULL;

  if (engine != NULL)
    return;
  signal (SIGPIPE, SIG_IGN);
  /* One malloc arena: new threads must not look like growth to the VmPeak check. */
  mallopt (M_ARENA_MAX, 1);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  start_upstream ();
  dir = g_dir_make_tmp ("vigil-fuzz-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("FUZZ_ENGINE_DATA_DIR", dir, TRUE);
  atexit (remove_data_dir);
  store = vigil_store_open (dir, &error);
  g_assert_no_error (error);
  vigil_store_identity_add (store, FUZZ_ENGINE_IDENTITY, VIGIL_IDENTITY_KIND_AGENT, &token, &error);
  g_assert_no_error (error);
  vigil_store_policy_save (store, fuzz_policy, "fuzz", NULL, NULL, &error);
  g_assert_no_error (error);
  engine = vigil_engine_new (store);
  conninfo = g_strdup_printf ("host=127.0.0.1 port=%u dbname=" FUZZ_ENGINE_CONNECTION
                              " user=fuzz sslmode=disable gssencmode=disable connect_timeout=2",
                              upstream_port);
  vigil_engine_add_connection (engine, FUZZ_ENGINE_CONNECTION, conninfo, &error);
  g_assert_no_error (error);
  vigil_engine_set_listen (engine, "127.0.0.1:0", &error);
  g_assert_no_error (error);
  vigil_engine_set_socket_dir (engine, "");
  vigil_engine_set_startup_timeout (engine, 5);
  vigil_engine_start (engine, &error);
  g_assert_no_error (error);
  engine_port = vigil_engine_get_port (engine);
  fuzz_engine_assert_alive ();
}

/* ---------------------------------------------------------------- SCRAM client */

static GByteArray *
startup_packet (void)
{
  GByteArray *b = g_byte_array_new ();
  guint8 v[8] = { 0 };
  static const char params[] = "user\0" FUZZ_ENGINE_IDENTITY "\0database\0"
                               FUZZ_ENGINE_CONNECTION "\0\0";

  vigil_wire_put_uint32 (v + 4, VIGIL_PROTOCOL_3_0);
  g_byte_array_append (b, v, 8);
  g_byte_array_append (b, (const guint8 *) params, sizeof params - 1);
  vigil_wire_put_uint32 (b->data, b->len);
  return b;
}

static const char *
scram_attr (const char *msg,
            char        key,
            char      **out)
{
  for (const char *p = msg; p != NULL && *p; p = strchr (p, ','), p = p ? p + 1 : NULL)
    if (p[0] == key && p[1] == '=')
      {
        const char *end = strchr (p, ',');

        *out = end ? g_strndup (p + 2, end - p - 2) : g_strdup (p + 2);
        return *out;
      }
  *out = NULL;
  return NULL;
}

static void
hmac256 (const guint8 *key, gsize key_len, const char *msg, guint8 out[32])
{
  unsigned int n = 32;

  HMAC (EVP_sha256 (), key, key_len, (const guint8 *) msg, strlen (msg), out, &n);
}

/* client-final-message for SERVER_FIRST; the salted password is cached (one identity). */
static char *
scram_client_final (const char *client_first_bare,
                    const char *server_first)
{
  static guint8 salted[32];
  static char *salted_for;
  g_autofree char *nonce = NULL, *salt64 = NULL, *iter = NULL, *without_proof = NULL;
  g_autofree char *auth = NULL, *proof64 = NULL;
  g_autofree guint8 *salt = NULL;
  guint8 client_key[32], stored[32], sig[32], proof[32];
  gsize salt_len;

  if (!scram_attr (server_first, 'r', &nonce) || !scram_attr (server_first, 's', &salt64) ||
      !scram_attr (server_first, 'i', &iter))
    return NULL;
  if (g_strcmp0 (salted_for, server_first + strlen (nonce) + 3) != 0)
    {
      salt = g_base64_decode (salt64, &salt_len);
      PKCS5_PBKDF2_HMAC (token, strlen (token), salt, salt_len, atoi (iter), EVP_sha256 (),
                         32, salted);
      g_free (salted_for);
      salted_for = g_strdup (server_first + strlen (nonce) + 3);
    }
  without_proof = g_strdup_printf ("c=biws,r=%s", nonce);
  auth = g_strdup_printf ("%s,%s,%s", client_first_bare, server_first, without_proof);
  hmac256 (salted, 32, "Client Key", client_key);
  SHA256 (client_key, 32, stored);
  hmac256 (stored, 32, auth, sig);
  for (int i = 0; i < 32; i++)
    proof[i] = client_key[i] ^ sig[i];
  proof64 = g_base64_encode (proof, 32);
  return g_strdup_printf ("%s,p=%s", without_proof, proof64);
}

static gboolean
send_password_message (int         fd,
                       const char *mechanism,
                       const char *payload)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();

  if (mechanism != NULL)
    {
      guint8 n[4];

      g_byte_array_append (body, (const guint8 *) mechanism, strlen (mechanism) + 1);
      vigil_wire_put_uint32 (n, strlen (payload));
      g_byte_array_append (body, n, 4);
    }
  g_byte_array_append (body, (const guint8 *) payload, strlen (payload));
  put_message (out, 'p', body->data, body->len);
  return fuzz_engine_send (fd, out->data, out->len);
}

static gboolean
expect_auth (int         fd,
             guint32     code,
             GByteArray *body)
{
  guint8 type;

  return recv_message (fd, &type, body, 2000) && type == 'R' && body->len >= 4 &&
         vigil_wire_get_uint32 (body->data) == code;
}

static gboolean
login_failed (const char *step)
{
  if (g_getenv ("FUZZ_ENGINE_DEBUG") != NULL)
    fprintf (stderr, "fuzz: login failed at %s\n", step);
  return FALSE;
}

gboolean
fuzz_engine_login (int fd)
{
  g_autoptr(GByteArray) startup = startup_packet ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autofree char *cnonce = NULL, *bare = NULL, *first = NULL, *server_first = NULL;
  g_autofree char *final = NULL;
  guint8 raw[18], type;

  RAND_bytes (raw, sizeof raw);
  cnonce = g_base64_encode (raw, sizeof raw);
  bare = g_strdup_printf ("n=,r=%s", cnonce);
  first = g_strdup_printf ("n,,%s", bare);
  if (!fuzz_engine_send (fd, startup->data, startup->len) ||
      !expect_auth (fd, VIGIL_AUTH_SASL, body) ||
      !send_password_message (fd, "SCRAM-SHA-256", first) ||
      !expect_auth (fd, VIGIL_AUTH_SASL_CONTINUE, body))
    return login_failed ("client-first");
  server_first = g_strndup ((const char *) body->data + 4, body->len - 4);
  final = scram_client_final (bare, server_first);
  if (final == NULL || !send_password_message (fd, NULL, final) ||
      !expect_auth (fd, VIGIL_AUTH_SASL_FINAL, body) ||
      !expect_auth (fd, VIGIL_AUTH_OK, body))
    return login_failed ("client-final");
  while (recv_message (fd, &type, body, 3000))
    {
      if (type == 'Z')
        {
          if (g_getenv ("FUZZ_ENGINE_DEBUG") != NULL)
            fprintf (stderr, "fuzz: logged in\n");
          return TRUE;
        }
      if (type == 'E')
        return login_failed ((const char *) body->data);
    }
  return login_failed ("ReadyForQuery");
}

/* A number from /proc/self/status ("VmPeak:", "Threads:"), 0 when unknown. */
static gint64
process_status (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, field)) == NULL)
    return 0;
  return g_ascii_strtoll (line + strlen (field), NULL, 10);
}

void
fuzz_engine_assert_alive (void)
{
  gint64 peak = process_status ("VmPeak:");

  /* Bytes that never arrived must not be allocated for: a wire length is checked first. */
  if (last_peak != 0 && peak - last_peak > FUZZ_ENGINE_MAX_GROWTH_KB)
    {
      fprintf (stderr, "fuzz: the process reserved %" G_GINT64_FORMAT " MiB more for one input "
               "(%" G_GINT64_FORMAT " threads now)\n", (peak - last_peak) / 1024,
               process_status ("Threads:"));
      abort ();
    }
  last_peak = peak;

  g_autoptr(GByteArray) startup = startup_packet ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  int fd = fuzz_engine_connect ();
  guint8 type = 0;

  if (!fuzz_engine_send (fd, startup->data, startup->len))
    {
      fprintf (stderr, "fuzz: the engine no longer takes a connection (send: %s)\n",
               g_strerror (errno));
      abort ();
    }
  /* What came instead of the SASL request says why (an ErrorResponse's fields, as text). */
  if (!recv_message (fd, &type, body, 2000) || type != 'R' || body->len < 4 ||
      vigil_wire_get_uint32 (body->data) != VIGIL_AUTH_SASL)
    {
      for (guint i = 0; i < body->len; i++)
        if (body->data[i] == '\0')
          body->data[i] = ' ';
      fprintf (stderr, "fuzz: the engine no longer answers a valid startup (got '%c': %.*s)\n",
               type != 0 ? type : '-', (int) MIN (body->len, 200), (const char *) body->data);
      abort ();
    }
  close (fd);
}
