/* vigil-list-items.c: a GListModel's items kept in a GPtrArray of GObjects.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vigil-list-items.h"

gpointer
vigil_list_items_get (GPtrArray *items,
                      guint      position)
{
  if (position >= items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (items, position));
}

void
vigil_list_items_replace (GListModel *model,
                          GPtrArray  *items,
                          GPtrArray  *replacement)
{
  guint old_n = items->len;

  g_ptr_array_set_size (items, 0);
  for (guint i = 0; i < replacement->len; i++)
    g_ptr_array_add (items, g_object_ref (replacement->pdata[i]));
  g_list_model_items_changed (model, 0, old_n, items->len);
}
