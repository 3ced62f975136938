/* test-proxy-mask.c: what the default policy masks for an agent, carrier by carrier.
 *
 * A customers table with personal data and secrets is made upstream; `agent1` reads it
 * through `vigilctl serve` with the built-in policy (column rules plus detectors for
 * agents). Every carrier is checked: text and binary DataRow, COPY in text, CSV and
 * binary, an error DETAIL, a notice, a notification, and the audit itself. Humans, and
 * a rule with "mask": false, see clear values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <arpa/inet.h>

#include "vigil-test-proxy.h"
#include "vigil-test-wire.h"
#include "vigil-wire.h"

#define BOB_EMAIL   "bob@example.com"
#define ALICE_EMAIL "alice@example.org"
#define CAROL_EMAIL "carol@example.net"
#define AWS_KEY     "AKIAIOSFODNN7EXAMPLE"

static const char create_sql[] =
  "create table customers (id int primary key, name text, email text unique, phone text,"
  "  ssn text, card_number text, iban text, api_key text, notes text, card_cvv int);"
  "insert into customers values"
  " (1, 'Bob Stone', '" BOB_EMAIL "', '+1 415 555 2671', '123-45-6789', '4111 1111 1111 1111',"
  "  'DE89370400440532013000', '" AWS_KEY "',"
  "  'call 415-555-0199 or mail " ALICE_EMAIL "; order 123456789', 737),"
  " (2, 'Ann Lee', 'ann.lee@corp.example.com', '(212) 555-0147', '078-05-1120',"
  "  '5555555555554444', 'GB82WEST12345698765432', 'ghp_wI0b26r08QZJi6gkfsUFRDzsLb5ER8BoFzQF',"
  "  E'card 4012888888881881 on file,\\tsee\\\\notes', 121);"
  "alter table customers owner to " VIGIL_TEST_PG_APP_ROLE ";"
  "create table inbox (v text);"
  "alter table inbox owner to " VIGIL_TEST_PG_APP_ROLE ";"
  "create function inbox_notice() returns trigger language plpgsql as"
  "  $$ begin raise notice 'contact %', new.v; return new; end $$;"
  "create trigger inbox_notice before insert on inbox"
  "  for each row execute function inbox_notice();";

static const char * const clear_values[] = {
  BOB_EMAIL, ALICE_EMAIL, CAROL_EMAIL, AWS_KEY, "123-45-6789", "4111 1111 1111 1111",
  "DE89370400440532013000", "415-555-0199", "4012888888881881", NULL,
};

static void
assert_no_clear_value (const char *text,
                       gsize       len)
{
  for (guint i = 0; clear_values[i] != NULL; i++)
    if (g_strstr_len (text, (gssize) len, clear_values[i]) != NULL)
      g_error ("%s appears in clear in: %.*s", clear_values[i], (int) MIN (len, 2000), text);
}

static PGconn *
connect_as (VigilTestProxy *proxy,
            const char     *user,
            const char     *token)
{
  g_autofree char *conninfo =
    g_strdup_printf ("host=127.0.0.1 port=%u user=%s password=%s dbname=" VIGIL_TEST_PG_APP_DB
                     " sslmode=disable", vigil_test_proxy_get_port (proxy), user, token);
  PGconn *conn = PQconnectdb (conninfo);

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  return conn;
}

static PGresult *
select_customers (PGconn *conn)
{
  PGresult *res = PQexec (conn, "select id, name, email, phone, ssn, card_number, iban, api_key,"
                                " notes, card_cvv from customers order by id");

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("select: %s", PQerrorMessage (conn));
  g_assert_cmpint (PQntuples (res), ==, 2);
  g_assert_cmpint (PQnfields (res), ==, 10);
  return res;
}

static void
test_select_text (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;

  if (conn == NULL)
    return;
  res = select_customers (conn);
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, "1");
  g_assert_cmpstr (PQgetvalue (res, 0, 1), ==, "Bob Stone");
  /* Column rules, partial: the domain and the last digits stay. */
  g_assert_nonnull (strstr (PQgetvalue (res, 0, 2), "example.com"));
  g_assert_null (strstr (PQgetvalue (res, 0, 2), "bob@"));
  g_assert_true (g_str_has_suffix (PQgetvalue (res, 0, 4), "6789"));
  g_assert_cmpstr (PQgetvalue (res, 0, 4), !=, "123-45-6789");
  g_assert_true (g_str_has_suffix (PQgetvalue (res, 0, 5), "1111"));
  g_assert_cmpstr (PQgetvalue (res, 0, 5), !=, "4111 1111 1111 1111");
  /* Credential columns, redact. */
  g_assert_cmpstr (PQgetvalue (res, 0, 7), ==, "[redacted]");
  g_assert_cmpstr (PQgetvalue (res, 1, 7), ==, "[redacted]");
  /* Free text: the detectors, and lookalikes stay. */
  g_assert_cmpstr (PQgetvalue (res, 0, 8), ==, "call [phone] or mail [email]; order 123456789");
  g_assert_cmpstr (PQgetvalue (res, 1, 8), ==, "card [card] on file,\tsee\\notes");
  g_assert_cmpstr (PQgetvalue (res, 0, 9), !=, "737");
  for (int row = 0; row < 2; row++)
    for (int col = 0; col < 10; col++)
      assert_no_clear_value (PQgetvalue (res, row, col), (gsize) PQgetlength (res, row, col));
  PQclear (res);

  /* An expression has no table: the detectors find the email. */
  res = PQexec (conn, "select email || ' x', 42 from customers where id = 1");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, "[email] x");
  g_assert_cmpstr (PQgetvalue (res, 0, 1), ==, "42");
  PQclear (res);
  PQfinish (conn);
}

