/* vigil-bundle-export.c: `vigilctl audit export`, a signed bundle of the audit log.
 *
 * Everything is read in one read transaction of its own connection, so the bundle is a
 * snapshot even beside a running proxy. The range is the contiguous entry ids from the
 * first entry at or after --since to the last at or before --until: a chain has no gaps.
 * An identity or connection filter does not cut the chain either; entries outside it are
 * reduced to {id, prev_hash, hash} ("redacted"), so the links still verify one by one
 * while nothing else of them leaves the install. An outcome follows its statement.
 *
 * The export re-hashes every entry it writes and refuses to sign a broken chain. records
 * are spooled to a temporary file beside OUT_PATH (a tar entry needs its size first);
 * the archive is written to OUT_PATH.tmp and renamed, so a bundle is whole or absent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>
#include <openssl/rand.h>

#include "vigil-approvals.h"
#include "vigil-bundle-private.h"
#include "vigil-mask.h"

#define PROGRESS_EVERY   4096
#define COPY_BLOCK       (256 * 1024)
#define APPROVAL_COLUMNS "id, created_us, session, identity, connection, pid, exe, os_user, " \
                         "statement, class, relations, rule, reason, fingerprint, "          \
                         "estimated_rows, status, decided_by, decision_reason, decided_us, " \
                         "approve_minutes"

typedef struct
{
  const char          *name;
  GBytes              *bytes;      /* in memory, or */
  char                *path;       /* spooled to a file */
  gint64               size;
  char                *sha256;
} BundleFile;

typedef struct
{
  /* input */
  char                *data_dir;
  VigilBundleFilter    filter;     /* since/until resolved: 0..G_MAXINT64 */
  VigilBundleProgress  progress;
  gpointer             progress_data;
  GCancellable        *cancellable;

  /* the snapshot */
  sqlite3             *db;
  gint64               first_id;
  gint64               last_id;
  gint64               log_entries;
  char                *first_prev_hash;
  char                *last_hash;
  gint64               entries;
  gint64               matching;

  /* output */
  gint64               now_us;
  char                *created;
  char                *install_id;
  char                *fingerprint;
  VigilBundleReport   *report;
  VigilMasker         *masker;
  BundleFile           files[5];
  guint                n_files;
} Export;

/* Helpers */

static gboolean
store_error (Export      *self,
             GError     **error)
{
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot read the audit store: %s",
               sqlite3_errmsg (self->db));
  return FALSE;
}

static void
report_progress (Export     *self,
                 const char *stage,
                 double      fraction)
{
  if (self->progress != NULL)
    self->progress (stage, CLAMP (fraction, 0.0, 1.0), self->progress_data);
}

static BundleFile *
add_file (Export     *self,
          const char *name)
{
  BundleFile *file = &self->files[self->n_files++];

  g_assert (self->n_files <= G_N_ELEMENTS (self->files));
  file->name = name;
  return file;
}

static void
set_file_bytes (BundleFile *file,
                GBytes     *bytes)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  EVP_DigestUpdate (ctx, data, len);
  file->sha256 = _vigil_bundle_sha256_hex (ctx);
  file->size = (gint64) len;
  file->bytes = bytes;
  EVP_MD_CTX_free (ctx);
}

static gboolean
matches (const char *wanted,
         const char *value)
{
  return wanted == NULL || g_strcmp0 (wanted, value) == 0;
}

static gboolean
entry_text_is (const VigilAuditValue *value,
               const char            *text)
{
  return value->type == 'T' && value->len == strlen (text)
         && memcmp (value->data, text, value->len) == 0;
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

/* The snapshot: range and chain ends */

static gboolean
open_snapshot (Export  *self,
               GError **error)
{
  g_autofree char *path = g_build_filename (self->data_dir, VIGIL_AUDIT_DB_NAME, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      || sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot open the audit log %s: %s",
                   path, self->db != NULL ? sqlite3_errmsg (self->db) : "no such file");
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, 5000);
  return sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK
         || store_error (self, error);
}

