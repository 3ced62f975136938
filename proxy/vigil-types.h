/* vigil-types.h: forward declarations shared across the engine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VigilEngine    VigilEngine;
typedef struct _VigilSession   VigilSession;
typedef struct _VigilStore     VigilStore;
typedef struct _VigilUpstream  VigilUpstream;
typedef struct _VigilStream    VigilStream;
typedef struct _VigilPeer      VigilPeer;
typedef struct _VigilIdentity  VigilIdentity;
typedef struct _VigilScramServer VigilScramServer;

typedef enum {
  VIGIL_IDENTITY_KIND_AGENT,
  VIGIL_IDENTITY_KIND_HUMAN,
  VIGIL_IDENTITY_KIND_ADMIN,
} VigilIdentityKind;

const char *vigil_identity_kind_to_string   (VigilIdentityKind kind);
gboolean    vigil_identity_kind_from_string (const char        *str,
                                             VigilIdentityKind *out_kind);

#define VIGIL_ERROR (vigil_error_quark ())
GQuark vigil_error_quark (void);

typedef enum {
  VIGIL_ERROR_FAILED,
  VIGIL_ERROR_INVALID,      /* bad input from a user or a file */
  VIGIL_ERROR_PROTOCOL,     /* a peer broke the wire protocol */
  VIGIL_ERROR_AUTH,         /* authentication failed */
  VIGIL_ERROR_NOT_FOUND,
  VIGIL_ERROR_EXISTS,
  VIGIL_ERROR_STORE,        /* the SQLite store failed */
  VIGIL_ERROR_UPSTREAM,     /* the upstream PostgreSQL failed */
} VigilError;

G_END_DECLS
