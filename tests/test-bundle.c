/* test-bundle.c: signed audit bundles, exported and verified offline.
 *
 * One store is filled once (a few hundred statements and outcomes from four identities,
 * an approval, a policy version) and exported; each tamper case rebuilds a copy of that
 * bundle with libarchive, the way someone editing it by hand would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vigil-approvals.h"
#include "vigil-audit-read.h"
#include "vigil-bundle-private.h"
#include "vigil-store.h"
#include "vigil-test-pg.h"

#define N_STATEMENTS   320
#define N_MORE         40
#define POLICY "{\"version\": 1, \"default_action\": \"allow\", \"rules\": [" \
               "{\"name\": \"no-drop\", \"match\": {\"kind\": \"agent\", \"class\": [\"drop\"]}," \
               " \"action\": \"deny\", \"message\": \"agents may not drop objects\"}]}"
#define INJECTION      "<img src=x onerror=alert(1)><script>alert('bundle')</script>"
#define HELD_EMAIL     "carol.secret@example.com"

typedef struct
{
  char   *name;
  GBytes *bytes;
} Member;

typedef struct
{
  char      *dir;          /* the store */
  char      *work;         /* bundles and copies */
  char      *bundle;       /* the first export, N_STATEMENTS statements */
  char      *fingerprint;
  GPtrArray *tokens;
  gint64     entries;
  gint64     end_us;       /* after the first export: every entry it holds is older */
} World;

static World world;
static const char *build_dir;

/* Helpers */

static char *
work_path (const char *name)
{
  return g_build_filename (world.work, name, NULL);
}

static void
committed_cb (gint64        record_id,
              const GError *error,
              gpointer      user_data)
{
  g_assert_null (error);
  *(gint64 *) user_data = record_id;
}

static const char *identities[] = { "agent-1", "agent-2", "alice", "reporting-bot" };

static VigilAuditRecord *
make_record (guint  i,
             gint64 time_us)
{
  VigilAuditRecord *r = vigil_audit_record_new ();
  guint who = i % G_N_ELEMENTS (identities);

  r->time_us = time_us;
  r->identity = g_strdup (identities[who]);
  r->identity_kind = g_strdup (who == 2 ? "human" : "agent");
  r->pid = 4000 + (gint) who * 10 + (gint) (i % 3);
  r->exe = g_strdup (who == 2 ? "/usr/bin/psql" : who == 3 ? "/opt/metabase/bin/java"
                     : "/usr/bin/python3.11");
  r->os_user = g_strdup (who == 2 ? "alice" : "svc-agents");
  r->connection = g_strdup (i % 5 == 0 ? "billing" : "shop");
  r->session = who + 1;
  r->protocol = g_strdup (i % 2 ? "extended" : "simple");
  if (i % 23 == 7)
    {
      r->statement = g_strdup ("DROP TABLE customers");
      r->class = g_strdup ("drop");
      r->decision = g_strdup ("deny");
      r->rule = g_strdup ("no-drop");
    }
  else if (i % 31 == 5)
    {
      r->statement = g_strdup ("UPDATE orders SET status = '[redacted]'");
      r->class = g_strdup ("unbounded-write");
      r->decision = g_strdup ("review");
      r->rule = g_strdup ("unbounded");
      r->approver = g_strdup ("alice");
    }
  else
    {
      r->statement = g_strdup_printf ("SELECT id, email FROM customers WHERE id = $1 -- %u", i);
      r->params = g_strdup ("[\"[redacted]\"]");
      r->class = g_strdup ("read");
      r->relations = g_strdup (i % 4 == 0 ? "customers,orders" : "customers");
      r->decision = g_strdup ("allow");
    }
  if (i == 11)
    {
      g_free (r->statement);
      r->statement = g_strdup ("SELECT '" INJECTION "'");
      g_free (r->decision);
      r->decision = g_strdup ("deny");
    }
  return r;
}

/* Appends COUNT statements (and their outcomes) from FIRST, spread over the hours before
 * END_US; returns the last statement's time. */
