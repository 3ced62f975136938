/* fuzz-policy.c: vigil_policy_new_from_json on arbitrary text, and the round trip.
 *
 * A policy that parses must export to JSON that parses again to the same export, and
 * decide for a few subjects and statements without trouble.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-classify.h"
#include "vigil-policy.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static VigilClassifier *classifier;

static void
exercise (VigilPolicy *policy)
{
  static const char * const queries[] = {
    "SELECT email FROM users", "DROP TABLE t", "UPDATE t SET a = 1", "COPY t TO PROGRAM 'x'",
  };
  static const VigilPolicySubject subjects[] = {
    { "alice", VIGIL_IDENTITY_KIND_AGENT, "appdb" },
    { "bob", VIGIL_IDENTITY_KIND_AGENT + 1, "other" },
    { "", VIGIL_IDENTITY_KIND_AGENT + 2, "" },
  };
  guint n_rules = 0;
  const VigilMaskingRule *rules = vigil_policy_get_masking_rules (policy, &n_rules);

  for (guint i = 0; i < vigil_policy_get_n_rules (policy); i++)
    {
      const char *name;
      g_autofree char *summary = NULL;
      VigilDecision action;

      vigil_policy_get_rule (policy, i, &name, &summary, &action);
    }
  for (gsize q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      g_autoptr(GPtrArray) statements = vigil_classifier_classify (classifier, queries[q]);

      for (gsize s = 0; s < G_N_ELEMENTS (subjects); s++)
        {
          VigilVerdict verdict;
          guint index = 0;

          vigil_policy_decide_all (policy, &subjects[s], statements, &verdict, &index);
          CHECK (index < statements->len);
          for (guint r = 0; r < n_rules; r++)
            {
              CHECK (rules[r].columns != NULL && rules[r].detectors != NULL);
              (void) vigil_masking_rule_applies (&rules[r], &subjects[s],
                                                 g_ptr_array_index (statements, 0));
            }
        }
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(VigilPolicy) policy = NULL;
  g_autoptr(VigilPolicy) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = g_strndup ((const char *) data, size);
  g_autofree char *exported = NULL;
  g_autofree char *exported_again = NULL;

  if (classifier == NULL)
    classifier = vigil_classifier_new (64);
  policy = vigil_policy_new_from_json (json, &error);
  if (policy == NULL)
    {
      CHECK (error != NULL && error->message != NULL);
      return 0;
    }
  exported = vigil_policy_to_json (policy);
  again = vigil_policy_new_from_json (exported, &error);
  if (again == NULL)
    {
      fprintf (stderr, "round trip failed: %s\nexport:\n%s\n", error->message, exported);
      abort ();
    }
  exported_again = vigil_policy_to_json (again);
  if (strcmp (exported, exported_again) != 0)
    {
      fprintf (stderr, "export not stable:\n%s\n---\n%s\n", exported, exported_again);
      abort ();
    }
  exercise (policy);
  return 0;
}
