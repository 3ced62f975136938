/* vigil-test-proxy.c: runs the real `vigilctl serve` in front of a test PostgreSQL.
 *
 * The proxy is a black box: a temporary data dir with one agent identity, `$VIGILCTL serve`
 * on a free loopback port, and the one "vigil: ready ..." line on stdout telling where it
 * listens. Its stderr goes to a log file that tests may read (and that is printed when the
 * proxy does not come up or does not stop cleanly).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "vigil-test-proxy.h"

#define STOP_TIMEOUT_SECONDS 10

struct _VigilTestProxy
{
  char             *dir;
  char             *data_dir;
  char             *socket_dir;
  char             *log_file;
  char             *token;
  guint16           port;
  guint16           api_port;     /* 0: no --api */
  GSubprocess      *proc;
  GDataInputStream *stdout_stream;
  GSubprocess      *reaper;
};

/* Kills the proxy whose pid is in $1/proxy.pid and removes $1. */
static const char reaper_script[] =
  "cat >/dev/null\n"
  "pid=$(cat \"$1/proxy.pid\" 2>/dev/null)\n"
  "[ -n \"$pid\" ] && kill -KILL \"$pid\" 2>/dev/null\n"
  "rm -rf \"$1\"\n";

/* ---------------------------------------------------------------- waiting helpers */

typedef struct
{
  gboolean  done;
  gboolean  timed_out;
  char     *line;
  GError   *error;
} LineState;

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineState *state = user_data;

  state->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                           NULL, &state->error);
  state->done = TRUE;
}

static void
waited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  LineState *state = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  state->done = TRUE;
}

static gboolean
timed_out_cb (gpointer user_data)
{
  LineState *state = user_data;

  state->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates a private context until state->done or the timeout. */
static void
iterate_until_done (GMainContext *context,
                    LineState    *state,
                    guint         seconds)
{
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (seconds);

  g_source_set_callback (timeout, timed_out_cb, state, NULL);
  g_source_attach (timeout, context);
  while (!state->done && !state->timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
}

/* ---------------------------------------------------------------- start */

static const char *
vigilctl_path (GError **error)
{
  const char *path = g_getenv ("VIGILCTL");

  if (path == NULL || *path == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "VIGILCTL is not set (run the tests through meson)");
      return NULL;
    }
  return path;
}

static char *
run_identity_add (const char  *data_dir,
                  const char  *name,
                  const char  *kind,
                  GError     **error)
{
  const char *vigilctl = vigilctl_path (error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (vigilctl == NULL)
    return NULL;
  if (!vigil_test_run ((const char * const[]) { vigilctl, "identity", "add", name, "--kind", kind,
                                                "--data-dir", data_dir, NULL },
                       NULL, &out, &err, &status, error))
    return NULL;
  g_strstrip (out);
  if (!g_spawn_check_wait_status (status, NULL) || *out == '\0' || strchr (out, '\n') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "vigilctl identity add %s --kind %s: wait status %d, stdout '%s', stderr '%s'",
                   name, kind, status, out, err);
      return NULL;
    }
  return g_steal_pointer (&out);
}

static void
fail_with_log (VigilTestProxy *self,
               GError        **error,
               const char     *what)
{
  g_autofree char *log = vigil_test_proxy_read_log (self);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "vigilctl serve %s; its stderr:\n%s", what, log);
}

static gboolean
parse_ready_line (VigilTestProxy *self,
                  const char     *line)
{
  g_auto(GStrv) words = NULL;
  const char *tcp = NULL;
  const char *unix_path = NULL;
  const char *api = NULL;
  const char *colon;
  guint64 port = 0;
  guint64 api_port = 0;

  if (!g_str_has_prefix (line, "vigil: ready "))
    return FALSE;
  words = g_strsplit (line, " ", -1);
  for (gsize i = 0; words[i] != NULL; i++)
    {
      if (g_str_has_prefix (words[i], "tcp="))
        tcp = words[i] + 4;
      else if (g_str_has_prefix (words[i], "unix="))
        unix_path = words[i] + 5;
      else if (g_str_has_prefix (words[i], "api="))
        api = words[i] + 4;
    }
  if (tcp == NULL || unix_path == NULL || (colon = strrchr (tcp, ':')) == NULL ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    return FALSE;
  if (api != NULL && ((colon = strrchr (api, ':')) == NULL ||
                      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &api_port, NULL)))
    return FALSE;
  self->port = port;
  self->api_port = api_port;
  g_free (self->socket_dir);
  self->socket_dir = g_path_get_dirname (unix_path);
  return TRUE;
}