static gboolean
query_int64 (Export     *self,
             const char *sql,
             gint64      arg,
             gint64     *out,
             GError    **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return store_error (self, error);
  sqlite3_bind_int64 (stmt, 1, arg);
  rc = sqlite3_step (stmt);
  *out = rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL
         ? sqlite3_column_int64 (stmt, 0) : -1;
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || store_error (self, error);
}

static gboolean
find_range (Export  *self,
            GError **error)
{
  sqlite3_stmt *stmt = NULL;

  if (!query_int64 (self, "SELECT min (id) FROM audit_log WHERE time_us >= ?",
                    self->filter.since_us, &self->first_id, error)
      || !query_int64 (self, "SELECT max (id) FROM audit_log WHERE time_us <= ?",
                       self->filter.until_us, &self->last_id, error)
      || !query_int64 (self, "SELECT max (id) FROM audit_log WHERE id > ?", 0,
                       &self->log_entries, error))
    return FALSE;
  if (self->first_id < 1 || self->last_id < self->first_id)
    {
      g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_EMPTY,
                   "No audit entry in the range to export");
      return FALSE;
    }
  if (self->first_id == 1)
    {
      self->first_prev_hash = g_strdup (VIGIL_AUDIT_GENESIS_HEX);
      return TRUE;
    }
  if (sqlite3_prepare_v2 (self->db, "SELECT hash FROM audit_log WHERE id = ?", -1, &stmt,
                          NULL) != SQLITE_OK)
    return store_error (self, error);
  sqlite3_bind_int64 (stmt, 1, self->first_id - 1);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    self->first_prev_hash = g_strdup (column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (self->first_prev_hash == NULL)
    {
      g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_LOG_BROKEN,
                   "entry %" G_GINT64_FORMAT " is missing from the audit log; "
                   "run vigilctl audit verify", self->first_id - 1);
      return FALSE;
    }
  return TRUE;
}

/* records.jsonl */

static char *
records_sql (void)
{
  g_auto(GStrv) columns = g_strsplit (VIGIL_AUDIT_CONTENT_COLUMNS, ", ", -1);
  g_autofree char *prefixed = g_strjoinv (", a.", columns);

  return g_strconcat ("SELECT a.", prefixed, ", a.prev_hash, a.hash, s.identity, s.connection"
                      "  FROM audit_log a LEFT JOIN audit_log s"
                      "    ON a.kind = 'outcome' AND s.id = a.statement_id"
                      " WHERE a.id BETWEEN ?1 AND ?2 ORDER BY a.id", NULL);
}

/* Re-hashes ENTRY as the store's verifier does: never sign a broken chain. */
static gboolean
check_stored (Export                *self,
              const VigilAuditEntry *entry,
              const char            *expected_prev,
              const char            *prev_hash,
              const char            *hash,
              GError               **error)
{
  gint64 id = entry->v[VIGIL_AUDIT_FIELD_ID].i;
  gint64 expected_id = self->first_id + self->entries;
  char computed[VIGIL_AUDIT_HEX_LEN + 1];
  const char *why = NULL;

  if (entry->v[VIGIL_AUDIT_FIELD_ID].type != 'I' || id != expected_id)
    why = "is missing";
  else if (g_strcmp0 (prev_hash, expected_prev) != 0)
    why = "does not link to the entry before it";
  else if (!_vigil_audit_entry_hash (entry, prev_hash, computed)
           || g_strcmp0 (hash, computed) != 0)
    why = "does not match its hash";
  if (why == NULL)
    return TRUE;
  g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_LOG_BROKEN,
               "The audit log is not intact: entry %" G_GINT64_FORMAT " %s; "
               "run vigilctl audit verify", expected_id, why);
  return FALSE;
}

static gboolean
entry_matches (Export                *self,
               const VigilAuditEntry *entry,
               const char            *identity,
               const char            *connection)
{
  return matches (self->filter.identity, identity)
         && matches (self->filter.connection, connection);
}

