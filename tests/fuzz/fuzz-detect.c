/* fuzz-detect.c: vigil_detect_scan and vigil_mask_text over arbitrary values.
 *
 * The first two bytes choose the detectors and the strategy; the rest is the value, in an
 * exact-size heap buffer (ASan sees any read past it). Checks: matches lie inside the
 * value, in order, without overlap; the iterator agrees with the scan; masking reports a
 * count that matches the scan and grows a value by at most VIGIL_MASK_MAX_GROWTH a match.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include "vigil-detect.h"
#include "vigil-mask.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static VigilMasker *masker;

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GArray) matches = g_array_new (FALSE, FALSE, sizeof (VigilMatch));
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) whole = g_string_new (NULL);
  VigilDetectorSet set;
  VigilMaskStrategy strategy;
  VigilDetectIter iter;
  VigilMatch m;
  g_autofree char *text = NULL;
  gsize len, end = 0;
  guint n, count = 0, i = 0;

  if (masker == NULL)
    {
      guint8 key[VIGIL_MASK_KEY_LEN];

      for (gsize k = 0; k < sizeof key; k++)
        key[k] = (guint8) k;
      masker = vigil_masker_new (key);
    }
  if (size < 2)
    return 0;
  set = ((data[0] | (data[1] << 8)) << 1) & VIGIL_DETECT_ALL;
  if (data[0] == 0xff)
    set = VIGIL_DETECT_ALL;
  strategy = (data[1] >> 4) % 4;
  len = size - 2;
  /* Never NULL (an empty DataRow value is a pointer into the message, too). */
  text = len > 0 ? g_memdup2 (data + 2, len) : g_strdup ("");

  n = vigil_detect_scan (text, len, set, matches);
  CHECK (n == matches->len);
  for (guint k = 0; k < matches->len; k++)
    {
      const VigilMatch *mk = &g_array_index (matches, VigilMatch, k);

      CHECK (mk->len > 0 && mk->start >= end && mk->start + mk->len <= len);
      CHECK (mk->kind > VIGIL_DETECTOR_GENERIC && mk->kind < VIGIL_N_DETECTORS);
      /* Secret kinds come as one group from a policy ("secret"); the keyword detector may
       * report "password" when only another secret kind is enabled. */
      CHECK ((set & (1u << mk->kind)) ||
             ((1u << mk->kind) & VIGIL_DETECT_SECRET && set & VIGIL_DETECT_SECRET));
      end = mk->start + mk->len;
    }
  vigil_detect_iter_init (&iter, text, len, set);
  while (vigil_detect_iter_next (&iter, &m))
    {
      const VigilMatch *mk;

      CHECK (i < matches->len);
      mk = &g_array_index (matches, VigilMatch, i++);
      CHECK (mk->start == m.start && mk->len == m.len && mk->kind == m.kind);
    }
  CHECK (i == matches->len);

  vigil_mask_text (masker, text, len, set, strategy, out, &count);
  CHECK (count == n);
  CHECK (out->len <= len + (gsize) n * VIGIL_MASK_MAX_GROWTH);
  vigil_mask_whole_value (masker, text, len, data[0] % VIGIL_N_DETECTORS, strategy, whole);
  (void) vigil_detect_key_prefix_len (text, len);
  return 0;
}