static gint64
fill (const char *dir,
      guint       first,
      guint       count,
      gint64      end_us)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAudit) audit = vigil_audit_new (dir, &error);
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 time_us = 0;

  g_assert_no_error (error);
  for (guint i = first; i < first + count; i++)
    {
      gint64 id = 0;

      time_us = end_us - (gint64) (first + count - i) * 3 * G_TIME_SPAN_MINUTE;
      vigil_audit_append_statement (audit, make_record (i, time_us), context, committed_cb, &id);
      while (id == 0)
        g_main_context_iteration (context, TRUE);
      vigil_audit_append_outcome (audit, id, i % 7, 150 + i, i % 4,
                                  i % 29 == 0 ? "42P01" : NULL,
                                  i % 29 == 0 ? "relation \"x\" does not exist" : NULL, 512);
    }
  vigil_audit_flush (audit);
  return time_us;
}

static void
add_approval (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovals) queue = vigil_approvals_open (dir, &error);
  g_autoptr(VigilApproval) request = vigil_approval_new ();

  g_assert_no_error (error);
  request->created_us = g_get_real_time () - G_TIME_SPAN_HOUR;
  request->session = 1;
  request->identity = g_strdup ("agent-1");
  request->connection = g_strdup ("shop");
  request->pid = 4001;
  request->exe = g_strdup ("/usr/bin/python3.11");
  request->os_user = g_strdup ("svc-agents");
  request->statement = g_strdup ("UPDATE customers SET email = '" HELD_EMAIL "'");
  request->class = g_strdup ("unbounded-write");
  request->rule = g_strdup ("unbounded");
  request->reason = g_strdup ("writes without WHERE need a human");
  g_assert_true (vigil_approvals_create (queue, request, &error));
  g_assert_no_error (error);
  g_assert_true (vigil_approvals_decide (queue, request->id, TRUE, "alice", "ticket OPS-42", 0,
                                         &error));
  g_assert_no_error (error);
}

static char *
export (const char              *dir,
        const VigilBundleFilter *filter,
        const char              *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilBundleSummary) summary = NULL;
  char *path = work_path (name);

  g_assert_true (vigil_bundle_export (dir, filter, path, NULL, NULL, NULL, &summary, &error));
  g_assert_no_error (error);
  g_assert_nonnull (summary->fingerprint);
  return path;
}