static gboolean
write_record (Export        *self,
              sqlite3_stmt  *stmt,
              GString       *line,
              char         **prev,
              GError       **error)
{
  VigilAuditEntry entry;
  const char *prev_hash = column_text (stmt, VIGIL_AUDIT_N_FIELDS);
  const char *hash = column_text (stmt, VIGIL_AUDIT_N_FIELDS + 1);
  g_autofree char *identity = NULL;
  g_autofree char *connection = NULL;
  gboolean statement;

  _vigil_audit_entry_from_row (&entry, stmt, 0);
  if (!check_stored (self, &entry, *prev, prev_hash, hash, error))
    return FALSE;
  statement = entry_text_is (&entry.v[VIGIL_AUDIT_FIELD_KIND], "statement");
  identity = g_strdup (statement ? column_text (stmt, VIGIL_AUDIT_FIELD_IDENTITY)
                                 : column_text (stmt, VIGIL_AUDIT_N_FIELDS + 2));
  connection = g_strdup (statement ? column_text (stmt, VIGIL_AUDIT_FIELD_CONNECTION)
                                   : column_text (stmt, VIGIL_AUDIT_N_FIELDS + 3));
  if (entry_matches (self, &entry, identity, connection))
    {
      _vigil_bundle_entry_write (line, &entry, prev_hash, hash);
      _vigil_bundle_report_add_entry (self->report, &entry, identity, connection);
      self->matching++;
    }
  else
    {
      _vigil_bundle_redacted_write (line, entry.v[VIGIL_AUDIT_FIELD_ID].i, prev_hash, hash);
    }
  g_free (*prev);
  *prev = g_strdup (hash);
  self->entries++;
  return TRUE;
}

static FILE *
open_spool (const char  *out_path,
            char       **out_spool,
            GError     **error)
{
  g_autofree char *spool = g_strconcat (out_path, ".records-XXXXXX", NULL);
  int fd = g_mkstemp_full (spool, O_RDWR, 0600);
  FILE *fp;

  if (fd < 0 || (fp = fdopen (fd, "w")) == NULL)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create a file beside %s: %s", out_path, g_strerror (saved_errno));
      return NULL;
    }
  *out_spool = g_steal_pointer (&spool);
  return fp;
}

static gboolean
write_records_rows (Export        *self,
                    sqlite3_stmt  *stmt,
                    FILE          *fp,
                    EVP_MD_CTX    *ctx,
                    GError       **error)
{
  g_autoptr(GString) line = g_string_sized_new (4096);
  g_autofree char *prev = g_strdup (self->first_prev_hash);
  double span = (double) (self->last_id - self->first_id + 1);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_string_truncate (line, 0);
      if (!write_record (self, stmt, line, &prev, error))
        return FALSE;
      EVP_DigestUpdate (ctx, line->str, line->len);
      if (fwrite (line->str, 1, line->len, fp) != line->len)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "Cannot write the records: %s", g_strerror (errno));
          return FALSE;
        }
      if (self->entries % PROGRESS_EVERY == 0)
        {
          if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
            return FALSE;
          report_progress (self, "records", self->entries / span);
        }
    }
  if (rc != SQLITE_DONE)
    return store_error (self, error);
  if (self->entries != self->last_id - self->first_id + 1)
    {
      g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_LOG_BROKEN,
                   "The audit log is not intact: entries end at %" G_GINT64_FORMAT
                   " instead of %" G_GINT64_FORMAT "; run vigilctl audit verify",
                   self->first_id + self->entries - 1, self->last_id);
      return FALSE;
    }
  self->last_hash = g_steal_pointer (&prev);
  report_progress (self, "records", 1.0);
  return TRUE;
}

