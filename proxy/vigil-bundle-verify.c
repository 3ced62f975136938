/* vigil-bundle-verify.c: `vigilctl audit verify-bundle`, with nothing but the file.
 *
 * One streaming pass over the archive hashes every member and re-hashes every record;
 * the verdict then follows the order of trust: the signature over manifest.json (with
 * the key inside), the key's fingerprint as the manifest states it, each file's SHA-256
 * and size, then the chain inside records.jsonl and its ends as the manifest states them.
 * So a changed byte is reported where it first shows, and a re-signed bundle (someone
 * with the install's key) still fails on the chain unless every hash was recomputed,
 * which only a bundle the auditor already holds (--continues) or the key's fingerprint
 * (--expect-key) can expose.
 *
 * With an earlier bundle, the earlier one is read first and the hashes of its entries
 * kept (64 bytes an entry), so the later one is compared entry by entry as it streams.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <glib/gstdio.h>
#include <archive_entry.h>

#include "vigil-bundle-private.h"

#define READ_BLOCK (64 * 1024)

typedef struct
{
  gint64   first;   /* the id whose hash is slot 0: the earlier bundle's first_id - 1 */
  gint64   last;
  GString *hashes;  /* VIGIL_AUDIT_HEX_LEN bytes a slot, no separators */
} Trail;

typedef struct
{
  char       *name;
  EVP_MD_CTX *ctx;
  char       *sha256;
  gint64      size;
  GByteArray *bytes;   /* manifest, signature and key only */
} Member;

typedef struct
{
  /* members, in archive order */
  GPtrArray  *members;

  /* records.jsonl as it streams */
  JsonParser *parser;
  GString    *partial;
  gint64      lines;
  gint64      first_id;
  gint64      last_id;
  gint64      full;
  char       *first_prev_hash;
  char       *prev_hash;
  char       *chain_error;

  /* --continues */
  Trail      *collect;       /* filled while reading the earlier bundle */
  const Trail *compare;      /* checked while reading the later one */
  char       *continue_error;
} Reader;

/* Helpers */

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;
  char *message;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_INVALID, message);
  g_free (message);
  return FALSE;
}