/* Runs vigilctl with ARGV (NULL-terminated after the program); returns the exit status. */
static int
run_vigilctl (char       **out,
              const char  *first,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;
  int status = -1;

  g_ptr_array_add (args, (char *) g_getenv ("VIGILCTL"));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  g_assert_nonnull (args->pdata[0]);
  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err,
                &status, &error);
  g_assert_no_error (error);
  g_test_message ("vigilctl %s: %s%s", first, out != NULL ? *out : "", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Reading and rewriting bundles */

static void
member_free (Member *m)
{
  g_free (m->name);
  g_bytes_unref (m->bytes);
  g_free (m);
}

static GPtrArray *
read_members (const char *path)
{
  GPtrArray *members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  struct archive *a = archive_read_new ();
  struct archive_entry *entry;

  archive_read_support_filter_gzip (a);
  archive_read_support_format_tar (a);
  g_assert_cmpint (archive_read_open_filename (a, path, 65536), ==, ARCHIVE_OK);
  while (archive_read_next_header (a, &entry) == ARCHIVE_OK)
    {
      Member *m = g_new0 (Member, 1);
      gsize size = (gsize) archive_entry_size (entry);
      guint8 *data = g_malloc (size + 1);

      g_assert_cmpint (archive_read_data (a, data, size), ==, (la_ssize_t) size);
      data[size] = '\0';
      m->name = g_strdup (archive_entry_pathname (entry));
      m->bytes = g_bytes_new_take (data, size);
      g_ptr_array_add (members, m);
    }
  archive_read_free (a);
  return members;
}

static void
write_members (const char *path,
               GPtrArray  *members)
{
  struct archive *a = archive_write_new ();

  archive_write_add_filter_gzip (a);
  archive_write_set_format_pax_restricted (a);
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  for (guint i = 0; i < members->len; i++)
    {
      Member *m = members->pdata[i];
      struct archive_entry *entry = archive_entry_new ();
      gsize len = 0;
      const void *data = g_bytes_get_data (m->bytes, &len);

      archive_entry_set_pathname (entry, m->name);
      archive_entry_set_size (entry, (la_int64_t) len);
      archive_entry_set_filetype (entry, AE_IFREG);
      archive_entry_set_perm (entry, 0644);
      g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
      if (len > 0)
        g_assert_cmpint (archive_write_data (a, data, len), ==, (la_ssize_t) len);
      archive_entry_free (entry);
    }
  archive_write_close (a);
  archive_write_free (a);
}

static Member *
member (GPtrArray  *members,
        const char *name)
{
  for (guint i = 0; i < members->len; i++)
    if (strcmp (((Member *) members->pdata[i])->name, name) == 0)
      return members->pdata[i];
  g_assert_not_reached ();
}

static const char *
member_text (GPtrArray  *members,
             const char *name)
{
  return g_bytes_get_data (member (members, name)->bytes, NULL);
}

static void
set_member_text (GPtrArray  *members,
                 const char *name,
                 const char *text)
{
  Member *m = member (members, name);

  /* Kept NUL-terminated past its size, like read_members() does, for member_text(). */
  g_bytes_unref (m->bytes);
  m->bytes = g_bytes_new_take (g_strdup (text), strlen (text));
}

static char *
sha256_of (GBytes *bytes)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  char *hex;

  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  EVP_DigestUpdate (ctx, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  hex = _vigil_bundle_sha256_hex (ctx);
  EVP_MD_CTX_free (ctx);
  return hex;
}

/* What someone editing the bundle would do next: fix up the manifest's digests (and the
 * key's fingerprint), then re-sign it with KEY when they have a key. */
static void
update_manifest (GPtrArray *members,
                 EVP_PKEY  *key)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *root, *files;

  json_parser_load_from_data (parser, member_text (members, VIGIL_BUNDLE_MANIFEST),
                              (gssize) g_bytes_get_size (member (members,
                                                                 VIGIL_BUNDLE_MANIFEST)->bytes),
                              &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  files = json_object_get_object_member (root, "files");
  for (guint i = 0; i < members->len; i++)
    {
      Member *m = members->pdata[i];
      JsonObject *listed = json_object_has_member (files, m->name)
                           ? json_object_get_object_member (files, m->name) : NULL;

      g_autofree char *digest = NULL;

      if (listed == NULL)
        continue;
      digest = sha256_of (m->bytes);
      json_object_set_string_member (listed, "sha256", digest);
      json_object_set_int_member (listed, "size", (gint64) g_bytes_get_size (m->bytes));
    }
  if (key != NULL)
    {
      g_autofree char *fingerprint = _vigil_bundle_fingerprint (key);

      json_object_set_string_member (json_object_get_object_member (root, "public_key"),
                                     "fingerprint", fingerprint);
    }
  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  set_member_text (members, VIGIL_BUNDLE_MANIFEST, text);
  if (key != NULL)
    {
      GBytes *signature = _vigil_bundle_sign (key, (const guint8 *) text, strlen (text), &error);

      g_assert_no_error (error);
      g_bytes_unref (member (members, VIGIL_BUNDLE_SIGNATURE)->bytes);
      member (members, VIGIL_BUNDLE_SIGNATURE)->bytes = signature;
    }
}

static EVP_PKEY *
install_key (void)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key = _vigil_bundle_signing_key (world.dir, &error);

  g_assert_no_error (error);
  return key;
}

typedef void (*Edit) (GPtrArray *members);

/* A copy of the first bundle with EDIT applied, the manifest updated as asked. */
static char *
tampered (const char *name,
          Edit        edit,
          gboolean    fix_digests,
          EVP_PKEY   *resign_key)
{
  g_autoptr(GPtrArray) members = read_members (world.bundle);
  char *path = work_path (name);

  edit (members);
  if (fix_digests || resign_key != NULL)
    update_manifest (members, resign_key);
  write_members (path, members);
  return path;
}

static void
assert_invalid (const char *path,
                const char *earlier,
                const char *expect_key,
                int         code,
                const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilBundleSummary) summary = NULL;

  g_assert_false (vigil_bundle_verify (path, earlier, expect_key, &summary, &error));
  g_assert_error (error, VIGIL_BUNDLE_ERROR, code);
  g_test_message ("%s: %s", path, error->message);
  if (strstr (error->message, reason) == NULL)
    g_error ("expected \"%s\" in \"%s\"", reason, error->message);
  g_assert_null (summary);
}

static VigilBundleSummary *
assert_valid (const char *path,
              const char *earlier)
{
  g_autoptr(GError) error = NULL;
  VigilBundleSummary *summary = NULL;

  g_assert_true (vigil_bundle_verify (path, earlier, NULL, &summary, &error));
  g_assert_no_error (error);
  return summary;
}

