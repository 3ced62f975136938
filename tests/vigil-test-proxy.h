/* vigil-test-proxy.h: runs the real `vigilctl serve` in front of a test PostgreSQL.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>

#include "vigil-test-pg.h"

G_BEGIN_DECLS

typedef struct _VigilTestProxy VigilTestProxy;

typedef struct
{
  gboolean    tls;          /* pass --tls-cert/--tls-key (the fixture's pair) */
  /* The policy to import before serving. NULL: allow everything (the protocol suites test
   * the wire, not the guardrails); VIGIL_TEST_PROXY_DEFAULT_POLICY: keep the built-in one. */
  const char *policy_json;
  guint       approval_timeout;  /* seconds; 0 for the engine's default */
  const char * const *extra_args; /* more `vigilctl serve` arguments, NULL-terminated */
} VigilTestProxyOptions;

#define VIGIL_TEST_PROXY_DEFAULT_POLICY "default"
#define VIGIL_TEST_PROXY_ALLOW_ALL_POLICY "{\"version\": 1, \"default_action\": \"allow\", \"rules\": []}"

#define VIGIL_TEST_PROXY_IDENTITY "agent1"
#define VIGIL_TEST_PROXY_READY_TIMEOUT 20

VigilTestProxy *vigil_test_proxy_start          (VigilTestPg                 *pg,
                                                 const VigilTestProxyOptions *opts,
                                                 GError                     **error);
void            vigil_test_proxy_stop           (VigilTestProxy              *self);
/* SIGTERM and a bounded wait: the wait status, or -1 when it had to be killed. */
int             vigil_test_proxy_terminate      (VigilTestProxy              *self);

guint16         vigil_test_proxy_get_port       (VigilTestProxy              *self);
/* The HTTP API's port when `--api` was among the extra arguments, else 0. */
guint16         vigil_test_proxy_get_api_port   (VigilTestProxy              *self);
const char     *vigil_test_proxy_get_socket_dir (VigilTestProxy              *self);
const char     *vigil_test_proxy_get_token      (VigilTestProxy              *self);
const char     *vigil_test_proxy_get_data_dir   (VigilTestProxy              *self);
gboolean        vigil_test_proxy_is_alive       (VigilTestProxy              *self);
char           *vigil_test_proxy_read_log       (VigilTestProxy              *self);

/* "host=127.0.0.1 port=P user=agent1 password=T dbname=appdb sslmode=disable" + extra */
char           *vigil_test_proxy_conninfo       (VigilTestProxy              *self,
                                                 const char                  *extra);
/* The same over the Unix socket. */
char           *vigil_test_proxy_unix_conninfo  (VigilTestProxy              *self,
                                                 const char                  *extra);
char           *vigil_test_proxy_add_identity   (VigilTestProxy              *self,
                                                 const char                  *name,
                                                 const char                  *kind,
                                                 GError                     **error);

/* libpq helpers for the proxy tests. */
const char     *vigil_test_sqlstate             (const PGresult              *res);
gboolean        vigil_test_wait_input           (PGconn                      *conn,
                                                 guint                        timeout_ms);
char           *vigil_test_query_value          (PGconn                      *conn,
                                                 const char                  *sql);
/* Runs SQL on CONN; any result but a command or rows ends the test with the error. */
void            vigil_test_exec_ok              (PGconn                      *conn,
                                                 const char                  *sql);
/* The first value of SQL as the upstream's superuser sees it, bypassing the proxy. */
char           *vigil_test_env_upstream_value   (const char                  *sql);

/* One PostgreSQL and one proxy for a whole test program. Setup records what went wrong;
 * the getters then skip (tools missing) or fail (it broke) the calling test and return NULL. */
/* g_test_init() with --keep-going: one failing case must not hide the others. */
void            vigil_test_init                 (int                         *argc,
                                                 char                      ***argv);
void            vigil_test_env_setup            (const VigilTestProxyOptions *opts);
/* The PostgreSQL alone, for programs that test parts without the proxy. */
void            vigil_test_env_setup_pg         (void);
void            vigil_test_env_teardown         (void);
gboolean        vigil_test_env_ready            (void);
VigilTestPg    *vigil_test_env_pg               (void);
VigilTestProxy *vigil_test_env_proxy            (void);
PGconn         *vigil_test_env_connect          (const char                  *extra);

/* Skips the current test unless the named programs are on PATH. */
gboolean        vigil_test_require_programs     (const char * const          *programs);

G_END_DECLS

/* ---- appended for the guard and audit suites ---- */
G_BEGIN_DECLS
/* SIGKILL (a crash) and wait: the wait status. */
int             vigil_test_proxy_kill           (VigilTestProxy              *self);
/* The `vigilctl serve` process id as a string, NULL once it has exited. */
const char     *vigil_test_proxy_get_pid        (VigilTestProxy              *self);
/* Like vigil_test_proxy_conninfo() for another identity. */
char           *vigil_test_proxy_identity_conninfo (VigilTestProxy           *self,
                                                    const char               *identity,
                                                    const char               *token,
                                                    const char               *extra);
/* Runs `$VIGILCTL ARGS... --data-dir DATA_DIR` with a bounded wait (vigil_test_run). */
gboolean        vigil_test_proxy_vigilctl       (VigilTestProxy              *self,
                                                 const char * const          *args,
                                                 char                       **out_stdout,
                                                 char                       **out_stderr,
                                                 int                         *out_status,
                                                 GError                     **error);
G_END_DECLS
