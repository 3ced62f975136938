/* vigil-mask.c: masking strategies over detector matches and whole column values.
 *
 * A VigilMasker holds only the per-install HMAC key and never changes after it is made,
 * so every thread may share one. vigil_mask_text() appends to OUT only when a detector
 * matched: the common case (nothing sensitive) allocates nothing and copies nothing.
 *
 * Match boundaries always fall on ASCII bytes or the end of the value, and the strategies
 * write ASCII or whole UTF-8 characters, so UTF-8 input gives UTF-8 output. Each masked
 * match grows the value by at most VIGIL_MASK_MAX_GROWTH bytes (a hashed email, shortest).
 *
 * `null` inside a longer text cannot null a part of a value: it redacts the match there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "vigil-mask.h"
#include "vigil-types.h"

#define HASH_HEX_LEN   16          /* 64 bits of HMAC: collisions stay rare past 10^8 values */
#define HASH_EMAIL_DOMAIN "@masked.invalid"
#define KEY_FILE_NAME  "mask.key"

struct _VigilMasker {
  guint8 key[VIGIL_MASK_KEY_LEN];
};

static const char * const strategy_names[] = { "redact", "partial", "hash", "null" };

static const char * const redact_labels[VIGIL_N_DETECTORS] = {
  "[redacted]", "[email]", "[card]", "[ssn]", "[iban]", "[phone]", "[jwt]", "[private-key]",
  "[cloud-key]", "[password]", "[secret]",
};

static const char * const hash_prefixes[VIGIL_N_DETECTORS] = {
  "h_", "u_", "card_", "ssn_", "iban_", "phone_", "jwt_", "pkey_", "key_", "pw_", "tok_",
};

/* Helpers */

static void
masker_clear (gpointer data)
{
  VigilMasker *self = data;

  OPENSSL_cleanse (self->key, sizeof self->key);
}

static gboolean
is_alnum_byte (char c)
{
  return g_ascii_isalnum (c);
}

/* Equal values for a join hash the same: card and phone separators, email case. */
static void
normalize (VigilDetector  kind,
           const char    *in,
           gsize          len,
           GString       *norm)
{
  for (gsize i = 0; i < len; i++)
    {
      switch (kind)
        {
        case VIGIL_DETECTOR_EMAIL:
          g_string_append_c (norm, g_ascii_tolower (in[i]));
          break;
        case VIGIL_DETECTOR_CARD:
        case VIGIL_DETECTOR_SSN:
        case VIGIL_DETECTOR_PHONE:
        case VIGIL_DETECTOR_IBAN:
          if (is_alnum_byte (in[i]))
            g_string_append_c (norm, g_ascii_toupper (in[i]));
          break;
        default:
          g_string_append_c (norm, in[i]);
          break;
        }
    }
}

static void
append_hash (VigilMasker   *self,
             VigilDetector  kind,
             const char    *in,
             gsize          len,
             GString       *out)
{
  static const char hex[] = "0123456789abcdef";
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  g_autoptr(GString) norm = g_string_sized_new (len + 16);

  /* The kind is part of the message: the same digits as a card and as a phone differ. */
  g_string_append (norm, vigil_detector_to_string (kind));
  g_string_append_c (norm, '\0');
  normalize (kind, in, len, norm);
  if (HMAC (EVP_sha256 (), self->key, sizeof self->key, (const guint8 *) norm->str, norm->len,
            mac, &mac_len) == NULL)
    g_error ("HMAC-SHA-256 failed");
  g_string_append (out, hash_prefixes[kind]);
  for (guint i = 0; i < HASH_HEX_LEN / 2; i++)
    {
      g_string_append_c (out, hex[mac[i] >> 4]);
      g_string_append_c (out, hex[mac[i] & 0xf]);
    }
  if (kind == VIGIL_DETECTOR_EMAIL)
    g_string_append (out, HASH_EMAIL_DOMAIN);
}

/* Digits (and letters after SKIP bytes) become '*' except the last KEEP; the rest stays. */
static void
append_keep_last (const char *in,
                  gsize       len,
                  gsize       skip,
                  guint       keep,
                  GString    *out)
{
  guint total = 0, seen = 0;

  for (gsize i = skip; i < len; i++)
    total += is_alnum_byte (in[i]);
  g_string_append_len (out, in, (gssize) MIN (skip, len));
  for (gsize i = skip; i < len; i++)
    {
      if (!is_alnum_byte (in[i]))
        g_string_append_c (out, in[i]);
      else
        g_string_append_c (out, ++seen + keep > total ? in[i] : '*');
    }
}