static gboolean
write_records (Export      *self,
               const char  *out_path,
               GError     **error)
{
  BundleFile *file = add_file (self, VIGIL_BUNDLE_RECORDS);
  g_autofree char *sql = records_sql ();
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  FILE *fp;

  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  if ((fp = open_spool (out_path, &file->path, error)) == NULL)
    goto out;
  setvbuf (fp, NULL, _IOFBF, COPY_BLOCK);
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      store_error (self, error);
      goto out;
    }
  sqlite3_bind_int64 (stmt, 1, self->first_id);
  sqlite3_bind_int64 (stmt, 2, self->last_id);
  ok = write_records_rows (self, stmt, fp, ctx, error);
  file->size = ftell (fp);
out:
  sqlite3_finalize (stmt);
  if (fp != NULL && fclose (fp) != 0 && ok)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot write the records: %s", g_strerror (errno));
      ok = FALSE;
    }
  file->sha256 = _vigil_bundle_sha256_hex (ctx);
  EVP_MD_CTX_free (ctx);
  return ok;
}

/* approvals.jsonl */

static char *
mask_text (Export     *self,
           const char *text)
{
  g_autoptr(GString) out = NULL;
  guint count = 0;

  if (text == NULL)
    return NULL;
  out = g_string_new (NULL);
  /* The queue keeps the held statement as sent, for its reviewer; a bundle never does.
   * FALSE: nothing matched, TEXT holds no value to mask. */
  if (!vigil_mask_text (self->masker, text, strlen (text), VIGIL_DETECT_ALL, VIGIL_MASK_REDACT,
                        out, &count))
    return g_strdup (text);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static VigilApproval *
approval_from_row (Export       *self,
                   sqlite3_stmt *stmt)
{
  VigilApproval *a = vigil_approval_new ();

  a->id = sqlite3_column_int64 (stmt, 0);
  a->created_us = sqlite3_column_int64 (stmt, 1);
  a->session = (guint64) sqlite3_column_int64 (stmt, 2);
  a->identity = g_strdup (column_text (stmt, 3));
  a->connection = g_strdup (column_text (stmt, 4));
  a->pid = sqlite3_column_int (stmt, 5);
  a->exe = g_strdup (column_text (stmt, 6));
  a->os_user = g_strdup (column_text (stmt, 7));
  a->statement = mask_text (self, column_text (stmt, 8));
  a->class = g_strdup (column_text (stmt, 9));
  a->relations = g_strdup (column_text (stmt, 10));
  a->rule = g_strdup (column_text (stmt, 11));
  a->reason = mask_text (self, column_text (stmt, 12));
  a->estimated_rows = sqlite3_column_int64 (stmt, 14);
  g_free (a->status);
  a->status = g_strdup (column_text (stmt, 15));
  a->decided_by = g_strdup (column_text (stmt, 16));
  a->decision_reason = mask_text (self, column_text (stmt, 17));
  a->decided_us = sqlite3_column_int64 (stmt, 18);
  a->approve_minutes = sqlite3_column_int (stmt, 19);
  return a;
}

static gboolean
write_approvals (Export  *self,
                 GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, "SELECT " APPROVAL_COLUMNS " FROM approvals"
                          " WHERE created_us BETWEEN ?1 AND ?2 OR decided_us BETWEEN ?1 AND ?2"
                          " ORDER BY id", -1, &stmt, NULL) != SQLITE_OK)
    return store_error (self, error);
  sqlite3_bind_int64 (stmt, 1, self->filter.since_us);
  sqlite3_bind_int64 (stmt, 2, self->filter.until_us);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(VigilApproval) approval = approval_from_row (self, stmt);
      g_autofree char *json = NULL;
      g_autoptr(JsonNode) node = NULL;

      if (!matches (self->filter.identity, approval->identity)
          || !matches (self->filter.connection, approval->connection))
        continue;
      json = vigil_approval_to_json (approval);
      g_string_append_printf (out, "%s\n", json);
      if ((node = json_from_string (json, NULL)) != NULL)
        _vigil_bundle_report_add_approval (self->report, json_node_get_object (node));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return store_error (self, error);
  set_file_bytes (add_file (self, VIGIL_BUNDLE_APPROVALS),
                  g_string_free_to_bytes (g_steal_pointer (&out)));
  return TRUE;
}

