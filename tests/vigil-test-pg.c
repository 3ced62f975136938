/* vigil-test-pg.c: a throwaway PostgreSQL for tests.
 *
 * Each fixture is one initdb'd cluster in a temporary directory, listening on a free loopback
 * port with TLS on and on a Unix socket in the same directory. As root the server runs as
 * `nobody` (PostgreSQL refuses to run as root). A reaper process removes the cluster when the
 * test process dies without cleaning up (g_assert aborts, meson's timeout kill).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libpq-fe.h>

#include "vigil-test-pg.h"

#define PG_UNPRIVILEGED_USER "nobody"
#define RUN_DEFAULT_TIMEOUT  120

struct _VigilTestPg
{
  char        *dir;
  char        *data_dir;
  char        *log_file;
  char        *server_cert;
  char        *server_key;
  char        *proxy_cert;
  char        *proxy_key;
  char        *super_password;
  char        *password;
  guint16      port;
  gboolean     as_root;
  uid_t        uid;
  gid_t        gid;
  GSubprocess *reaper;
};

static GList *live_fixtures;

/* Kills the postmaster (immediate shutdown) and removes the directory. */
static const char reaper_script[] =
  "cat >/dev/null\n"
  "pid=$(head -n1 \"$1/data/postmaster.pid\" 2>/dev/null)\n"
  "if [ -n \"$pid\" ]; then\n"
  "  kill -QUIT \"$pid\" 2>/dev/null\n"
  "  i=0; while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n"
  "  kill -KILL \"$pid\" 2>/dev/null\n"
  "fi\n"
  "rm -rf \"$1\"\n";

/* ---------------------------------------------------------------- running programs */

typedef struct
{
  gboolean  done;
  gboolean  timed_out;
  GBytes   *out;
  GBytes   *err;
  GError   *error;
} RunState;

static void
run_communicated_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  RunState *state = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result,
                                   &state->out, &state->err, &state->error);
  state->done = TRUE;
}

static gboolean
run_timed_out_cb (gpointer user_data)
{
  RunState *state = user_data;

  state->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len = 0;
  const char *data;

  if (bytes == NULL)
    return g_strdup ("");
  data = g_bytes_get_data (bytes, &len);
  return g_strndup (data, len);
}

static GSubprocessLauncher *
run_launcher_new (const char * const *envp_extra)
{
  GSubprocessLauncher *launcher;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* Keep the user's libpq settings out of the tests. */
  for (const char *const *k = (const char *const[]) { "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD",
                                                       "PGDATABASE", "PGSERVICE", "PGSSLMODE",
                                                       "PGOPTIONS", "PGAPPNAME", NULL };
       *k != NULL; k++)
    g_subprocess_launcher_unsetenv (launcher, *k);
  g_subprocess_launcher_setenv (launcher, "PGCONNECT_TIMEOUT", "20", TRUE);
  for (gsize i = 0; envp_extra != NULL && envp_extra[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (envp_extra[i], "=", 2);

      if (kv[1] != NULL)
        g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  return launcher;
}

guint
vigil_test_scale_timeout (guint seconds)
{
  /* Sanitizer builds run several times slower: make check-asan sets the factor. */
  const char *scale = g_getenv ("VIGIL_TEST_TIMEOUT_SCALE");
  guint64 factor = 1;

  if (scale != NULL && !g_ascii_string_to_unsigned (scale, 10, 1, 20, &factor, NULL))
    factor = 1;
  return seconds * (guint) factor;
}

gboolean
vigil_test_run_full (const char * const *argv,
                     const char * const *envp_extra,
                     const char         *stdin_text,
                     guint               timeout_seconds,
                     char              **out_stdout,
                     char              **out_stderr,
                     int                *out_status,
                     GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(GSource) timeout = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  RunState state = { 0 };
  gboolean killed = FALSE;
  int status;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);

  g_main_context_push_thread_default (context);
  launcher = run_launcher_new (envp_extra);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }
  /* With a stdin pipe GSubprocess wants a buffer; an empty one closes stdin at once. */
  input = g_bytes_new (stdin_text ? stdin_text : "", stdin_text ? strlen (stdin_text) : 0);
  g_subprocess_communicate_async (proc, input, NULL, run_communicated_cb, &state);
  timeout = g_timeout_source_new_seconds (vigil_test_scale_timeout (timeout_seconds ? timeout_seconds
                                                                                : RUN_DEFAULT_TIMEOUT));
  g_source_set_callback (timeout, run_timed_out_cb, &state, NULL);
  g_source_attach (timeout, context);
  while (!state.done)
    {
      if (state.timed_out && !killed)
        {
          g_subprocess_force_exit (proc);
          killed = TRUE;
        }
      g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (timeout);
  g_subprocess_wait (proc, NULL, NULL);
  g_main_context_pop_thread_default (context);

  out = bytes_to_string (state.out);
  err = bytes_to_string (state.err);
  g_clear_pointer (&state.out, g_bytes_unref);
  g_clear_pointer (&state.err, g_bytes_unref);
  status = g_subprocess_get_status (proc);

  if (state.error != NULL && !killed)
    {
      g_propagate_error (error, state.error);
      return FALSE;
    }
  g_clear_error (&state.error);
  if (killed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "%s did not finish within %u s\nstdout:\n%s\nstderr:\n%s",
                   argv[0], timeout_seconds, out, err);
      return FALSE;
    }
  if (out_status == NULL && !g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                   "%s failed (wait status %d)\nstdout:\n%s\nstderr:\n%s",
                   argv[0], status, out, err);
      return FALSE;
    }
  if (out_status != NULL)
    *out_status = status;
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  return TRUE;
}

