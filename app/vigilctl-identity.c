/* vigilctl-identity.c: `vigilctl identity add|list|revoke`.
 *
 * `add` prints the token alone on stdout so scripts can capture it
 * (TOKEN=$(vigilctl identity add bot)); everything meant for people goes to stderr.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vigil-store.h"
#include "vigilctl.h"

static int identity_add    (int argc, char **argv);
static int identity_list   (int argc, char **argv);
static int identity_revoke (int argc, char **argv);

static const VigilctlCommand identity_commands[] = {
  { "add",    identity_add,    "create an identity and print its token" },
  { "list",   identity_list,   "list identities, revoked ones included" },
  { "revoke", identity_revoke, "revoke an identity's token" },
};

static char *opt_data_dir;

static int
identity_add (int    argc,
              char **argv)
{
  g_autofree char *kind_name = NULL;
  g_autofree char *token = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GError) error = NULL;
  VigilIdentityKind kind = VIGIL_IDENTITY_KIND_AGENT;
  const GOptionEntry entries[] = {
    { "kind", 0, 0, G_OPTION_ARG_STRING, &kind_name,
      "agent (default), human or admin", "KIND" },
    { NULL }
  };

  if (!vigilctl_parse_options (&argc, &argv, "add NAME", &opt_data_dir, entries))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 2)
    return vigilctl_fail ("usage: vigilctl identity add NAME [--kind agent|human|admin]");
  if (kind_name != NULL && !vigil_identity_kind_from_string (kind_name, &kind))
    return vigilctl_fail ("--kind must be agent, human or admin");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if (!vigil_store_identity_add (store, argv[1], kind, &token, &error))
    return vigilctl_fail (error->message);

  fprintf (stderr, "Token for %s (shown once; store it now, Vigil keeps only a verifier):\n",
           argv[1]);
  printf ("%s\n", token);
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

static void
print_json_line (const VigilIdentity *identity)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *created = vigilctl_format_time (identity->created_at, TRUE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, identity->name);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, vigil_identity_kind_to_string (identity->kind));
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "revoked");
  if (identity->revoked_at != 0)
    {
      g_autofree char *revoked = vigilctl_format_time (identity->revoked_at, TRUE);
      json_builder_add_string_value (builder, revoked);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  vigilctl_print_json_line (builder);
}

static void
print_table (GPtrArray *identities)
{
  int width = 4;

  for (guint i = 0; i < identities->len; i++)
    width = MAX (width, (int) strlen (((VigilIdentity *) identities->pdata[i])->name));

  printf ("%-*s  %-5s  %-19s  %s\n", width, "NAME", "KIND", "CREATED", "STATUS");
  for (guint i = 0; i < identities->len; i++)
    {
      const VigilIdentity *identity = identities->pdata[i];
      g_autofree char *created = vigilctl_format_time (identity->created_at, FALSE);

      printf ("%-*s  %-5s  %-19s  %s\n", width, identity->name,
              vigil_identity_kind_to_string (identity->kind), created,
              identity->revoked_at != 0 ? "revoked" : "active");
    }
}

static int
identity_list (int    argc,
               char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GPtrArray) identities = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };

  if (!vigilctl_parse_options (&argc, &argv, "list", &opt_data_dir, entries))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 1)
    return vigilctl_fail ("usage: vigilctl identity list [--json]");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if ((identities = vigil_store_identity_list (store, &error)) == NULL)
    return vigilctl_fail (error->message);

  if (json)
    for (guint i = 0; i < identities->len; i++)
      print_json_line (identities->pdata[i]);
  else
    print_table (identities);
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

static int
identity_revoke (int    argc,
                 char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (!vigilctl_parse_options (&argc, &argv, "revoke NAME", &opt_data_dir, NULL))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 2)
    return vigilctl_fail ("usage: vigilctl identity revoke NAME");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if (!vigil_store_identity_revoke (store, argv[1], &error))
    return vigilctl_fail (error->message);
  fprintf (stderr, "Revoked %s\n", argv[1]);
  return VIGILCTL_EXIT_OK;
}

int
vigilctl_identity_main (int    argc,
                        char **argv)
{
  int status = vigilctl_dispatch ("identity", identity_commands, G_N_ELEMENTS (identity_commands),
                                  argc, argv);

  g_clear_pointer (&opt_data_dir, g_free);
  return status;
}
