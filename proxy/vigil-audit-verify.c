/* vigil-audit-verify.c: the chain's canonical encoding, audit.head, and the verifier.
 *
 * The writer (vigil-audit.c) and the verifier share the encoding below so that both
 * hash exactly the same bytes. See vigil-audit.c's top comment for the format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/evp.h>

#include "vigil-audit-private.h"
#include "vigil-audit-read.h"

#define HEAD_MAGIC      "vigil-audit-head 1"
#define ENCODING_DOMAIN "vigil-audit-entry-v1"

G_DEFINE_QUARK (vigil-audit-verify-error-quark, vigil_audit_verify_error)

typedef struct
{
  gint64  entries;
  char   *hash;
  gint64  first_bad_id;
  char   *reason;
} VerifyState;

/* Encoding */

/* Assignments, not memset: these run for every column of every entry. */
void
_vigil_audit_value_set_int (VigilAuditValue *value,
                            gint64           i)
{
  *value = (VigilAuditValue) { .type = 'I', .i = i };
}

void
_vigil_audit_value_set_text (VigilAuditValue *value,
                             const char      *text)
{
  if (text == NULL)
    *value = (VigilAuditValue) { .type = 'N' };
  else
    *value = (VigilAuditValue) { .type = 'T', .data = (const guint8 *) text,
                                 .len = strlen (text) };
}

void
_vigil_audit_entry_from_row (VigilAuditEntry *entry,
                             sqlite3_stmt    *stmt,
                             int              first)
{
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    {
      VigilAuditValue *value = &entry->v[i];
      int column = first + i;

      memset (value, 0, sizeof *value);
      switch (sqlite3_column_type (stmt, column))
        {
        case SQLITE_INTEGER:
          value->type = 'I';
          value->i = sqlite3_column_int64 (stmt, column);
          break;
        case SQLITE_FLOAT:
          value->type = 'F';
          value->f = sqlite3_column_double (stmt, column);
          break;
        case SQLITE_TEXT:
          value->type = 'T';
          value->data = sqlite3_column_text (stmt, column);
          value->len = sqlite3_column_bytes (stmt, column);
          break;
        case SQLITE_BLOB:
          value->type = 'B';
          value->data = sqlite3_column_blob (stmt, column);
          value->len = sqlite3_column_bytes (stmt, column);
          break;
        default:
          value->type = 'N';
        }
    }
}

static guint8 *
put_u64 (guint8  *out,
         guint64  v)
{
  guint64 be = GUINT64_TO_BE (v);

  memcpy (out, &be, sizeof be);
  return out + 8;
}

static gboolean
get_u64 (const guint8 **p,
         const guint8  *end,
         guint64       *out)
{
  guint64 be;

  if (end - *p < 8)
    return FALSE;
  memcpy (&be, *p, sizeof be);
  *p += 8;
  *out = GUINT64_FROM_BE (be);
  return TRUE;
}

static gsize
value_encoded_len (const VigilAuditValue *value)
{
  switch (value->type)
    {
    case 'I':
    case 'F':
      return 1 + 8;
    case 'T':
    case 'B':
      return 1 + 8 + value->len;
    default:
      return 1;
    }
}

static guint8 *
put_value (guint8                *out,
           const VigilAuditValue *value)
{
  guint64 bits;

  *out++ = (guint8) value->type;
  switch (value->type)
    {
    case 'I':
      return put_u64 (out, (guint64) value->i);
    case 'F':
      memcpy (&bits, &value->f, sizeof bits);
      return put_u64 (out, bits);
    case 'T':
    case 'B':
      out = put_u64 (out, value->len);
      if (value->len > 0)
        memcpy (out, value->data, value->len);
      return out + value->len;
    default:
      return out;
    }
}

gsize
_vigil_audit_entry_encoded_len (const VigilAuditEntry *entry)
{
  gsize len = 8;

  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    len += value_encoded_len (&entry->v[i]);
  return len;
}

void
_vigil_audit_entry_encode_to (const VigilAuditEntry *entry,
                              guint8                *out)
{
  out = put_u64 (out, VIGIL_AUDIT_N_FIELDS);
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    out = put_value (out, &entry->v[i]);
}

void
_vigil_audit_entry_encode (const VigilAuditEntry *entry,
                           GByteArray            *out)
{
  guint start = out->len;
  gsize len = _vigil_audit_entry_encoded_len (entry);

  g_assert (len <= G_MAXUINT - start);
  g_byte_array_set_size (out, start + (guint) len);
  _vigil_audit_entry_encode_to (entry, out->data + start);
}

