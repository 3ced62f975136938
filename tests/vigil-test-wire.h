/* vigil-test-wire.h: a client that speaks the protocol message by message, for what libpq
 * will not send (an Execute with no Describe before it, say). It logs in with SCRAM, as
 * any client of Vigil does, over TCP without TLS. Every failure is a test failure.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VigilTestWire VigilTestWire;

/* Logged in as USER with PASSWORD on DATABASE, at ReadyForQuery. */
VigilTestWire *vigil_test_wire_login       (guint16        port,
                                            const char    *user,
                                            const char    *password,
                                            const char    *database);
void           vigil_test_wire_free        (VigilTestWire *self);
/* Sends MSG, one or more complete messages, and empties it. */
void           vigil_test_wire_send        (VigilTestWire *self,
                                            GByteArray    *msg);
/* The next message, whole (type, length, body); waits up to 10 s. */
GBytes        *vigil_test_wire_read        (VigilTestWire *self);
/* The messages up to and including the next ReadyForQuery. */
GPtrArray     *vigil_test_wire_read_until_ready (VigilTestWire *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilTestWire, vigil_test_wire_free)

G_END_DECLS
