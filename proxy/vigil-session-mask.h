/* vigil-session-mask.h: what vigil-session-mask*.c share. Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-catalog.h"
#include "vigil-mask.h"
#include "vigil-session-private.h"

G_BEGIN_DECLS

typedef enum {
  COLUMN_PASS,    /* forwarded as it is */
  COLUMN_WHOLE,   /* a column rule: the whole value */
  COLUMN_SCAN,    /* the value detectors replace what they find */
} ColumnAction;

typedef struct
{
  guint8            action;     /* ColumnAction */
  guint8            binary;     /* format code 1 */
  guint8            text_like;  /* its bytes are text in this format */
  guint8            json;       /* json or jsonb: a whole masked value stays valid JSON */
  guint8            jsonb_bin;  /* binary jsonb: a version byte, then the text */
  VigilMaskStrategy strategy;   /* COLUMN_WHOLE */
  guint32           type_oid;   /* to plan it again for another format */
} ColumnPlan;

typedef enum {
  PLAN_NONE,      /* no RowDescription for this result yet */
  PLAN_PASS,      /* decided: nothing to mask in this result */
  PLAN_ACTIVE,
} PlanState;

typedef enum {
  COPY_NONE,
  COPY_TEXT,
  COPY_CSV,
  COPY_BINARY,
} CopyFormat;

#define MASK_MAX_PASSES 4

typedef struct
{
  VigilDetectorSet  set;
  VigilMaskStrategy strategy;
} DetectPass;

typedef struct
{
  CopyFormat   format;
  char         delimiter;
  char         quote;
  char         escape;
  gboolean     skip_header;   /* the next row is the header line */
  gboolean     binary_header; /* the binary signature is still to come */
  GByteArray  *pending;       /* a row split across CopyData messages */
  GByteArray  *row;           /* scratch: a rewritten row */
  GString     *field;         /* scratch: a field without its escapes */
} CopyState;

struct _SessionMask
{
  VigilSession *session;
  VigilMasker  *masker;         /* NULL until something needs it */

  /* the rules of the policy in force that apply to this session's subject */
  VigilPolicy  *policy;
  GPtrArray    *column_rules;   /* const VigilMaskingRule *, owned by POLICY */
  DetectPass    passes[MASK_MAX_PASSES];
  guint         n_passes;

  /* the current result's column plan */
  PlanState     state;
  GArray       *plan;           /* ColumnPlan */
  GHashTable   *described;      /* statement text -> GArray of ColumnPlan (no RowDescription) */
  const char   *described_last_key;  /* the entry stored or confirmed last, borrowed from */
  GArray       *described_last;      /* DESCRIBED (NULL when none) */
  char         *describing;     /* see _vigil_session_mask_set_describing */
  guint         rules_serial;   /* bumped each time the rules are worked out again */

  /* the last RowDescription whose plan was built with every name known, and that plan:
   * a prepared statement described again and again is planned once */
  GByteArray   *last_desc;
  GArray       *last_plan;      /* ColumnPlan */
  PlanState     last_state;
  guint         last_serial;    /* rules_serial then */
  guint         last_generation;/* the catalog's then */
  GArray       *oids;           /* scratch: table OIDs to resolve */

  /* a catalog lookup on a worker */
  VigilCatalog *catalog;
  gboolean      lookup_pending;
  gboolean      lookup_done;    /* the last lookup finished: use what is cached now */

  CopyState     copy;

  /* scratch for values, reused */
  GString      *value;
  GString      *value2;
  GString      *audit;          /* a statement's text or parameters, redacted for its record */
};

#define MASK_COPY_MAX_PENDING (64 * 1024 * 1024)

/* vigil-session-mask.c */
/* The per-install masker of the engine's data dir; made once per process and dir. */
VigilMasker *_vigil_session_mask_get_masker   (VigilEngine        *engine);
/* Refreshes the rules for the policy in force; FALSE when none applies. */
gboolean     _vigil_session_mask_rules        (SessionMask        *mask);
/* Fills COL for a column; SCHEMA/TABLE/COLUMN may be NULL (no table: detectors only). */
void         _vigil_session_mask_plan_column  (SessionMask        *mask,
                                               const char         *schema,
                                               const char         *table,
                                               const char         *column,
                                               guint32             type_oid,
                                               gboolean            binary,
                                               ColumnPlan         *col);
/* Masks one value by COL. FALSE: unchanged. TRUE: *OUT is the new value, or NULL for
 * SQL NULL. Adds to *COUNT. */
gboolean     _vigil_session_mask_value        (SessionMask        *mask,
                                               const ColumnPlan   *col,
                                               const char         *in,
                                               gsize               len,
                                               GString           **out,
                                               guint              *count);
VigilCatalog *_vigil_session_mask_catalog     (SessionMask        *mask);
/* Resolves on a worker (OIDS, or RELATION when not NULL), then pumps the session. */
void         _vigil_session_mask_start_lookup (SessionMask        *mask,
                                               const guint32      *oids,
                                               guint               n_oids,
                                               const char         *relation);
void         _vigil_session_mask_count        (SessionInFlight    *current,
                                               guint               count);

/* vigil-session-mask-copy.c: COPY TO STDOUT in text, CSV and binary format. */
MaskAction   _vigil_session_mask_copy_start   (SessionMask        *mask,
                                               SessionInFlight    *current,
                                               const guint8       *msg,
                                               gsize               len);
MaskAction   _vigil_session_mask_copy_data    (SessionMask        *mask,
                                               SessionInFlight    *current,
                                               const guint8       *msg,
                                               gsize               len,
                                               GByteArray         *out);
MaskAction   _vigil_session_mask_copy_done    (SessionMask        *mask,
                                               SessionInFlight    *current,
                                               const guint8       *msg,
                                               gsize               len,
                                               GByteArray         *out);
void         _vigil_session_mask_copy_reset   (SessionMask        *mask);

G_END_DECLS
