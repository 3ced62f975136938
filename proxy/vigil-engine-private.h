/* vigil-engine-private.h: what sessions ask of their engine. Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <openssl/ssl.h>

#include "vigil-audit-record.h"
#include "vigil-engine.h"
#include "vigil-types.h"

G_BEGIN_DECLS

gboolean      _vigil_is_engine_thread          (void);
#define VIGIL_IS_ENGINE_THREAD() (_vigil_is_engine_thread ())

GMainContext *_vigil_engine_get_context        (VigilEngine  *self);
VigilStore   *_vigil_engine_get_store          (VigilEngine  *self);
SSL_CTX      *_vigil_engine_get_tls_context    (VigilEngine  *self);
guint         _vigil_engine_get_startup_timeout(VigilEngine  *self);
/* The conninfo of the named connection, or NULL. */
const char   *_vigil_engine_lookup_connection  (VigilEngine  *self,
                                                const char   *name);
void          _vigil_engine_register_cancel    (VigilEngine  *self,
                                                VigilSession *session,
                                                guint32       pid,
                                                guint32       secret);
void          _vigil_engine_unregister_cancel  (VigilEngine  *self,
                                                guint32       pid,
                                                guint32       secret);
VigilSession *_vigil_engine_find_cancel        (VigilEngine  *self,
                                                guint32       pid,
                                                guint32       secret);
/* Milliseconds to wait before answering a failed login for NAME (grows with failures). */
guint         _vigil_engine_auth_failed        (VigilEngine  *self,
                                                const char   *name);
void          _vigil_engine_auth_succeeded     (VigilEngine  *self,
                                                const char   *name);
void          _vigil_engine_emit_event         (VigilEngine            *self,
                                                const VigilAuditRecord *record);
void          _vigil_engine_session_closed     (VigilEngine  *self,
                                                VigilSession *session);

G_END_DECLS
