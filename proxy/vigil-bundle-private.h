/* vigil-bundle-private.h: what the bundle's writer, reader and report share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <openssl/evp.h>

#include "vigil-audit-private.h"
#include "vigil-bundle.h"

G_BEGIN_DECLS

#define VIGIL_BUNDLE_FORMAT        "vigil-audit-bundle"
#define VIGIL_BUNDLE_VERSION       1
#define VIGIL_BUNDLE_MANIFEST      "manifest.json"
#define VIGIL_BUNDLE_SIGNATURE     "manifest.sig"
#define VIGIL_BUNDLE_PUBLIC_KEY    "public-key.pem"
#define VIGIL_BUNDLE_RECORDS       "records.jsonl"
#define VIGIL_BUNDLE_APPROVALS     "approvals.jsonl"
#define VIGIL_BUNDLE_POLICIES      "policies.jsonl"
#define VIGIL_BUNDLE_REPORT        "report.html"
#define VIGIL_BUNDLE_KEY_NAME      "signing-key.pem"
#define VIGIL_BUNDLE_INSTALL_NAME  "install-id"

/* Bounds for the reader: nothing from a bundle is allocated past these. */
#define VIGIL_BUNDLE_MAX_SMALL     (1024 * 1024)        /* manifest, key, signature */
#define VIGIL_BUNDLE_MAX_LINE      (64 * 1024 * 1024)   /* one records.jsonl line */

/* Keys and identity (vigil-bundle-key.c). */
char     *_vigil_bundle_install_id      (const char     *data_dir,
                                         GError        **error);
/* DATA_DIR/signing-key.pem, made (0600) on first use; refused when others may read it. */
EVP_PKEY *_vigil_bundle_signing_key     (const char     *data_dir,
                                         GError        **error);
char     *_vigil_bundle_public_pem      (EVP_PKEY       *key);
/* NULL with VIGIL_BUNDLE_ERROR_INVALID when PEM is not an Ed25519 public key. */
EVP_PKEY *_vigil_bundle_public_from_pem (const char     *pem,
                                         gsize           len,
                                         GError        **error);
char     *_vigil_bundle_fingerprint     (EVP_PKEY       *key);
GBytes   *_vigil_bundle_sign            (EVP_PKEY       *key,
                                         const guint8   *data,
                                         gsize           len,
                                         GError        **error);
gboolean  _vigil_bundle_signature_ok    (EVP_PKEY       *key,
                                         const guint8   *data,
                                         gsize           len,
                                         const guint8   *signature,
                                         gsize           signature_len);
char     *_vigil_bundle_sha256_hex      (EVP_MD_CTX     *ctx);
char     *_vigil_bundle_time_string     (gint64          time_us);

/* One records.jsonl line (vigil-bundle-records.c). A full entry carries its 25 content
 * columns, which re-hash exactly like the store; a redacted one only its id and hashes. */
void      _vigil_bundle_entry_write     (GString               *line,
                                         const VigilAuditEntry *entry,
                                         const char            *prev_hash,
                                         const char            *hash);
void      _vigil_bundle_redacted_write  (GString               *line,
                                         gint64                 id,
                                         const char            *prev_hash,
                                         const char            *hash);

typedef struct
{
  gint64          id;
  gboolean        redacted;
  const char     *prev_hash;   /* borrowed from the parsed line */
  const char     *hash;
  VigilAuditEntry entry;       /* full entries; values borrowed from the line */
  GPtrArray      *scratch;     /* decoded base64 values */
} VigilBundleLine;

/* Parses OBJECT (one line's root) into LINE; FALSE with *REASON when malformed. */
gboolean  _vigil_bundle_line_parse      (JsonObject            *object,
                                         VigilBundleLine       *line,
                                         char                 **reason);
void      _vigil_bundle_line_clear      (VigilBundleLine       *line);

/* The report (vigil-bundle-report.c), fed with the matching entries and the rest. */
typedef struct _VigilBundleReport VigilBundleReport;

typedef struct
{
  const char *created;
  const char *install_id;
  const char *fingerprint;
  const char *filter_text;
  gint64      since_us;
  gint64      until_us;
  gint64      first_id;
  gint64      last_id;
  gint64      entries;
  gint64      matching;
  const char *first_prev_hash;
  const char *last_hash;
} VigilBundleReportMeta;

VigilBundleReport *_vigil_bundle_report_new          (void);
void               _vigil_bundle_report_free         (VigilBundleReport     *self);
/* STATEMENT_* are the statement entry an outcome belongs to (NULL when unknown). */
void               _vigil_bundle_report_add_entry    (VigilBundleReport     *self,
                                                      const VigilAuditEntry *entry,
                                                      const char            *statement_identity,
                                                      const char            *statement_connection);
void               _vigil_bundle_report_add_approval (VigilBundleReport     *self,
                                                      JsonObject            *approval);
void               _vigil_bundle_report_add_policy   (VigilBundleReport     *self,
                                                      JsonObject            *policy);
GBytes            *_vigil_bundle_report_render       (VigilBundleReport     *self,
                                                      const VigilBundleReportMeta *meta);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilBundleReport, _vigil_bundle_report_free)

G_END_DECLS