gboolean
vigil_test_run (const char * const *argv,
                const char         *stdin_text,
                char              **out_stdout,
                char              **out_stderr,
                int                *out_status,
                GError            **error)
{
  return vigil_test_run_full (argv, NULL, stdin_text, RUN_DEFAULT_TIMEOUT,
                              out_stdout, out_stderr, out_status, error);
}

/* ---------------------------------------------------------------- reaper */

static void
reaper_child_setup (gpointer user_data)
{
  /* Survive the test's process group being killed on timeout. */
  setsid ();
}

GSubprocess *
vigil_test_reaper_spawn (const char  *script,
                         const char  *arg,
                         GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, reaper_child_setup, NULL, NULL);
  return g_subprocess_launcher_spawn (launcher, error, "/bin/sh", "-c", script,
                                      "vigil-test-reaper", arg, NULL);
}

void
vigil_test_reaper_cancel (GSubprocess *reaper)
{
  if (reaper == NULL)
    return;
  g_subprocess_force_exit (reaper);
  g_subprocess_wait (reaper, NULL, NULL);
  g_object_unref (reaper);
}

/* ---------------------------------------------------------------- helpers */

void
vigil_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        vigil_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

const char *
vigil_test_pg_get_bindir (void)
{
  static char *bindir;

  if (bindir == NULL)
    {
      const char *env = g_getenv ("VIGIL_TEST_PG_BINDIR");
      g_autofree char *initdb = NULL;

      if (env != NULL && *env != '\0')
        bindir = g_strdup (env);
      else if (g_file_test ("/usr/lib/postgresql/15/bin/initdb", G_FILE_TEST_IS_EXECUTABLE))
        bindir = g_strdup ("/usr/lib/postgresql/15/bin");
      else if ((initdb = g_find_program_in_path ("initdb")) != NULL)
        bindir = g_path_get_dirname (initdb);
      else
        bindir = g_strdup ("/usr/lib/postgresql/15/bin");
    }
  return bindir;
}

gboolean
vigil_test_pg_available (char **why_not)
{
  const char *tools[] = { "initdb", "pg_ctl", "postgres" };

  for (gsize i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_build_filename (vigil_test_pg_get_bindir (), tools[i], NULL);

      if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        {
          if (why_not != NULL)
            *why_not = g_strdup_printf ("%s not found", path);
          return FALSE;
        }
    }
  if (geteuid () == 0 && getpwnam (PG_UNPRIVILEGED_USER) == NULL)
    {
      if (why_not != NULL)
        *why_not = g_strdup ("running as root and there is no user '" PG_UNPRIVILEGED_USER "'");
      return FALSE;
    }
  return TRUE;
}

static char *
random_secret (void)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < 6; i++)
    g_string_append_printf (s, "%08x", g_random_int ());
  return g_string_free (s, FALSE);
}

