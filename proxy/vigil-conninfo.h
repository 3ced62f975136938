/* vigil-conninfo.h: libpq connection strings as Vigil shows and checks them.
 *
 * A conninfo may carry a password; it is kept where libpq needs it and never shown:
 * everything meant for people goes through vigil_conninfo_redact().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VIGIL_CONNINFO_HIDDEN "********"

/* TRUE when libpq can parse CONNINFO (URI or key=value); the error says why not. */
gboolean  vigil_conninfo_validate  (const char          *conninfo,
                                    GError             **error);
/* CONNINFO as key=value pairs, the password (if any) replaced by VIGIL_CONNINFO_HIDDEN;
 * NULL when it cannot be parsed (then nothing of it is returned, not even in part). */
char     *vigil_conninfo_redact    (const char          *conninfo);
/* A key=value conninfo from KEYS and VALUES (NULL-terminated, empty values skipped),
 * quoted as libpq expects. */
char     *vigil_conninfo_build     (const char * const  *keys,
                                    const char * const  *values);

/* Blocking (a worker's job): connects with libpq, at most TIMEOUT_SECONDS, and returns
 * SELECT version(); NULL and libpq's message (VIGIL_ERROR_UPSTREAM) otherwise. */
char     *vigil_conninfo_test      (const char          *conninfo,
                                    guint                timeout_seconds,
                                    GError             **error);

G_END_DECLS
