/* vigilctl.c: the headless command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "vigil-options.h"
#include "vigilctl.h"

typedef struct
{
  const char *name;
  int       (*main) (int argc, char **argv);
  const char *summary;
} VigilctlCommand;

static const VigilctlCommand commands[] = {
  { "serve",    vigilctl_serve_main,    "run the proxy" },
  { "identity", vigilctl_identity_main, "add, list or revoke identities" },
  { "audit",    vigilctl_audit_main,    "tail, verify and export the audit log" },
  { "policy",   vigilctl_policy_main,   "list, import or export the policy" },
  { "approvals", vigilctl_approvals_main, "list, approve or deny held statements" },
};

char *
vigilctl_resolve_data_dir (const char *option_value)
{
  VigilOptions options = { .data_dir = (char *) option_value };

  return vigil_options_resolve_data_dir (&options);
}

static int
print_usage (FILE *out)
{
  fprintf (out, "Usage: vigilctl COMMAND [OPTIONS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nEvery command takes --data-dir DIR (or VIGIL_DATA_DIR).\n");
  return out == stdout ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2)
    return print_usage (stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return print_usage (stdout);
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("vigilctl %s\n", VIGIL_VERSION);
      return VIGILCTL_EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].main (argc - 1, argv + 1);

  fprintf (stderr, "vigilctl: unknown command '%s'\n", argv[1]);
  return print_usage (stderr);
}
