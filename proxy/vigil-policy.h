/* vigil-policy.h: rules that decide allow, deny or review, and what gets masked.
 *
 * A policy is immutable once built; the engine swaps whole policies (atomically, by
 * reference) when one is imported, so the next statement of every session sees it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-audit-record.h"
#include "vigil-classify.h"
#include "vigil-mask.h"

G_BEGIN_DECLS

typedef enum {
  VIGIL_DECISION_ALLOW,
  VIGIL_DECISION_DENY,
  VIGIL_DECISION_REVIEW,
} VigilDecision;

typedef struct
{
  const char        *identity;      /* identity name */
  VigilIdentityKind  kind;
  const char        *connection;
} VigilPolicySubject;

typedef struct
{
  VigilDecision  decision;
  const char    *rule;       /* the deciding rule's name, NULL for the default; owned by the policy */
  const char    *message;    /* deny message, or NULL; owned by the policy */
  gboolean       mask;       /* FALSE when the rule said "mask": false */
} VigilVerdict;

const char  *vigil_decision_to_string (VigilDecision decision);

#define VIGIL_TYPE_POLICY (vigil_policy_get_type ())
G_DECLARE_FINAL_TYPE (VigilPolicy, vigil_policy, VIGIL, POLICY, GObject)

/* Parses and validates; the error says exactly what is wrong and where
 * ("rules[2].match.class[0]: unknown class \"dropp\""). */
VigilPolicy *vigil_policy_new_from_json  (const char               *json,
                                          GError                  **error);
/* The built-in default policy (data/default-policy.json). */
VigilPolicy *vigil_policy_new_default    (void);
char        *vigil_policy_to_json        (VigilPolicy              *self);
/* First matching rule wins, then the default. Thread-safe. */
void         vigil_policy_decide         (VigilPolicy              *self,
                                          const VigilPolicySubject *subject,
                                          const VigilStatement     *statement,
                                          VigilVerdict             *out);

/* The most dangerous verdict over several statements (deny > review > allow): a query
 * string is judged, held or denied as a whole. *OUT_INDEX (nullable) receives the index of
 * the deciding statement. STATEMENTS: element type VigilStatement. */
void         vigil_policy_decide_all     (VigilPolicy              *self,
                                          const VigilPolicySubject *subject,
                                          GPtrArray                *statements,
                                          VigilVerdict             *out,
                                          guint                    *out_index);
/* Judges an audited statement again, as the engine would under this policy: the subject
 * as recorded (identity, kind, connection), the text classified by CLASSIFIER. The audit
 * may keep the text with values masked; when it no longer parses, the recorded class and
 * relations stand in. FALSE when the record cannot be judged (no known identity kind). */
gboolean     vigil_policy_judge_record   (VigilPolicy              *self,
                                          VigilClassifier          *classifier,
                                          const VigilAuditRecord   *record,
                                          VigilVerdict             *out);
VigilDecision vigil_policy_get_default_action (VigilPolicy         *self);
guint        vigil_policy_get_n_rules    (VigilPolicy              *self);
/* Rule INDEX's name and action, and its match as text ("kind=agent class=drop,alter"). */
void         vigil_policy_get_rule       (VigilPolicy              *self,
                                          guint                     index,
                                          const char              **out_name,
                                          char                    **out_match_summary,
                                          VigilDecision            *out_action);

/* Masking rules ("masking" in the JSON), in order; used by the masking engine. */
typedef struct _VigilPolicyMatch VigilPolicyMatch;

typedef struct
{
  const char             *name;
  const VigilPolicyMatch *match;      /* opaque; see vigil_masking_rule_applies() */
  const char * const     *columns;    /* NULL-terminated globs ("*.email", "users.ssn"); never NULL */
  const char * const     *detectors;  /* NULL-terminated ("email", "card", ...); never NULL */
  VigilDetectorSet        detector_set;  /* the same detectors as bits ("secret": all secret kinds) */
  VigilMaskStrategy       strategy;   /* vigil-mask.h */
} VigilMaskingRule;

/* Valid detector names: email, card, ssn, iban, phone, secret. */
gboolean     vigil_mask_detector_is_valid  (const char       *name);
/* Owned by the policy; *OUT_N_RULES receives the count. */
const VigilMaskingRule *vigil_policy_get_masking_rules (VigilPolicy *self,
                                                        guint       *out_n_rules);
/* Whether RULE's match holds for SUBJECT (and STATEMENT; when NULL, the statement keys
 * class, relations and functions are ignored). */
gboolean     vigil_masking_rule_applies  (const VigilMaskingRule   *rule,
                                          const VigilPolicySubject *subject,
                                          const VigilStatement     *statement);

G_END_DECLS
