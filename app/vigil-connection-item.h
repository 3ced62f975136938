/* vigil-connection-item.h: a named upstream as the Identities view lists it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_CONNECTION_ITEM (vigil_connection_item_get_type ())
G_DECLARE_FINAL_TYPE (VigilConnectionItem, vigil_connection_item, VIGIL, CONNECTION_ITEM, GObject)

/* Keeps CONNECTION's conninfo only with its password replaced. */
VigilConnectionItem *vigil_connection_item_new          (const VigilConnection *connection);
const char          *vigil_connection_item_get_name     (VigilConnectionItem   *self);
/* The conninfo as shown: password hidden. */
const char          *vigil_connection_item_get_conninfo (VigilConnectionItem   *self);

G_END_DECLS