/* records.jsonl, edited line by line */

static char **
record_lines (GPtrArray *members)
{
  return g_strsplit (member_text (members, VIGIL_BUNDLE_RECORDS), "\n", -1);
}

static void
set_record_lines (GPtrArray  *members,
                  char      **lines)
{
  g_autofree char *text = g_strjoinv ("\n", lines);

  set_member_text (members, VIGIL_BUNDLE_RECORDS, text);
}

static void
edit_record (GPtrArray *members)
{
  g_auto(GStrv) lines = record_lines (members);
  char *line = lines[16];
  char *at = strstr (line, "\"agent-");

  g_assert_nonnull (at);
  at[7] = at[7] == '9' ? '8' : '9';   /* blame someone else */
  set_record_lines (members, lines);
}

static void
remove_line (GPtrArray *members)
{
  g_auto(GStrv) lines = record_lines (members);

  g_free (lines[40]);
  memmove (&lines[40], &lines[41], (g_strv_length (lines + 41) + 1) * sizeof (char *));
  set_record_lines (members, lines);
}

static void
swap_lines (GPtrArray *members)
{
  g_auto(GStrv) lines = record_lines (members);
  char *tmp = lines[60];

  lines[60] = lines[61];
  lines[61] = tmp;
  set_record_lines (members, lines);
}

static void
flip_byte (GPtrArray *members)
{
  Member *m = member (members, VIGIL_BUNDLE_RECORDS);
  gsize len = 0;
  guint8 *data = g_bytes_unref_to_data (m->bytes, &len);
  guint8 *p = (guint8 *) g_strstr_len ((char *) data + len / 2, (gssize) (len - len / 2),
                                       "SELECT");

  g_assert_nonnull (p);
  p[1] ^= 0x20;   /* "SeLECT": still JSON, still text */
  m->bytes = g_bytes_new_take (data, len);
}

static EVP_PKEY *other_key;

static void
replace_key (GPtrArray *members)
{
  g_autofree char *pem = _vigil_bundle_public_pem (other_key);

  set_member_text (members, VIGIL_BUNDLE_PUBLIC_KEY, pem);
}

/* Tests */