/* Only what the writer produces: null, integer and text columns. */
static gboolean
get_value (const guint8    **p,
           const guint8     *end,
           VigilAuditValue  *value)
{
  guint64 n;

  *value = (VigilAuditValue) { .type = 'N' };
  if (*p >= end)
    return FALSE;
  value->type = (char) *(*p)++;
  switch (value->type)
    {
    case 'N':
      return TRUE;
    case 'I':
      if (!get_u64 (p, end, &n))
        return FALSE;
      value->i = (gint64) n;
      return TRUE;
    case 'T':
      if (!get_u64 (p, end, &n) || n > (guint64) (end - *p))
        return FALSE;
      value->data = *p;
      value->len = (gsize) n;
      *p += n;
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
_vigil_audit_entry_decode (const guint8    *data,
                           gsize            len,
                           VigilAuditEntry *entry)
{
  const guint8 *p = data;
  const guint8 *end = data + len;
  guint64 n_fields = 0;

  if (!get_u64 (&p, end, &n_fields) || n_fields != VIGIL_AUDIT_N_FIELDS)
    return FALSE;
  for (int i = 0; i < VIGIL_AUDIT_N_FIELDS; i++)
    if (!get_value (&p, end, &entry->v[i]))
      return FALSE;
  return p == end;
}

/* One digest context a thread, kept: allocating one an entry costs more than hashing it. */
static GPrivate hash_ctx = G_PRIVATE_INIT ((GDestroyNotify) EVP_MD_CTX_free);

void
_vigil_audit_hash_encoded (const guint8 *prev,
                           const guint8 *encoded,
                           gsize         len,
                           guint8       *digest_out)
{
  static EVP_MD *sha256 = NULL;
  unsigned int digest_len = 0;
  EVP_MD_CTX *ctx = g_private_get (&hash_ctx);

  /* Fetched once: an implicit fetch on every init costs more than hashing an entry. */
  if (g_once_init_enter (&sha256))
    g_once_init_leave (&sha256, EVP_MD_fetch (NULL, "SHA256", NULL));
  if (ctx == NULL)
    {
      ctx = EVP_MD_CTX_new ();
      g_private_set (&hash_ctx, ctx);
    }
  EVP_DigestInit_ex (ctx, sha256, NULL);
  EVP_DigestUpdate (ctx, ENCODING_DOMAIN, sizeof ENCODING_DOMAIN);  /* with its NUL */
  EVP_DigestUpdate (ctx, prev, VIGIL_AUDIT_HASH_LEN);
  EVP_DigestUpdate (ctx, encoded, len);
  EVP_DigestFinal_ex (ctx, digest_out, &digest_len);
  g_assert (digest_len == VIGIL_AUDIT_HASH_LEN);
}

gboolean
_vigil_audit_hex_to_hash (const char *hex,
                          guint8     *out)
{
  if (hex == NULL || strlen (hex) != VIGIL_AUDIT_HEX_LEN)
    return FALSE;
  for (int i = 0; i < VIGIL_AUDIT_HASH_LEN; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0 || g_ascii_isupper (hex[2 * i]) || g_ascii_isupper (hex[2 * i + 1]))
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

void
_vigil_audit_hash_to_hex (const guint8 *hash,
                          char         *hex_out)
{
  static const char digits[] = "0123456789abcdef";

  for (int i = 0; i < VIGIL_AUDIT_HASH_LEN; i++)
    {
      hex_out[2 * i] = digits[hash[i] >> 4];
      hex_out[2 * i + 1] = digits[hash[i] & 0xf];
    }
  hex_out[VIGIL_AUDIT_HEX_LEN] = '\0';
}

gboolean
_vigil_audit_entry_hash (const VigilAuditEntry *entry,
                         const char            *prev_hex,
                         char                  *hex_out)
{
  g_autoptr(GByteArray) encoded = g_byte_array_sized_new (512);
  guint8 prev[VIGIL_AUDIT_HASH_LEN];
  guint8 digest[VIGIL_AUDIT_HASH_LEN];

  if (!_vigil_audit_hex_to_hash (prev_hex, prev))
    return FALSE;
  _vigil_audit_entry_encode (entry, encoded);
  _vigil_audit_hash_encoded (prev, encoded->data, encoded->len, digest);
  _vigil_audit_hash_to_hex (digest, hex_out);
  return TRUE;
}

/* audit.head */

/* Written after each commit through a rename, so a killed process leaves the old or the
 * new head. Not fsynced: it may only ever lag the log, and the log's own commit is the
 * durable record; an fsync here would double the cost of every batch. */
gboolean
_vigil_audit_head_write (const char  *data_dir,
                         gint64       entries,
                         const char  *hash_hex,
                         GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_HEAD_NAME, NULL);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autofree char *contents = NULL;

  contents = g_strdup_printf (HEAD_MAGIC "\nentries %" G_GINT64_FORMAT "\nhash %s\n",
                              entries, hash_hex);
  if (!g_file_set_contents_full (tmp, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, error))
    return FALSE;
  if (g_rename (tmp, path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot replace %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
_vigil_audit_head_read (const char  *data_dir,
                        gint64      *out_entries,
                        char       **out_hash_hex,
                        GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_HEAD_NAME, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint8 scratch[VIGIL_AUDIT_HASH_LEN];
  guint64 entries = 0;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  if (g_strv_length (lines) < 3
      || strcmp (lines[0], HEAD_MAGIC) != 0
      || !g_str_has_prefix (lines[1], "entries ")
      || !g_ascii_string_to_unsigned (lines[1] + 8, 10, 0, G_MAXINT64, &entries, NULL)
      || !g_str_has_prefix (lines[2], "hash ")
      || !_vigil_audit_hex_to_hash (lines[2] + 5, scratch))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "%s is malformed", path);
      return FALSE;
    }
  *out_entries = (gint64) entries;
  *out_hash_hex = g_strdup (lines[2] + 5);
  return TRUE;
}

/* Verification */

sqlite3 *
_vigil_audit_open_readonly (const char  *data_dir,
                            int          busy_timeout_ms,
                            GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_AUDIT_DB_NAME, NULL);
  sqlite3 *db = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      || sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot open the audit log %s: %s",
                   path, db != NULL ? sqlite3_errmsg (db) : "no such file");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, busy_timeout_ms);
  return db;
}

