/* test-policy.c: the policy model, its validation, the default policy, and its versions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

#include "vigil-policy.h"
#include "vigil-store.h"
#include "vigil-test-pg.h"

static const char design_example[] =
  "{\"version\": 1, \"default_action\": \"allow\",\n"
  " \"rules\": [\n"
  "   {\"name\": \"dba\", \"match\": {\"identity\": \"alice\"}, \"action\": \"allow\", \"mask\": false},\n"
  "   {\"name\": \"no-drop\", \"match\": {\"kind\": \"agent\", \"class\": [\"drop\"]}, \"action\": \"deny\",\n"
  "    \"message\": \"agents may not drop objects\"},\n"
  "   {\"name\": \"unbounded\", \"match\": {\"kind\": \"agent\", \"class\": [\"unbounded-write\"]}, \"action\": \"review\"}],\n"
  " \"masking\": [\n"
  "   {\"name\": \"emails\", \"match\": {\"kind\": \"agent\"}, \"columns\": [\"*.email\"], \"strategy\": \"partial\"},\n"
  "   {\"name\": \"scan\", \"match\": {\"kind\": \"agent\"}, \"detectors\": [\"email\", \"card\", \"ssn\", \"iban\",\n"
  "    \"phone\", \"secret\"], \"strategy\": \"redact\"}]}\n";

static VigilClassifier *classifier;

static VigilPolicy *
policy_ok (const char *json)
{
  g_autoptr(GError) error = NULL;
  VigilPolicy *policy = vigil_policy_new_from_json (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (policy);
  return policy;
}

/* The verdict for SQL's first statement. */
static VigilVerdict
decide (VigilPolicy       *policy,
        const char        *identity,
        VigilIdentityKind  kind,
        const char        *sql)
{
  g_autoptr(GPtrArray) statements = vigil_classifier_classify (classifier, sql);
  VigilPolicySubject subject = { identity, kind, "prod" };
  VigilVerdict verdict;

  g_assert_cmpuint (statements->len, >=, 1);
  vigil_policy_decide_all (policy, &subject, statements, &verdict, NULL);
  return verdict;
}