/* policies.jsonl: every version in force at some time of the range */

static JsonNode *
policy_node (sqlite3_stmt *stmt,
             gint64        until_s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = _vigil_bundle_time_string (sqlite3_column_int64 (stmt, 1)
                                                        * G_USEC_PER_SEC);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, sqlite3_column_int64 (stmt, 0));
  json_builder_set_member_name (b, "created");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "author");
  json_builder_add_string_value (b, column_text (stmt, 2));
  json_builder_set_member_name (b, "comment");
  json_builder_add_string_value (b, column_text (stmt, 3));
  json_builder_set_member_name (b, "superseded");
  if (until_s > 0)
    {
      g_autofree char *until = _vigil_bundle_time_string (until_s * G_USEC_PER_SEC);

      json_builder_add_string_value (b, until);
    }
  else
    {
      json_builder_add_null_value (b);
    }
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, column_text (stmt, 5));
  json_builder_set_member_name (b, "json");
  json_builder_add_string_value (b, column_text (stmt, 4));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Walks newest first: a version is in force until the next one's creation. */
static gboolean
write_policies (Export  *self,
                GError **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;
  gint64 next_created = 0;
  int rc;

  if (sqlite3_prepare_v2 (self->db, "SELECT id, created_at, author, comment, json, sha256"
                          " FROM policy_versions ORDER BY id DESC", -1, &stmt, NULL) != SQLITE_OK)
    return store_error (self, error);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 created_us = sqlite3_column_int64 (stmt, 1) * G_USEC_PER_SEC;
      gboolean before_end = created_us <= self->filter.until_us;
      gboolean after_start = next_created == 0
                             || next_created * G_USEC_PER_SEC > self->filter.since_us;

      if (before_end && after_start)
        {
          g_autoptr(JsonNode) node = policy_node (stmt, next_created);

          _vigil_bundle_report_add_policy (self->report, json_node_get_object (node));
          g_ptr_array_add (lines, json_to_string (node, FALSE));
        }
      next_created = sqlite3_column_int64 (stmt, 1);
      if (!after_start)
        break;
    }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      sqlite3_finalize (stmt);
      return store_error (self, error);
    }
  sqlite3_finalize (stmt);
  for (guint i = lines->len; i > 0; i--)  /* oldest first */
    g_string_append_printf (out, "%s\n", (char *) g_ptr_array_index (lines, i - 1));
  set_file_bytes (add_file (self, VIGIL_BUNDLE_POLICIES),
                  g_string_free_to_bytes (g_steal_pointer (&out)));
  return TRUE;
}

/* The manifest */

