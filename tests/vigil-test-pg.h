/* vigil-test-pg.h: a throwaway PostgreSQL for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VigilTestPg VigilTestPg;

/* The application role and database every fixture creates. */
#define VIGIL_TEST_PG_APP_ROLE "vigil_app"
#define VIGIL_TEST_PG_APP_DB   "appdb"

const char  *vigil_test_pg_get_bindir       (void);
gboolean     vigil_test_pg_available        (char       **why_not);

VigilTestPg *vigil_test_pg_start            (GError     **error);
void         vigil_test_pg_stop             (VigilTestPg *self);

guint16      vigil_test_pg_get_port         (VigilTestPg *self);
const char  *vigil_test_pg_get_socket_dir   (VigilTestPg *self);
const char  *vigil_test_pg_get_cert_file    (VigilTestPg *self);
const char  *vigil_test_pg_get_key_file     (VigilTestPg *self);
const char  *vigil_test_pg_get_password     (VigilTestPg *self);
const char  *vigil_test_pg_get_log_file     (VigilTestPg *self);

char        *vigil_test_pg_conninfo         (VigilTestPg *self,
                                             const char  *extra);
char        *vigil_test_pg_super_conninfo   (VigilTestPg *self,
                                             const char  *extra);
gboolean     vigil_test_pg_exec             (VigilTestPg *self,
                                             const char  *sql,
                                             GError     **error);
char        *vigil_test_pg_query_value      (VigilTestPg *self,
                                             const char  *sql,
                                             GError     **error);

/* Removes PATH and everything under it (symbolic links are removed, not followed). */
void         vigil_test_rm_rf               (const char  *path);

/* A watchdog process that outlives a crashed test: when the test process dies (abort,
 * timeout kill) the reaper sees EOF on its stdin and runs @script (sh) with @arg as $1.
 * Stop it with vigil_test_reaper_cancel() once the normal cleanup has run. */
GSubprocess *vigil_test_reaper_spawn        (const char  *script,
                                             const char  *arg,
                                             GError     **error);
void         vigil_test_reaper_cancel       (GSubprocess *reaper);

/* Runs argv with a bounded wait; stdin_text and the out parameters are nullable.
 * out_status is the wait status as g_spawn_check_wait_status() takes it. */
gboolean     vigil_test_run                 (const char * const *argv,
                                             const char         *stdin_text,
                                             char              **out_stdout,
                                             char              **out_stderr,
                                             int                *out_status,
                                             GError            **error);
/* SECONDS times $VIGIL_TEST_TIMEOUT_SCALE (1 when unset): sanitizer builds are slower. */
guint        vigil_test_scale_timeout      (guint seconds);
gboolean     vigil_test_run_full            (const char * const *argv,
                                             const char * const *envp_extra,
                                             const char         *stdin_text,
                                             guint               timeout_seconds,
                                             char              **out_stdout,
                                             char              **out_stderr,
                                             int                *out_status,
                                             GError            **error);

G_END_DECLS

/* ---- appended for the hostile suite ---- */
G_BEGIN_DECLS
/* pg_ctl restart -m fast: sessions get FATAL 57P01; returns once the server accepts again. */
gboolean     vigil_test_pg_restart          (VigilTestPg *self,
                                             GError     **error);
G_END_DECLS