static guint16
pick_free_port (GError **error)
{
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return 0;
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  any = g_inet_socket_address_new (loopback, 0);
  if (!g_socket_bind (sock, any, FALSE, error))
    return 0;
  bound = g_socket_get_local_address (sock, error);
  if (bound == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
give_to_pg_user (VigilTestPg *self,
                 const char  *path,
                 int          mode,
                 GError     **error)
{
  if (self->as_root && chown (path, self->uid, self->gid) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "chown %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (g_chmod (path, mode) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "chmod %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Runs a PostgreSQL tool as the server's user. */
static gboolean
run_pg_tool (VigilTestPg        *self,
             const char * const *args,
             GError            **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  int status = 0;
  gboolean ok;

  if (self->as_root)
    {
      g_ptr_array_add (argv, g_strdup ("runuser"));
      g_ptr_array_add (argv, g_strdup ("-u"));
      g_ptr_array_add (argv, g_strdup (PG_UNPRIVILEGED_USER));
      g_ptr_array_add (argv, g_strdup ("--"));
    }
  g_ptr_array_add (argv, g_build_filename (vigil_test_pg_get_bindir (), args[0], NULL));
  for (gsize i = 1; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  /* nobody cannot enter root's working directory; the tools would warn. */
  if (g_chdir (self->dir) != 0)
    g_warning ("chdir %s: %s", self->dir, g_strerror (errno));
  ok = vigil_test_run_full ((const char * const *) argv->pdata,
                            (const char * const[]) { "LC_ALL=C", NULL },
                            NULL, 120, &out, &err, &status, error);
  if (g_chdir (cwd) != 0)
    g_warning ("chdir %s: %s", cwd, g_strerror (errno));
  if (ok && !g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *log = NULL;

      g_file_get_contents (self->log_file, &log, NULL, NULL);
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                   "%s failed (wait status %d)\n%s%s\nserver log:\n%s",
                   args[0], status, out, err, log ? log : "(none)");
      return FALSE;
    }
  return ok;
}

static gboolean
make_certificate (VigilTestPg *self,
                  GError     **error)
{
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout", self->proxy_key, "-out", self->proxy_cert, NULL
  };

  if (!vigil_test_run (argv, NULL, NULL, NULL, NULL, error))
    return FALSE;
  /* The server's copy belongs to its user, mode 0600, as PostgreSQL demands. */
  if (!g_file_get_contents (self->proxy_cert, &cert, NULL, error) ||
      !g_file_get_contents (self->proxy_key, &key, NULL, error) ||
      !g_file_set_contents (self->server_cert, cert, -1, error) ||
      !g_file_set_contents (self->server_key, key, -1, error))
    return FALSE;
  return give_to_pg_user (self, self->server_cert, 0644, error) &&
         give_to_pg_user (self, self->server_key, 0600, error) &&
         g_chmod (self->proxy_key, 0600) == 0;
}

static gboolean
write_config (VigilTestPg *self,
              GError     **error)
{
  g_autofree char *conf_path = g_build_filename (self->data_dir, "postgresql.conf", NULL);
  g_autofree char *conf = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *all = NULL;

  if (!g_file_get_contents (conf_path, &conf, NULL, error))
    return FALSE;
  extra = g_strdup_printf ("\n# vigil test fixture\n"
                           "listen_addresses = '127.0.0.1'\n"
                           "port = %u\n"
                           "unix_socket_directories = '%s'\n"
                           "fsync = off\n"
                           "synchronous_commit = off\n"
                           "full_page_writes = off\n"
                           "max_connections = 600\n"
                           "ssl = on\n"
                           "ssl_cert_file = '%s'\n"
                           "ssl_key_file = '%s'\n"
                           "log_min_messages = warning\n",
                           self->port, self->dir, self->server_cert, self->server_key);
  all = g_strconcat (conf, extra, NULL);
  return g_file_set_contents (conf_path, all, -1, error) &&
         give_to_pg_user (self, conf_path, 0600, error);
}

static PGconn *
connect_super (VigilTestPg *self,
               const char  *dbname,
               GError     **error)
{
  g_autofree char *extra = g_strdup_printf ("dbname=%s", dbname);
  g_autofree char *conninfo = vigil_test_pg_super_conninfo (self, extra);
  PGconn *conn = PQconnectdb (conninfo);

  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "superuser connection failed: %s", PQerrorMessage (conn));
      PQfinish (conn);
      return NULL;
    }
  return conn;
}

static gboolean
exec_on (PGconn      *conn,
         const char  *sql,
         char       **out_value,
         GError     **error)
{
  PGresult *res = PQexec (conn, sql);
  ExecStatusType st = PQresultStatus (res);
  gboolean ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", sql, PQerrorMessage (conn));
  else if (out_value != NULL)
    *out_value = (st == PGRES_TUPLES_OK && PQntuples (res) > 0 && !PQgetisnull (res, 0, 0))
                 ? g_strdup (PQgetvalue (res, 0, 0)) : NULL;
  PQclear (res);
  return ok;
}

static gboolean
create_app_role (VigilTestPg *self,
                 GError     **error)
{
  PGconn *conn = connect_super (self, "postgres", error);
  g_autofree char *role_sql = NULL;
  g_autofree char *db_sql = NULL;
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  role_sql = g_strdup_printf ("SET password_encryption = 'scram-sha-256'; "
                              "CREATE ROLE " VIGIL_TEST_PG_APP_ROLE " LOGIN PASSWORD '%s'",
                              self->password);
  db_sql = g_strdup ("CREATE DATABASE " VIGIL_TEST_PG_APP_DB " OWNER " VIGIL_TEST_PG_APP_ROLE);
  ok = exec_on (conn, role_sql, NULL, error) && exec_on (conn, db_sql, NULL, error);
  PQfinish (conn);
  return ok;
}

static void
stop_live_fixtures_at_exit (void)
{
  while (live_fixtures != NULL)
    vigil_test_pg_stop (live_fixtures->data);
}

static gboolean
prepare_dir (VigilTestPg *self,
             GError     **error)
{
  g_autofree char *pwfile = NULL;

  self->dir = g_dir_make_tmp ("vigil-pg-XXXXXX", error);
  if (self->dir == NULL)
    return FALSE;
  self->data_dir = g_build_filename (self->dir, "data", NULL);
  self->log_file = g_build_filename (self->dir, "postgres.log", NULL);
  self->server_cert = g_build_filename (self->dir, "server.crt", NULL);
  self->server_key = g_build_filename (self->dir, "server.key", NULL);
  self->proxy_cert = g_build_filename (self->dir, "proxy.crt", NULL);
  self->proxy_key = g_build_filename (self->dir, "proxy.key", NULL);
  self->reaper = vigil_test_reaper_spawn (reaper_script, self->dir, error);
  if (self->reaper == NULL)
    return FALSE;
  /* World-accessible: the socket lives here and the server's user must write it. */
  if (!give_to_pg_user (self, self->dir, 0755, error))
    return FALSE;
  pwfile = g_build_filename (self->dir, "pwfile", NULL);
  return g_file_set_contents (pwfile, self->super_password, -1, error) &&
         give_to_pg_user (self, pwfile, 0600, error) &&
         g_file_set_contents (self->log_file, "", 0, error) &&
         give_to_pg_user (self, self->log_file, 0644, error);
}

VigilTestPg *
vigil_test_pg_start (GError **error)
{
  VigilTestPg *self = g_new0 (VigilTestPg, 1);
  g_autofree char *pwfile_opt = NULL;
  g_autofree char *why_not = NULL;
  gboolean ok;

  if (!vigil_test_pg_available (&why_not))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", why_not);
      g_free (self);
      return NULL;
    }
  if (live_fixtures == NULL)
    atexit (stop_live_fixtures_at_exit);
  live_fixtures = g_list_prepend (live_fixtures, self);
  self->as_root = geteuid () == 0;
  if (self->as_root)
    {
      struct passwd *pw = getpwnam (PG_UNPRIVILEGED_USER);

      self->uid = pw->pw_uid;
      self->gid = pw->pw_gid;
    }
  self->super_password = random_secret ();
  self->password = random_secret ();

  ok = prepare_dir (self, error) &&
       (self->port = pick_free_port (error)) != 0 &&
       make_certificate (self, error);
  if (ok)
    {
      pwfile_opt = g_strdup_printf ("--pwfile=%s/pwfile", self->dir);
      ok = run_pg_tool (self, (const char * const[]) {
                          "initdb", "-D", self->data_dir, "-U", "postgres", pwfile_opt,
                          "--auth-host=scram-sha-256", "--auth-local=trust",
                          "-E", "UTF8", "--locale=C", "--no-sync", NULL }, error) &&
           write_config (self, error) &&
           run_pg_tool (self, (const char * const[]) {
                          "pg_ctl", "-D", self->data_dir, "-l", self->log_file,
                          "-w", "-t", "60", "start", NULL }, error) &&
           create_app_role (self, error);
    }
  if (!ok)
    {
      vigil_test_pg_stop (self);
      return NULL;
    }
  return self;
}

