/* vigilctl.h: the subcommands of vigilctl.
 *
 * Each subcommand parses its own options and returns the process exit code:
 * 0 success, 1 a check failed, 2 usage or runtime error (message on stderr).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VIGILCTL_EXIT_OK      0
#define VIGILCTL_EXIT_FAILED  1
#define VIGILCTL_EXIT_ERROR   2

/* --data-dir DIR, else $VIGIL_DATA_DIR, else $XDG_DATA_HOME/vigil. */
char *vigilctl_resolve_data_dir (const char *option_value);

int   vigilctl_approvals_main   (int argc, char **argv);
int   vigilctl_audit_main       (int argc, char **argv);
int   vigilctl_identity_main    (int argc, char **argv);
int   vigilctl_policy_main      (int argc, char **argv);
int   vigilctl_serve_main       (int argc, char **argv);

G_END_DECLS
