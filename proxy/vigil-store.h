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

/* Policies: versioned; the highest version is the one in force. */
typedef struct
{
  gint64  id;          /* the version number */
  gint64  created_at;  /* unix seconds */
  char   *author;
  char   *comment;     /* may be NULL */
  char   *sha256;      /* hex digest of the JSON */
} VigilPolicyVersion;

void           vigil_policy_version_free        (VigilPolicyVersion  *version);

/* Stores JSON (already validated by the caller) as a new version. */
gboolean       vigil_store_policy_save          (VigilStore          *self,
                                                 const char          *json,
                                                 const char          *author,
                                                 const char          *comment,
                                                 gint64              *out_version,
                                                 GError             **error);
/* The JSON of the version in force, or NULL (no error) when none was ever saved. */
char          *vigil_store_policy_load_current  (VigilStore          *self,
                                                 gint64              *out_version,
                                                 GError             **error);
/* Newest first. Element type: VigilPolicyVersion. */
GPtrArray     *vigil_store_policy_list_versions (VigilStore          *self,
                                                 GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilPolicyVersion, vigil_policy_version_free)

/* Named upstreams (clients ask for NAME as their dbname). CONNINFO may hold a password:
 * give it to libpq only; show it through vigil_conninfo_redact(). */
typedef struct
{
  gint64  id;
  char   *name;
  char   *conninfo;
  gint64  created_at;  /* unix seconds */
} VigilConnection;

void           vigil_connection_free            (VigilConnection     *connection);

/* NAME follows the identity-name rules; CONNINFO must parse (libpq). */
gboolean       vigil_store_connection_add       (VigilStore          *self,
                                                 const char          *name,
                                                 const char          *conninfo,
                                                 GError             **error);
/* Ordered by name. Element type: VigilConnection. */
GPtrArray     *vigil_store_connection_list      (VigilStore          *self,
                                                 GError             **error);
gboolean       vigil_store_connection_remove    (VigilStore          *self,
                                                 const char          *name,
                                                 GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilConnection, vigil_connection_free)

G_END_DECLS
