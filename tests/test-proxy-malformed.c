/* test-proxy-malformed.c: hostile bytes before authentication.
 *
 * Each case of malformed-packets.txt (name<TAB>hex) goes to the proxy on a fresh TCP
 * connection, whose write side is then shut down. The proxy must answer as PostgreSQL
 * would — 'N'/'S' to an SSL or GSS request, authentication requests, an ErrorResponse with
 * a fitting SQLSTATE as the last message — or just close, within a few seconds; it must
 * never report authentication success. Afterwards psql still works through it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-test-proxy.h"

#define CASE_DEADLINE_US (5 * G_USEC_PER_SEC)
#define MAX_HANGS        3

typedef struct
{
  char   *name;
  GBytes *bytes;
} MalformedCase;

static const char * const accepted_sqlstates[] = {
  "08P01",  /* protocol_violation */
  "28000",  /* invalid_authorization_specification */
  "28P01",  /* invalid_password */
  "0A000",  /* feature_not_supported: unsupported protocol version */
  "3D000",  /* unknown database (connection) */
  "42501",  /* insufficient_privilege: e.g. replication refused */
  "08004",  /* rejected connection */
};

static guint hangs;

static gboolean
is_tls_or_gss_request (GBytes *bytes)
{
  gsize len;
  const guchar *p = g_bytes_get_data (bytes, &len);

  /* PostgreSQL goes by the code, whatever the declared length. */
  return len >= 8 && memcmp (p + 4, "\x04\xd2\x16", 3) == 0 && (p[7] == 0x2f || p[7] == 0x30);
}

static const char *
error_sqlstate (const guchar *body,
                gsize         len)
{
  gsize i = 0;

  while (i < len && body[i] != 0)
    {
      guchar field = body[i++];
      const guchar *value = body + i;
      const guchar *nul = memchr (value, 0, len - i);

      if (nul == NULL)
        return NULL;
      if (field == 'C')
        return (const char *) value;
      i = (nul - body) + 1;
    }
  return NULL;
}

/* Checks the proxy's answer; NULL when acceptable, else why not. */
static char *
judge_answer (GBytes       *request,
              const guchar *answer,
              gsize         len)
{
  gsize pos = 0;
  gboolean saw_error = FALSE;

  if (is_tls_or_gss_request (request))
    {
      /* 'S' (TLS) or 'G' (GSS encryption): the rest is a failed handshake. */
      if (len > 0 && (answer[0] == 'S' || answer[0] == 'G'))
        return NULL;
      while (pos < len && answer[pos] == 'N' &&
             (pos + 1 == len || answer[pos + 1] == 'N' || answer[pos + 1] == 'E' ||
              answer[pos + 1] == 'R' || answer[pos + 1] == 'S'))
        pos++;
      if (pos < len && answer[pos] == 'S')
        return NULL;
      if (pos == 0 && len > 0 && answer[0] == 0x15)
        return g_strdup ("a TLS record (alert) came back without the 'S' answer before it");
    }
  /* To a protocol 2 startup PostgreSQL answers in protocol 2: 'E', text, NUL. */
  if (len - pos > 6 && memcmp (answer + pos, "EFATAL", 6) == 0 && answer[len - 1] == 0)
    return NULL;
  while (pos < len)
    {
      guchar type = answer[pos];
      guint32 mlen;

      if (saw_error)
        return g_strdup_printf ("message '%c' after the ErrorResponse", type);
      if (len - pos < 5)
        return g_strdup_printf ("truncated message header at offset %zu", pos);
      memcpy (&mlen, answer + pos + 1, 4);
      mlen = GUINT32_FROM_BE (mlen);
      if (mlen < 4 || mlen > len - pos - 1)
        return g_strdup_printf ("message '%c' with bad length %u at offset %zu", type, mlen, pos);
      if (type == 'R')
        {
          guint32 code = 0;

          if (mlen < 8)
            return g_strdup ("short authentication request");
          memcpy (&code, answer + pos + 5, 4);
          code = GUINT32_FROM_BE (code);
          if (code == 0 || code == 12)
            return g_strdup_printf ("authentication reported success (code %u)", code);
        }
      else if (type == 'E')
        {
          const char *state = error_sqlstate (answer + pos + 5, mlen - 4);
          gboolean ok = FALSE;

          if (state == NULL)
            return g_strdup ("ErrorResponse without SQLSTATE");
          for (gsize i = 0; i < G_N_ELEMENTS (accepted_sqlstates); i++)
            ok |= strcmp (state, accepted_sqlstates[i]) == 0;
          if (!ok)
            return g_strdup_printf ("unexpected SQLSTATE %s", state);
          g_test_message ("ErrorResponse %s", state);
          saw_error = TRUE;
        }
      else if (type != 'N' && type != 'v')
        return g_strdup_printf ("unexpected message '%c' before authentication", type);
      pos += 1 + mlen;
    }
  return NULL;
}

/* Reads until EOF (or reset); FALSE when the deadline passed first. */
static gboolean
read_until_closed (GSocket    *sock,
                   GByteArray *answer,
                   gint64      deadline)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gint64 left = deadline - g_get_monotonic_time ();
      guchar buf[4096];
      gssize n;

      if (left <= 0 || !g_socket_condition_timed_wait (sock, G_IO_IN | G_IO_HUP, left, NULL, NULL))
        return FALSE;
      n = g_socket_receive (sock, (char *) buf, sizeof buf, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (n <= 0)
        {
          if (error != NULL)
            g_test_message ("closed with: %s", error->message);
          return TRUE;
        }
      g_byte_array_append (answer, buf, n);
    }
}

