/* vigil-classify.h: what a statement is, by PostgreSQL's own parser (libpg_query).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-types.h"

G_BEGIN_DECLS

/* Statement classes; a statement has a set of them (a writable CTE is read + delete). */
typedef enum {
  VIGIL_CLASS_READ,
  VIGIL_CLASS_INSERT,
  VIGIL_CLASS_UPDATE,
  VIGIL_CLASS_DELETE,
  VIGIL_CLASS_MERGE,
  VIGIL_CLASS_CREATE,
  VIGIL_CLASS_ALTER,
  VIGIL_CLASS_DROP,
  VIGIL_CLASS_TRUNCATE,
  VIGIL_CLASS_GRANT,           /* grant/revoke */
  VIGIL_CLASS_ROLE,
  VIGIL_CLASS_COPY_FROM,
  VIGIL_CLASS_COPY_TO,
  VIGIL_CLASS_COPY_FILE,       /* COPY to or from a server file */
  VIGIL_CLASS_COPY_PROGRAM,
  VIGIL_CLASS_SET,             /* set/reset */
  VIGIL_CLASS_TRANSACTION,
  VIGIL_CLASS_DO,              /* DO and CALL: anything could happen */
  VIGIL_CLASS_EXPLAIN,
  VIGIL_CLASS_EXPLAIN_ANALYZE, /* runs its statement: also carries that statement's classes */
  VIGIL_CLASS_PREPARE,
  VIGIL_CLASS_EXECUTE,
  VIGIL_CLASS_MAINTENANCE,     /* vacuum, analyze, reindex, cluster, refresh, checkpoint */
  VIGIL_CLASS_LOCK,
  VIGIL_CLASS_LISTEN,          /* listen/unlisten/notify */
  VIGIL_CLASS_UNBOUNDED_WRITE, /* UPDATE/DELETE without WHERE or with a constant-true one */
  VIGIL_CLASS_TEMP,            /* only temporary objects are created/altered/dropped */
  VIGIL_CLASS_SIDE_EFFECT,     /* calls a function with side effects (pg_read_file, ...) */
  VIGIL_CLASS_UNPARSED,        /* the parser rejected it */
  VIGIL_CLASS_OTHER,
  VIGIL_N_CLASSES
} VigilClass;

typedef guint64 VigilClassSet;
#define VIGIL_CLASS_BIT(c) (G_GUINT64_CONSTANT (1) << (c))

typedef struct
{
  gint           refs;
  char          *text;         /* this statement's own text, trimmed */
  VigilClassSet  classes;
  char         **relations;    /* NULL-terminated, "schema.name" when qualified */
  char         **functions;    /* NULL-terminated, called functions (lower case) */
  char          *fingerprint;  /* pg_query fingerprint, hex; NULL when unparsed */
  char          *error;        /* parser message when VIGIL_CLASS_UNPARSED */
} VigilStatement;

const char     *vigil_class_to_string        (VigilClass       klass);
gboolean        vigil_class_from_string      (const char      *str,
                                              VigilClass      *out);
/* "read", "update,unbounded-write" ... for logs and the audit. */
char           *vigil_class_set_to_string    (VigilClassSet    set);
/* The name of a set of exactly one class (static), else NULL: no allocation. */
const char     *vigil_class_set_single_name  (VigilClassSet    set);

VigilStatement *vigil_statement_ref          (VigilStatement  *self);
void            vigil_statement_unref        (VigilStatement  *self);

#define VIGIL_TYPE_CLASSIFIER (vigil_classifier_get_type ())
G_DECLARE_FINAL_TYPE (VigilClassifier, vigil_classifier, VIGIL, CLASSIFIER, GObject)

VigilClassifier *vigil_classifier_new        (guint            cache_size);
/* Splits QUERY into its statements and classifies each; cached by text. Never NULL:
 * text that does not parse gives one VIGIL_CLASS_UNPARSED statement. Thread-safe.
 * Element type: VigilStatement (owned by the array). */
GPtrArray       *vigil_classifier_classify   (VigilClassifier *self,
                                              const char      *query);
/* SQL-level PREPARE name AS ...: remembered per session by the caller, which passes the
 * prepared text back for EXECUTE; this helper extracts name and body from PREPARE. */
gboolean         vigil_classifier_split_prepare (const char   *statement,
                                                 char        **out_name,
                                                 char        **out_body);

/* EXECUTE name(...) or DEALLOCATE [PREPARE] name|ALL: the prepared statement's name
 * (NULL for DEALLOCATE ALL) and which of the two it is. FALSE for anything else. */
gboolean         vigil_classifier_execute_name  (const char   *statement,
                                                 char        **out_name,
                                                 gboolean     *out_deallocate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilStatement, vigil_statement_unref)

G_END_DECLS