static void
test_design_example (void)
{
  g_autoptr(VigilPolicy) policy = policy_ok (design_example);
  const VigilMaskingRule *masking;
  VigilPolicySubject agent = { "bot", VIGIL_IDENTITY_KIND_AGENT, "prod" };
  VigilPolicySubject human = { "bob", VIGIL_IDENTITY_KIND_HUMAN, "prod" };
  VigilVerdict v;
  guint n;

  v = decide (policy, "alice", VIGIL_IDENTITY_KIND_AGENT, "DROP TABLE t");
  g_assert_cmpint (v.decision, ==, VIGIL_DECISION_ALLOW);
  g_assert_cmpstr (v.rule, ==, "dba");
  g_assert_false (v.mask);

  v = decide (policy, "bot", VIGIL_IDENTITY_KIND_AGENT, "drop table t");
  g_assert_cmpint (v.decision, ==, VIGIL_DECISION_DENY);
  g_assert_cmpstr (v.rule, ==, "no-drop");
  g_assert_cmpstr (v.message, ==, "agents may not drop objects");

  v = decide (policy, "bot", VIGIL_IDENTITY_KIND_AGENT, "UPDATE t SET a = 1 WHERE 1 = 1");
  g_assert_cmpint (v.decision, ==, VIGIL_DECISION_REVIEW);
  g_assert_cmpstr (v.rule, ==, "unbounded");

  v = decide (policy, "bot", VIGIL_IDENTITY_KIND_AGENT, "SELECT 1");
  g_assert_cmpint (v.decision, ==, VIGIL_DECISION_ALLOW);
  g_assert_null (v.rule);
  g_assert_true (v.mask);

  masking = vigil_policy_get_masking_rules (policy, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpstr (masking[0].name, ==, "emails");
  g_assert_cmpstr (masking[0].columns[0], ==, "*.email");
  g_assert_null (masking[0].detectors[0]);
  g_assert_cmpint (masking[0].strategy, ==, VIGIL_MASK_PARTIAL);
  g_assert_cmpuint (g_strv_length ((char **) masking[1].detectors), ==, 6);
  g_assert_cmpint (masking[1].strategy, ==, VIGIL_MASK_REDACT);
  g_assert_cmpint (masking[1].detector_set, ==, VIGIL_DETECT_ALL);
  g_assert_cmpint (masking[0].detector_set, ==, VIGIL_DETECT_NONE);
  g_assert_true (vigil_masking_rule_applies (&masking[0], &agent, NULL));
  g_assert_false (vigil_masking_rule_applies (&masking[0], &human, NULL));
}

static void
test_first_match (void)
{
  g_autoptr(VigilPolicy) policy = policy_ok (
    "{\"version\": 1, \"default_action\": \"deny\", \"rules\": ["
    " {\"name\": \"a\", \"match\": {\"class\": [\"read\"]}, \"action\": \"review\"},"
    " {\"name\": \"b\", \"match\": {\"class\": [\"read\"]}, \"action\": \"allow\"},"
    " {\"name\": \"c\", \"action\": \"allow\", \"message\": \"everything else\"}]}");
  VigilVerdict v;

  v = decide (policy, "x", VIGIL_IDENTITY_KIND_HUMAN, "SELECT 1");
  g_assert_cmpstr (v.rule, ==, "a");
  g_assert_cmpint (v.decision, ==, VIGIL_DECISION_REVIEW);
  v = decide (policy, "x", VIGIL_IDENTITY_KIND_HUMAN, "INSERT INTO t VALUES (1)");
  g_assert_cmpstr (v.rule, ==, "c");
  g_assert_cmpint (v.decision, ==, VIGIL_DECISION_ALLOW);
}

static void
test_globs (void)
{
  g_autoptr(VigilPolicy) policy = policy_ok (
    "{\"version\": 1, \"default_action\": \"allow\", \"rules\": ["
    " {\"name\": \"ci\", \"match\": {\"identity\": \"ci-*\", \"connection\": \"staging*\"},"
    "  \"action\": \"review\"},"
    " {\"name\": \"audit\", \"match\": {\"relations\": [\"audit.*\"]}, \"action\": \"deny\"},"
    " {\"name\": \"users\", \"match\": {\"relations\": [\"users\"], \"class\": [\"delete\"]},"
    "  \"action\": \"deny\"},"
    " {\"name\": \"files\", \"match\": {\"functions\": [\"PG_READ_*\"]}, \"action\": \"deny\"}]}");
  VigilPolicySubject ci = { "ci-42", VIGIL_IDENTITY_KIND_AGENT, "staging-eu" };
  VigilPolicySubject ci_prod = { "ci-42", VIGIL_IDENTITY_KIND_AGENT, "prod" };
  g_autoptr(GPtrArray) select1 = vigil_classifier_classify (classifier, "SELECT 1");
  VigilVerdict v;

  vigil_policy_decide (policy, &ci, select1->pdata[0], &v);
  g_assert_cmpstr (v.rule, ==, "ci");
  vigil_policy_decide (policy, &ci_prod, select1->pdata[0], &v);
  g_assert_null (v.rule);

  v = decide (policy, "x", VIGIL_IDENTITY_KIND_AGENT, "SELECT * FROM audit.log");
  g_assert_cmpstr (v.rule, ==, "audit");
  v = decide (policy, "x", VIGIL_IDENTITY_KIND_AGENT, "SELECT * FROM public.log");
  g_assert_null (v.rule);
  /* "users" matches public.users too (relations also match without their schema). */
  v = decide (policy, "x", VIGIL_IDENTITY_KIND_AGENT, "DELETE FROM public.users WHERE id = 1");
  g_assert_cmpstr (v.rule, ==, "users");
  v = decide (policy, "x", VIGIL_IDENTITY_KIND_AGENT, "SELECT * FROM public.users");
  g_assert_null (v.rule);
  v = decide (policy, "x", VIGIL_IDENTITY_KIND_AGENT, "SELECT pg_read_binary_file('x')");
  g_assert_cmpstr (v.rule, ==, "files");
}

static const struct { const char *json; const char *error; } bad_documents[] = {
  { "{", "not valid JSON" },
  { "[]", "(top): must be an object" },
  { "{\"version\": 2, \"rules\": []}", "version: unsupported version 2" },
  { "{\"rules\": []}", "version: missing" },
  { "{\"version\": \"1\"}", "version: must be an integer, not a string" },
  { "{\"version\": 1, \"colour\": 1}", "(top): unknown key \"colour\"" },
  { "{\"version\": 1, \"default_action\": \"maybe\"}", "default_action: unknown action \"maybe\"" },
  { "{\"version\": 1, \"rules\": {}}", "rules: must be an array, not an object" },
  { "{\"version\": 1, \"rules\": [3]}", "rules[0]: must be an object, not a number" },
  { "{\"version\": 1, \"rules\": [{\"action\": \"allow\"}]}", "rules[0].name: missing" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"\", \"action\": \"allow\"}]}",
    "rules[0].name: must not be empty" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\"},"
    " {\"name\": \"a\", \"action\": \"deny\"}]}", "rules[1].name: duplicate rule name \"a\"" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"permit\"}]}",
    "rules[0].action: unknown action \"permit\"" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\"}]}", "rules[0].action: missing" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\", \"when\": 1}]}",
    "rules[0]: unknown key \"when\"" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\", \"mask\": \"no\"}]}",
    "rules[0].mask: must be a boolean, not a string" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"deny\", \"message\": 1}]}",
    "rules[0].message: must be a string, not a number" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\", \"match\": []}]}",
    "rules[0].match: must be an object, not an array" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\","
    " \"match\": {\"user\": \"x\"}}]}", "rules[0].match: unknown key \"user\"" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\"},"
    " {\"name\": \"b\", \"action\": \"deny\", \"match\": {\"class\": [\"drop\", \"dropp\"]}}]}",
    "rules[1].match.class[1]: unknown class \"dropp\"" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\","
    " \"match\": {\"kind\": \"robot\"}}]}", "rules[0].match.kind: unknown kind \"robot\"" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\","
    " \"match\": {\"relations\": [1]}}]}",
    "rules[0].match.relations[0]: must be a string, not a number" },
  { "{\"version\": 1, \"rules\": [{\"name\": \"a\", \"action\": \"allow\","
    " \"match\": {\"identity\": true}}]}",
    "rules[0].match.identity: must be a string or an array of strings, not a boolean" },
  { "{\"version\": 1, \"masking\": [{\"name\": \"m\", \"columns\": [\"*.a\"],"
    " \"strategy\": \"shred\"}]}", "masking[0].strategy: unknown strategy \"shred\"" },
  { "{\"version\": 1, \"masking\": [{\"name\": \"m\", \"detectors\": [\"email\", \"dna\"],"
    " \"strategy\": \"redact\"}]}", "masking[0].detectors[1]: unknown detector \"dna\"" },
  { "{\"version\": 1, \"masking\": [{\"name\": \"m\", \"strategy\": \"redact\"}]}",
    "masking[0]: needs \"columns\" or \"detectors\"" },
  { "{\"version\": 1, \"masking\": [{\"name\": \"m\", \"columns\": \"*.a\","
    " \"strategy\": \"redact\"}]}", "masking[0].columns: must be an array of strings" },
  { "{\"version\": 1, \"masking\": [{\"name\": \"m\", \"columns\": [\"*.a\"]}]}",
    "masking[0].strategy: missing" },
  { "{\"version\": 1, \"masking\": [{\"name\": \"m\", \"columns\": [\"*.a\"],"
    " \"strategy\": \"null\"}, {\"name\": \"m\", \"columns\": [\"*.b\"], \"strategy\": \"hash\"}]}",
    "masking[1].name: duplicate rule name \"m\"" },
};

static void
test_validation (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_documents); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilPolicy) policy = vigil_policy_new_from_json (bad_documents[i].json, &error);

      g_assert_null (policy);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID);
      if (strstr (error->message, bad_documents[i].error) == NULL)
        g_error ("document %u: \"%s\" does not contain \"%s\"", i, error->message,
                 bad_documents[i].error);
    }
}