static void
test_select_binary (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  const char *params[] = { "1" };
  PGresult *res;
  guint32 id;

  if (conn == NULL)
    return;
  res = PQexecParams (conn, "select id, email, card_cvv, notes, name from customers where id = $1",
                      1, NULL, params, NULL, NULL, 1);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("binary select: %s", PQerrorMessage (conn));
  g_assert_cmpint (PQnfields (res), ==, 5);
  g_assert_cmpint (PQgetlength (res, 0, 0), ==, 4);
  memcpy (&id, PQgetvalue (res, 0, 0), 4);
  g_assert_cmpuint (ntohl (id), ==, 1);
  g_assert_nonnull (strstr (PQgetvalue (res, 0, 1), "example.com"));
  g_assert_null (strstr (PQgetvalue (res, 0, 1), "bob@"));
  /* A non-text value that a column rule matches cannot be masked in binary: NULL. */
  g_assert_true (PQgetisnull (res, 0, 2));
  g_assert_cmpstr (PQgetvalue (res, 0, 3), ==, "call [phone] or mail [email]; order 123456789");
  g_assert_cmpstr (PQgetvalue (res, 0, 4), ==, "Bob Stone");
  PQclear (res);
  PQfinish (conn);
}

static GString *
copy_out (PGconn     *conn,
          const char *sql)
{
  GString *data = g_string_new (NULL);
  PGresult *res = PQexec (conn, sql);
  char *buf = NULL;
  int n;

  if (PQresultStatus (res) != PGRES_COPY_OUT)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (res);
  while ((n = PQgetCopyData (conn, &buf, 0)) > 0)
    {
      g_string_append_len (data, buf, n);
      PQfreemem (buf);
    }
  g_assert_cmpint (n, ==, -1);
  res = PQgetResult (conn);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  g_assert_null (PQgetResult (conn));
  return data;
}

static void
test_copy_text (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autoptr(GString) table = NULL;
  g_autoptr(GString) query = NULL;
  g_auto(GStrv) lines = NULL;

  if (conn == NULL)
    return;
  table = copy_out (conn, "copy customers (id, name, email, notes) to stdout");
  g_test_message ("%s", table->str);
  assert_no_clear_value (table->str, table->len);
  lines = g_strsplit (table->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[0], "1\tBob Stone\t"));
  g_assert_true (g_str_has_suffix (lines[0], "\tcall [phone] or mail [email]; order 123456789"));
  g_assert_true (g_str_has_suffix (lines[1], "\tcard [card] on file,\\tsee\\\\notes"));
  g_assert_nonnull (strstr (lines[0], "example.com"));

  query = copy_out (conn, "copy (select id, notes, email from customers order by id) to stdout");
  assert_no_clear_value (query->str, query->len);
  g_assert_true (g_str_has_prefix (query->str, "1\tcall [phone] or mail [email]; order 123456789\t"
                                               "[email]\n"));
  PQfinish (conn);
}

