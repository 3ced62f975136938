/* vigilctl-connection.c: `vigilctl connection add|list|remove`.
 *
 * Named upstreams kept in the store; a running proxy picks changes up within a second.
 * A conninfo may carry a password: it is stored, and never printed (list shows the
 * conninfo with the password replaced, see vigil-conninfo.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vigil-conninfo.h"
#include "vigil-store.h"
#include "vigilctl.h"

static int connection_add    (int argc, char **argv);
static int connection_list   (int argc, char **argv);
static int connection_remove (int argc, char **argv);

static const VigilctlCommand connection_commands[] = {
  { "add",    connection_add,    "name an upstream PostgreSQL (libpq conninfo)" },
  { "list",   connection_list,   "list named upstreams, passwords hidden" },
  { "remove", connection_remove, "forget a named upstream" },
};

static char *opt_data_dir;

static int
connection_add (int    argc,
                char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (!vigilctl_parse_options (&argc, &argv, "add NAME CONNINFO", &opt_data_dir, NULL))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 3)
    return vigilctl_fail ("usage: vigilctl connection add NAME CONNINFO");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if (!vigil_store_connection_add (store, argv[1], argv[2], &error))
    return vigilctl_fail (error->message);
  fprintf (stderr, "Added connection %s: clients connect with dbname=%s\n", argv[1], argv[1]);
  return VIGILCTL_EXIT_OK;
}

static void
print_json_line (const VigilConnection *connection,
                 const char            *shown)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *created = vigilctl_format_time (connection->created_at, TRUE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, connection->name);
  json_builder_set_member_name (builder, "conninfo");
  json_builder_add_string_value (builder, shown);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_end_object (builder);
  vigilctl_print_json_line (builder);
}

static void
print_row (const VigilConnection *connection,
           const char            *shown,
           int                    width)
{
  g_autofree char *created = vigilctl_format_time (connection->created_at, FALSE);

  printf ("%-*s  %-19s  %s\n", width, connection->name, created, shown);
}

static void
print_connections (GPtrArray *connections,
                   gboolean   json)
{
  int width = 4;

  for (guint i = 0; i < connections->len; i++)
    width = MAX (width, (int) strlen (((VigilConnection *) connections->pdata[i])->name));
  if (!json)
    printf ("%-*s  %-19s  %s\n", width, "NAME", "CREATED", "CONNINFO");
  for (guint i = 0; i < connections->len; i++)
    {
      const VigilConnection *connection = connections->pdata[i];
      /* Only the redacted form is ever printed; unparsable rows say so instead. */
      g_autofree char *shown = vigil_conninfo_redact (connection->conninfo);
      const char *text = shown != NULL ? shown : "(invalid conninfo)";

      if (json)
        print_json_line (connection, text);
      else
        print_row (connection, text, width);
    }
}

static int
connection_list (int    argc,
                 char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GPtrArray) connections = NULL;
  g_autoptr(GError) error = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
    { NULL }
  };

  if (!vigilctl_parse_options (&argc, &argv, "list", &opt_data_dir, entries))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 1)
    return vigilctl_fail ("usage: vigilctl connection list [--json]");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if ((connections = vigil_store_connection_list (store, &error)) == NULL)
    return vigilctl_fail (error->message);
  print_connections (connections, json);
  return fflush (stdout) == 0 ? VIGILCTL_EXIT_OK : VIGILCTL_EXIT_ERROR;
}

static int
connection_remove (int    argc,
                   char **argv)
{
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (!vigilctl_parse_options (&argc, &argv, "remove NAME", &opt_data_dir, NULL))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 2)
    return vigilctl_fail ("usage: vigilctl connection remove NAME");
  if ((store = vigilctl_open_store (opt_data_dir)) == NULL)
    return VIGILCTL_EXIT_ERROR;
  if (!vigil_store_connection_remove (store, argv[1], &error))
    return vigilctl_fail (error->message);
  fprintf (stderr, "Removed connection %s\n", argv[1]);
  return VIGILCTL_EXIT_OK;
}

int
vigilctl_connection_main (int    argc,
                          char **argv)
{
  int status = vigilctl_dispatch ("connection", connection_commands,
                                  G_N_ELEMENTS (connection_commands), argc, argv);

  g_clear_pointer (&opt_data_dir, g_free);
  return status;
}