static void
append_partial_email (const char *in,
                      gsize       len,
                      GString    *out)
{
  const char *at = memchr (in, '@', len);
  const char *first_end;

  if (at == NULL || at == in || !g_utf8_validate_len (in, (gsize) (at - in), NULL))
    {
      g_string_append (out, "***");
      return;
    }
  first_end = g_utf8_next_char (in);
  g_string_append_len (out, in, first_end - in);
  g_string_append (out, "***");
  g_string_append_len (out, at, (gssize) (len - (gsize) (at - in)));
}

static void
append_partial_generic (const char *in,
                        gsize       len,
                        GString    *out)
{
  const char *last;

  if (!g_utf8_validate_len (in, len, NULL) || g_utf8_strlen (in, (gssize) len) < 4)
    {
      g_string_append (out, "***");
      return;
    }
  last = g_utf8_find_prev_char (in, in + len);
  g_string_append_len (out, in, g_utf8_next_char (in) - in);
  g_string_append (out, "***");
  g_string_append_len (out, last, (gssize) (len - (gsize) (last - in)));
}

static void
append_prefix_stars (const char *in,
                     gsize       keep,
                     GString    *out)
{
  g_string_append_len (out, in, (gssize) keep);
  g_string_append (out, "***");
}

static void
append_partial (VigilDetector  kind,
                const char    *in,
                gsize          len,
                GString       *out)
{
  const char *end;

  switch (kind)
    {
    case VIGIL_DETECTOR_EMAIL:
      append_partial_email (in, len, out);
      break;
    case VIGIL_DETECTOR_CARD:
    case VIGIL_DETECTOR_SSN:
    case VIGIL_DETECTOR_PHONE:
      append_keep_last (in, len, 0, 4, out);
      break;
    case VIGIL_DETECTOR_IBAN:
      append_keep_last (in, len, MIN (len, 2), 4, out);
      break;
    case VIGIL_DETECTOR_CLOUD_KEY:
      append_prefix_stars (in, vigil_detect_key_prefix_len (in, len), out);
      break;
    case VIGIL_DETECTOR_JWT:
      end = memchr (in, '.', len);
      append_prefix_stars (in, end != NULL ? (gsize) (end - in) + 1 : 0, out);
      break;
    case VIGIL_DETECTOR_PRIVATE_KEY:
      /* The BEGIN line says which kind of key it was. */
      end = len > 11 ? g_strstr_len (in + 11, (gssize) (len - 11), "-----") : NULL;
      append_prefix_stars (in, end != NULL ? (gsize) (end - in) + 5 : 0, out);
      break;
    case VIGIL_DETECTOR_ENTROPY:
      append_prefix_stars (in, MIN (len / 5, 4), out);
      break;
    case VIGIL_DETECTOR_PASSWORD:
      g_string_append (out, "***");
      break;
    case VIGIL_DETECTOR_GENERIC:
    case VIGIL_N_DETECTORS:
    default:
      append_partial_generic (in, len, out);
      break;
    }
}

static void
append_masked (VigilMasker       *self,
               VigilDetector      kind,
               VigilMaskStrategy  strategy,
               const char        *in,
               gsize              len,
               GString           *out)
{
  switch (strategy)
    {
    case VIGIL_MASK_PARTIAL:
      append_partial (kind, in, len, out);
      break;
    case VIGIL_MASK_HASH:
      append_hash (self, kind, in, len, out);
      break;
    case VIGIL_MASK_REDACT:
    case VIGIL_MASK_NULL:
    default:
      g_string_append (out, redact_labels[kind]);
      break;
    }
}

/* Key file */

static gboolean
read_key (const char  *path,
          guint8       out_key[VIGIL_MASK_KEY_LEN],
          GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  if (len != VIGIL_MASK_KEY_LEN)
    {
      OPENSSL_cleanse (contents, len);
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "%s: expected %d bytes, found %" G_GSIZE_FORMAT, path, VIGIL_MASK_KEY_LEN, len);
      return FALSE;
    }
  memcpy (out_key, contents, VIGIL_MASK_KEY_LEN);
  OPENSSL_cleanse (contents, len);
  return TRUE;
}

