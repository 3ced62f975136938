/* vigil-bundle-key.c: the install's id and Ed25519 signing key, signatures, digests.
 *
 * Both files are made on first use and never replaced: a second writer racing the first
 * loses at link(2) and reads the winner's file, so one install never has two keys.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "vigil-bundle-private.h"

G_DEFINE_QUARK (vigil-bundle-error-quark, vigil_bundle_error)

/* Helpers */

static gboolean
openssl_failed (GError     **error,
                const char  *what)
{
  char buf[256] = "";

  ERR_error_string_n (ERR_get_error (), buf, sizeof buf);
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "%s: %s", what, buf);
  ERR_clear_error ();
  return FALSE;
}

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_strndup (data, (gsize) len);
}

/* Creates PATH with CONTENTS unless it exists; never replaces it. FALSE with
 * G_FILE_ERROR_EXIST when another process made it first. */
static gboolean
create_exclusive (const char  *path,
                  const char  *contents,
                  GError     **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.%d.%08x.tmp", path, (int) getpid (),
                                          g_random_int ());
  int saved_errno;

  if (!g_file_set_contents_full (tmp, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 error))
    return FALSE;
  if (link (tmp, path) == 0)
    {
      g_unlink (tmp);
      return TRUE;
    }
  saved_errno = errno;
  g_unlink (tmp);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "Cannot create %s: %s", path, g_strerror (saved_errno));
  return FALSE;
}

/* PATH's contents; when missing and FRESH is given, PATH is created with FRESH. */
static char *
read_or_create (const char  *path,
                const char  *fresh,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;

  if (g_file_get_contents (path, &contents, NULL, &local_error))
    return contents;
  if (fresh == NULL || !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_error (&local_error);
  if (create_exclusive (path, fresh, &local_error))
    return g_strdup (fresh);
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_EXIST))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_file_get_contents (path, &contents, NULL, error) ? contents : NULL;
}

/* Install id */

char *
_vigil_bundle_install_id (const char  *data_dir,
                          GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_BUNDLE_INSTALL_NAME, NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *fresh = g_strconcat (uuid, "\n", NULL);
  g_autofree char *contents = read_or_create (path, fresh, error);

  if (contents == NULL)
    return NULL;
  g_strstrip (contents);
  if (!g_uuid_string_is_valid (contents))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "%s does not hold a UUID", path);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

/* Keys */

static char *
new_private_pem (GError **error)
{
  EVP_PKEY *key = EVP_PKEY_Q_keygen (NULL, NULL, "ED25519");
  BIO *bio;
  char *pem = NULL;

  if (key == NULL)
    {
      openssl_failed (error, "Cannot make an Ed25519 key");
      return NULL;
    }
  bio = BIO_new (BIO_s_mem ());
  if (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) == 1)
    pem = bio_to_string (bio);
  else
    openssl_failed (error, "Cannot encode the signing key");
  BIO_free (bio);
  EVP_PKEY_free (key);
  return pem;
}

/* The key signs for the whole install: refuse it when anyone else could read it. */
static gboolean
check_private_mode (const char  *path,
                    GError     **error)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot stat %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "%s may be read by others (mode %03o); chmod 600 it", path,
                   (unsigned) (st.st_mode & 0777));
      return FALSE;
    }
  return TRUE;
}

EVP_PKEY *
_vigil_bundle_signing_key (const char  *data_dir,
                           GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, VIGIL_BUNDLE_KEY_NAME, NULL);
  g_autofree char *fresh = NULL;
  g_autofree char *pem = NULL;
  EVP_PKEY *key;
  BIO *bio;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) && (fresh = new_private_pem (error)) == NULL)
    return NULL;
  if ((pem = read_or_create (path, fresh, error)) == NULL
      || !check_private_mode (path, error))
    return NULL;
  bio = BIO_new_mem_buf (pem, -1);
  key = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  BIO_free (bio);
  OPENSSL_cleanse (pem, strlen (pem));
  if (fresh != NULL)
    OPENSSL_cleanse (fresh, strlen (fresh));
  if (key == NULL || !EVP_PKEY_is_a (key, "ED25519"))
    {
      EVP_PKEY_free (key);
      ERR_clear_error ();
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID,
                   "%s does not hold an Ed25519 private key", path);
      return NULL;
    }
  return key;
}

