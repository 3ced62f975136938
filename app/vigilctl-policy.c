/* vigilctl-policy.c: `vigilctl policy list|import|export|versions`.
 *
 * `import` validates before it stores: a bad file changes nothing and the error names the
 * JSON path of the problem. The running engine picks the new version up for the next
 * statement of every session (vigil_engine_reload_policy()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vigil-policy.h"
#include "vigil-store.h"
#include "vigilctl.h"

static int policy_list     (int argc, char **argv);
static int policy_import   (int argc, char **argv);
static int policy_export   (int argc, char **argv);
static int policy_versions (int argc, char **argv);

static const VigilctlCommand policy_commands[] = {
  { "list",     policy_list,     "show the rules of the policy in force" },
  { "import",   policy_import,   "validate FILE and make it the policy in force" },
  { "export",   policy_export,   "print the policy in force as JSON" },
  { "versions", policy_versions, "list every imported version" },
};

static char *opt_data_dir;

/* $USER, else the name of the real user id: the CLI acts as the local OS user. */
static char *
os_user_name (void)
{
  const char *user = g_getenv ("USER");
  struct passwd *pw;

  if (user != NULL && *user != '\0')
    return g_strdup (user);
  pw = getpwuid (getuid ());
  if (pw != NULL && pw->pw_name != NULL)
    return g_strdup (pw->pw_name);
  return g_strdup_printf ("uid:%u", (guint) getuid ());
}

/* The policy in force and its version (NULL when it is the built-in default). */
static VigilPolicy *
load_current (VigilStore          *store,
              VigilPolicyVersion **out_version,
              GError             **error)
{
  g_autofree char *json = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  gint64 version = 0;

  *out_version = NULL;
  if ((json = vigil_store_policy_load_current (store, &version, error)) == NULL)
    return error != NULL && *error != NULL ? NULL : vigil_policy_new_default ();
  if ((versions = vigil_store_policy_list_versions (store, error)) == NULL)
    return NULL;
  if (versions->len > 0)
    *out_version = g_ptr_array_steal_index (versions, 0);
  return vigil_policy_new_from_json (json, error);
}

static int
policy_list (int    argc,
             char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilPolicy) policy = NULL;
  g_autoptr(VigilPolicyVersion) version = NULL;
  g_autoptr(GError) error = NULL;
  int width = 4;

  if (!vigilctl_parse_options (&argc, &argv, "list", &opt_data_dir, NULL))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 1)
    return vigilctl_fail ("usage: vigilctl policy list");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if ((policy = load_current (store, &version, &error)) == NULL)
    return vigilctl_fail (error->message);

  if (version != NULL)
    {
      g_autofree char *when = vigilctl_format_time (version->created_at, FALSE);

      printf ("Policy version %" G_GINT64_FORMAT ", imported by %s on %s%s%s\n", version->id,
              version->author, when, version->comment != NULL ? ": " : "",
              version->comment != NULL ? version->comment : "");
    }
  else
    printf ("Built-in default policy (none imported)\n");

  for (guint i = 0; i < vigil_policy_get_n_rules (policy); i++)
    {
      const char *name;

      vigil_policy_get_rule (policy, i, &name, NULL, NULL);
      width = MAX (width, (int) strlen (name));
    }
  printf ("\n%-3s  %-*s  %-6s  %s\n", "#", width, "NAME", "ACTION", "MATCH");
  for (guint i = 0; i < vigil_policy_get_n_rules (policy); i++)
    {
      g_autofree char *summary = NULL;
      const char *name;
      VigilDecision action;

      vigil_policy_get_rule (policy, i, &name, &summary, &action);
      printf ("%-3u  %-*s  %-6s  %s\n", i + 1, width, name, vigil_decision_to_string (action),
              summary);
    }
  printf ("%-3s  %-*s  %-6s  %s\n", "-", width, "(default)",
          vigil_decision_to_string (vigil_policy_get_default_action (policy)), "anything else");
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

static int
policy_import (int    argc,
               char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *author = NULL;
  g_autofree char *comment = NULL;
  gint64 version = 0;
  const GOptionEntry entries[] = {
    { "comment", 'm', 0, G_OPTION_ARG_STRING, &comment, "Why the policy changes", "TEXT" },
    { NULL }
  };

  if (!vigilctl_parse_options (&argc, &argv, "import FILE", &opt_data_dir, entries))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 2)
    return vigilctl_fail ("usage: vigilctl policy import FILE [--comment TEXT]");
  if (!g_file_get_contents (argv[1], &contents, NULL, &error))
    return vigilctl_fail (error->message);
  if ((policy = vigil_policy_new_from_json (contents, &error)) == NULL)
    {
      fprintf (stderr, "vigilctl: %s: %s\n", argv[1], error->message);
      return VIGILCTL_EXIT_ERROR;
    }
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;

  /* The canonical form is stored, so `export` prints what is in force, validated. */
  canonical = vigil_policy_to_json (policy);
  author = os_user_name ();
  if (!vigil_store_policy_save (store, canonical, author, comment, &version, &error))
    return vigilctl_fail (error->message);
  printf ("policy version %" G_GINT64_FORMAT " imported\n", version);
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

static int
policy_export (int    argc,
               char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilPolicy) policy = NULL;
  g_autoptr(VigilPolicyVersion) version = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  if (!vigilctl_parse_options (&argc, &argv, "export", &opt_data_dir, NULL))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 1)
    return vigilctl_fail ("usage: vigilctl policy export");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if ((policy = load_current (store, &version, &error)) == NULL)
    return vigilctl_fail (error->message);
  json = vigil_policy_to_json (policy);
  printf ("%s\n", json);
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

static int
policy_versions (int    argc,
                 char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GError) error = NULL;

  if (!vigilctl_parse_options (&argc, &argv, "versions", &opt_data_dir, NULL))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 1)
    return vigilctl_fail ("usage: vigilctl policy versions");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if ((versions = vigil_store_policy_list_versions (store, &error)) == NULL)
    return vigilctl_fail (error->message);

  printf ("%-7s  %-19s  %-16s  %-12s  %s\n", "VERSION", "IMPORTED", "AUTHOR", "SHA256",
          "COMMENT");
  for (guint i = 0; i < versions->len; i++)
    {
      const VigilPolicyVersion *version = versions->pdata[i];
      g_autofree char *when = vigilctl_format_time (version->created_at, FALSE);

      printf ("%-7" G_GINT64_FORMAT "  %-19s  %-16s  %.12s  %s%s\n", version->id, when,
              version->author, version->sha256, version->comment != NULL ? version->comment : "",
              i == 0 ? (version->comment != NULL ? " (in force)" : "(in force)") : "");
    }
  if (versions->len == 0)
    printf ("(none: the built-in default policy is in force)\n");
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

int
vigilctl_policy_main (int    argc,
                      char **argv)
{
  int status = vigilctl_dispatch ("policy", policy_commands, G_N_ELEMENTS (policy_commands),
                                  argc, argv);

  g_clear_pointer (&opt_data_dir, g_free);
  return status;
}
