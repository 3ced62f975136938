/* vigil-policy.h: rules that decide allow, deny or review, and what gets masked.
 *
 * A policy is immutable once built; the engine swaps whole policies (atomically, by
 * reference) when one is imported, so the next statement of every session sees it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "vigil-classify.h"

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

G_END_DECLS