static gboolean
wait_ready (VigilTestProxy *self,
            GError        **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  LineState state = { 0 };
  g_autofree char *what = NULL;

  g_main_context_push_thread_default (context);
  g_data_input_stream_read_line_async (self->stdout_stream, G_PRIORITY_DEFAULT, NULL,
                                       line_read_cb, &state);
  iterate_until_done (context, &state, VIGIL_TEST_PROXY_READY_TIMEOUT);
  if (!state.done)
    {
      /* Kill it so the pending read finishes before the context goes away. */
      g_subprocess_force_exit (self->proc);
      while (!state.done)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);

  if (state.timed_out)
    what = g_strdup_printf ("printed no ready line within %d s", VIGIL_TEST_PROXY_READY_TIMEOUT);
  else if (state.line == NULL)
    what = g_strdup_printf ("exited before it was ready (%s)",
                            state.error ? state.error->message : "end of stdout");
  else if (!parse_ready_line (self, state.line))
    what = g_strdup_printf ("printed an unexpected first line: '%s'", state.line);
  g_free (state.line);
  g_clear_error (&state.error);
  if (what != NULL)
    {
      fail_with_log (self, error, what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
spawn_serve (VigilTestProxy              *self,
             VigilTestPg                 *pg,
             const VigilTestProxyOptions *opts,
             GError                     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *timeout = NULL;
  g_autofree char *upstream = vigil_test_pg_conninfo (pg, NULL);
  g_autofree char *pid_file = g_build_filename (self->dir, "proxy.pid", NULL);
  const char *vigilctl = vigilctl_path (error);
  GInputStream *out;

  if (vigilctl == NULL)
    return FALSE;
  g_ptr_array_add (argv, (char *) vigilctl);
  g_ptr_array_add (argv, "serve");
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, self->data_dir);
  g_ptr_array_add (argv, "--upstream");
  g_ptr_array_add (argv, upstream);
  g_ptr_array_add (argv, "--listen");
  g_ptr_array_add (argv, "127.0.0.1:0");
  g_ptr_array_add (argv, "--socket-dir");
  g_ptr_array_add (argv, self->socket_dir);
  if (opts != NULL && opts->tls)
    {
      g_ptr_array_add (argv, "--tls-cert");
      g_ptr_array_add (argv, (char *) vigil_test_pg_get_cert_file (pg));
      g_ptr_array_add (argv, "--tls-key");
      g_ptr_array_add (argv, (char *) vigil_test_pg_get_key_file (pg));
    }
  if (opts != NULL && opts->approval_timeout > 0)
    {
      g_ptr_array_add (argv, "--approval-timeout");
      g_ptr_array_add (argv, timeout = g_strdup_printf ("%u", opts->approval_timeout));
    }
  for (gsize i = 0; opts != NULL && opts->extra_args != NULL && opts->extra_args[i]; i++)
    g_ptr_array_add (argv, (char *) opts->extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, self->log_file);
  g_subprocess_launcher_unsetenv (launcher, "VIGIL_DATA_DIR");
  self->proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (self->proc == NULL)
    return FALSE;
  if (!g_file_set_contents (pid_file, g_subprocess_get_identifier (self->proc), -1, error))
    return FALSE;
  out = g_subprocess_get_stdout_pipe (self->proc);
  self->stdout_stream = g_data_input_stream_new (out);
  return TRUE;
}

static gboolean
import_policy (VigilTestProxy  *self,
               const char      *json,
               GError         **error)
{
  const char *vigilctl = g_getenv ("VIGILCTL");
  g_autofree char *path = g_build_filename (self->dir, "policy.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (g_strcmp0 (json, VIGIL_TEST_PROXY_DEFAULT_POLICY) == 0)
    return TRUE;
  if (!g_file_set_contents (path, json ? json : VIGIL_TEST_PROXY_ALLOW_ALL_POLICY, -1, error))
    return FALSE;
  if (!vigil_test_run ((const char * const[]) { vigilctl, "policy", "import", path,
                                                "--data-dir", self->data_dir, NULL },
                       NULL, &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "vigilctl policy import: wait status %d, stdout '%s', stderr '%s'",
                   status, out, err);
      return FALSE;
    }
  return TRUE;
}

VigilTestProxy *
vigil_test_proxy_start (VigilTestPg                 *pg,
                        const VigilTestProxyOptions *opts,
                        GError                     **error)
{
  VigilTestProxy *self = g_new0 (VigilTestProxy, 1);
  gboolean ok;

  g_return_val_if_fail (pg != NULL, NULL);

  self->dir = g_dir_make_tmp ("vigil-proxy-XXXXXX", error);
  if (self->dir == NULL)
    {
      g_free (self);
      return NULL;
    }
  self->data_dir = g_build_filename (self->dir, "data", NULL);
  self->socket_dir = g_build_filename (self->dir, "sock", NULL);
  self->log_file = g_build_filename (self->dir, "serve.log", NULL);
  self->reaper = vigil_test_reaper_spawn (reaper_script, self->dir, error);
  ok = self->reaper != NULL;
  if (ok && (g_mkdir (self->data_dir, 0700) != 0 || g_mkdir (self->socket_dir, 0700) != 0))
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "mkdir: %s",
                   g_strerror (errno));
      ok = FALSE;
    }
  ok = ok &&
       (self->token = run_identity_add (self->data_dir, VIGIL_TEST_PROXY_IDENTITY, "agent",
                                        error)) != NULL &&
       import_policy (self, opts ? opts->policy_json : NULL, error) &&
       spawn_serve (self, pg, opts, error) &&
       wait_ready (self, error);
  if (!ok)
    {
      vigil_test_proxy_stop (self);
      return NULL;
    }
  return self;
}

/* ---------------------------------------------------------------- stop */

static void
report_exit (VigilTestProxy *self)
{
  g_autofree char *log = NULL;
  int status;

  if (g_subprocess_get_if_exited (self->proc) && g_subprocess_get_exit_status (self->proc) == 0)
    return;
  if (g_subprocess_get_if_signaled (self->proc) &&
      g_subprocess_get_term_sig (self->proc) == SIGTERM)
    return;
  status = g_subprocess_get_status (self->proc);
  log = vigil_test_proxy_read_log (self);
  g_printerr ("# vigilctl serve did not stop cleanly on SIGTERM (wait status %d); its stderr:\n",
              status);
  for (char *line = strtok (log, "\n"); line != NULL; line = strtok (NULL, "\n"))
    g_printerr ("#   %s\n", line);
}

int
vigil_test_proxy_terminate (VigilTestProxy *self)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  LineState state = { 0 };
  gboolean killed = FALSE;

  g_return_val_if_fail (self->proc != NULL, -1);

  g_main_context_push_thread_default (context);
  g_subprocess_send_signal (self->proc, SIGTERM);
  g_subprocess_wait_async (self->proc, NULL, waited_cb, &state);
  iterate_until_done (context, &state, STOP_TIMEOUT_SECONDS);
  if (!state.done)
    {
      g_subprocess_force_exit (self->proc);
      killed = TRUE;
      while (!state.done)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);
  return killed ? -1 : g_subprocess_get_status (self->proc);
}