static void
test_malformed_case (gconstpointer data)
{
  const MalformedCase *mc = data;
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GByteArray) answer = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  g_autofree char *hex = NULL;
  GSocket *sock;
  gsize len;
  const guchar *p;
  guint16 port;

  if (proxy == NULL)
    return;
  if (!vigil_test_proxy_is_alive (proxy))
    {
      g_test_fail_printf ("the proxy is not running any more");
      return;
    }
  if (hangs >= MAX_HANGS)
    {
      g_test_skip ("too many cases already hung");
      return;
    }
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  /* VIGIL_TEST_MALFORMED_TARGET=pg checks the corpus and the judge against PostgreSQL. */
  port = g_strcmp0 (g_getenv ("VIGIL_TEST_MALFORMED_TARGET"), "pg") == 0
         ? vigil_test_pg_get_port (vigil_test_env_pg ()) : vigil_test_proxy_get_port (proxy);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  sock = g_socket_connection_get_socket (conn);
  p = g_bytes_get_data (mc->bytes, &len);
  /* The proxy may close early (that is allowed); a failed send is no failure. */
  if (len > 0 && !g_socket_send_with_blocking (sock, (const char *) p, len, TRUE, NULL, &error))
    g_test_message ("send: %s", error->message);
  g_clear_error (&error);
  g_socket_shutdown (sock, FALSE, TRUE, NULL);

  if (!read_until_closed (sock, answer, g_get_monotonic_time () + CASE_DEADLINE_US))
    {
      hangs++;
      g_test_fail_printf ("%s: the proxy neither answered and closed nor closed within 5 s "
                          "(got %u bytes)", mc->name, answer->len);
      return;
    }
  hex = g_strndup ("", 0);
  for (guint i = 0; i < MIN (answer->len, 64u); i++)
    {
      char *next = g_strdup_printf ("%s%02x", hex, answer->data[i]);

      g_free (hex);
      hex = next;
    }
  g_test_message ("%s: %u bytes back: %s", mc->name, answer->len, hex);
  why = judge_answer (mc->bytes, answer->data, answer->len);
  if (why != NULL)
    g_test_fail_printf ("%s: %s (answer %s)", mc->name, why, hex);
  g_usleep (G_USEC_PER_SEC / 20);
  if (!vigil_test_proxy_is_alive (proxy))
    g_test_fail_printf ("%s: the proxy died", mc->name);
}

static void
test_malformed_still_serving (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  const char * const psql_only[] = { "psql", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *conninfo = NULL;
  g_autofree char *out = NULL;

  if (proxy == NULL)
    return;
  g_assert_true (vigil_test_proxy_is_alive (proxy));
  if (!vigil_test_require_programs (psql_only))
    return;
  conninfo = vigil_test_proxy_conninfo (proxy, NULL);
  vigil_test_run ((const char * const[]) { "psql", "-X", "-At", "-d", conninfo, "-c", "select 1",
                                           NULL },
                  NULL, &out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "1\n");
  g_assert_true (vigil_test_proxy_is_alive (proxy));
}

static char *
corpus_path (void)
{
  const char *srcdir = g_getenv ("VIGIL_TEST_SRCDIR");

  if (srcdir != NULL)
    return g_build_filename (srcdir, "malformed-packets.txt", NULL);
  return g_test_build_filename (G_TEST_DIST, "malformed-packets.txt", NULL);
}

static MalformedCase *
parse_case (const char *line)
{
  g_auto(GStrv) cols = g_strsplit (line, "\t", 2);
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autofree char *hex = NULL;
  MalformedCase *mc;

  if (cols[0] == NULL || cols[1] == NULL)
    g_error ("malformed-packets.txt: no TAB in '%s'", line);
  hex = g_strdelimit (g_strstrip (g_strdup (cols[1])), " ", ' ');
  for (const char *h = hex; *h != '\0';)
    {
      int hi, lo;

      if (*h == ' ')
        {
          h++;
          continue;
        }
      hi = g_ascii_xdigit_value (h[0]);
      lo = h[1] ? g_ascii_xdigit_value (h[1]) : -1;
      if (hi < 0 || lo < 0)
        g_error ("malformed-packets.txt: bad hex in case %s", cols[0]);
      g_byte_array_append (bytes, (guint8[]) { hi << 4 | lo }, 1);
      h += 2;
    }
  mc = g_new0 (MalformedCase, 1);
  mc->name = g_strdup (cols[0]);
  mc->bytes = g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
  return mc;
}

static GPtrArray *
load_corpus (void)
{
  g_autofree char *path = corpus_path ();
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *cases = g_ptr_array_new ();

  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("%s", error->message);
  lines = g_strsplit (text, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && lines[i][0] != '#')
      g_ptr_array_add (cases, parse_case (lines[i]));
  return cases;
}

static void
malformed_case_free (gpointer data)
{
  MalformedCase *mc = data;

  g_free (mc->name);
  g_bytes_unref (mc->bytes);
  g_free (mc);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) cases = NULL;
  int ret;

  vigil_test_init (&argc, &argv);
  cases = load_corpus ();
  g_ptr_array_set_free_func (cases, malformed_case_free);
  vigil_test_env_setup (&(VigilTestProxyOptions) { .tls = TRUE });

  for (guint i = 0; i < cases->len; i++)
    {
      const MalformedCase *mc = g_ptr_array_index (cases, i);
      g_autofree char *path = g_strdup_printf ("/proxy/malformed/%s", mc->name);

      g_test_add_data_func (path, mc, test_malformed_case);
    }
  g_test_add_func ("/proxy/malformed/still-serving", test_malformed_still_serving);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
