/* vigilctl.c: the headless command line.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "vigil-options.h"
#include "vigilctl.h"

static const VigilctlCommand commands[] = {
  { "serve",     vigilctl_serve_main,     "run the proxy" },
  { "identity",  vigilctl_identity_main,  "add, list or revoke identities" },
  { "connection", vigilctl_connection_main, "add, list or remove named upstreams" },
  { "audit",     vigilctl_audit_main,     "tail, verify and export the audit log" },
  { "policy",    vigilctl_policy_main,    "list, import or export the policy" },
  { "approvals", vigilctl_approvals_main, "list, approve or deny held statements" },
};

char *
vigilctl_resolve_data_dir (const char *option_value)
{
  VigilOptions options = { .data_dir = (char *) option_value };

  return vigil_options_resolve_data_dir (&options);
}

VigilStore *
vigilctl_open_store (const char *data_dir_option)
{
  g_autofree char *data_dir = vigilctl_resolve_data_dir (data_dir_option);
  g_autoptr(GError) error = NULL;
  VigilStore *store;

  store = vigil_store_open (data_dir, &error);
  if (store == NULL)
    vigilctl_fail (error->message);
  return store;
}

char *
vigilctl_format_time (gint64   unix_seconds,
                      gboolean utc)
{
  g_autoptr(GDateTime) dt = utc ? g_date_time_new_from_unix_utc (unix_seconds)
                                : g_date_time_new_from_unix_local (unix_seconds);

  if (dt == NULL)
    return g_strdup ("?");
  return utc ? g_date_time_format_iso8601 (dt) : g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
}

void
vigilctl_print_json_line (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *line = NULL;

  json_generator_set_root (generator, root);
  line = json_generator_to_data (generator, NULL);
  printf ("%s\n", line);
}

static int
print_usage (const char            *group,
             const VigilctlCommand *list,
             gsize                  n,
             FILE                  *out)
{
  fprintf (out, "Usage: vigilctl %s%sCOMMAND [OPTIONS]\n\nCommands:\n", group ? group : "",
           group ? " " : "");
  for (gsize i = 0; i < n; i++)
    fprintf (out, "  %-13s %s\n", list[i].name, list[i].summary);
  fprintf (out, "\nEvery command takes --data-dir DIR (or VIGIL_DATA_DIR).\n");
  return out == stdout ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

int
vigilctl_dispatch (const char            *group,
                   const VigilctlCommand *list,
                   gsize                  n,
                   int                    argc,
                   char                 **argv)
{
  g_autofree char *prgname = NULL;

  if (argc < 2)
    return print_usage (group, list, n, stderr);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    return print_usage (group, list, n, stdout);
  /* GOption's --help then reads "Usage: vigilctl identity add NAME". */
  prgname = group ? g_strconcat ("vigilctl ", group, NULL) : g_strdup ("vigilctl");
  g_set_prgname (prgname);
  for (gsize i = 0; i < n; i++)
    if (strcmp (argv[1], list[i].name) == 0)
      return list[i].run (argc - 1, argv + 1);
  fprintf (stderr, "vigilctl: unknown %s%scommand '%s'\n", group ? group : "", group ? " " : "",
           argv[1]);
  return print_usage (group, list, n, stderr);
}

int
vigilctl_fail (const char *message)
{
  fprintf (stderr, "vigilctl: %s\n", message);
  return VIGILCTL_EXIT_ERROR;
}

gboolean
vigilctl_parse_options (int                  *argc,
                        char               ***argv,
                        const char           *parameters,
                        char                **data_dir,
                        const GOptionEntry   *extra_entries)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameters);
  g_autoptr(GError) error = NULL;
  const GOptionEntry data_dir_entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, data_dir, "Vigil's data directory", "DIR" },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (context, data_dir_entries, NULL);
  if (extra_entries != NULL)
    g_option_context_add_main_entries (context, extra_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      vigilctl_fail (error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

  if (argc >= 2 && strcmp (argv[1], "--version") == 0)
    {
      printf ("vigilctl %s\n", VIGIL_VERSION);
      return VIGILCTL_EXIT_OK;
    }
  return vigilctl_dispatch (NULL, commands, G_N_ELEMENTS (commands), argc, argv);
}
