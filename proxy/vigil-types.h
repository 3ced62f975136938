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

/* Replaces *STR_POINTER with a copy of NEW_STR (GLib 2.76's g_set_str, for 2.74). */
static inline gboolean
vigil_set_str (char       **str_pointer,
               const char  *new_str)
{
  char *copy;

  if (*str_pointer == new_str || g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;
  copy = g_strdup (new_str);
  g_free (*str_pointer);
  *str_pointer = copy;
  return TRUE;
}

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
