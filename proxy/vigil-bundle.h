/* vigil-bundle.h: signed audit bundles that an auditor verifies offline.
 *
 * A bundle is a gzip-compressed tar holding records.jsonl (audit entries that re-hash
 * like the store), approvals.jsonl, policies.jsonl, report.html, public-key.pem,
 * manifest.json (every file's SHA-256, the chain ends, the install, the filter) and
 * manifest.sig (Ed25519 over manifest.json's bytes). Both calls block: run them in a
 * GTask or a command-line tool, never on the engine thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VIGIL_BUNDLE_ERROR (vigil_bundle_error_quark ())
GQuark vigil_bundle_error_quark (void);

typedef enum {
  VIGIL_BUNDLE_ERROR_INVALID,        /* the bundle fails verification; the message says why */
  VIGIL_BUNDLE_ERROR_KEY,            /* signed by another key than the one expected */
  VIGIL_BUNDLE_ERROR_DISCONTINUOUS,  /* does not extend the earlier bundle's chain */
  VIGIL_BUNDLE_ERROR_EMPTY,          /* export: no audit entry in the range */
  VIGIL_BUNDLE_ERROR_LOG_BROKEN,     /* export: the store's chain is broken in the range */
} VigilBundleError;

typedef struct
{
  gint64  since_us;     /* unix microseconds; 0: from the first entry */
  gint64  until_us;     /* inclusive; 0: up to the newest entry */
  char   *identity;     /* NULL: every identity */
  char   *connection;   /* NULL: every connection */
} VigilBundleFilter;

typedef struct
{
  gint64  entries;          /* entries in records.jsonl, redacted ones included */
  gint64  matching;         /* entries given in full (those matching the filter) */
  gint64  first_id;
  gint64  last_id;
  char   *first_prev_hash;  /* the chain ends */
  char   *last_hash;
  char   *fingerprint;      /* SHA-256 of the signing key's DER SubjectPublicKeyInfo, hex */
  char   *install_id;
  char   *created;          /* RFC 3339 */
  gint64  continues_from;   /* verify with EARLIER: EARLIER's last entry id; else 0 */
} VigilBundleSummary;

/* STAGE: "records", "report", "archive" or "done"; FRACTION of that stage, 0..1. */
typedef void (*VigilBundleProgress) (const char *stage,
                                     double      fraction,
                                     gpointer    user_data);

void                vigil_bundle_summary_free (VigilBundleSummary  *summary);

/* RFC 3339, or YYYY-MM-DD in local time (the day's start, or with END_OF_RANGE its last
 * microsecond, so --until 2024-05-31 includes that day). */
gboolean            vigil_bundle_parse_time   (const char          *text,
                                               gboolean             end_of_range,
                                               gint64              *out_us,
                                               GError             **error);

/* Writes the bundle to OUT_PATH (through a temporary file and a rename), making the
 * install's id and signing key in DATA_DIR on first use. FILTER may be NULL. PROGRESS is
 * called on the calling thread. */
gboolean            vigil_bundle_export       (const char          *data_dir,
                                               const VigilBundleFilter *filter,
                                               const char          *out_path,
                                               VigilBundleProgress  progress,
                                               gpointer             user_data,
                                               GCancellable        *cancellable,
                                               VigilBundleSummary **out_summary,
                                               GError             **error);

/* Checks PATH alone: signature, every file's hash, every entry's hash and link. With
 * EARLIER_PATH also that both are signed by one key and PATH's chain extends EARLIER's.
 * With EXPECT_FINGERPRINT, that the bundle is signed by that key. */
gboolean            vigil_bundle_verify       (const char          *path,
                                               const char          *earlier_path,
                                               const char          *expect_fingerprint,
                                               VigilBundleSummary **out_summary,
                                               GError             **error);

/* vigil_bundle_export in a worker thread; PROGRESS is called on the caller's thread-default
 * main context. The result is a VigilBundleSummary. */
void                vigil_bundle_export_async  (const char          *data_dir,
                                                const VigilBundleFilter *filter,
                                                const char          *out_path,
                                                VigilBundleProgress  progress,
                                                gpointer             progress_data,
                                                GDestroyNotify       progress_destroy,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
VigilBundleSummary *vigil_bundle_export_finish (GAsyncResult        *result,
                                                GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilBundleSummary, vigil_bundle_summary_free)

G_END_DECLS