static void
test_copy_csv (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autoptr(GString) csv = NULL;
  g_auto(GStrv) lines = NULL;

  if (conn == NULL)
    return;
  csv = copy_out (conn, "copy customers to stdout with (format csv, header)");
  g_test_message ("%s", csv->str);
  assert_no_clear_value (csv->str, csv->len);
  lines = g_strsplit (csv->str, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[0], ==, "id,name,email,phone,ssn,card_number,iban,api_key,notes,card_cvv");
  g_assert_true (g_str_has_prefix (lines[1], "1,Bob Stone,"));
  g_assert_nonnull (strstr (lines[1], ",\"call [phone] or mail [email]; order 123456789\","));
  g_assert_nonnull (strstr (lines[2], ",\"[redacted]\","));
  PQfinish (conn);
}

/* Binary COPY: the signature, then per tuple the field count and length-prefixed fields. */
static void
test_copy_binary (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autoptr(GString) bin = NULL;
  const guint8 *p, *end;
  guint32 ext;
  guint tuples = 0;

  if (conn == NULL)
    return;
  bin = copy_out (conn, "copy customers (id, email, card_cvv, notes) to stdout (format binary)");
  assert_no_clear_value (bin->str, bin->len);
  g_assert_cmpmem (bin->str, 11, "PGCOPY\n\377\r\n\0", 11);
  p = (const guint8 *) bin->str + 15;
  end = (const guint8 *) bin->str + bin->len;
  ext = vigil_wire_get_uint32 (p);
  p += 4 + ext;
  for (;;)
    {
      gint16 nf;
      gint32 lens[4];

      g_assert_cmpint (end - p, >=, 2);
      nf = (gint16) ((p[0] << 8) | p[1]);
      p += 2;
      if (nf == -1)
        break;
      g_assert_cmpint (nf, ==, 4);
      for (int i = 0; i < nf; i++)
        {
          g_assert_cmpint (end - p, >=, 4);
          lens[i] = (gint32) vigil_wire_get_uint32 (p);
          p += 4;
          if (i == 1)
            g_assert_nonnull (g_strstr_len ((const char *) p, lens[i], "example.com"));
          if (lens[i] > 0)
            p += lens[i];
          g_assert_true (p <= end);
        }
      g_assert_cmpint (lens[0], ==, 4);
      g_assert_cmpint (lens[2], ==, -1);  /* card_cvv, an int under a column rule */
      tuples++;
    }
  g_assert_true (p == end);
  g_assert_cmpuint (tuples, ==, 2);
  PQfinish (conn);
}

static void
test_error_detail (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGresult *res;
  const char *detail;

  if (conn == NULL)
    return;
  res = PQexec (conn, "insert into customers (id, email) values (3, '" BOB_EMAIL "')");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_FATAL_ERROR);
  g_assert_cmpstr (vigil_test_sqlstate (res), ==, "23505");
  detail = PQresultErrorField (res, PG_DIAG_MESSAGE_DETAIL);
  g_test_message ("DETAIL: %s", detail);
  g_assert_cmpstr (detail, ==, "Key (email)=([email]) already exists.");
  assert_no_clear_value (PQerrorMessage (conn), strlen (PQerrorMessage (conn)));
  PQclear (res);
  /* The session goes on. */
  g_free (vigil_test_query_value (conn, "select 1"));
  PQfinish (conn);
}

static void
notice_cb (void       *arg,
           const char *message)
{
  g_string_append ((GString *) arg, message);
}

