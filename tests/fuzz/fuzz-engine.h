/* fuzz-engine.h: a real VigilEngine on a loopback port, a fake upstream PostgreSQL behind
 * it, and a raw-socket client that can log in with SCRAM, for the frontend and backend
 * harnesses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FUZZ_ENGINE_IDENTITY   "fuzzer"
#define FUZZ_ENGINE_CONNECTION "fuzz"
#define FUZZ_ENGINE_WAIT_MS    200
/* One input may not make the process reserve more than this (VmPeak growth). */
#define FUZZ_ENGINE_MAX_GROWTH_KB (512 * 1024)

/* Starts the fake upstream and the engine once per process. */
void     fuzz_engine_init             (void);
/* What the fake upstream sends after its handshake, on the first query it receives;
 * NULL: it answers every message politely instead. The bytes are copied. */
void     fuzz_engine_set_upstream_script (const guint8 *data,
                                          gsize         len);
int      fuzz_engine_connect          (void);  /* aborts, saying why, when it cannot */
gboolean fuzz_engine_send             (int           fd,
                                       const void   *data,
                                       gsize         len);
/* Startup and SCRAM with the fuzzer identity; TRUE once ReadyForQuery arrived. */
gboolean fuzz_engine_login            (int           fd);
/* Reads and drops what comes until the proxy closes or TIMEOUT_MS of silence pass. */
void     fuzz_engine_drain            (int           fd,
                                       guint         timeout_ms);
/* Aborts unless a fresh connection with a valid startup gets AuthenticationSASL, or when
 * the process's peak memory grew by more than FUZZ_ENGINE_MAX_GROWTH_KB since the last call. */
void     fuzz_engine_assert_alive     (void);

G_END_DECLS
