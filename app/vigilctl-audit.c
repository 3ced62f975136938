/* vigilctl-audit.c: `vigilctl audit tail|verify|export|verify-bundle`.
 *
 * Reads the log with its own read-only connection, so it works beside a running proxy.
 * After a crash the newest entries may still be only in the journal: each command first
 * replays it into the log (safe beside a running proxy too).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vigil-audit.h"
#include "vigil-audit-read.h"
#include "vigil-bundle.h"
#include "vigilctl.h"

#define TAIL_DEFAULT_LINES   20
#define FOLLOW_INTERVAL_MS   200
#define STATEMENT_WIDTH      80

typedef struct
{
  GMainLoop  *loop;
  char       *data_dir;
  gboolean    json;
  gint64      last_id;
  int         status;
} Follow;

static int audit_tail          (int argc, char **argv);
static int audit_verify        (int argc, char **argv);
static int audit_export        (int argc, char **argv);
static int audit_verify_bundle (int argc, char **argv);

static const VigilctlCommand audit_commands[] = {
  { "tail",          audit_tail,    "print the newest records ([--follow] [--json] [-n N])" },
  { "verify",        audit_verify,  "walk the hash chain; exit 1 at the first bad record" },
  { "export",        audit_export,  "write a signed bundle (--out FILE [--since T] [--until T] "
                                  "[--identity NAME] [--connection NAME])" },
  { "verify-bundle", audit_verify_bundle,
                                  "check a signed bundle (FILE [--continues EARLIER] "
                                  "[--expect-key FINGERPRINT])" },
};

static char    *opt_data_dir;
static gboolean opt_follow;
static gboolean opt_json;
static int      opt_lines = TAIL_DEFAULT_LINES;
static char    *opt_out;
static char    *opt_since;
static char    *opt_until;
static char    *opt_identity;
static char    *opt_connection;
static char    *opt_continues;
static char    *opt_expect_key;

static const GOptionEntry tail_entries[] = {
  { "follow", 'f', 0, G_OPTION_ARG_NONE, &opt_follow, "Keep printing new records", NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "One JSON object per line", NULL },
  { "lines", 'n', 0, G_OPTION_ARG_INT, &opt_lines, "Print the newest N records", "N" },
  { NULL }
};

static const GOptionEntry export_entries[] = {
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &opt_out, "Write the bundle to FILE", "FILE" },
  { "since", 0, 0, G_OPTION_ARG_STRING, &opt_since, "From TIME (RFC 3339 or YYYY-MM-DD)",
    "TIME" },
  { "until", 0, 0, G_OPTION_ARG_STRING, &opt_until, "Up to TIME, inclusive", "TIME" },
  { "identity", 0, 0, G_OPTION_ARG_STRING, &opt_identity, "Only this identity's records in full",
    "NAME" },
  { "connection", 0, 0, G_OPTION_ARG_STRING, &opt_connection,
    "Only this connection's records in full", "NAME" },
  { NULL }
};

static const GOptionEntry verify_bundle_entries[] = {
  { "continues", 0, 0, G_OPTION_ARG_FILENAME, &opt_continues,
    "Also prove that FILE extends the chain of the bundle EARLIER", "EARLIER" },
  { "expect-key", 0, 0, G_OPTION_ARG_STRING, &opt_expect_key,
    "Require this signing key (its SHA-256 fingerprint)", "FINGERPRINT" },
  { NULL }
};

/* Every audit command but verify-bundle takes options only. */
static gboolean
parse_options (int                *argc,
               char             ***argv,
               const char         *parameters,
               const GOptionEntry *extra_entries)
{
  if (!vigilctl_parse_options (argc, argv, parameters, &opt_data_dir, extra_entries))
    return FALSE;
  if (*argc > 1)
    {
      fprintf (stderr, "vigilctl: unexpected argument '%s'\n", (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

/* One line, control characters flattened so a statement cannot forge extra lines. */
static char *
shorten_statement (const char *statement)
{
  g_autofree char *flat = g_strdup (statement != NULL ? statement : "");
  const char *end;
  glong chars;

  if (!g_utf8_validate (flat, -1, NULL))
    {
      char *valid = g_utf8_make_valid (flat, -1);

      g_free (flat);
      flat = valid;
    }
  for (char *p = flat; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  g_strstrip (flat);
  chars = g_utf8_strlen (flat, -1);
  if (chars <= STATEMENT_WIDTH)
    return g_steal_pointer (&flat);
  end = g_utf8_offset_to_pointer (flat, STATEMENT_WIDTH - 1);
  return g_strdup_printf ("%.*s…", (int) (end - flat), flat);
}

static void
print_human (const VigilAuditRecord *record)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (record->time_us / G_USEC_PER_SEC);
  g_autofree char *time = dt != NULL ? g_date_time_format (dt, "%F %T") : g_strdup ("?");
  g_autofree char *statement = shorten_statement (record->statement);
  g_autofree char *rows = record->rows >= 0
                          ? g_strdup_printf ("%" G_GINT64_FORMAT, record->rows) : g_strdup ("-");
  g_autofree char *duration = record->duration_us >= 0
                              ? g_strdup_printf ("%.3fms", record->duration_us / 1000.0)
                              : g_strdup ("-");
  g_autofree char *exe = record->exe != NULL ? g_path_get_basename (record->exe) : NULL;
  g_autofree char *process = g_strdup_printf ("%d/%s", record->pid, exe != NULL ? exe : "?");

  printf ("%s %-12s %-24s %-12s %-6s %-10s %6s %10s %s%s%s\n", time,
          record->identity != NULL ? record->identity : "?", process,
          record->connection != NULL ? record->connection : "?",
          record->decision != NULL ? record->decision : "?",
          record->class != NULL ? record->class : "?", rows, duration, statement,
          record->error_sqlstate != NULL ? "  ERROR " : "",
          record->error_sqlstate != NULL ? record->error_sqlstate : "");
}

static gboolean
print_new (const char  *data_dir,
           guint        limit,
           gint64      *last_id,
           gboolean     json,
           GError     **error)
{
  g_autoptr(GPtrArray) records = vigil_audit_read_latest (data_dir, limit, *last_id, error);

  if (records == NULL)
    return FALSE;
  for (guint i = 0; i < records->len; i++)
    {
      const VigilAuditRecord *record = g_ptr_array_index (records, i);

      if (json)
        {
          g_autofree char *line = vigil_audit_record_to_json (record);

          printf ("%s\n", line);
        }
      else
        {
          print_human (record);
        }
      *last_id = MAX (*last_id, record->id);
    }
  fflush (stdout);
  return TRUE;
}

static gboolean
poll_cb (gpointer data)
{
  Follow *follow = data;
  g_autoptr(GError) error = NULL;

  if (print_new (follow->data_dir, 0, &follow->last_id, follow->json, &error))
    return G_SOURCE_CONTINUE;
  follow->status = vigilctl_fail (error->message);
  g_main_loop_quit (follow->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
signalled_cb (gpointer data)
{
  Follow *follow = data;

  g_main_loop_quit (follow->loop);
  return G_SOURCE_CONTINUE;
}

static int
follow_log (Follow *follow)
{
  guint poll_id, int_id, term_id;

  follow->loop = g_main_loop_new (NULL, FALSE);
  poll_id = g_timeout_add (FOLLOW_INTERVAL_MS, poll_cb, follow);
  int_id = g_unix_signal_add (SIGINT, signalled_cb, follow);
  term_id = g_unix_signal_add (SIGTERM, signalled_cb, follow);
  g_main_loop_run (follow->loop);
  g_source_remove (int_id);
  g_source_remove (term_id);
  if (follow->status == VIGILCTL_EXIT_OK)
    g_source_remove (poll_id);
  g_main_loop_unref (follow->loop);
  return follow->status;
}

/* The entries a killed proxy left only in the journal. Readers still work without it (a
 * read-only data directory, say), so a failure is only reported. */
static void
recover_journal (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  guint64 replayed = 0;

  if (!vigil_audit_recover (data_dir, &replayed, &error))
    g_printerr ("vigilctl: the audit journal was not replayed: %s\n", error->message);
  else if (replayed > 0)
    g_printerr ("vigilctl: replayed %" G_GUINT64_FORMAT " audit entries from the journal\n",
                replayed);
}

static int
audit_tail (int    argc,
            char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autoptr(GError) error = NULL;
  Follow follow = { 0 };

  if (!parse_options (&argc, &argv, "- print the newest audit records", tail_entries))
    return VIGILCTL_EXIT_ERROR;
  if (opt_lines < 0)
    return vigilctl_fail ("-n must be 0 or more");
  data_dir = vigilctl_resolve_data_dir (opt_data_dir);
  recover_journal (data_dir);
  /* -n 0 with --follow: only what comes next. */
  if (opt_lines == 0 && opt_follow)
    {
      g_autoptr(GPtrArray) newest = vigil_audit_read_latest (data_dir, 1, 0, &error);

      if (newest == NULL)
        return vigilctl_fail (error->message);
      if (newest->len > 0)
        follow.last_id = ((VigilAuditRecord *) g_ptr_array_index (newest, 0))->id;
    }
  else if (!print_new (data_dir, opt_lines > 0 ? (guint) opt_lines : 0, &follow.last_id,
                       opt_json, &error))
    {
      return vigilctl_fail (error->message);
    }
  if (!opt_follow)
    return VIGILCTL_EXIT_OK;
  follow.data_dir = data_dir;
  follow.json = opt_json;
  return follow_log (&follow);
}

static int
audit_verify (int    argc,
              char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *head = NULL;
  g_autofree char *reason = NULL;
  g_autoptr(GError) error = NULL;
  gint64 entries = 0, first_bad = 0;

  if (!parse_options (&argc, &argv, "- check the audit log's hash chain", NULL))
    return VIGILCTL_EXIT_ERROR;
  data_dir = vigilctl_resolve_data_dir (opt_data_dir);
  recover_journal (data_dir);
  if (vigil_audit_verify_full (data_dir, &entries, &head, &first_bad, &reason, &error))
    {
      printf ("audit log intact: %" G_GINT64_FORMAT " entries, head %s\n", entries, head);
      return VIGILCTL_EXIT_OK;
    }
  if (!g_error_matches (error, VIGIL_AUDIT_VERIFY_ERROR, VIGIL_AUDIT_VERIFY_ERROR_BROKEN))
    return vigilctl_fail (error->message);
  if (first_bad > 0)
    {
      printf ("first bad record: id %" G_GINT64_FORMAT ": %s\n", first_bad, reason);
      fprintf (stderr, "vigilctl: audit log NOT intact: first bad record: id %"
               G_GINT64_FORMAT ": %s\n", first_bad, reason);
    }
  else
    {
      printf ("audit log not verifiable: %s\n", reason);
      fprintf (stderr, "vigilctl: audit log NOT intact: %s\n", reason);
    }
  return VIGILCTL_EXIT_FAILED;
}

static void
export_progress_cb (const char *stage,
                    double      fraction,
                    gpointer    user_data)
{
  int *last = user_data;
  int percent = (int) (fraction * 100);

  if (percent == *last || strcmp (stage, "done") == 0)
    return;
  *last = percent;
  fprintf (stderr, "\r%-8s %3d%%", stage, percent);
  if (strcmp (stage, "archive") == 0 && percent == 100)
    fputc ('\n', stderr);
}

static gboolean
parse_range (VigilBundleFilter *filter,
             GError           **error)
{
  return (opt_since == NULL || vigil_bundle_parse_time (opt_since, FALSE, &filter->since_us, error))
         && (opt_until == NULL || vigil_bundle_parse_time (opt_until, TRUE, &filter->until_us,
                                                           error));
}

static int
audit_export (int    argc,
              char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autoptr(VigilBundleSummary) summary = NULL;
  g_autoptr(GError) error = NULL;
  VigilBundleFilter filter = { 0 };
  int last_percent = -1;

  if (!parse_options (&argc, &argv, "- write a signed audit bundle", export_entries))
    return VIGILCTL_EXIT_ERROR;
  if (opt_out == NULL)
    return vigilctl_fail ("export needs --out FILE");
  if (!parse_range (&filter, &error))
    return vigilctl_fail (error->message);
  filter.identity = opt_identity;
  filter.connection = opt_connection;
  data_dir = vigilctl_resolve_data_dir (opt_data_dir);
  recover_journal (data_dir);
  if (!vigil_bundle_export (data_dir, &filter, opt_out,
                            isatty (STDERR_FILENO) ? export_progress_cb : NULL, &last_percent,
                            NULL, &summary, &error))
    return vigilctl_fail (error->message);
  printf ("wrote %s: %" G_GINT64_FORMAT " entries, ids %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
          " (%" G_GINT64_FORMAT " in full), signed by %s\n", opt_out, summary->entries,
          summary->first_id, summary->last_id, summary->matching, summary->fingerprint);
  return VIGILCTL_EXIT_OK;
}

static int
audit_verify_bundle (int    argc,
                     char **argv)
{
  g_autoptr(VigilBundleSummary) summary = NULL;
  g_autoptr(GError) error = NULL;

  /* --data-dir is accepted like everywhere, and unused: a bundle needs nothing else. */
  if (!vigilctl_parse_options (&argc, &argv, "FILE - check a signed audit bundle",
                               &opt_data_dir, verify_bundle_entries))
    return VIGILCTL_EXIT_ERROR;
  if (argc != 2)
    return vigilctl_fail ("verify-bundle needs exactly one FILE");
  if (vigil_bundle_verify (argv[1], opt_continues, opt_expect_key, &summary, &error))
    {
      printf ("bundle valid: %" G_GINT64_FORMAT " entries, ids %" G_GINT64_FORMAT "..%"
              G_GINT64_FORMAT ", signed by %s\n", summary->entries, summary->first_id,
              summary->last_id, summary->fingerprint);
      if (opt_continues != NULL)
        printf ("continues %s (which ends at entry %" G_GINT64_FORMAT "): nothing between them "
                "was removed or rewritten\n", opt_continues, summary->continues_from);
      return VIGILCTL_EXIT_OK;
    }
  if (error->domain != VIGIL_BUNDLE_ERROR)
    return vigilctl_fail (error->message);
  printf ("bundle NOT valid: %s\n", error->message);
  fprintf (stderr, "vigilctl: %s: bundle NOT valid: %s\n", argv[1], error->message);
  return VIGILCTL_EXIT_FAILED;
}

int
vigilctl_audit_main (int    argc,
                     char **argv)
{
  int status = vigilctl_dispatch ("audit", audit_commands, G_N_ELEMENTS (audit_commands),
                                  argc, argv);

  g_clear_pointer (&opt_data_dir, g_free);
  return status;
}
