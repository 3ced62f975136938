/* vigil-list-items.h: a GListModel's items kept in a GPtrArray of GObjects.
 *
 * The lists of the console (connections, identities, live records) implement GListModel
 * over such an array; these are the parts they share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A new reference to ITEMS[POSITION], NULL past the end (GListModel.get_item). */
gpointer  vigil_list_items_get      (GPtrArray  *items,
                                     guint       position);
/* Makes ITEMS of MODEL hold REPLACEMENT's items (new references), in place, and emits
 * items-changed once for the whole list. */
void      vigil_list_items_replace  (GListModel *model,
                                     GPtrArray  *items,
                                     GPtrArray  *replacement);

G_END_DECLS
