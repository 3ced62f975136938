/* vigilctl.h: the subcommands of vigilctl.
 *
 * Each subcommand parses its own options and returns the process exit code:
 * 0 success, 1 a check failed, 2 usage or runtime error (message on stderr).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGILCTL_EXIT_OK      0
#define VIGILCTL_EXIT_FAILED  1
#define VIGILCTL_EXIT_ERROR   2

/* A command or subcommand: its name, its entry point (argv[0] is the name), one line. */
typedef struct
{
  const char *name;
  int       (*run) (int argc, char **argv);
  const char *summary;
} VigilctlCommand;

/* Runs the command named by argv[1] of COMMANDS ("vigilctl GROUP COMMAND ..."), or prints
 * the usage (to stdout for --help, exit 0; to stderr otherwise, exit 2). */
int       vigilctl_dispatch       (const char            *group,
                                   const VigilctlCommand *commands,
                                   gsize                  n_commands,
                                   int                    argc,
                                   char                 **argv);
/* "vigilctl: MESSAGE" on stderr; returns VIGILCTL_EXIT_ERROR. */
int       vigilctl_fail           (const char            *message);
/* Parses --data-dir DIR (into *DATA_DIR) and EXTRA_ENTRIES; reports errors itself. */
gboolean  vigilctl_parse_options  (int                   *argc,
                                   char                ***argv,
                                   const char            *parameters,
                                   char                 **data_dir,
                                   const GOptionEntry    *extra_entries);

/* --data-dir DIR, else $VIGIL_DATA_DIR, else $XDG_DATA_HOME/vigil. */
char *vigilctl_resolve_data_dir (const char *option_value);
/* The store in vigilctl_resolve_data_dir (DATA_DIR_OPTION); NULL after reporting why. */
VigilStore *vigilctl_open_store (const char *data_dir_option);
/* ISO 8601 in UTC (for --json), else local "YYYY-MM-DD HH:MM:SS"; "?" when out of range. */
char *vigilctl_format_time      (gint64       unix_seconds,
                                 gboolean     utc);
/* BUILDER's root as one line of JSON on stdout. */
void  vigilctl_print_json_line  (JsonBuilder *builder);

int   vigilctl_approvals_main   (int argc, char **argv);
int   vigilctl_audit_main       (int argc, char **argv);
int   vigilctl_connection_main  (int argc, char **argv);
int   vigilctl_identity_main    (int argc, char **argv);
int   vigilctl_policy_main      (int argc, char **argv);
int   vigilctl_serve_main       (int argc, char **argv);

G_END_DECLS
