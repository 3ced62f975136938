/* vigil-audit-query-private.h: the search index, shared by the query and the indexer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "vigil-audit-query.h"

G_BEGIN_DECLS

/* DATA_DIR/audit-search.db (created, or replaced when it is not an index) with vigil.db
 * attached read-only as "log"; busy timeout set. */
sqlite3  *_vigil_audit_index_open   (const char  *data_dir,
                                     GError     **error);
/* Indexes every statement the log has and the index lacks. */
gboolean  _vigil_audit_index_update (sqlite3     *db,
                                     GError     **error);

G_END_DECLS