static void
test_notice (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  g_autoptr(GString) notices = g_string_new (NULL);
  PGresult *res;

  if (conn == NULL)
    return;
  PQsetNoticeProcessor (conn, notice_cb, notices);
  /* A trigger raises the notice: agents may insert, not run DO blocks. */
  res = PQexec (conn, "insert into inbox values ('" CAROL_EMAIL "')");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  g_test_message ("notice: %s", notices->str);
  g_assert_nonnull (strstr (notices->str, "contact [email]"));
  assert_no_clear_value (notices->str, notices->len);
  PQfinish (conn);
}

static void
test_notification (void)
{
  PGconn *conn = vigil_test_env_connect (NULL);
  PGnotify *note = NULL;
  gint64 deadline;

  if (conn == NULL)
    return;
  PQclear (PQexec (conn, "listen vigil_chan"));
  g_assert_true (vigil_test_pg_exec (vigil_test_env_pg (),
                                     "notify vigil_chan, 'key " AWS_KEY " for " BOB_EMAIL "'",
                                     NULL));
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (note == NULL && g_get_monotonic_time () < deadline)
    {
      vigil_test_wait_input (conn, 500);
      note = PQnotifies (conn);
    }
  g_assert_nonnull (note);
  g_test_message ("payload: %s", note->extra);
  g_assert_cmpstr (note->relname, ==, "vigil_chan");
  g_assert_cmpstr (note->extra, ==, "key [cloud-key] for [email]");
  PQfreemem (note);
  PQfinish (conn);
}

static void
test_human_sees_clear (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  PGconn *conn;
  PGresult *res;

  if (proxy == NULL)
    return;
  token = vigil_test_proxy_add_identity (proxy, "hana", "human", &error);
  g_assert_no_error (error);
  conn = connect_as (proxy, "hana", g_strstrip (token));
  res = select_customers (conn);
  g_assert_cmpstr (PQgetvalue (res, 0, 2), ==, BOB_EMAIL);
  g_assert_cmpstr (PQgetvalue (res, 0, 7), ==, AWS_KEY);
  g_assert_cmpstr (PQgetvalue (res, 0, 9), ==, "737");
  PQclear (res);
  PQfinish (conn);
}

static void
test_mask_false (void)
{
  static const char policy[] =
    "{\"version\": 1, \"default_action\": \"allow\","
    " \"rules\": [{\"name\": \"trusted\", \"match\": {\"identity\": \"" VIGIL_TEST_PROXY_IDENTITY "\","
    "   \"class\": [\"read\"]}, \"action\": \"allow\", \"mask\": false}],"
    " \"masking\": [{\"name\": \"scan\", \"match\": {\"kind\": \"agent\"},"
    "   \"columns\": [\"email\"], \"detectors\": [\"email\", \"phone\"], \"strategy\": \"redact\"}]}";
  VigilTestProxyOptions opts = { .policy_json = policy };
  VigilTestPg *pg = vigil_test_env_pg ();
  g_autoptr(GError) error = NULL;
  VigilTestProxy *proxy;
  PGconn *conn;
  PGresult *res;

  if (pg == NULL || vigil_test_env_proxy () == NULL)
    return;
  proxy = vigil_test_proxy_start (pg, &opts, &error);
  g_assert_no_error (error);
  conn = connect_as (proxy, VIGIL_TEST_PROXY_IDENTITY, vigil_test_proxy_get_token (proxy));
  /* "mask": false on reads: clear. */
  res = select_customers (conn);
  g_assert_cmpstr (PQgetvalue (res, 0, 2), ==, BOB_EMAIL);
  g_assert_cmpstr (PQgetvalue (res, 0, 8),
                   ==, "call 415-555-0199 or mail " ALICE_EMAIL "; order 123456789");
  PQclear (res);
  /* The same identity's other statements are masked: a bare "email" glob, the detectors. */
  res = PQexec (conn, "update customers set name = name where id = 1 returning email, notes");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, "[redacted]");
  g_assert_cmpstr (PQgetvalue (res, 0, 1), ==, "call [phone] or mail [email]; order 123456789");
  PQclear (res);
  PQfinish (conn);
  vigil_test_proxy_stop (proxy);
}