static void
test_round_trip (void)
{
  g_autoptr(VigilPolicy) policy = policy_ok (design_example);
  g_autoptr(VigilPolicy) fallback = vigil_policy_new_default ();
  VigilPolicy *policies[] = { policy, fallback };

  for (guint i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      g_autofree char *json = vigil_policy_to_json (policies[i]);
      g_autoptr(VigilPolicy) again = policy_ok (json);
      g_autofree char *json_again = vigil_policy_to_json (again);

      g_assert_cmpstr (json, ==, json_again);
      g_assert_cmpuint (vigil_policy_get_n_rules (again), ==, vigil_policy_get_n_rules (policies[i]));
    }
}

static const struct
{
  VigilIdentityKind  kind;
  const char        *sql;
  VigilDecision      decision;
} default_cases[] = {
#define AGENT VIGIL_IDENTITY_KIND_AGENT
#define ALLOW VIGIL_DECISION_ALLOW
#define DENY VIGIL_DECISION_DENY
#define REVIEW VIGIL_DECISION_REVIEW
  { VIGIL_IDENTITY_KIND_HUMAN, "DROP TABLE users", ALLOW },
  { VIGIL_IDENTITY_KIND_ADMIN, "COPY t TO PROGRAM 'x'", ALLOW },
  { AGENT, "SELECT * FROM users WHERE id = 1", ALLOW },
  { AGENT, "INSERT INTO t VALUES (1)", ALLOW },
  { AGENT, "UPDATE t SET a = 1 WHERE id = 1", ALLOW },
  { AGENT, "DELETE FROM t WHERE id = 1", ALLOW },
  { AGENT, "DELETE FROM t", REVIEW },
  { AGENT, "UPDATE t SET a = 1 WHERE true", REVIEW },
  { AGENT, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", REVIEW },
  { AGENT, "EXPLAIN ANALYZE DELETE FROM t", REVIEW },
  { AGENT, "EXPLAIN DELETE FROM t", ALLOW },
  { AGENT, "TRUNCATE t", REVIEW },
  { AGENT, "DROP TABLE t", REVIEW },
  { AGENT, "CREATE TABLE t (a int)", REVIEW },
  { AGENT, "ALTER TABLE t ADD COLUMN b int", REVIEW },
  { AGENT, "SELECT * INTO newt FROM t", REVIEW },
  { AGENT, "CREATE TEMP TABLE scratch (a int)", ALLOW },
  { AGENT, "GRANT SELECT ON t TO bob", REVIEW },
  { AGENT, "COPY t FROM '/etc/passwd'", REVIEW },
  { AGENT, "COPY t TO PROGRAM 'sh'", DENY },
  { AGENT, "COPY t FROM STDIN", ALLOW },
  { AGENT, "DO $$ BEGIN PERFORM 1; END $$", REVIEW },
  { AGENT, "CALL p()", REVIEW },
  { AGENT, "SELECT pg_read_file('/etc/passwd')", REVIEW },
  { AGENT, "SELECT set_config('role', 'x', false)", REVIEW },
  { AGENT, "SELECT lo_import('/etc/passwd')", DENY },
  { AGENT, "SELECT lo_export(1, '/tmp/x')", DENY },
  { AGENT, "ALTER SYSTEM SET work_mem = '1GB'", DENY },
  { AGENT, "CREATE ROLE eve", DENY },
  { AGENT, "SET ROLE postgres", DENY },
  { AGENT, "SET search_path = app", ALLOW },
  { AGENT, "BEGIN", ALLOW },
  { AGENT, "PREPARE p AS DELETE FROM t", ALLOW },
  { AGENT, "LISTEN ch", ALLOW },
  { AGENT, "VACUUM FULL t", REVIEW },
  { AGENT, "SELEC 1", ALLOW },
  { AGENT, "SELECT 1; DROP TABLE t; SELECT 2", REVIEW },
  { AGENT, "DROP TABLE t; COPY t TO PROGRAM 'sh'", DENY },
#undef AGENT
#undef ALLOW
#undef DENY
#undef REVIEW
};

static void
test_default_policy (void)
{
  g_autoptr(VigilPolicy) policy = vigil_policy_new_default ();
  const VigilMaskingRule *masking;
  guint n = 0;

  g_assert_cmpint (vigil_policy_get_default_action (policy), ==, VIGIL_DECISION_REVIEW);
  for (guint i = 0; i < G_N_ELEMENTS (default_cases); i++)
    {
      VigilVerdict v = decide (policy, "someone", default_cases[i].kind, default_cases[i].sql);

      if (v.decision != default_cases[i].decision)
        g_error ("%s by %s: %s (rule %s), expected %s", default_cases[i].sql,
                 vigil_identity_kind_to_string (default_cases[i].kind),
                 vigil_decision_to_string (v.decision), v.rule != NULL ? v.rule : "default",
                 vigil_decision_to_string (default_cases[i].decision));
      if (v.decision == VIGIL_DECISION_DENY)
        g_assert_nonnull (v.message);
    }
  masking = vigil_policy_get_masking_rules (policy, &n);
  g_assert_cmpuint (n, >=, 2);
  g_assert_nonnull (masking[0].columns[0]);
}

static void
test_store_versions (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vigil-policy-XXXXXX", &error);
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilPolicy) fallback = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autofree char *json = NULL;
  g_autofree char *current = NULL;
  g_autofree char *sha = NULL;
  gint64 version = -1;
  VigilPolicyVersion *newest;

  g_assert_no_error (error);
  store = vigil_store_open (dir, &error);
  g_assert_no_error (error);

  current = vigil_store_policy_load_current (store, &version, &error);
  g_assert_no_error (error);
  g_assert_null (current);
  g_assert_cmpint (version, ==, 0);

  g_assert_true (vigil_store_policy_save (store, design_example, "alice", "first", &version,
                                          &error));
  g_assert_no_error (error);
  g_assert_cmpint (version, ==, 1);
  fallback = vigil_policy_new_default ();
  json = vigil_policy_to_json (fallback);
  g_assert_true (vigil_store_policy_save (store, json, "bob", NULL, &version, &error));
  g_assert_cmpint (version, ==, 2);

  current = vigil_store_policy_load_current (store, &version, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (current, ==, json);
  g_assert_cmpint (version, ==, 2);

  versions = vigil_store_policy_list_versions (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 2);
  newest = versions->pdata[0];
  sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, json, -1);
  g_assert_cmpint (newest->id, ==, 2);
  g_assert_cmpstr (newest->author, ==, "bob");
  g_assert_null (newest->comment);
  g_assert_cmpstr (newest->sha256, ==, sha);
  g_assert_cmpstr (((VigilPolicyVersion *) versions->pdata[1])->comment, ==, "first");
  g_assert_cmpint (newest->created_at, >, 0);

  g_clear_object (&store);
  vigil_test_rm_rf (dir);
}