static void
test_export_verify (void)
{
  g_autoptr(VigilBundleSummary) summary = assert_valid (world.bundle, NULL);
  g_autofree char *out = NULL;

  g_assert_cmpint (summary->entries, ==, world.entries);
  g_assert_cmpint (summary->matching, ==, world.entries);
  g_assert_cmpint (summary->first_id, ==, 1);
  g_assert_cmpint (summary->last_id, ==, world.entries);
  g_assert_cmpstr (summary->first_prev_hash, ==, VIGIL_AUDIT_GENESIS_HEX);
  g_assert_cmpstr (summary->fingerprint, ==, world.fingerprint);
  g_assert_true (g_uuid_string_is_valid (summary->install_id));
  g_assert_cmpint (run_vigilctl (&out, "audit", "verify-bundle", world.bundle, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (out, "bundle valid: "));
  g_assert_nonnull (strstr (out, world.fingerprint));
}

static void
test_export_cli (void)
{
  g_autofree char *path = work_path ("cli.tar.gz");
  g_autofree char *out = NULL;
  g_autofree char *verified = NULL;
  g_autofree char *usage = NULL;

  g_assert_cmpint (run_vigilctl (&out, "audit", "export", "--data-dir", world.dir,
                                 "--out", path, "--since", "2000-01-01", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "signed by"));
  g_assert_cmpint (run_vigilctl (&verified, "audit", "verify-bundle", path, "--expect-key",
                                 world.fingerprint, NULL), ==, 0);
  g_assert_cmpint (run_vigilctl (&usage, "audit", "export", "--data-dir", world.dir, NULL),
                   ==, 2);
}

static void
test_export_contents (void)
{
  g_autoptr(GPtrArray) members = read_members (world.bundle);
  const char *expected[] = { VIGIL_BUNDLE_MANIFEST, VIGIL_BUNDLE_SIGNATURE,
                             VIGIL_BUNDLE_RECORDS, VIGIL_BUNDLE_APPROVALS,
                             VIGIL_BUNDLE_POLICIES, VIGIL_BUNDLE_REPORT,
                             VIGIL_BUNDLE_PUBLIC_KEY };
  const char *report, *approvals;

  g_assert_cmpuint (members->len, ==, G_N_ELEMENTS (expected));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_nonnull (member (members, expected[i]));
  g_assert_cmpuint (g_bytes_get_size (member (members, VIGIL_BUNDLE_SIGNATURE)->bytes), ==, 64);

  /* No secret: no token, no private key, no held value, no upstream conninfo. */
  for (guint i = 0; i < members->len; i++)
    {
      const char *text = member_text (members, ((Member *) members->pdata[i])->name);

      for (guint t = 0; t < world.tokens->len; t++)
        g_assert_null (strstr (text, world.tokens->pdata[t]));
      g_assert_null (strstr (text, "PRIVATE KEY"));
      g_assert_null (strstr (text, HELD_EMAIL));
      g_assert_null (strstr (text, "password"));
    }

  /* The SQL text is escaped in the report, never markup. */
  report = member_text (members, VIGIL_BUNDLE_REPORT);
  g_assert_null (strstr (report, INJECTION));
  g_assert_null (strstr (report, "<script"));
  g_assert_nonnull (strstr (report, "&lt;script&gt;"));
  g_assert_nonnull (strstr (report, "<svg"));
  g_assert_nonnull (strstr (report, "/opt/metabase/bin/java"));

  approvals = member_text (members, VIGIL_BUNDLE_APPROVALS);
  g_assert_nonnull (strstr (approvals, "\"decided_by\":\"alice\""));
  g_assert_nonnull (strstr (approvals, "[email]"));
  g_assert_nonnull (strstr (approvals, "ticket OPS-42"));
  g_assert_nonnull (strstr (member_text (members, VIGIL_BUNDLE_POLICIES), "no-drop"));
}

/* The signature is plain Ed25519 over manifest.json: OpenSSL's own tool agrees. */
static void
test_export_openssl (void)
{
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autoptr(GPtrArray) members = read_members (world.bundle);
  const char *names[] = { VIGIL_BUNDLE_MANIFEST, VIGIL_BUNDLE_SIGNATURE, VIGIL_BUNDLE_PUBLIC_KEY };
  g_autofree char *dir = work_path ("openssl");
  g_autoptr(GError) error = NULL;
  int status = -1;

  if (openssl == NULL)
    {
      g_test_skip ("openssl is not installed");
      return;
    }
  g_mkdir (dir, 0700);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      GBytes *bytes = member (members, names[i])->bytes;

      g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                           (gssize) g_bytes_get_size (bytes), &error);
      g_assert_no_error (error);
    }
  {
    const char *argv[] = { openssl, "pkeyutl", "-verify", "-pubin", "-inkey",
                           VIGIL_BUNDLE_PUBLIC_KEY, "-rawin", "-in", VIGIL_BUNDLE_MANIFEST,
                           "-sigfile", VIGIL_BUNDLE_SIGNATURE, NULL };

    g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                  &status, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
test_export_key (void)
{
  g_autofree char *key_path = g_build_filename (world.dir, VIGIL_BUNDLE_KEY_NAME, NULL);
  g_autofree char *second = export (world.dir, NULL, "second.tar.gz");
  g_autoptr(VigilBundleSummary) summary = assert_valid (second, NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpstr (summary->fingerprint, ==, world.fingerprint);

  /* A key others may read is refused, not used. */
  g_chmod (key_path, 0644);
  g_assert_false (vigil_bundle_export (world.dir, NULL, second, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
  g_chmod (key_path, 0600);
}

static void
test_export_empty (void)
{
  VigilBundleFilter filter = { .since_us = g_get_real_time () + G_TIME_SPAN_DAY };
  g_autofree char *path = work_path ("empty.tar.gz");
  g_autoptr(GError) error = NULL;

  g_assert_false (vigil_bundle_export (world.dir, &filter, path, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_EMPTY);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_export_filter (void)
{
  VigilBundleFilter filter = { .identity = (char *) "alice" };
  g_autofree char *path = export (world.dir, &filter, "alice.tar.gz");
  g_autoptr(VigilBundleSummary) summary = assert_valid (path, NULL);
  g_autoptr(GPtrArray) members = read_members (path);
  const char *records = member_text (members, VIGIL_BUNDLE_RECORDS);

  g_assert_cmpint (summary->entries, ==, world.entries);
  g_assert_cmpint (summary->matching, >, 0);
  g_assert_cmpint (summary->matching, <, summary->entries / 2);
  g_assert_null (strstr (records, "agent-1"));
  g_assert_nonnull (strstr (records, "\"redacted\":true"));
  g_assert_null (strstr (member_text (members, VIGIL_BUNDLE_REPORT), "agent-2"));
  /* A filtered bundle still continues, and is continued by, the whole log. */
  g_clear_pointer (&summary, vigil_bundle_summary_free);
  summary = assert_valid (path, world.bundle);
}

static void
test_tamper_edited (void)
{
  g_autofree char *plain = tampered ("edited.tar.gz", edit_record, FALSE, NULL);
  g_autofree char *resigned = NULL;
  g_autofree char *out = NULL;
  EVP_PKEY *key = install_key ();

  assert_invalid (plain, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID,
                  "records.jsonl: SHA-256 differs from the manifest");
  /* Someone with the install's key re-signs: the chain still gives it away. */
  resigned = tampered ("edited-resigned.tar.gz", edit_record, TRUE, key);
  assert_invalid (resigned, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID,
                  "records.jsonl: entry 17: hash mismatch");
  g_assert_cmpint (run_vigilctl (&out, "audit", "verify-bundle", resigned, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "entry 17: hash mismatch"));
  EVP_PKEY_free (key);
}

static void
test_tamper_removed (void)
{
  g_autofree char *plain = tampered ("removed.tar.gz", remove_line, FALSE, NULL);
  EVP_PKEY *key = install_key ();
  g_autofree char *resigned = tampered ("removed-resigned.tar.gz", remove_line, TRUE, key);

  assert_invalid (plain, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID, "records.jsonl: SHA-256");
  assert_invalid (resigned, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID,
                  "records.jsonl: entry 42: out of sequence after entry 40");
  EVP_PKEY_free (key);
}

static void
test_tamper_swapped (void)
{
  g_autofree char *plain = tampered ("swapped.tar.gz", swap_lines, FALSE, NULL);
  EVP_PKEY *key = install_key ();
  g_autofree char *resigned = tampered ("swapped-resigned.tar.gz", swap_lines, TRUE, key);

  assert_invalid (plain, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID, "records.jsonl: SHA-256");
  assert_invalid (resigned, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID,
                  "records.jsonl: entry 62: out of sequence after entry 60");
  EVP_PKEY_free (key);
}

static void
test_tamper_flipped (void)
{
  g_autofree char *plain = tampered ("flipped.tar.gz", flip_byte, FALSE, NULL);
  g_autofree char *digests = tampered ("flipped-digests.tar.gz", flip_byte, TRUE, NULL);
  EVP_PKEY *key = install_key ();
  g_autofree char *resigned = tampered ("flipped-resigned.tar.gz", flip_byte, TRUE, key);

  assert_invalid (plain, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID,
                  "records.jsonl: SHA-256 differs from the manifest");
  assert_invalid (digests, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID,
                  "manifest.sig: bad signature");
  assert_invalid (resigned, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID, "hash mismatch");
  EVP_PKEY_free (key);
}

static void
test_tamper_key (void)
{
  g_autofree char *swapped = NULL;
  g_autofree char *forged = NULL;
  g_autofree char *out = NULL;
  g_autoptr(VigilBundleSummary) summary = NULL;

  other_key = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
  /* Another key in place of the install's, manifest untouched. */
  swapped = tampered ("key-swapped.tar.gz", replace_key, FALSE, NULL);
  assert_invalid (swapped, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID, "manifest.sig: bad signature");

  /* A whole forgery under another key is self-consistent: the bundle alone cannot know
   * the install's key. Its fingerprint is printed, and --expect-key or --continues fail. */
  forged = tampered ("key-forged.tar.gz", replace_key, TRUE, other_key);
  summary = assert_valid (forged, NULL);
  g_assert_cmpstr (summary->fingerprint, !=, world.fingerprint);
  assert_invalid (forged, NULL, world.fingerprint, VIGIL_BUNDLE_ERROR_KEY,
                  "not by the expected key");
  assert_invalid (forged, world.bundle, NULL, VIGIL_BUNDLE_ERROR_KEY,
                  "signed by a different key than the earlier bundle");
  g_assert_cmpint (run_vigilctl (&out, "audit", "verify-bundle", forged, "--expect-key",
                                 world.fingerprint, NULL), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_vigilctl (&out, "audit", "verify-bundle", forged, "--continues",
                                 world.bundle, NULL), ==, 1);
  g_assert_nonnull (strstr (out, "different key"));
  EVP_PKEY_free (other_key);
}

static void
test_continues (void)
{
  g_autofree char *whole = NULL;
  g_autofree char *next = NULL;
  g_autofree char *out = NULL;
  g_autoptr(VigilBundleSummary) summary = NULL;
  VigilBundleFilter filter = { .since_us = world.end_us + 1 };

  /* Statement times are made up; keep them after the first export's entries. */
  fill (world.dir, N_STATEMENTS, N_MORE,
        g_get_real_time () + (N_MORE + 1) * 3 * G_TIME_SPAN_MINUTE);
  whole = export (world.dir, NULL, "whole.tar.gz");
  summary = assert_valid (whole, world.bundle);
  g_assert_cmpint (summary->continues_from, ==, world.entries);
  g_assert_cmpint (summary->last_id, ==, world.entries + 2 * N_MORE);
  g_clear_pointer (&summary, vigil_bundle_summary_free);

  /* Only what came after: starts right after the earlier bundle's last entry. */
  next = export (world.dir, &filter, "next.tar.gz");
  summary = assert_valid (next, world.bundle);
  g_assert_cmpint (summary->first_id, ==, world.entries + 1);
  g_assert_cmpint (run_vigilctl (&out, "audit", "verify-bundle", next, "--continues",
                                 world.bundle, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "continues"));

  /* The other way round does not extend anything. */
  assert_invalid (world.bundle, next, NULL, VIGIL_BUNDLE_ERROR_DISCONTINUOUS, "ends before");
}

static char *
copy_install (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  char *dir = work_path (name);
  const char *files[] = { VIGIL_BUNDLE_KEY_NAME, VIGIL_BUNDLE_INSTALL_NAME };

  store = vigil_store_open (dir, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *from = g_build_filename (world.dir, files[i], NULL);
      g_autofree char *to = g_build_filename (dir, files[i], NULL);
      g_autofree char *contents = NULL;

      g_file_get_contents (from, &contents, NULL, &error);
      g_assert_no_error (error);
      g_file_set_contents_full (to, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
      g_assert_no_error (error);
    }
  return dir;
}

static void
test_continues_rewritten (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autofree char *other_dir = work_path ("other-store");
  g_autofree char *other = NULL;
  g_autofree char *forked_dir = copy_install ("forked-store");
  g_autofree char *forked = NULL;

  /* A different install: another key. */
  store = vigil_store_open (other_dir, &error);
  g_assert_no_error (error);
  fill (other_dir, 0, N_STATEMENTS + N_MORE, g_get_real_time ());
  other = export (other_dir, NULL, "other.tar.gz");
  assert_invalid (other, world.bundle, NULL, VIGIL_BUNDLE_ERROR_KEY, "different key");

  /* The same install's key over a history rewritten from entry 1 (the store replaced). */
  fill (forked_dir, 1, N_STATEMENTS + N_MORE, g_get_real_time ());
  forked = export (forked_dir, NULL, "forked.tar.gz");
  vigil_bundle_summary_free (assert_valid (forked, NULL));
  assert_invalid (forked, world.bundle, NULL, VIGIL_BUNDLE_ERROR_DISCONTINUOUS,
                  "entry 1 differs from the earlier bundle's");
}

static void
test_verify_garbage (void)
{
  g_autofree char *path = work_path ("garbage.tar.gz");
  g_autofree char *out = NULL;

  g_file_set_contents (path, "not a bundle at all", -1, NULL);
  assert_invalid (path, NULL, NULL, VIGIL_BUNDLE_ERROR_INVALID, "not a gzip-compressed tar");
  g_assert_cmpint (run_vigilctl (&out, "audit", "verify-bundle", path, NULL), ==, 1);
}

static void
test_report_chromium (void)
{
  g_autofree char *chromium = g_find_program_in_path ("chromium");
  g_autoptr(GPtrArray) members = read_members (world.bundle);
  g_autofree char *html = work_path ("report.html");
  g_autofree char *profile = work_path ("chromium-profile");
  g_autofree char *png = g_build_filename (build_dir, "report.png", NULL);
  g_autofree char *url = NULL;
  g_autofree char *shot = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;
  GStatBuf st;

  if (chromium == NULL)
    chromium = g_find_program_in_path ("chromium-browser");
  if (chromium == NULL)
    {
      g_test_skip ("chromium is not installed");
      return;
    }
  g_file_set_contents (html, member_text (members, VIGIL_BUNDLE_REPORT),
                       (gssize) g_bytes_get_size (member (members, VIGIL_BUNDLE_REPORT)->bytes),
                       &error);
  g_assert_no_error (error);
  url = g_filename_to_uri (html, NULL, &error);
  shot = g_strconcat ("--screenshot=", png, NULL);
  g_unlink (png);
  {
    g_autofree char *user_data = g_strconcat ("--user-data-dir=", profile, NULL);
    const char *argv[] = { chromium, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-quic", "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", user_data, shot,
                           "--window-size=1280,1600", url, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL
                  | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error);
  }
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (png, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 20000);
  g_test_message ("report screenshot: %s (%ld bytes)", png, (long) st.st_size);
}

/* The world */

static void
make_world (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilBundleSummary) summary = NULL;
  const char *kinds[] = { "agent", "human", "admin" };

  world.work = g_dir_make_tmp ("vigil-bundle-XXXXXX", &error);
  g_assert_no_error (error);
  world.dir = work_path ("store");
  store = vigil_store_open (world.dir, &error);
  g_assert_no_error (error);
  world.tokens = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (identities); i++)
    {
      char *token = NULL;
      VigilIdentityKind kind;

      g_assert_true (vigil_identity_kind_from_string (kinds[i % 2], &kind));
      g_assert_true (vigil_store_identity_add (store, identities[i], kind, &token, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (token), >=, 16);
      g_ptr_array_add (world.tokens, token);
    }
  g_assert_true (vigil_store_policy_save (store, POLICY, "alice", "no drops by agents", NULL,
                                          &error));
  g_assert_no_error (error);
  add_approval (world.dir);
  fill (world.dir, 0, N_STATEMENTS, g_get_real_time () - G_TIME_SPAN_MINUTE);
  world.entries = 2 * N_STATEMENTS;
  world.bundle = work_path ("first.tar.gz");
  g_assert_true (vigil_bundle_export (world.dir, NULL, world.bundle, NULL, NULL, NULL, &summary,
                                      &error));
  g_assert_no_error (error);
  world.fingerprint = g_strdup (summary->fingerprint);
  world.end_us = g_get_real_time ();
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tests_dir = g_path_get_dirname (argv[0]);
  int status;

  g_test_init (&argc, &argv, NULL);
  build_dir = g_path_get_dirname (tests_dir);   /* the test runs from BUILD/tests */
  make_world ();
  g_test_add_func ("/bundle/export/verify", test_export_verify);
  g_test_add_func ("/bundle/export/cli", test_export_cli);
  g_test_add_func ("/bundle/export/contents", test_export_contents);
  g_test_add_func ("/bundle/export/openssl", test_export_openssl);
  g_test_add_func ("/bundle/export/key", test_export_key);
  g_test_add_func ("/bundle/export/empty", test_export_empty);
  g_test_add_func ("/bundle/export/filter", test_export_filter);
  g_test_add_func ("/bundle/tamper/edited-record", test_tamper_edited);
  g_test_add_func ("/bundle/tamper/removed-line", test_tamper_removed);
  g_test_add_func ("/bundle/tamper/swapped-lines", test_tamper_swapped);
  g_test_add_func ("/bundle/tamper/flipped-byte", test_tamper_flipped);
  g_test_add_func ("/bundle/tamper/replaced-key", test_tamper_key);
  g_test_add_func ("/bundle/verify/garbage", test_verify_garbage);
  g_test_add_func ("/bundle/report/chromium", test_report_chromium);
  g_test_add_func ("/bundle/continues/extends", test_continues);
  g_test_add_func ("/bundle/continues/rewritten", test_continues_rewritten);
  status = g_test_run ();
  if (g_getenv ("VIGIL_TEST_KEEP") == NULL)
    vigil_test_rm_rf (world.work);
  return status;
}
