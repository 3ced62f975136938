/* fuzz-frontend.c: client bytes into the real engine, from the startup packet on.
 *
 * The first input byte picks the phase: even, the rest is written raw from the very first
 * byte (startup, SSLRequest, GSSENC, cancel, protocol versions, parameters, SASL); odd,
 * the harness logs in with SCRAM first and the rest are post-authentication messages
 * (every frontend type), answered by a polite fake upstream. After each input a fresh
 * connection must still get AuthenticationSASL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-engine.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  gboolean after_login;
  int fd;

  if (size < 1)
    return 0;
  fuzz_engine_init ();
  fuzz_engine_set_upstream_script (NULL, 0);
  after_login = data[0] & 1;
  fd = fuzz_engine_connect ();
  if (!after_login || fuzz_engine_login (fd))
    {
      fuzz_engine_send (fd, data + 1, size - 1);
      shutdown (fd, SHUT_WR);
      fuzz_engine_drain (fd, FUZZ_ENGINE_WAIT_MS);
    }
  close (fd);
  fuzz_engine_assert_alive ();
  return 0;
}