static gboolean
write_new_key (const char  *path,
               guint8       out_key[VIGIL_MASK_KEY_LEN],
               GError     **error)
{
  int fd, saved;
  gboolean ok;

  if (RAND_bytes (out_key, VIGIL_MASK_KEY_LEN) != 1)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "RAND_bytes failed: no entropy");
      return FALSE;
    }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      OPENSSL_cleanse (out_key, VIGIL_MASK_KEY_LEN);
      if (saved == EEXIST)  /* another process won the race: use its key */
        return read_key (path, out_key, error);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  ok = write (fd, out_key, VIGIL_MASK_KEY_LEN) == VIGIL_MASK_KEY_LEN && fsync (fd) == 0;
  saved = errno;
  close (fd);
  if (!ok)
    {
      g_unlink (path);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
    }
  return ok;
}

/* Public API */

VigilMasker *
vigil_masker_new (const guint8 key[VIGIL_MASK_KEY_LEN])
{
  VigilMasker *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_atomic_rc_box_new0 (VigilMasker);
  memcpy (self->key, key, VIGIL_MASK_KEY_LEN);
  return self;
}

VigilMasker *
vigil_masker_ref (VigilMasker *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
vigil_masker_unref (VigilMasker *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, masker_clear);
}

const char *
vigil_mask_strategy_to_string (VigilMaskStrategy strategy)
{
  g_return_val_if_fail ((guint) strategy < G_N_ELEMENTS (strategy_names), NULL);
  return strategy_names[strategy];
}

gboolean
vigil_mask_strategy_from_string (const char        *name,
                                 VigilMaskStrategy *out_strategy)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (strategy_names); i++)
    if (strcmp (name, strategy_names[i]) == 0)
      {
        if (out_strategy != NULL)
          *out_strategy = (VigilMaskStrategy) i;
        return TRUE;
      }
  return FALSE;
}

/* Appends IN with every match masked to OUT and returns TRUE; returns FALSE and leaves OUT
 * alone when nothing matched. OUT_COUNT (may be NULL) gets the number of matches. */
gboolean
vigil_mask_text (VigilMasker       *self,
                 const char        *in,
                 gsize              len,
                 VigilDetectorSet   detectors,
                 VigilMaskStrategy  strategy,
                 GString           *out,
                 guint             *out_count)
{
  VigilDetectIter iter;
  VigilMatch m;
  gsize copied = 0;
  guint count = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (in != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  vigil_detect_iter_init (&iter, in, len, detectors);
  while (vigil_detect_iter_next (&iter, &m))
    {
      count++;
      g_string_append_len (out, in + copied, (gssize) (m.start - copied));
      append_masked (self, m.kind, strategy, in + m.start, m.len, out);
      copied = m.start + m.len;
    }
  if (count > 0)
    g_string_append_len (out, in + copied, (gssize) (len - copied));
  if (out_count != NULL)
    *out_count = count;
  return count > 0;
}

/* Appends the masked form of a whole value to OUT and returns TRUE, or returns FALSE when
 * the value must become SQL NULL (strategy null). A GENERIC value that is exactly one
 * detector match (a column rule on an email column) is masked as that kind. */
gboolean
vigil_mask_whole_value (VigilMasker       *self,
                        const char        *in,
                        gsize              len,
                        VigilDetector      kind,
                        VigilMaskStrategy  strategy,
                        GString           *out)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (in != NULL || len == 0, FALSE);
  g_return_val_if_fail (kind < VIGIL_N_DETECTORS, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (strategy == VIGIL_MASK_NULL)
    return FALSE;
  if (kind == VIGIL_DETECTOR_GENERIC && strategy != VIGIL_MASK_REDACT)
    {
      VigilDetectIter iter;
      VigilMatch m;

      vigil_detect_iter_init (&iter, in, len, VIGIL_DETECT_ALL);
      if (vigil_detect_iter_next (&iter, &m) && m.start == 0 && m.len == len)
        kind = m.kind;
    }
  append_masked (self, kind, strategy, in, len, out);
  return TRUE;
}

/* DATA_DIR/mask.key: 32 random bytes, mode 0600, made on first use. */
gboolean
vigil_mask_load_or_create_key (const char  *data_dir,
                               guint8       out_key[VIGIL_MASK_KEY_LEN],
                               GError     **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (data_dir != NULL, FALSE);
  g_return_val_if_fail (out_key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", data_dir,
                   g_strerror (saved));
      return FALSE;
    }
  path = g_build_filename (data_dir, KEY_FILE_NAME, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return read_key (path, out_key, error);
  return write_new_key (path, out_key, error);
}