/* Column COLUMN of the DataRow among MESSAGES, as text; NULL for SQL NULL. */
static char *
data_row_column (GPtrArray *messages,
                 guint      column)
{
  for (guint i = 0; i < messages->len; i++)
    {
      gsize len, at = 7;
      const guint8 *p = g_bytes_get_data (messages->pdata[i], &len);
      gint32 value_len = 0;

      if (p[0] != 'D')
        continue;
      for (guint c = 0; c <= column; c++)
        {
          at += c > 0 && value_len > 0 ? (gsize) value_len : 0;
          g_assert_cmpuint (len, >=, at + 4);
          value_len = (gint32) vigil_wire_get_uint32 (p + at);
          at += 4;
        }
      if (value_len < 0)
        return NULL;
      g_assert_cmpuint (len, >=, at + (gsize) value_len);
      return g_strndup ((const char *) p + at, (gsize) value_len);
    }
  g_error ("no DataRow in the answer");
}

static char *
data_row_value (GPtrArray *messages)
{
  return data_row_column (messages, 0);
}

static gboolean
has_message (GPtrArray *messages,
             guint8     type)
{
  for (guint i = 0; i < messages->len; i++)
    if (((const guint8 *) g_bytes_get_data (messages->pdata[i], NULL))[0] == type)
      return TRUE;
  return FALSE;
}

static void
add_parse (GByteArray *msg,
           const char *name,
           const char *sql)
{
  gsize start = vigil_wire_begin (msg, 'P');

  vigil_wire_add_string (msg, name);
  vigil_wire_add_string (msg, sql);
  vigil_wire_add_int16 (msg, 0);
  vigil_wire_end (msg, start);
}

static void
add_describe_statement (GByteArray *msg,
                        const char *name)
{
  gsize start = vigil_wire_begin (msg, 'D');

  vigil_wire_add_byte (msg, 'S');
  vigil_wire_add_string (msg, name);
  vigil_wire_end (msg, start);
}

/* Bind of NAME to the unnamed portal (results in text, or all in BINARY), and its
 * Execute: no Describe. */
static void
add_bind_execute (GByteArray *msg,
                  const char *name,
                  gboolean    binary)
{
  gsize start = vigil_wire_begin (msg, 'B');

  vigil_wire_add_string (msg, "");
  vigil_wire_add_string (msg, name);
  vigil_wire_add_int16 (msg, 0);
  vigil_wire_add_int16 (msg, 0);
  vigil_wire_add_int16 (msg, binary ? 1 : 0);
  if (binary)
    vigil_wire_add_int16 (msg, 1);
  vigil_wire_end (msg, start);
  start = vigil_wire_begin (msg, 'E');
  vigil_wire_add_string (msg, "");
  vigil_wire_add_int32 (msg, 0);
  vigil_wire_end (msg, start);
}

/* Sends MSG with a Sync; the answer up to ReadyForQuery. */
static GPtrArray *
sync_and_read (VigilTestWire *wire,
               GByteArray    *msg)
{
  gsize start = vigil_wire_begin (msg, 'S');

  vigil_wire_end (msg, start);
  vigil_test_wire_send (wire, msg);
  return vigil_test_wire_read_until_ready (wire);
}

/* Drivers that prepare once (pgx, JDBC) describe the statement, then Bind and Execute
 * it with no Describe: no RowDescription comes with the rows. The ssn column's rule
 * (partial: the last digits stay) must still apply, from the statement's description. */