void
vigil_test_pg_stop (VigilTestPg *self)
{
  g_autofree char *pid_file = NULL;

  if (self == NULL)
    return;
  live_fixtures = g_list_remove (live_fixtures, self);
  pid_file = self->data_dir ? g_build_filename (self->data_dir, "postmaster.pid", NULL) : NULL;
  if (pid_file != NULL && g_file_test (pid_file, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) error = NULL;

      if (!run_pg_tool (self, (const char * const[]) {
                          "pg_ctl", "-D", self->data_dir, "-m", "fast", "-w", "-t", "30",
                          "stop", NULL }, &error))
        g_printerr ("# pg_ctl stop: %s\n", error->message);
    }
  if (self->dir != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!vigil_test_run ((const char * const[]) { "rm", "-rf", self->dir, NULL },
                           NULL, NULL, NULL, NULL, &error))
        g_printerr ("# rm -rf %s: %s\n", self->dir, error->message);
    }
  vigil_test_reaper_cancel (g_steal_pointer (&self->reaper));
  g_free (self->dir);
  g_free (self->data_dir);
  g_free (self->log_file);
  g_free (self->server_cert);
  g_free (self->server_key);
  g_free (self->proxy_cert);
  g_free (self->proxy_key);
  g_free (self->super_password);
  g_free (self->password);
  g_free (self);
}

