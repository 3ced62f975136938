/* vigil-mask.h: masking strategies over detector matches and whole column values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "vigil-detect.h"

G_BEGIN_DECLS

#define VIGIL_MASK_KEY_LEN 32
/* A masked match is at most this many bytes longer than the text it replaces. */
#define VIGIL_MASK_MAX_GROWTH 32

typedef enum {
  VIGIL_MASK_REDACT,   /* "[email]", "[card]", ...; "[redacted]" without a kind */
  VIGIL_MASK_PARTIAL,  /* keep what helps: the domain, the last 4 digits, a key's prefix */
  VIGIL_MASK_HASH,     /* HMAC-SHA-256 pseudonym: equal values mask equally */
  VIGIL_MASK_NULL,     /* the whole value becomes SQL NULL; inside text, as redact */
} VigilMaskStrategy;

typedef struct _VigilMasker VigilMasker;

VigilMasker *vigil_masker_new                (const guint8        key[VIGIL_MASK_KEY_LEN]);
VigilMasker *vigil_masker_ref                (VigilMasker        *self);
void         vigil_masker_unref              (VigilMasker        *self);

const char  *vigil_mask_strategy_to_string   (VigilMaskStrategy   strategy);
gboolean     vigil_mask_strategy_from_string (const char         *name,
                                              VigilMaskStrategy  *out_strategy);

gboolean     vigil_mask_text                 (VigilMasker        *self,
                                              const char         *in,
                                              gsize               len,
                                              VigilDetectorSet    detectors,
                                              VigilMaskStrategy   strategy,
                                              GString            *out,
                                              guint              *out_count);
gboolean     vigil_mask_whole_value          (VigilMasker        *self,
                                              const char         *in,
                                              gsize               len,
                                              VigilDetector       kind,
                                              VigilMaskStrategy   strategy,
                                              GString            *out);

gboolean     vigil_mask_load_or_create_key   (const char         *data_dir,
                                              guint8              out_key[VIGIL_MASK_KEY_LEN],
                                              GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilMasker, vigil_masker_unref)

G_END_DECLS