static void
test_execute_without_describe (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  g_autoptr(VigilTestWire) wire = NULL;
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  g_autoptr(GPtrArray) described = NULL;
  g_autofree char *name = NULL;

  if (proxy == NULL)
    return;
  wire = vigil_test_wire_login (vigil_test_proxy_get_port (proxy), VIGIL_TEST_PROXY_IDENTITY,
                                vigil_test_proxy_get_token (proxy), VIGIL_TEST_PG_APP_DB);
  add_parse (msg, "by_id", "select ssn from customers where id = 1");
  add_describe_statement (msg, "by_id");
  described = sync_and_read (wire, msg);
  g_assert_true (has_message (described, 'T'));
  for (int round = 0; round < 2; round++)
    {
      g_autoptr(GPtrArray) executed = NULL;
      g_autofree char *ssn = NULL;

      add_bind_execute (msg, "by_id", FALSE);
      executed = sync_and_read (wire, msg);
      g_assert_false (has_message (executed, 'T'));
      ssn = data_row_value (executed);
      g_assert_cmpstr (ssn, !=, "123-45-6789");
      g_assert_true (g_str_has_suffix (ssn, "6789"));
    }

  /* One batch: the ssn statement described, another statement executed. The description
   * is the first statement's: the name comes back clear, not masked by the ssn's rule. */
  add_parse (msg, "name_by_id", "select name from customers where id = 1");
  add_describe_statement (msg, "by_id");
  add_bind_execute (msg, "name_by_id", FALSE);
  {
    g_autoptr(GPtrArray) executed = sync_and_read (wire, msg);

    name = data_row_value (executed);
  }
  g_assert_cmpstr (name, ==, "Bob Stone");

  /* Binary results: the description says text; the plan follows the Bind's formats. The
   * ssn (text's binary form is its text) keeps its rule; an int under a rule cannot be
   * masked in binary: NULL, as when the RowDescription says binary. */
  add_parse (msg, "cvv_by_id", "select card_cvv, ssn from customers where id = 1");
  add_describe_statement (msg, "cvv_by_id");
  g_ptr_array_unref (sync_and_read (wire, msg));
  add_bind_execute (msg, "cvv_by_id", TRUE);
  {
    g_autoptr(GPtrArray) executed = sync_and_read (wire, msg);
    g_autofree char *cvv = data_row_column (executed, 0);
    g_autofree char *ssn = data_row_column (executed, 1);

    g_assert_null (cvv);
    g_assert_nonnull (ssn);
    g_assert_cmpstr (ssn, !=, "123-45-6789");
    g_assert_true (g_str_has_suffix (ssn, "6789"));
  }
}

/* A session reuses the column plan of a RowDescription it saw before. A table renamed
 * (through Vigil, by another session) leaves the RowDescription byte for byte the same,
 * so the plan must follow the catalog's names, not the bytes. */
static void
test_plan_follows_rename (void)
{
  static const char policy[] =
    "{\"version\": 1, \"default_action\": \"allow\", \"rules\": [],"
    " \"masking\": [{\"name\": \"vault\", \"match\": {\"kind\": \"agent\"},"
    "   \"columns\": [\"vault.code\"], \"strategy\": \"redact\"}]}";
  VigilTestProxyOptions opts = { .policy_json = policy };
  VigilTestPg *pg = vigil_test_env_pg ();
  g_autoptr(GError) error = NULL;
  VigilTestProxy *proxy;
  PGconn *reader, *admin;
  const char *token;

  if (pg == NULL || vigil_test_env_proxy () == NULL)
    return;
  proxy = vigil_test_proxy_start (pg, &opts, &error);
  g_assert_no_error (error);
  token = vigil_test_proxy_get_token (proxy);
  admin = connect_as (proxy, VIGIL_TEST_PROXY_IDENTITY, token);
  reader = connect_as (proxy, VIGIL_TEST_PROXY_IDENTITY, token);
  vigil_test_exec_ok (admin, "create table vault (id int, code text);"
                             "insert into vault values (1, 'plain-value-123')");
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *code = vigil_test_query_value (reader, "select code from vault");

      g_assert_cmpstr (code, ==, "[redacted]");
    }
  vigil_test_exec_ok (admin, "alter table vault rename to open_box");
  {
    g_autofree char *code = vigil_test_query_value (reader, "select code from open_box");

    g_assert_cmpstr (code, ==, "plain-value-123");
  }
  vigil_test_exec_ok (admin, "alter table open_box rename to vault");
  {
    g_autofree char *code = vigil_test_query_value (reader, "select code from vault");

    g_assert_cmpstr (code, ==, "[redacted]");
  }
  vigil_test_exec_ok (admin, "drop table vault");
  PQfinish (reader);
  PQfinish (admin);
  vigil_test_proxy_stop (proxy);
}