guint16
vigil_test_pg_get_port (VigilTestPg *self)
{
  return self->port;
}

const char *
vigil_test_pg_get_socket_dir (VigilTestPg *self)
{
  return self->dir;
}

const char *
vigil_test_pg_get_cert_file (VigilTestPg *self)
{
  return self->proxy_cert;
}

const char *
vigil_test_pg_get_key_file (VigilTestPg *self)
{
  return self->proxy_key;
}

const char *
vigil_test_pg_get_password (VigilTestPg *self)
{
  return self->password;
}

const char *
vigil_test_pg_get_log_file (VigilTestPg *self)
{
  return self->log_file;
}

char *
vigil_test_pg_conninfo (VigilTestPg *self,
                        const char  *extra)
{
  return g_strdup_printf ("host=127.0.0.1 port=%u user=" VIGIL_TEST_PG_APP_ROLE " password=%s "
                          "dbname=" VIGIL_TEST_PG_APP_DB "%s%s",
                          self->port, self->password,
                          extra ? " " : "", extra ? extra : "");
}

char *
vigil_test_pg_super_conninfo (VigilTestPg *self,
                              const char  *extra)
{
  return g_strdup_printf ("host=%s port=%u user=postgres dbname=" VIGIL_TEST_PG_APP_DB "%s%s",
                          self->dir, self->port, extra ? " " : "", extra ? extra : "");
}

gboolean
vigil_test_pg_exec (VigilTestPg *self,
                    const char  *sql,
                    GError     **error)
{
  PGconn *conn = connect_super (self, VIGIL_TEST_PG_APP_DB, error);
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  ok = exec_on (conn, sql, NULL, error);
  PQfinish (conn);
  return ok;
}

char *
vigil_test_pg_query_value (VigilTestPg *self,
                           const char  *sql,
                           GError     **error)
{
  PGconn *conn = connect_super (self, VIGIL_TEST_PG_APP_DB, error);
  char *value = NULL;

  if (conn == NULL)
    return NULL;
  if (!exec_on (conn, sql, &value, error))
    value = NULL;
  else if (value == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: no value", sql);
  PQfinish (conn);
  return value;
}

/* ---------------------------------------------------------------- appended: hostile suite */

gboolean
vigil_test_pg_restart (VigilTestPg *self,
                       GError     **error)
{
  return run_pg_tool (self, (const char * const[]) {
                        "pg_ctl", "-D", self->data_dir, "-l", self->log_file, "-m", "fast",
                        "-w", "-t", "60", "restart", NULL }, error);
}