void
vigil_test_proxy_stop (VigilTestProxy *self)
{
  if (self == NULL)
    return;
  if (self->proc != NULL)
    {
      if (g_subprocess_get_identifier (self->proc) != NULL)
        vigil_test_proxy_terminate (self);
      else
        g_subprocess_wait (self->proc, NULL, NULL);
      report_exit (self);
    }
  g_clear_object (&self->stdout_stream);
  g_clear_object (&self->proc);
  if (self->dir != NULL)
    vigil_test_run ((const char * const[]) { "rm", "-rf", self->dir, NULL },
                    NULL, NULL, NULL, NULL, NULL);
  vigil_test_reaper_cancel (g_steal_pointer (&self->reaper));
  g_free (self->dir);
  g_free (self->data_dir);
  g_free (self->socket_dir);
  g_free (self->log_file);
  g_free (self->token);
  g_free (self);
}

/* ---------------------------------------------------------------- accessors */

guint16
vigil_test_proxy_get_port (VigilTestProxy *self)
{
  return self->port;
}

guint16
vigil_test_proxy_get_api_port (VigilTestProxy *self)
{
  return self->api_port;
}

const char *
vigil_test_proxy_get_socket_dir (VigilTestProxy *self)
{
  return self->socket_dir;
}

const char *
vigil_test_proxy_get_token (VigilTestProxy *self)
{
  return self->token;
}

