/* fuzz-scram.c: vigil_scram_server_first/final with arbitrary client messages.
 *
 * The input is client-first, a NUL, then client-final. In client-final, "@N" is replaced
 * by the nonce of the server-first answer, so that the fuzzer gets past the nonce check
 * into the proof parsing. Every other input byte is the fuzzer's. Half the inputs run
 * against an unknown identity (NULL verifier), as the proxy does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-scram.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *verifier;

static char *
server_nonce (const GString *server_first)
{
  const char *r = strstr (server_first->str, "r=");
  const char *end;

  if (r == NULL)
    return g_strdup ("");
  r += 2;
  end = strchr (r, ',');
  return end ? g_strndup (r, end - r) : g_strdup (r);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(VigilScramServer) server = NULL;
  g_autoptr(GString) first_out = g_string_new (NULL);
  g_autoptr(GString) final_out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *nonce = NULL;
  g_autofree guint8 *first = NULL;
  g_autofree char *final = NULL;
  const guint8 *nul = memchr (data, 0, size);
  gsize first_len = nul ? (gsize) (nul - data) : size;
  gboolean ok;

  if (verifier == NULL)
    verifier = vigil_scram_make_verifier ("fuzz-token", NULL);
  if (size < 1)
    return 0;
  server = vigil_scram_server_new ((data[0] & 0x80) ? NULL : verifier);
  first = g_memdup2 (data, first_len);
  ok = vigil_scram_server_first (server, first, first_len, first_out, &error);
  if (!ok)
    {
      if (error == NULL)
        abort ();
      return 0;
    }
  if (error != NULL || first_out->len == 0)
    abort ();
  if (nul == NULL)
    return 0;
  nonce = server_nonce (first_out);
  {
    g_autofree char *raw = g_strndup ((const char *) nul + 1, size - first_len - 1);
    g_auto(GStrv) parts = g_strsplit (raw, "@N", -1);

    final = g_strjoinv (nonce, parts);
  }
  /* Interior NULs are cut by the string handling above: exact-size copy of what is left. */
  {
    gsize final_len = strlen (final);
    g_autofree guint8 *buf = g_memdup2 (final, final_len);

    ok = vigil_scram_server_final (server, buf, final_len, final_out, &error);
  }
  if (!ok && error == NULL)
    abort ();
  if (ok && (data[0] & 0x80))
    abort ();   /* an unknown identity must never authenticate */
  return 0;
}