static int
run_vigilctl (const char  *dir,
              const char  *command,
              const char  *file,
              char       **out_stdout,
              char       **out_stderr)
{
  const char *vigilctl = g_getenv ("VIGILCTL");
  const char *argv[] = { vigilctl, "policy", command, "--data-dir", dir, file, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out_stdout, out_stderr,
                &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_vigilctl (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *good = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *exported = NULL;

  if (g_getenv ("VIGILCTL") == NULL)
    {
      g_test_skip ("VIGILCTL is not set");
      return;
    }
  dir = g_dir_make_tmp ("vigil-policy-cli-XXXXXX", &error);
  g_assert_no_error (error);
  bad = g_build_filename (dir, "bad.json", NULL);
  good = g_build_filename (dir, "good.json", NULL);
  g_file_set_contents (bad, "{\"version\": 1, \"rules\": [{\"name\": \"x\","
                       " \"action\": \"allow\", \"match\": {\"class\": [\"dropp\"]}}]}",
                       -1, &error);
  g_file_set_contents (good, design_example, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_vigilctl (dir, "import", bad, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "rules[0].match.class[0]: unknown class \"dropp\""));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_vigilctl (dir, "import", good, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "policy version 1 imported\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_vigilctl (dir, "export", NULL, &exported, &err), ==, 0);
  g_clear_pointer (&err, g_free);
  g_file_set_contents (good, exported, -1, &error);
  g_assert_cmpint (run_vigilctl (dir, "import", good, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "policy version 2 imported\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_vigilctl (dir, "list", NULL, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Policy version 2"));
  g_assert_nonnull (strstr (out, "no-drop"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_vigilctl (dir, "versions", NULL, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "(in force)"));

  g_unlink (bad);
  g_unlink (good);
  vigil_test_rm_rf (dir);
}

/* An audited statement judged again, without a session (the console's dry run). */
static VigilAuditRecord *
audited (const char *identity,
         const char *kind,
         const char *statement,
         const char *klass,
         const char *relations)
{
  VigilAuditRecord *record = vigil_audit_record_new ();

  record->identity = g_strdup (identity);
  record->identity_kind = g_strdup (kind);
  record->connection = g_strdup ("prod");
  record->statement = g_strdup (statement);
  record->class = g_strdup (klass);
  record->relations = g_strdup (relations);
  record->decision = g_strdup ("allow");
  return record;
}

static void
test_judge_record (void)
{
  g_autoptr(VigilPolicy) policy = policy_ok (design_example);
  g_autoptr(VigilPolicy) secrets = policy_ok (
    "{\"version\": 1, \"default_action\": \"allow\", \"rules\": ["
    " {\"name\": \"keys\", \"match\": {\"relations\": \"secret_*\", \"connection\": \"prod\"},"
    "  \"action\": \"deny\", \"message\": \"no keys\"}]}");
  g_autoptr(VigilAuditRecord) drop = audited ("bot", "agent", "DROP TABLE t", "read", NULL);
  g_autoptr(VigilAuditRecord) human_drop = audited ("bob", "human", "DROP TABLE t", "drop", NULL);
  g_autoptr(VigilAuditRecord) masked = audited ("bot", "agent", "DELETE FROM users WHERE <email>",
                                                "delete,unbounded-write", "public.users");
  g_autoptr(VigilAuditRecord) garbage = audited ("bot", "agent", "DELTE FROM users", "unparsed", NULL);
  g_autoptr(VigilAuditRecord) keys = audited ("bot", "agent", "SELECT * FROM secret_keys WHERE <x>",
                                              "read", "public.secret_keys");
  g_autoptr(VigilAuditRecord) robot = audited ("r2", "robot", "DROP TABLE t", "drop", NULL);
  VigilVerdict verdict;

  /* Classified again from the text, not from what was recorded. */
  g_assert_true (vigil_policy_judge_record (policy, classifier, drop, &verdict));
  g_assert_cmpint (verdict.decision, ==, VIGIL_DECISION_DENY);
  g_assert_cmpstr (verdict.rule, ==, "no-drop");
  g_assert_cmpstr (verdict.message, ==, "agents may not drop objects");
  /* The subject is the recorded one: a human's DROP falls through to the default. */
  g_assert_true (vigil_policy_judge_record (policy, classifier, human_drop, &verdict));
  g_assert_cmpint (verdict.decision, ==, VIGIL_DECISION_ALLOW);
  g_assert_null (verdict.rule);
  /* Masked values broke the text: the recorded class stands in. */
  g_assert_true (vigil_policy_judge_record (policy, classifier, masked, &verdict));
  g_assert_cmpint (verdict.decision, ==, VIGIL_DECISION_REVIEW);
  g_assert_cmpstr (verdict.rule, ==, "unbounded");
  /* It never parsed: judged as unparsed, as the engine did. */
  g_assert_true (vigil_policy_judge_record (policy, classifier, garbage, &verdict));
  g_assert_cmpint (verdict.decision, ==, VIGIL_DECISION_ALLOW);
  /* The recorded relations and connection match too. */
  g_assert_true (vigil_policy_judge_record (secrets, classifier, keys, &verdict));
  g_assert_cmpint (verdict.decision, ==, VIGIL_DECISION_DENY);
  g_assert_cmpstr (verdict.rule, ==, "keys");
  g_assert_true (vigil_policy_judge_record (secrets, classifier, drop, &verdict));
  g_assert_cmpint (verdict.decision, ==, VIGIL_DECISION_ALLOW);
  /* An identity kind the engine does not know cannot be judged. */
  g_assert_false (vigil_policy_judge_record (policy, classifier, robot, &verdict));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  classifier = vigil_classifier_new (128);

  g_test_add_func ("/policy/Policy/design-example", test_design_example);
  g_test_add_func ("/policy/Policy/first-match", test_first_match);
  g_test_add_func ("/policy/Policy/globs", test_globs);
  g_test_add_func ("/policy/Policy/validation", test_validation);
  g_test_add_func ("/policy/Policy/round-trip", test_round_trip);
  g_test_add_func ("/policy/Policy/default", test_default_policy);
  g_test_add_func ("/policy/Policy/judge-record", test_judge_record);
  g_test_add_func ("/policy/Store/versions", test_store_versions);
  g_test_add_func ("/policy/vigilctl/import-export", test_vigilctl);

  status = g_test_run ();
  g_object_unref (classifier);
  return status;
}