char *
_vigil_bundle_public_pem (EVP_PKEY *key)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *pem;

  g_assert (PEM_write_bio_PUBKEY (bio, key) == 1);
  pem = bio_to_string (bio);
  BIO_free (bio);
  return pem;
}

EVP_PKEY *
_vigil_bundle_public_from_pem (const char  *pem,
                               gsize        len,
                               GError     **error)
{
  BIO *bio = BIO_new_mem_buf (pem, (int) len);
  EVP_PKEY *key = PEM_read_bio_PUBKEY (bio, NULL, NULL, NULL);

  BIO_free (bio);
  ERR_clear_error ();
  if (key != NULL && EVP_PKEY_is_a (key, "ED25519"))
    return key;
  EVP_PKEY_free (key);
  g_set_error (error, VIGIL_BUNDLE_ERROR, VIGIL_BUNDLE_ERROR_INVALID,
               VIGIL_BUNDLE_PUBLIC_KEY ": not an Ed25519 public key");
  return NULL;
}

char *
_vigil_bundle_fingerprint (EVP_PKEY *key)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  unsigned char *der = NULL;
  int len = i2d_PUBKEY (key, &der);
  char *hex;

  g_assert (len > 0);
  EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL);
  EVP_DigestUpdate (ctx, der, (gsize) len);
  hex = _vigil_bundle_sha256_hex (ctx);
  EVP_MD_CTX_free (ctx);
  OPENSSL_free (der);
  return hex;
}

/* Signatures: Ed25519 signs the message itself, hence the NULL digest. */

GBytes *
_vigil_bundle_sign (EVP_PKEY      *key,
                    const guint8  *data,
                    gsize          len,
                    GError       **error)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guint8 *signature = NULL;
  gsize signature_len = 0;

  if (EVP_DigestSignInit (ctx, NULL, NULL, NULL, key) != 1
      || EVP_DigestSign (ctx, NULL, &signature_len, data, len) != 1
      || (signature = g_malloc (signature_len)) == NULL
      || EVP_DigestSign (ctx, signature, &signature_len, data, len) != 1)
    {
      g_free (signature);
      EVP_MD_CTX_free (ctx);
      openssl_failed (error, "Cannot sign the manifest");
      return NULL;
    }
  EVP_MD_CTX_free (ctx);
  return g_bytes_new_take (signature, signature_len);
}

gboolean
_vigil_bundle_signature_ok (EVP_PKEY     *key,
                            const guint8 *data,
                            gsize         len,
                            const guint8 *signature,
                            gsize         signature_len)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  gboolean ok;

  ok = EVP_DigestVerifyInit (ctx, NULL, NULL, NULL, key) == 1
       && EVP_DigestVerify (ctx, signature, signature_len, data, len) == 1;
  EVP_MD_CTX_free (ctx);
  ERR_clear_error ();
  return ok;
}

/* Digests and times */

char *
_vigil_bundle_sha256_hex (EVP_MD_CTX *ctx)
{
  static const char digits[] = "0123456789abcdef";
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  char *hex;

  EVP_DigestFinal_ex (ctx, digest, &len);
  hex = g_malloc (len * 2 + 1);
  for (unsigned int i = 0; i < len; i++)
    {
      hex[2 * i] = digits[digest[i] >> 4];
      hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
  hex[len * 2] = '\0';
  return hex;
}

/* RFC 3339 in UTC, with microseconds when there are any. */
char *
_vigil_bundle_time_string (gint64 time_us)
{
  gint64 seconds = time_us / G_USEC_PER_SEC;
  gint64 micro = time_us % G_USEC_PER_SEC;
  g_autoptr(GDateTime) base = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (micro < 0)
    {
      seconds--;
      micro += G_USEC_PER_SEC;
    }
  base = g_date_time_new_from_unix_utc (seconds);
  if (base != NULL)
    dt = g_date_time_add (base, micro);
  if (dt == NULL)
    return g_strdup_printf ("@%" G_GINT64_FORMAT, time_us);
  return g_date_time_format_iso8601 (dt);
}
