/* vigil-audit-query.h: searching the audit log in SQL, a page at a time.
 *
 * Filters run in SQL against DATA_DIR/vigil.db opened read-only with a connection of the
 * caller's own; text goes through an FTS5 index kept in DATA_DIR/audit-search.db, which
 * every text search first brings up to date (the writer's commit path never sees it).
 * Every call blocks: run it in a GTask or on the API's thread, never the engine thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-audit-record.h"

G_BEGIN_DECLS

#define VIGIL_AUDIT_SEARCH_DB_NAME  "audit-search.db"
#define VIGIL_AUDIT_QUERY_LIMIT     100

typedef struct
{
  char   *text;        /* FTS5 query over the statement, identity, connection, process,
                        * relations, class and rule ("phrase", prefix*, AND/OR/NOT); NULL: any */
  char   *identity;    /* exact; NULL: any */
  char   *connection;  /* exact; NULL: any */
  char   *decision;    /* "allow", "deny", "review"; NULL: any */
  gint64  since_us;    /* unix microseconds, inclusive; 0: from the first record */
  gint64  until_us;    /* inclusive; 0: up to the newest */
  gint64  before_id;   /* > 0: only records older than this id (the next older page) */
  gint64  after_id;    /* > 0: only records newer than this id (the next newer page) */
  guint   limit;       /* records per page; 0: VIGIL_AUDIT_QUERY_LIMIT */
} VigilAuditQuery;

#define VIGIL_TYPE_AUDIT_QUERY (vigil_audit_query_get_type ())
GType            vigil_audit_query_get_type      (void) G_GNUC_CONST;
VigilAuditQuery *vigil_audit_query_new           (void);
VigilAuditQuery *vigil_audit_query_copy          (const VigilAuditQuery *self);
void             vigil_audit_query_free          (VigilAuditQuery       *self);

/* One page of statement records matching QUERY, their outcomes merged in, newest first
 * (element type: VigilAuditRecord). With AFTER_ID the page holds the oldest records newer
 * than it, otherwise the newest (older than BEFORE_ID). *OUT_MORE: whether matching
 * records lie beyond the page in its direction. A malformed TEXT fails with
 * VIGIL_ERROR_INVALID; an unreadable store with VIGIL_ERROR_STORE. */
GPtrArray       *vigil_audit_query_run           (const char            *data_dir,
                                                  const VigilAuditQuery *query,
                                                  gboolean              *out_more,
                                                  GError               **error);
/* How many statement records match QUERY's filters (paging and limit ignored), and how
 * many the log holds in all. */
gboolean         vigil_audit_query_count         (const char            *data_dir,
                                                  const VigilAuditQuery *query,
                                                  gint64                *out_matching,
                                                  gint64                *out_total,
                                                  GError               **error);
/* Log entries (statements and outcomes) between SINCE_US and UNTIL_US (0: unbounded), as
 * an export of that range writes them. */
gboolean         vigil_audit_query_count_entries (const char            *data_dir,
                                                  gint64                 since_us,
                                                  gint64                 until_us,
                                                  gint64                *out_entries,
                                                  GError               **error);
/* Indexes the statements appended since the last call (text searches do this first).
 * Safe from many threads and processes at once; a missing or foreign index is rebuilt. */
gboolean         vigil_audit_query_update_index  (const char            *data_dir,
                                                  GError               **error);

/* "2026-11-25 14:00", "2026-11-25", RFC 3339, or relative to NOW_US: "-1h", "-30m", "-2d",
 * "-1w", "now". A day alone is its start, or with END_OF_RANGE its last microsecond. */
gboolean         vigil_audit_query_parse_time    (const char            *text,
                                                  gint64                 now_us,
                                                  gboolean               end_of_range,
                                                  gint64                *out_us,
                                                  GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAuditQuery, vigil_audit_query_free)

G_END_DECLS
