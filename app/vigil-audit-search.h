/* vigil-audit-search.h: the console's audit search, a page of results at a time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "vigil-audit-query.h"

G_BEGIN_DECLS

typedef enum {
  VIGIL_AUDIT_PAGE_NEWEST,  /* the newest matching records */
  VIGIL_AUDIT_PAGE_NEWER,   /* the page above the one shown */
  VIGIL_AUDIT_PAGE_OLDER,   /* the page below the one shown */
} VigilAuditPage;

#define VIGIL_TYPE_AUDIT_SEARCH (vigil_audit_search_get_type ())
G_DECLARE_FINAL_TYPE (VigilAuditSearch, vigil_audit_search, VIGIL, AUDIT_SEARCH, GObject)

VigilAuditSearch *vigil_audit_search_new          (void);
/* Where vigil.db is; NULL (the default) until the store is open: searches then fail. */
void              vigil_audit_search_set_data_dir (VigilAuditSearch      *self,
                                                   const char            *data_dir);
const char       *vigil_audit_search_get_data_dir (VigilAuditSearch      *self);
/* The page shown (VigilLiveRecord), newest first; replaced in one splice per search. */
GListStore       *vigil_audit_search_get_results  (VigilAuditSearch      *self);
/* Runs FILTERS (their paging fields ignored) for PAGE off the main thread. A newer run
 * cancels the one in flight, which then finishes with G_IO_ERROR_CANCELLED. */
void              vigil_audit_search_run_async    (VigilAuditSearch      *self,
                                                   const VigilAuditQuery *filters,
                                                   VigilAuditPage         page,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
gboolean          vigil_audit_search_run_finish   (VigilAuditSearch      *self,
                                                   GAsyncResult          *result,
                                                   GError               **error);
/* After the last search: whether there are pages above and below, how many records match,
 * how many the log holds. */
gboolean          vigil_audit_search_get_has_newer (VigilAuditSearch     *self);
gboolean          vigil_audit_search_get_has_older (VigilAuditSearch     *self);
gint64            vigil_audit_search_get_matching  (VigilAuditSearch     *self);
gint64            vigil_audit_search_get_total     (VigilAuditSearch     *self);

G_END_DECLS