static void
add_nullable (JsonBuilder *b,
              const char  *name,
              const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_filter (Export      *self,
            JsonBuilder *b)
{
  g_autofree char *since = self->filter.since_us > 0
                           ? _vigil_bundle_time_string (self->filter.since_us) : NULL;
  g_autofree char *until = self->filter.until_us < G_MAXINT64
                           ? _vigil_bundle_time_string (self->filter.until_us) : NULL;

  json_builder_set_member_name (b, "filter");
  json_builder_begin_object (b);
  add_nullable (b, "since", since);
  add_nullable (b, "until", until);
  add_nullable (b, "identity", self->filter.identity);
  add_nullable (b, "connection", self->filter.connection);
  json_builder_end_object (b);
}

static void
add_entries (Export      *self,
             JsonBuilder *b)
{
  json_builder_set_member_name (b, "entries");
  json_builder_begin_object (b);
  add_int (b, "first_id", self->first_id);
  add_int (b, "last_id", self->last_id);
  add_int (b, "count", self->entries);
  add_int (b, "full", self->matching);
  add_int (b, "redacted", self->entries - self->matching);
  add_nullable (b, "first_prev_hash", self->first_prev_hash);
  add_nullable (b, "last_hash", self->last_hash);
  add_int (b, "log_entries", self->log_entries);
  json_builder_end_object (b);
}

static void
add_files (Export      *self,
           JsonBuilder *b)
{
  json_builder_set_member_name (b, "files");
  json_builder_begin_object (b);
  for (guint i = 0; i < self->n_files; i++)
    {
      json_builder_set_member_name (b, self->files[i].name);
      json_builder_begin_object (b);
      add_nullable (b, "sha256", self->files[i].sha256);
      add_int (b, "size", self->files[i].size);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static GBytes *
build_manifest (Export     *self,
                const char *install_id,
                const char *fingerprint)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize len = 0;
  char *text;

  json_builder_begin_object (b);
  add_nullable (b, "format", VIGIL_BUNDLE_FORMAT);
  add_int (b, "version", VIGIL_BUNDLE_VERSION);
  add_nullable (b, "created", self->created);
  add_nullable (b, "generator", "vigil " VIGIL_VERSION);
  add_nullable (b, "install_id", install_id);
  json_builder_set_member_name (b, "public_key");
  json_builder_begin_object (b);
  add_nullable (b, "file", VIGIL_BUNDLE_PUBLIC_KEY);
  add_nullable (b, "algorithm", "Ed25519");
  add_nullable (b, "fingerprint", fingerprint);
  json_builder_end_object (b);
  add_filter (self, b);
  add_entries (self, b);
  add_files (self, b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}

/* The archive */

static gboolean
archive_failed (struct archive  *a,
                const char      *path,
                GError         **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write %s: %s", path,
               archive_error_string (a) != NULL ? archive_error_string (a) : "unknown error");
  return FALSE;
}

static gboolean
archive_begin (struct archive *a,
               Export         *self,
               const char     *name,
               gint64          size)
{
  struct archive_entry *entry = archive_entry_new ();
  int rc;

  archive_entry_set_pathname (entry, name);
  archive_entry_set_size (entry, size);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_mtime (entry, self->now_us / G_USEC_PER_SEC, 0);
  archive_entry_set_uname (entry, "vigil");
  archive_entry_set_gname (entry, "vigil");
  rc = archive_write_header (a, entry);
  archive_entry_free (entry);
  return rc == ARCHIVE_OK;
}

static gboolean
archive_add_bytes (struct archive *a,
                   Export         *self,
                   const char     *name,
                   GBytes         *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return archive_begin (a, self, name, (gint64) len)
         && (len == 0 || archive_write_data (a, data, len) == (la_ssize_t) len);
}

/* FALSE with ERROR set when the spool could not be read or the export was cancelled,
 * FALSE alone when libarchive failed (the caller asks it why). */
static gboolean
archive_add_spool (struct archive  *a,
                   Export          *self,
                   BundleFile      *file,
                   GError         **error)
{
  g_autofree guint8 *block = g_malloc (COPY_BLOCK);
  FILE *fp = g_fopen (file->path, "rb");
  gint64 done = 0;
  size_t n;

  if (fp == NULL)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot read %s: %s", file->path, g_strerror (errno));
      return FALSE;
    }
  if (archive_begin (a, self, file->name, file->size))
    while ((n = fread (block, 1, COPY_BLOCK, fp)) > 0 && done + (gint64) n <= file->size
           && !g_cancellable_is_cancelled (self->cancellable)
           && archive_write_data (a, block, n) == (la_ssize_t) n)
      {
        done += (gint64) n;
        report_progress (self, "archive", file->size > 0 ? (double) done / file->size : 1.0);
      }
  fclose (fp);
  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return FALSE;
  return done == file->size;
}

static gboolean
write_archive_entries (struct archive  *a,
                       Export          *self,
                       const char      *tmp,
                       GBytes          *manifest,
                       GBytes          *signature,
                       GError         **error)
{
  /* Manifest, signature and key first: a reader checks the rest as it streams past. */
  if (!archive_add_bytes (a, self, VIGIL_BUNDLE_MANIFEST, manifest)
      || !archive_add_bytes (a, self, VIGIL_BUNDLE_SIGNATURE, signature))
    return archive_failed (a, tmp, error);
  for (guint i = 0; i < self->n_files; i++)
    {
      BundleFile *file = &self->files[i];
      g_autoptr(GError) local_error = NULL;
      gboolean ok;

      ok = file->bytes != NULL ? archive_add_bytes (a, self, file->name, file->bytes)
                               : archive_add_spool (a, self, file, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!ok)
        return archive_failed (a, tmp, error);
    }
  return TRUE;
}

static gboolean
write_archive (Export      *self,
               const char  *out_path,
               GBytes      *manifest,
               GBytes      *signature,
               GError     **error)
{
  g_autofree char *tmp = g_strconcat (out_path, ".tmp", NULL);
  struct archive *a = archive_write_new ();
  gboolean ok;

  ok = archive_write_add_filter_gzip (a) == ARCHIVE_OK
       && archive_write_set_format_pax_restricted (a) == ARCHIVE_OK
       && archive_write_open_filename (a, tmp) == ARCHIVE_OK;
  if (!ok)
    archive_failed (a, tmp, error);
  else
    ok = write_archive_entries (a, self, tmp, manifest, signature, error);
  if (ok && archive_write_close (a) != ARCHIVE_OK)
    ok = archive_failed (a, tmp, error);
  archive_write_free (a);
  if (ok && g_rename (tmp, out_path) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot rename %s to %s: %s", tmp, out_path, g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp);
  return ok;
}

/* Steps */

static gboolean
read_snapshot (Export      *self,
               const char  *out_path,
               GError     **error)
{
  gboolean ok;

  if (!open_snapshot (self, error) || !find_range (self, error))
    return FALSE;
  ok = write_records (self, out_path, error)
       && write_approvals (self, error)
       && write_policies (self, error);
  sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  return ok;
}

static char *
describe_filter (Export *self)
{
  GString *text = g_string_new (NULL);
  g_autofree char *since = self->filter.since_us > 0
                           ? _vigil_bundle_time_string (self->filter.since_us) : NULL;
  g_autofree char *until = self->filter.until_us < G_MAXINT64
                           ? _vigil_bundle_time_string (self->filter.until_us) : NULL;

  if (since != NULL)
    g_string_append_printf (text, "since %s; ", since);
  if (until != NULL)
    g_string_append_printf (text, "until %s; ", until);
  if (self->filter.identity != NULL)
    g_string_append_printf (text, "identity %s; ", self->filter.identity);
  if (self->filter.connection != NULL)
    g_string_append_printf (text, "connection %s; ", self->filter.connection);
  if (text->len == 0)
    g_string_append (text, "none (the whole log)");
  else
    g_string_truncate (text, text->len - 2);
  return g_string_free (text, FALSE);
}

static void
render_report (Export     *self,
               const char *install_id,
               const char *fingerprint)
{
  g_autofree char *filter_text = describe_filter (self);
  VigilBundleReportMeta meta = {
    .created = self->created, .install_id = install_id, .fingerprint = fingerprint,
    .filter_text = filter_text, .since_us = self->filter.since_us,
    .until_us = self->filter.until_us, .first_id = self->first_id, .last_id = self->last_id,
    .entries = self->entries, .matching = self->matching,
    .first_prev_hash = self->first_prev_hash, .last_hash = self->last_hash,
  };

  report_progress (self, "report", 0.0);
  set_file_bytes (add_file (self, VIGIL_BUNDLE_REPORT),
                  _vigil_bundle_report_render (self->report, &meta));
  report_progress (self, "report", 1.0);
}

static gboolean
sign_and_write (Export      *self,
                const char  *out_path,
                GError     **error)
{
  g_autofree char *public_pem = NULL;
  g_autoptr(GBytes) manifest = NULL;
  g_autoptr(GBytes) signature = NULL;
  EVP_PKEY *key;

  if ((self->install_id = _vigil_bundle_install_id (self->data_dir, error)) == NULL
      || (key = _vigil_bundle_signing_key (self->data_dir, error)) == NULL)
    return FALSE;
  public_pem = _vigil_bundle_public_pem (key);
  self->fingerprint = _vigil_bundle_fingerprint (key);
  render_report (self, self->install_id, self->fingerprint);
  set_file_bytes (add_file (self, VIGIL_BUNDLE_PUBLIC_KEY),
                  g_bytes_new (public_pem, strlen (public_pem)));
  manifest = build_manifest (self, self->install_id, self->fingerprint);
  signature = _vigil_bundle_sign (key, g_bytes_get_data (manifest, NULL),
                                  g_bytes_get_size (manifest), error);
  EVP_PKEY_free (key);
  return signature != NULL && write_archive (self, out_path, manifest, signature, error);
}

static VigilBundleSummary *
make_summary (Export *self)
{
  VigilBundleSummary *summary = g_new0 (VigilBundleSummary, 1);

  summary->entries = self->entries;
  summary->matching = self->matching;
  summary->first_id = self->first_id;
  summary->last_id = self->last_id;
  summary->first_prev_hash = g_strdup (self->first_prev_hash);
  summary->last_hash = g_strdup (self->last_hash);
  summary->created = g_strdup (self->created);
  summary->install_id = g_strdup (self->install_id);
  summary->fingerprint = g_strdup (self->fingerprint);
  return summary;
}

static void
export_clear (Export *self)
{
  for (guint i = 0; i < self->n_files; i++)
    {
      if (self->files[i].path != NULL)
        g_unlink (self->files[i].path);
      g_free (self->files[i].path);
      g_free (self->files[i].sha256);
      g_clear_pointer (&self->files[i].bytes, g_bytes_unref);
    }
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_clear_pointer (&self->report, _vigil_bundle_report_free);
  g_clear_pointer (&self->masker, vigil_masker_unref);
  g_free (self->data_dir);
  g_free (self->filter.identity);
  g_free (self->filter.connection);
  g_free (self->first_prev_hash);
  g_free (self->last_hash);
  g_free (self->created);
  g_free (self->install_id);
  g_free (self->fingerprint);
}

static void
export_init (Export                  *self,
             const char              *data_dir,
             const VigilBundleFilter *filter)
{
  guint8 key[VIGIL_MASK_KEY_LEN];

  self->data_dir = g_strdup (data_dir);
  if (filter != NULL)
    {
      self->filter.since_us = filter->since_us;
      self->filter.until_us = filter->until_us;
      self->filter.identity = g_strdup (filter->identity);
      self->filter.connection = g_strdup (filter->connection);
    }
  if (self->filter.until_us <= 0)
    self->filter.until_us = G_MAXINT64;
  self->now_us = g_get_real_time ();
  self->created = _vigil_bundle_time_string (self->now_us);
  self->report = _vigil_bundle_report_new ();
  /* Redaction names the kind and never uses the key: a throwaway one will do. */
  RAND_bytes (key, sizeof key);
  self->masker = vigil_masker_new (key);
}

/* Public API */

gboolean
vigil_bundle_export (const char               *data_dir,
                     const VigilBundleFilter  *filter,
                     const char               *out_path,
                     VigilBundleProgress       progress,
                     gpointer                  user_data,
                     GCancellable             *cancellable,
                     VigilBundleSummary      **out_summary,
                     GError                  **error)
{
  Export self = { 0 };
  gboolean ok;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (out_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  export_init (&self, data_dir, filter);
  self.progress = progress;
  self.progress_data = user_data;
  self.cancellable = cancellable;
  ok = read_snapshot (&self, out_path, error) && sign_and_write (&self, out_path, error);
  if (ok)
    report_progress (&self, "done", 1.0);
  if (ok && out_summary != NULL)
    *out_summary = make_summary (&self);
  export_clear (&self);
  return ok;
}
