/* vigil-store.h: the persistent store (identities, later policies, approvals and audit).
 *
 * One interface; SQLite (WAL) behind it. No SQL leaves this file's implementation.
 * Thread-safe: every call may come from any thread except the engine thread, which
 * must never block on it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-identity.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_STORE (vigil_store_get_type ())
G_DECLARE_FINAL_TYPE (VigilStore, vigil_store, VIGIL, STORE, GObject)

/* Opens (creating with mode 0700 if needed) DATA_DIR/vigil.db and migrates its schema. */
VigilStore    *vigil_store_open              (const char         *data_dir,
                                              GError            **error);
const char    *vigil_store_get_data_dir      (VigilStore         *self);

/* Creates an identity; *out_token receives the new random token (shown once, never stored). */
gboolean       vigil_store_identity_add      (VigilStore         *self,
                                              const char         *name,
                                              VigilIdentityKind   kind,
                                              char              **out_token,
                                              GError            **error);
/* The active identity called NAME, or NULL (no error) when unknown or revoked. */
VigilIdentity *vigil_store_identity_lookup   (VigilStore         *self,
                                              const char         *name,
                                              GError            **error);
/* All identities, revoked ones included, ordered by name. Element type: VigilIdentity. */
GPtrArray     *vigil_store_identity_list     (VigilStore         *self,
                                              GError            **error);
gboolean       vigil_store_identity_revoke   (VigilStore         *self,
                                              const char         *name,
                                              GError            **error);

G_END_DECLS