static gboolean
prepare (sqlite3       *db,
         const char    *sql,
         sqlite3_stmt **stmt,
         GError       **error)
{
  if (sqlite3_prepare_v2 (db, sql, -1, stmt, NULL) == SQLITE_OK)
    return TRUE;
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot read the audit log: %s",
               sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
bad (VerifyState *state,
     gint64       id,
     const char  *format,
     ...) G_GNUC_PRINTF (3, 4);

static gboolean
bad (VerifyState *state,
     gint64       id,
     const char  *format,
     ...)
{
  va_list args;

  state->first_bad_id = id;
  va_start (args, format);
  state->reason = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

/* One entry, in id order: contiguous id, prev link, recomputed hash. */
static gboolean
check_entry (VerifyState  *state,
             sqlite3_stmt *stmt)
{
  VigilAuditEntry entry;
  const char *prev_hash = (const char *) sqlite3_column_text (stmt, VIGIL_AUDIT_N_FIELDS);
  const char *hash = (const char *) sqlite3_column_text (stmt, VIGIL_AUDIT_N_FIELDS + 1);
  gint64 id = sqlite3_column_int64 (stmt, 0);
  gint64 expected = state->entries + 1;
  char computed[VIGIL_AUDIT_HEX_LEN + 1];

  if (id != expected)
    return bad (state, expected, "entry is missing (ids jump from %" G_GINT64_FORMAT
                " to %" G_GINT64_FORMAT ")", expected - 1, id);
  if (g_strcmp0 (prev_hash, state->hash) != 0)
    return bad (state, id, "prev_hash does not match the hash of entry %" G_GINT64_FORMAT
                " (entry inserted, removed, reordered or rehashed)", id - 1);
  _vigil_audit_entry_from_row (&entry, stmt, 0);
  if (!_vigil_audit_entry_hash (&entry, state->hash, computed) || g_strcmp0 (hash, computed) != 0)
    return bad (state, id, "content does not match its hash (entry edited or forged)");
  g_free (state->hash);
  state->hash = g_strdup (hash);
  state->entries = id;
  return TRUE;
}

static gboolean
walk_chain (sqlite3      *db,
            VerifyState  *state,
            GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean intact = TRUE;
  int rc;

  if (!prepare (db, "SELECT " VIGIL_AUDIT_CONTENT_COLUMNS ", prev_hash, hash"
                    " FROM audit_log ORDER BY id", &stmt, error))
    return FALSE;
  while (intact && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    intact = check_entry (state, stmt);
  if (intact && rc != SQLITE_DONE)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_STORE, "Cannot read the audit log: %s",
                   sqlite3_errmsg (db));
      intact = FALSE;
    }
  sqlite3_finalize (stmt);
  return intact;
}

/* The head as recorded elsewhere (checkpoint table or audit.head) against the chain. */
static gboolean
check_head (VerifyState *state,
            const char  *where,
            gint64       entries,
            const char  *hash,
            gboolean     may_lag)
{
  if (entries > state->entries)
    return bad (state, state->entries + 1, "the log ends at entry %" G_GINT64_FORMAT
                " but %s records %" G_GINT64_FORMAT " entries (newest entries removed)",
                state->entries, where, entries);
  if (entries < state->entries && !may_lag)
    return bad (state, entries + 1, "entries after the last one %s records (%"
                G_GINT64_FORMAT ")", where, entries);
  if (entries == state->entries && g_strcmp0 (hash, state->hash) != 0)
    return bad (state, entries, "the hash of entry %" G_GINT64_FORMAT " differs from %s",
                entries, where);
  return TRUE;
}

static gboolean
check_checkpoint (sqlite3      *db,
                  VerifyState  *state,
                  GError      **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *hash = NULL;
  gint64 entries = -1;

  if (!prepare (db, "SELECT entries, head_hash FROM audit_checkpoint WHERE id = 1",
                &stmt, error))
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      entries = sqlite3_column_int64 (stmt, 0);
      hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_finalize (stmt);
  if (entries < 0)
    return bad (state, 0, "the audit checkpoint is missing");
  return check_head (state, "the checkpoint table", entries, hash, FALSE);
}

/* audit.head is written after each commit, so it may lag the log by the batch that was
 * being committed when the process died; the entries it does cover must match. */
static gboolean
check_head_file (const char  *data_dir,
                 sqlite3     *db,
                 VerifyState *state)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *at = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 entries = 0;

  if (!_vigil_audit_head_read (data_dir, &entries, &hash, &local_error))
    {
      if (state->entries == 0 && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      return bad (state, 0, "%s (newest entries cannot be checked for removal)",
                  g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                  ? VIGIL_AUDIT_HEAD_NAME " is missing" : local_error->message);
    }
  if (entries >= state->entries)
    return check_head (state, VIGIL_AUDIT_HEAD_NAME, entries, hash, TRUE);
  if (entries == 0)
    return g_strcmp0 (hash, VIGIL_AUDIT_GENESIS_HEX) == 0
           || bad (state, 1, VIGIL_AUDIT_HEAD_NAME " does not start at the genesis");

  /* Lagging: the entry it names must be in the (already verified) chain. */
  if (sqlite3_prepare_v2 (db, "SELECT hash FROM audit_log WHERE id = ?", -1, &stmt, NULL)
      != SQLITE_OK)
    return bad (state, entries, "cannot read entry %" G_GINT64_FORMAT, entries);
  sqlite3_bind_int64 (stmt, 1, entries);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    at = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (g_strcmp0 (at, hash) != 0)
    return bad (state, entries, "the hash of entry %" G_GINT64_FORMAT " differs from "
                VIGIL_AUDIT_HEAD_NAME, entries);
  return TRUE;
}

/* Public API */

gboolean
vigil_audit_verify_full (const char  *data_dir,
                         gint64      *out_entries,
                         char       **out_head_hash,
                         gint64      *out_first_bad_id,
                         char       **out_reason,
                         GError     **error)
{
  VerifyState state = { 0, g_strdup (VIGIL_AUDIT_GENESIS_HEX), 0, NULL };
  GError *local_error = NULL;
  gboolean intact = FALSE;
  sqlite3 *db;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  db = _vigil_audit_open_readonly (data_dir, VIGIL_AUDIT_BUSY_TIMEOUT_MS, error);
  if (db == NULL)
    goto out;
  /* One read transaction: a snapshot even while the writer appends. */
  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  intact = walk_chain (db, &state, &local_error)
           && check_checkpoint (db, &state, &local_error)
           && check_head_file (data_dir, db, &state);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (db);

  if (local_error != NULL)
    g_propagate_error (error, local_error);
  else if (!intact)
    g_set_error (error, VIGIL_AUDIT_VERIFY_ERROR, VIGIL_AUDIT_VERIFY_ERROR_BROKEN,
                 "first bad record: id %" G_GINT64_FORMAT ": %s", state.first_bad_id,
                 state.reason);
out:
  if (out_entries != NULL)
    *out_entries = state.entries;
  if (out_head_hash != NULL)
    *out_head_hash = intact ? g_strdup (state.hash) : NULL;
  if (out_first_bad_id != NULL)
    *out_first_bad_id = state.first_bad_id;
  if (out_reason != NULL)
    *out_reason = g_steal_pointer (&state.reason);
  g_free (state.reason);
  g_free (state.hash);
  return intact;
}

gboolean
vigil_audit_verify (const char  *data_dir,
                    gint64      *out_entries,
                    gint64      *out_first_bad_id,
                    char       **out_reason,
                    GError     **error)
{
  return vigil_audit_verify_full (data_dir, out_entries, NULL, out_first_bad_id,
                                  out_reason, error);
}
