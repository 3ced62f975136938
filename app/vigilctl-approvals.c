/* vigilctl-approvals.c: `vigilctl approvals list | approve ID | deny ID`.
 *
 * Decisions go to the approval queue in the store; a running engine picks them up within
 * a fraction of a second. The CLI acts as the local OS user and is recorded as "os:USER".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vigil-approvals.h"
#include "vigil-store.h"
#include "vigilctl.h"

typedef struct
{
  char     *data_dir;
  gboolean  json;
  gboolean  all;
  char     *reason;
  int       minutes;
} ApprovalsOptions;

static int
fail (const char *what,
      GError     *error)
{
  fprintf (stderr, "vigilctl approvals: %s%s%s\n", what, error ? ": " : "",
           error ? error->message : "");
  return VIGILCTL_EXIT_ERROR;
}

static VigilApprovals *
open_queue (ApprovalsOptions  *o,
            GError           **error)
{
  g_autofree char *data_dir = vigilctl_resolve_data_dir (o->data_dir);
  /* Opening the store migrates the schema the queue lives in. */
  g_autoptr(VigilStore) store = vigil_store_open (data_dir, error);

  if (store == NULL)
    return NULL;
  return vigil_approvals_open (data_dir, error);
}

static void
print_row (const VigilApproval *a)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (a->created_us / G_USEC_PER_SEC);
  g_autofree char *when = g_date_time_format (dt, "%F %T");
  g_autofree char *statement = g_strndup (a->statement, 60);

  for (char *p = statement; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  printf ("#%-5" G_GINT64_FORMAT " %-19s %-9s %-12s pid=%-7d %-14s %-10s %s\n", a->id, when,
          a->status, a->identity, a->pid, a->class, a->rule ? a->rule : "-", statement);
}

static int
list_requests (ApprovalsOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovals) queue = open_queue (o, &error);
  g_autoptr(GPtrArray) rows = NULL;

  if (queue == NULL)
    return fail ("cannot open the approval queue", error);
  rows = vigil_approvals_list (queue, !o->all, 1000, &error);
  if (rows == NULL)
    return fail ("cannot read the approval queue", error);
  for (guint i = 0; i < rows->len; i++)
    {
      const VigilApproval *a = g_ptr_array_index (rows, i);

      if (o->json)
        {
          g_autofree char *line = vigil_approval_to_json (a);
          printf ("%s\n", line);
        }
      else
        print_row (a);
    }
  if (!o->json && rows->len == 0)
    printf ("No statements are waiting for approval.\n");
  return VIGILCTL_EXIT_OK;
}

static int
decide_request (ApprovalsOptions *o,
                const char       *id_text,
                gboolean          approve)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovals) queue = NULL;
  g_autofree char *by = g_strconcat ("os:", g_get_user_name (), NULL);
  guint64 id;

  if (!g_ascii_string_to_unsigned (id_text[0] == '#' ? id_text + 1 : id_text, 10, 1,
                                   G_MAXINT64, &id, NULL))
    return fail ("the request id must be a number", NULL);
  if (!approve && (o->reason == NULL || *o->reason == '\0'))
    return fail ("deny needs --reason TEXT", NULL);
  queue = open_queue (o, &error);
  if (queue == NULL)
    return fail ("cannot open the approval queue", error);
  if (!vigil_approvals_decide (queue, (gint64) id, approve, by, o->reason, o->minutes, &error))
    return fail ("cannot decide", error);
  printf ("request #%" G_GUINT64_FORMAT " %s by %s\n", id, approve ? "approved" : "denied", by);
  return VIGILCTL_EXIT_OK;
}

static void
options_clear (ApprovalsOptions *o)
{
  g_free (o->data_dir);
  g_free (o->reason);
}

int
vigilctl_approvals_main (int    argc,
                         char **argv)
{
  ApprovalsOptions o = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "One JSON object per line", NULL },
    { "all", 0, 0, G_OPTION_ARG_NONE, &o.all, "Decided requests too", NULL },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &o.reason, "Why (required to deny)", "TEXT" },
    { "for", 0, 0, G_OPTION_ARG_INT, &o.minutes,
      "Approve this statement's fingerprint for this identity for MINUTES", "MINUTES" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.data_dir, "Vigil's data directory", "DIR" },
    G_OPTION_ENTRY_NULL
  };
  int status;

  context = g_option_context_new ("list | approve ID | deny ID --reason TEXT");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    status = fail (error->message, NULL);
  else if (argc == 2 && strcmp (argv[1], "list") == 0)
    status = list_requests (&o);
  else if (argc == 3 && strcmp (argv[1], "approve") == 0)
    status = decide_request (&o, argv[2], TRUE);
  else if (argc == 3 && strcmp (argv[1], "deny") == 0)
    status = decide_request (&o, argv[2], FALSE);
  else
    status = fail ("usage: vigilctl approvals list [--json] | approve ID [--for MINUTES] | "
                   "deny ID --reason TEXT", NULL);
  options_clear (&o);
  return status;
}
