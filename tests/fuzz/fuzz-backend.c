/* fuzz-backend.c: server bytes into the real engine (vigil-session-result.c, masking).
 *
 * A raw client logs in through the engine to a fake upstream; the client's query (first
 * input byte even: simple Query; odd: Parse/Bind/Describe/Execute/Sync) makes the fake
 * upstream send the rest of the input as its answer, then close. The engine must stay up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-engine.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char simple_query[] = "Q\0\0\0\x21SELECT email, n FROM users_t\0";
static const char extended_query[] =
  "P\0\0\0\x21\0SELECT email FROM users_t\0\0\0"
  "B\0\0\0\x0c\0\0\0\0\0\0\0\0"
  "D\0\0\0\x06P\0"
  "E\0\0\0\x09\0\0\0\0\0"
  "S\0\0\0\x04";

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  int fd;

  if (size < 1)
    return 0;
  fuzz_engine_init ();
  fuzz_engine_set_upstream_script (data + 1, size - 1);
  fd = fuzz_engine_connect ();
  if (fuzz_engine_login (fd))
    {
      if (data[0] & 1)
        fuzz_engine_send (fd, extended_query, sizeof extended_query - 1);
      else
        fuzz_engine_send (fd, simple_query, sizeof simple_query - 1);
      fuzz_engine_drain (fd, FUZZ_ENGINE_WAIT_MS);
    }
  close (fd);
  fuzz_engine_set_upstream_script (NULL, 0);
  fuzz_engine_assert_alive ();
  return 0;
}
