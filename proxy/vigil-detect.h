/* vigil-detect.h: value detectors for free text (personal data and secrets), one pass a value.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VIGIL_DETECTOR_GENERIC = 0,  /* no kind: a whole value masked by a column rule */
  VIGIL_DETECTOR_EMAIL,
  VIGIL_DETECTOR_CARD,
  VIGIL_DETECTOR_SSN,
  VIGIL_DETECTOR_IBAN,
  VIGIL_DETECTOR_PHONE,
  VIGIL_DETECTOR_JWT,
  VIGIL_DETECTOR_PRIVATE_KEY,
  VIGIL_DETECTOR_CLOUD_KEY,
  VIGIL_DETECTOR_PASSWORD,
  VIGIL_DETECTOR_ENTROPY,
  VIGIL_N_DETECTORS
} VigilDetector;

typedef enum {
  VIGIL_DETECT_NONE        = 0,
  VIGIL_DETECT_EMAIL       = 1 << VIGIL_DETECTOR_EMAIL,
  VIGIL_DETECT_CARD        = 1 << VIGIL_DETECTOR_CARD,
  VIGIL_DETECT_SSN         = 1 << VIGIL_DETECTOR_SSN,
  VIGIL_DETECT_IBAN        = 1 << VIGIL_DETECTOR_IBAN,
  VIGIL_DETECT_PHONE       = 1 << VIGIL_DETECTOR_PHONE,
  VIGIL_DETECT_JWT         = 1 << VIGIL_DETECTOR_JWT,
  VIGIL_DETECT_PRIVATE_KEY = 1 << VIGIL_DETECTOR_PRIVATE_KEY,
  VIGIL_DETECT_CLOUD_KEY   = 1 << VIGIL_DETECTOR_CLOUD_KEY,
  VIGIL_DETECT_PASSWORD    = 1 << VIGIL_DETECTOR_PASSWORD,
  VIGIL_DETECT_ENTROPY     = 1 << VIGIL_DETECTOR_ENTROPY,
  VIGIL_DETECT_SECRET      = VIGIL_DETECT_JWT | VIGIL_DETECT_PRIVATE_KEY | VIGIL_DETECT_CLOUD_KEY |
                             VIGIL_DETECT_PASSWORD | VIGIL_DETECT_ENTROPY,
  VIGIL_DETECT_ALL         = VIGIL_DETECT_EMAIL | VIGIL_DETECT_CARD | VIGIL_DETECT_SSN |
                             VIGIL_DETECT_IBAN | VIGIL_DETECT_PHONE | VIGIL_DETECT_SECRET,
} VigilDetectorSet;

typedef struct {
  gsize         start;
  gsize         len;
  VigilDetector kind;
} VigilMatch;

/* A scan in progress; lives on the stack, allocates nothing. */
typedef struct {
  /*< private >*/
  const guchar     *text;
  gsize             len;
  gsize             pos;
  gsize             last_end;      /* where the last match ended */
  VigilDetectorSet  enabled;
  gboolean          has_at;        /* the text holds an '@' somewhere */
  gsize             email_done;    /* starts before these offsets were already ruled out */
  gsize             keyword_done;
  gsize             entropy_done;
} VigilDetectIter;

const char *vigil_detector_to_string      (VigilDetector       kind);
gboolean    vigil_detector_from_string    (const char         *name,
                                           VigilDetector      *out_kind);
gboolean    vigil_detector_set_from_names (const char * const *names,
                                           VigilDetectorSet   *out_set,
                                           GError            **error);

void        vigil_detect_iter_init        (VigilDetectIter    *iter,
                                           const char         *text,
                                           gsize               len,
                                           VigilDetectorSet    enabled);
gboolean    vigil_detect_iter_next        (VigilDetectIter    *iter,
                                           VigilMatch         *out_match);
guint       vigil_detect_scan             (const char         *text,
                                           gsize               len,
                                           VigilDetectorSet    enabled,
                                           GArray             *out_matches);
gsize       vigil_detect_key_prefix_len   (const char         *key,
                                           gsize               len);

G_END_DECLS