const char *
vigil_test_proxy_get_data_dir (VigilTestProxy *self)
{
  return self->data_dir;
}

gboolean
vigil_test_proxy_is_alive (VigilTestProxy *self)
{
  /* GSubprocess reaps its child on GLib's worker thread; the identifier goes NULL then. */
  return self->proc != NULL && g_subprocess_get_identifier (self->proc) != NULL;
}

char *
vigil_test_proxy_read_log (VigilTestProxy *self)
{
  char *log = NULL;

  if (!g_file_get_contents (self->log_file, &log, NULL, NULL))
    return g_strdup ("(no log)");
  return log;
}

char *
vigil_test_proxy_conninfo (VigilTestProxy *self,
                           const char     *extra)
{
  return g_strdup_printf ("host=127.0.0.1 port=%u user=" VIGIL_TEST_PROXY_IDENTITY " password=%s "
                          "dbname=" VIGIL_TEST_PG_APP_DB " sslmode=disable%s%s",
                          self->port, self->token, extra ? " " : "", extra ? extra : "");
}

char *
vigil_test_proxy_unix_conninfo (VigilTestProxy *self,
                                const char     *extra)
{
  return g_strdup_printf ("host=%s port=%u user=" VIGIL_TEST_PROXY_IDENTITY " password=%s "
                          "dbname=" VIGIL_TEST_PG_APP_DB "%s%s",
                          self->socket_dir, self->port, self->token,
                          extra ? " " : "", extra ? extra : "");
}

char *
vigil_test_proxy_add_identity (VigilTestProxy *self,
                               const char     *name,
                               const char     *kind,
                               GError        **error)
{
  return run_identity_add (self->data_dir, name, kind, error);
}

/* ---------------------------------------------------------------- libpq helpers */

const char *
vigil_test_sqlstate (const PGresult *res)
{
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;

  return state ? state : "";
}

gboolean
vigil_test_wait_input (PGconn *conn,
                       guint   timeout_ms)
{
  struct pollfd pfd = { .fd = PQsocket (conn), .events = POLLIN };
  int n;

  do
    n = poll (&pfd, 1, timeout_ms);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return FALSE;
  return PQconsumeInput (conn) == 1;
}

char *
vigil_test_query_value (PGconn     *conn,
                        const char *sql)
{
  PGresult *res = PQexec (conn, sql);
  char *value = NULL;

  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) >= 1 && PQnfields (res) >= 1)
    value = g_strdup (PQgetvalue (res, 0, 0));
  else
    g_test_message ("%s: %s %s", sql, PQresStatus (PQresultStatus (res)),
                    PQerrorMessage (conn));
  PQclear (res);
  return value;
}

void
vigil_test_exec_ok (PGconn     *conn,
                    const char *sql)
{
  PGresult *res = PQexec (conn, sql);
  ExecStatusType st = PQresultStatus (res);

  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    {
      /* What the proxy said about it is the first thing anyone will want to see. */
      VigilTestProxy *proxy = vigil_test_env_ready () ? vigil_test_env_proxy () : NULL;
      g_autofree char *log = proxy != NULL ? vigil_test_proxy_read_log (proxy) : NULL;
      gsize len = log != NULL ? strlen (log) : 0;

      if (log != NULL)
        g_printerr ("--- the proxy's log, last part ---\n%s\n---\n", log + len - MIN (len, 4000));
      g_error ("'%s' failed: %s %s", sql, PQresStatus (st), PQresultErrorMessage (res));
    }
  PQclear (res);
}

char *
vigil_test_env_upstream_value (const char *sql)
{
  g_autoptr(GError) error = NULL;
  char *value = vigil_test_pg_query_value (vigil_test_env_pg (), sql, &error);

  g_assert_no_error (error);
  return value;
}