static void
chain_error (Reader     *self,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
chain_error (Reader     *self,
             const char *format,
             ...)
{
  va_list args;

  if (self->chain_error != NULL)
    return;
  va_start (args, format);
  self->chain_error = g_strdup_vprintf (format, args);
  va_end (args);
}

static gboolean
is_hash (const char *hex)
{
  if (hex == NULL || strlen (hex) != VIGIL_AUDIT_HEX_LEN)
    return FALSE;
  for (const char *p = hex; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static void
member_free (gpointer data)
{
  Member *m = data;

  g_free (m->name);
  if (m->ctx != NULL)
    EVP_MD_CTX_free (m->ctx);
  g_free (m->sha256);
  if (m->bytes != NULL)
    g_byte_array_unref (m->bytes);
  g_free (m);
}

static Member *
find_member (Reader     *self,
             const char *name)
{
  for (guint i = 0; i < self->members->len; i++)
    {
      Member *m = self->members->pdata[i];

      if (strcmp (m->name, name) == 0)
        return m;
    }
  return NULL;
}

static void
trail_free (Trail *trail)
{
  g_string_free (trail->hashes, TRUE);
  g_free (trail);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Trail, trail_free)

static const char *
trail_at (const Trail *trail,
          gint64       id,
          char        *buf)
{
  if (id < trail->first || id > trail->last)
    return NULL;
  memcpy (buf, trail->hashes->str + (id - trail->first) * VIGIL_AUDIT_HEX_LEN,
          VIGIL_AUDIT_HEX_LEN);
  buf[VIGIL_AUDIT_HEX_LEN] = '\0';
  return buf;
}

/* --continues: HASH is entry ID's hash as the later bundle has it. */
static void
compare_trail (Reader     *self,
               gint64      id,
               const char *hash)
{
  char buf[VIGIL_AUDIT_HEX_LEN + 1];
  const char *earlier;

  if (self->compare == NULL || self->continue_error != NULL
      || (earlier = trail_at (self->compare, id, buf)) == NULL)
    return;
  if (strcmp (earlier, hash) != 0)
    self->continue_error = g_strdup_printf ("entry %" G_GINT64_FORMAT " differs from the "
                                            "earlier bundle's (the log was rewritten between "
                                            "them)", id);
}

/* records.jsonl, line by line */

static void
link_line (Reader                *self,
           const VigilBundleLine *line)
{
  char computed[VIGIL_AUDIT_HEX_LEN + 1];

  if (self->lines == 1)
    {
      self->first_id = line->id;
      self->first_prev_hash = g_strdup (line->prev_hash);
      compare_trail (self, line->id - 1, line->prev_hash);
    }
  else if (line->id != self->last_id + 1)
    return chain_error (self, "entry %" G_GINT64_FORMAT ": out of sequence after entry %"
                        G_GINT64_FORMAT " (an entry was removed, added or moved)", line->id,
                        self->last_id);
  else if (g_strcmp0 (line->prev_hash, self->prev_hash) != 0)
    return chain_error (self, "entry %" G_GINT64_FORMAT ": prev_hash does not match the hash "
                        "of entry %" G_GINT64_FORMAT, line->id, self->last_id);
  if (!is_hash (line->prev_hash) || !is_hash (line->hash))
    return chain_error (self, "entry %" G_GINT64_FORMAT ": a hash is not 64 lowercase hex "
                        "digits", line->id);
  if (!line->redacted
      && (!_vigil_audit_entry_hash (&line->entry, line->prev_hash, computed)
          || strcmp (computed, line->hash) != 0))
    return chain_error (self, "entry %" G_GINT64_FORMAT ": hash mismatch (its content was "
                        "changed)", line->id);
  self->full += line->redacted ? 0 : 1;
  self->last_id = line->id;
  g_free (self->prev_hash);
  self->prev_hash = g_strdup (line->hash);
  compare_trail (self, line->id, line->hash);
  if (self->collect != NULL)
    g_string_append_len (self->collect->hashes, line->hash, VIGIL_AUDIT_HEX_LEN);
}

static void
check_line (Reader     *self,
            const char *text,
            gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  VigilBundleLine line = { 0 };
  JsonNode *root;

  self->lines++;
  if (self->chain_error != NULL)
    return;
  if (!json_parser_load_from_data (self->parser, text, (gssize) len, &error)
      || (root = json_parser_get_root (self->parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return chain_error (self, "line %" G_GINT64_FORMAT ": not a JSON object", self->lines);
  if (!_vigil_bundle_line_parse (json_node_get_object (root), &line, &reason))
    chain_error (self, "line %" G_GINT64_FORMAT ": %s", self->lines, reason);
  else
    link_line (self, &line);
  _vigil_bundle_line_clear (&line);
  g_clear_pointer (&line.scratch, g_ptr_array_unref);
}

static void
feed_records (Reader      *self,
              const char  *data,
              gsize        len)
{
  const char *end = data + len;

  while (data < end && self->chain_error == NULL)
    {
      const char *nl = memchr (data, '\n', end - data);

      if (nl == NULL)
        {
          if (self->partial->len + (end - data) > VIGIL_BUNDLE_MAX_LINE)
            return chain_error (self, "line %" G_GINT64_FORMAT ": longer than %d bytes",
                                self->lines + 1, VIGIL_BUNDLE_MAX_LINE);
          g_string_append_len (self->partial, data, end - data);
          return;
        }
      if (self->partial->len > 0)
        {
          g_string_append_len (self->partial, data, nl - data);
          check_line (self, self->partial->str, self->partial->len);
          g_string_truncate (self->partial, 0);
        }
      else
        {
          check_line (self, data, nl - data);
        }
      data = nl + 1;
    }
}

/* The archive */

static gboolean
is_known (const char *name)
{
  static const char *const names[] = {
    VIGIL_BUNDLE_MANIFEST, VIGIL_BUNDLE_SIGNATURE, VIGIL_BUNDLE_PUBLIC_KEY,
    VIGIL_BUNDLE_RECORDS, VIGIL_BUNDLE_APPROVALS, VIGIL_BUNDLE_POLICIES, VIGIL_BUNDLE_REPORT,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static Member *
begin_member (Reader                *self,
              struct archive_entry  *entry,
              GError               **error)
{
  const char *name = archive_entry_pathname (entry);
  Member *m;

  if (name == NULL || !is_known (name))
    return invalid (error, "%s: not a file a bundle holds", name != NULL ? name : "(unnamed)"),
           NULL;
  if (archive_entry_filetype (entry) != AE_IFREG)
    return invalid (error, "%s: not a regular file", name), NULL;
  if (find_member (self, name) != NULL)
    return invalid (error, "%s: present twice", name), NULL;
  m = g_new0 (Member, 1);
  m->name = g_strdup (name);
  m->ctx = EVP_MD_CTX_new ();
  EVP_DigestInit_ex (m->ctx, EVP_sha256 (), NULL);
  if (strcmp (name, VIGIL_BUNDLE_MANIFEST) == 0 || strcmp (name, VIGIL_BUNDLE_SIGNATURE) == 0
      || strcmp (name, VIGIL_BUNDLE_PUBLIC_KEY) == 0)
    m->bytes = g_byte_array_new ();
  g_ptr_array_add (self->members, m);
  return m;
}

static gboolean
read_member (Reader          *self,
             struct archive  *a,
             Member          *m,
             guint8          *block,
             GError         **error)
{
  gboolean records = strcmp (m->name, VIGIL_BUNDLE_RECORDS) == 0;
  la_ssize_t n;

  while ((n = archive_read_data (a, block, READ_BLOCK)) > 0)
    {
      EVP_DigestUpdate (m->ctx, block, (gsize) n);
      m->size += n;
      if (m->bytes != NULL && m->size > VIGIL_BUNDLE_MAX_SMALL)
        return invalid (error, "%s: larger than %d bytes", m->name, VIGIL_BUNDLE_MAX_SMALL);
      if (m->bytes != NULL)
        g_byte_array_append (m->bytes, block, (guint) n);
      if (records)
        feed_records (self, (const char *) block, (gsize) n);
    }
  if (n < 0)
    return invalid (error, "%s: cannot be read: %s", m->name, archive_error_string (a));
  if (records && self->partial->len > 0)
    chain_error (self, "line %" G_GINT64_FORMAT ": not terminated (the file was cut)",
                 self->lines + 1);
  m->sha256 = _vigil_bundle_sha256_hex (m->ctx);
  return TRUE;
}

static gboolean
read_archive (Reader      *self,
              const char  *path,
              GError     **error)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *entry;
  g_autofree guint8 *block = g_malloc (READ_BLOCK);
  gboolean ok = TRUE;
  int rc;

  archive_read_support_filter_gzip (a);
  archive_read_support_format_tar (a);
  if (g_access (path, R_OK) != 0 || g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      int saved_errno = g_file_test (path, G_FILE_TEST_IS_DIR) ? EISDIR : errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot open %s: %s", path, g_strerror (saved_errno));
      archive_read_free (a);
      return FALSE;
    }
  /* Readable, so a failure from here on is the bundle's. */
  if (archive_read_open_filename (a, path, READ_BLOCK) != ARCHIVE_OK)
    {
      invalid (error, "not a gzip-compressed tar bundle: %s", archive_error_string (a));
      archive_read_free (a);
      return FALSE;
    }
  while (ok && (rc = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      Member *m = begin_member (self, entry, error);

      ok = m != NULL && read_member (self, a, m, block, error);
    }
  if (ok && rc != ARCHIVE_EOF)
    ok = invalid (error, "not a gzip-compressed tar bundle: %s", archive_error_string (a));
  archive_read_free (a);
  return ok;
}

/* The verdict */

static const char *
object_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
object_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (node);
}

static JsonObject *
object_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static Member *
require (Reader      *self,
         const char  *name,
         GError     **error)
{
  Member *m = find_member (self, name);

  if (m == NULL)
    invalid (error, "%s: missing", name);
  return m;
}

static JsonNode *
check_signature (Reader  *self,
                 char   **out_fingerprint,
                 GError **error)
{
  Member *manifest, *signature, *key_file;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  EVP_PKEY *key;
  gboolean ok;

  if ((manifest = require (self, VIGIL_BUNDLE_MANIFEST, error)) == NULL
      || (signature = require (self, VIGIL_BUNDLE_SIGNATURE, error)) == NULL
      || (key_file = require (self, VIGIL_BUNDLE_PUBLIC_KEY, error)) == NULL
      || (key = _vigil_bundle_public_from_pem ((const char *) key_file->bytes->data,
                                               key_file->bytes->len, error)) == NULL)
    return NULL;
  ok = _vigil_bundle_signature_ok (key, manifest->bytes->data, manifest->bytes->len,
                                   signature->bytes->data, signature->bytes->len);
  *out_fingerprint = _vigil_bundle_fingerprint (key);
  EVP_PKEY_free (key);
  if (!ok)
    return invalid (error, VIGIL_BUNDLE_SIGNATURE ": bad signature (manifest.json was changed, "
                    "or signed with another key than public-key.pem)"), NULL;
  if (!json_parser_load_from_data (parser, (const char *) manifest->bytes->data,
                                   (gssize) manifest->bytes->len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return invalid (error, VIGIL_BUNDLE_MANIFEST ": not a JSON object"), NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (object_string (root, "format"), VIGIL_BUNDLE_FORMAT) != 0
      || object_int (root, "version") != VIGIL_BUNDLE_VERSION)
    return invalid (error, VIGIL_BUNDLE_MANIFEST ": not a version %d Vigil audit bundle",
                    VIGIL_BUNDLE_VERSION), NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static gboolean
check_files (Reader      *self,
             JsonObject  *manifest,
             GError     **error)
{
  JsonObject *files = object_object (manifest, "files");
  static const char *const required[] = { VIGIL_BUNDLE_PUBLIC_KEY, VIGIL_BUNDLE_RECORDS };

  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    if (object_object (files, required[i]) == NULL)
      return invalid (error, "%s: not listed in the manifest", required[i]);
  for (guint i = 0; i < self->members->len; i++)
    {
      Member *m = self->members->pdata[i];
      JsonObject *listed = object_object (files, m->name);

      if (strcmp (m->name, VIGIL_BUNDLE_MANIFEST) == 0 || strcmp (m->name, VIGIL_BUNDLE_SIGNATURE) == 0)
        continue;
      if (listed == NULL)
        return invalid (error, "%s: not listed in the manifest", m->name);
      if (g_strcmp0 (object_string (listed, "sha256"), m->sha256) != 0
          || object_int (listed, "size") != m->size)
        return invalid (error, "%s: SHA-256 differs from the manifest (the file was changed)",
                        m->name);
    }
  if (json_object_get_size (files) + 2 != self->members->len)
    {
      g_autoptr(GList) names = json_object_get_members (files);

      for (GList *l = names; l != NULL; l = l->next)
        if (find_member (self, l->data) == NULL)
          return invalid (error, "%s: listed in the manifest but missing", (char *) l->data);
    }
  return TRUE;
}

static gboolean
check_chain_ends (Reader      *self,
                  JsonObject  *manifest,
                  GError     **error)
{
  JsonObject *entries = object_object (manifest, "entries");

  if (self->chain_error != NULL)
    return invalid (error, VIGIL_BUNDLE_RECORDS ": %s", self->chain_error);
  if (self->lines == 0)
    return invalid (error, VIGIL_BUNDLE_RECORDS ": no entries");
  if (object_int (entries, "first_id") != self->first_id
      || g_strcmp0 (object_string (entries, "first_prev_hash"), self->first_prev_hash) != 0)
    return invalid (error, VIGIL_BUNDLE_RECORDS ": the chain does not start where the manifest "
                    "says (entry %" G_GINT64_FORMAT ")", object_int (entries, "first_id"));
  if (object_int (entries, "last_id") != self->last_id
      || g_strcmp0 (object_string (entries, "last_hash"), self->prev_hash) != 0
      || object_int (entries, "count") != self->lines)
    return invalid (error, VIGIL_BUNDLE_RECORDS ": the chain does not end where the manifest "
                    "says (entry %" G_GINT64_FORMAT ")", object_int (entries, "last_id"));
  if (object_int (entries, "full") != self->full)
    return invalid (error, VIGIL_BUNDLE_RECORDS ": %" G_GINT64_FORMAT " entries in full, the "
                    "manifest says %" G_GINT64_FORMAT, self->full, object_int (entries, "full"));
  return TRUE;
}

static VigilBundleSummary *
make_summary (Reader     *self,
              JsonObject *manifest,
              char       *fingerprint)
{
  VigilBundleSummary *summary = g_new0 (VigilBundleSummary, 1);

  summary->entries = self->lines;
  summary->matching = self->full;
  summary->first_id = self->first_id;
  summary->last_id = self->last_id;
  summary->first_prev_hash = g_strdup (self->first_prev_hash);
  summary->last_hash = g_strdup (self->prev_hash);
  summary->fingerprint = fingerprint;
  summary->install_id = g_strdup (object_string (manifest, "install_id"));
  summary->created = g_strdup (object_string (manifest, "created"));
  return summary;
}

static void
reader_clear (Reader *self)
{
  g_ptr_array_unref (self->members);
  g_object_unref (self->parser);
  g_string_free (self->partial, TRUE);
  g_free (self->first_prev_hash);
  g_free (self->prev_hash);
  g_free (self->chain_error);
  g_free (self->continue_error);
}

/* One bundle alone. COLLECT, when given, receives its entries' hashes; COMPARE, when
 * given, is checked against them and *OUT_CONTINUE_ERROR says where they part. */
static VigilBundleSummary *
verify_one (const char   *path,
            Trail        *collect,
            const Trail  *compare,
            char        **out_continue_error,
            GError      **error)
{
  Reader self = { 0 };
  g_autoptr(JsonNode) manifest = NULL;
  g_autofree char *fingerprint = NULL;
  VigilBundleSummary *summary = NULL;

  self.members = g_ptr_array_new_with_free_func (member_free);
  self.parser = json_parser_new_immutable ();
  self.partial = g_string_new (NULL);
  self.collect = collect;
  self.compare = compare;
  if (read_archive (&self, path, error)
      && (manifest = check_signature (&self, &fingerprint, error)) != NULL
      && (g_strcmp0 (object_string (object_object (json_node_get_object (manifest),
                                                   "public_key"), "fingerprint"), fingerprint) == 0
          || invalid (error, VIGIL_BUNDLE_PUBLIC_KEY ": its fingerprint differs from the "
                      "manifest's"))
      && check_files (&self, json_node_get_object (manifest), error)
      && check_chain_ends (&self, json_node_get_object (manifest), error))
    {
      summary = make_summary (&self, json_node_get_object (manifest),
                              g_steal_pointer (&fingerprint));
      if (collect != NULL)
        collect->first = self.first_id - 1, collect->last = self.last_id;
      if (out_continue_error != NULL)
        *out_continue_error = g_steal_pointer (&self.continue_error);
    }
  reader_clear (&self);
  return summary;
}

/* Both are valid and signed by one key; LATER must extend EARLIER's chain. */
static gboolean
check_continues (const VigilBundleSummary *earlier,
                 const VigilBundleSummary *later,
                 const char               *mismatch,
                 GError                  **error)
{
  if (g_strcmp0 (earlier->fingerprint, later->fingerprint) != 0)
    {
      g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_KEY,
                   "signed by a different key than the earlier bundle: earlier %s, this %s",
                   earlier->fingerprint, later->fingerprint);
      return FALSE;
    }
  if (later->first_id > earlier->last_id + 1)
    mismatch = "there is a gap after the earlier bundle's last entry";
  else if (later->last_id < earlier->last_id)
    mismatch = "it ends before the earlier bundle does";
  if (mismatch == NULL)
    return TRUE;
  g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_DISCONTINUOUS,
               "does not continue the earlier bundle (entries %" G_GINT64_FORMAT "..%"
               G_GINT64_FORMAT "; this one %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT "): %s",
               earlier->first_id, earlier->last_id, later->first_id, later->last_id, mismatch);
  return FALSE;
}

static VigilBundleSummary *
verify_continues (const char  *path,
                  const char  *earlier_path,
                  GError     **error)
{
  g_autoptr(Trail) trail = g_new0 (Trail, 1);
  g_autoptr(VigilBundleSummary) earlier = NULL;
  g_autoptr(VigilBundleSummary) later = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *mismatch = NULL;

  trail->hashes = g_string_new (NULL);
  if ((earlier = verify_one (earlier_path, trail, NULL, NULL, &local_error)) == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code, "the earlier bundle %s: %s",
                   earlier_path, local_error->message);
      return NULL;
    }
  /* Slot 0 is the hash before the first entry. */
  g_string_prepend_len (trail->hashes, earlier->first_prev_hash, VIGIL_AUDIT_HEX_LEN);
  if ((later = verify_one (path, NULL, trail, &mismatch, error)) == NULL
      || !check_continues (earlier, later, mismatch, error))
    return NULL;
  later->continues_from = earlier->last_id;
  return g_steal_pointer (&later);
}

/* Public API */

gboolean
vigil_bundle_verify (const char          *path,
                     const char          *earlier_path,
                     const char          *expect_fingerprint,
                     VigilBundleSummary **out_summary,
                     GError             **error)
{
  g_autoptr(VigilBundleSummary) summary = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  summary = earlier_path != NULL ? verify_continues (path, earlier_path, error)
                                 : verify_one (path, NULL, NULL, NULL, error);
  if (summary == NULL)
    return FALSE;
  if (expect_fingerprint != NULL
      && g_ascii_strcasecmp (expect_fingerprint, summary->fingerprint) != 0)
    {
      g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_KEY,
                   "signed by %s, not by the expected key %s", summary->fingerprint,
                   expect_fingerprint);
      return FALSE;
    }
  if (out_summary != NULL)
    *out_summary = g_steal_pointer (&summary);
  return TRUE;
}