static char *
audit_json (VigilTestProxy *proxy)
{
  const char *vigilctl = g_getenv ("VIGILCTL");
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_assert_true (vigil_test_run ((const char * const[]) {
                                   vigilctl, "audit", "tail", "--json", "-n", "1000",
                                   "--data-dir", vigil_test_proxy_get_data_dir (proxy), NULL },
                                 NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* The records of AUDIT, one a line, each cut to its first 300 characters: one holds a
 * 70 KiB statement, and a test log line that long is not TAP any more. */
static void
print_records (const char *audit)
{
  g_auto(GStrv) lines = g_strsplit (audit, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *head = NULL;

      if (*lines[i] == '\0')
        continue;
      head = g_utf8_substring (lines[i], 0, MIN (g_utf8_strlen (lines[i], -1), 300));
      g_test_message ("%s%s", head, strlen (head) < strlen (lines[i]) ? "…" : "");
    }
}

static void
test_audit (void)
{
  VigilTestProxy *proxy = vigil_test_env_proxy ();
  PGconn *conn = vigil_test_env_connect (NULL);
  const char *params[] = { BOB_EMAIL };
  g_autofree char *audit = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *big = NULL;
  PGresult *res;
  gint64 deadline;

  if (conn == NULL)
    return;
  /* A text larger than the redaction buffer a session keeps, then the usual ones: each
   * record is redacted, whichever buffer it was written in. */
  filler = g_strnfill (70 * 1024, 'x');
  big = g_strdup_printf ("select length('%s " BOB_EMAIL "')", filler);
  res = PQexec (conn, big);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  PQclear (res);
  res = PQexec (conn, "select * from customers where email = '" BOB_EMAIL "'");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  PQclear (res);
  res = PQexecParams (conn, "select notes from customers where email = $1", 1, NULL, params,
                      NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, "call [phone] or mail [email]; order 123456789");
  PQclear (res);
  PQfinish (conn);

  /* Outcomes (with the masked counts) are appended after the results: wait for them. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  do
    {
      g_clear_pointer (&audit, g_free);
      g_usleep (100 * 1000);
      audit = audit_json (proxy);
    }
  while (strstr (audit, "\"params\":[\"[email]\"]") == NULL && g_get_monotonic_time () < deadline);
  print_records (audit);
  g_assert_nonnull (strstr (audit, "xxx [email]')"));
  g_assert_nonnull (strstr (audit, "select * from customers where email = '[email]'"));
  g_assert_nonnull (strstr (audit, "\"params\":[\"[email]\"]"));
  assert_no_clear_value (audit, strlen (audit));
  g_assert_true (g_regex_match_simple ("\"masked\":\\s*[1-9]", audit, 0, 0));
}

int
main (int    argc,
      char **argv)
{
  VigilTestProxyOptions opts = { .policy_json = VIGIL_TEST_PROXY_DEFAULT_POLICY };
  int ret;

  vigil_test_init (&argc, &argv);
  vigil_test_env_setup (&opts);
  if (vigil_test_env_ready ())
    {
      g_autoptr(GError) error = NULL;

      vigil_test_pg_exec (vigil_test_env_pg (), create_sql, &error);
      g_assert_no_error (error);
    }

  g_test_add_func ("/proxy/mask/select-text", test_select_text);
  g_test_add_func ("/proxy/mask/select-binary", test_select_binary);
  g_test_add_func ("/proxy/mask/copy-text", test_copy_text);
  g_test_add_func ("/proxy/mask/copy-csv", test_copy_csv);
  g_test_add_func ("/proxy/mask/copy-binary", test_copy_binary);
  g_test_add_func ("/proxy/mask/error-detail", test_error_detail);
  g_test_add_func ("/proxy/mask/notice", test_notice);
  g_test_add_func ("/proxy/mask/notification", test_notification);
  g_test_add_func ("/proxy/mask/human", test_human_sees_clear);
  g_test_add_func ("/proxy/mask/mask-false", test_mask_false);
  g_test_add_func ("/proxy/mask/plan-follows-rename", test_plan_follows_rename);
  g_test_add_func ("/proxy/mask/execute-without-describe", test_execute_without_describe);
  g_test_add_func ("/proxy/mask/audit", test_audit);

  ret = g_test_run ();
  vigil_test_env_teardown ();
  return ret;
}