gboolean
vigil_test_require_programs (const char * const *programs)
{
  for (gsize i = 0; programs[i] != NULL; i++)
    {
      g_autofree char *path = g_find_program_in_path (programs[i]);

      if (path == NULL)
        {
          g_test_skip_printf ("%s is not on PATH", programs[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---------------------------------------------------------------- per-program environment */

static VigilTestPg *env_pg;
static VigilTestProxy *env_proxy;
static char *env_skip_reason;
static char *env_pg_error;
static char *env_proxy_error;

void
vigil_test_init (int    *argc,
                 char ***argv)
{
  char **args = g_new0 (char *, *argc + 2);

  /* Leaked on purpose: g_test_init keeps pointers into argv. */
  for (int i = 0; i < *argc; i++)
    args[i] = (*argv)[i];
  args[*argc] = "--keep-going";
  (*argc)++;
  *argv = args;
  g_test_init (argc, argv, NULL);
}

void
vigil_test_env_setup_pg (void)
{
  g_autoptr(GError) error = NULL;

  if (!vigil_test_pg_available (&env_skip_reason))
    return;
  env_pg = vigil_test_pg_start (&error);
  if (env_pg == NULL)
    {
      env_pg_error = g_strdup (error->message);
      g_printerr ("# PostgreSQL fixture failed: %s\n", env_pg_error);
    }
}

void
vigil_test_env_setup (const VigilTestProxyOptions *opts)
{
  g_autoptr(GError) error = NULL;

  vigil_test_env_setup_pg ();
  if (env_pg == NULL)
    return;
  env_proxy = vigil_test_proxy_start (env_pg, opts, &error);
  if (env_proxy == NULL)
    {
      env_proxy_error = g_strdup (error->message);
      g_printerr ("# proxy failed to start: %s\n", env_proxy_error);
    }
}

void
vigil_test_env_teardown (void)
{
  g_clear_pointer (&env_proxy, vigil_test_proxy_stop);
  g_clear_pointer (&env_pg, vigil_test_pg_stop);
  g_clear_pointer (&env_skip_reason, g_free);
  g_clear_pointer (&env_pg_error, g_free);
  g_clear_pointer (&env_proxy_error, g_free);
}

gboolean
vigil_test_env_ready (void)
{
  return env_proxy != NULL;
}

VigilTestPg *
vigil_test_env_pg (void)
{
  if (env_skip_reason != NULL)
    g_test_skip (env_skip_reason);
  else if (env_pg == NULL)
    g_test_fail_printf ("PostgreSQL fixture did not start: %s", env_pg_error);
  return env_pg;
}

VigilTestProxy *
vigil_test_env_proxy (void)
{
  if (vigil_test_env_pg () == NULL)
    return NULL;
  if (env_proxy == NULL)
    g_test_fail_printf ("proxy did not start: %s", env_proxy_error);
  return env_proxy;
}

PGconn *
vigil_test_env_connect (const char *extra)
{
  g_autofree char *conninfo = NULL;
  PGconn *conn;

  if (vigil_test_env_proxy () == NULL)
    return NULL;
  conninfo = vigil_test_proxy_conninfo (env_proxy, extra);
  conn = PQconnectdb (conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_test_fail_printf ("connecting through the proxy (%s) failed: %s",
                          extra ? extra : "", PQerrorMessage (conn));
      PQfinish (conn);
      return NULL;
    }
  return conn;
}

/* ---------------------------------------------------------------- appended: guard/audit suites */

int
vigil_test_proxy_kill (VigilTestProxy *self)
{
  g_return_val_if_fail (self->proc != NULL, -1);

  if (g_subprocess_get_identifier (self->proc) != NULL)
    g_subprocess_send_signal (self->proc, SIGKILL);
  g_subprocess_wait (self->proc, NULL, NULL);
  return g_subprocess_get_status (self->proc);
}

const char *
vigil_test_proxy_get_pid (VigilTestProxy *self)
{
  return self->proc != NULL ? g_subprocess_get_identifier (self->proc) : NULL;
}

char *
vigil_test_proxy_identity_conninfo (VigilTestProxy *self,
                                    const char     *identity,
                                    const char     *token,
                                    const char     *extra)
{
  return g_strdup_printf ("host=127.0.0.1 port=%u user=%s password=%s "
                          "dbname=" VIGIL_TEST_PG_APP_DB " sslmode=disable%s%s",
                          self->port, identity, token, extra ? " " : "", extra ? extra : "");
}

gboolean
vigil_test_proxy_vigilctl (VigilTestProxy     *self,
                           const char * const *args,
                           char              **out_stdout,
                           char              **out_stderr,
                           int                *out_status,
                           GError            **error)
{
  const char *vigilctl = vigilctl_path (error);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  if (vigilctl == NULL)
    return FALSE;
  g_ptr_array_add (argv, (char *) vigilctl);
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, self->data_dir);
  g_ptr_array_add (argv, NULL);
  return vigil_test_run ((const char * const *) argv->pdata, NULL, out_stdout, out_stderr,
                         out_status, error);
}
