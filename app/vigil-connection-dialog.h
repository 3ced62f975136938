/* vigil-connection-dialog.h: name an upstream PostgreSQL, test it with libpq, save it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-connection-list.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_CONNECTION_DIALOG (vigil_connection_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VigilConnectionDialog, vigil_connection_dialog, VIGIL, CONNECTION_DIALOG,
                      AdwWindow)

/* Seconds a Test may take to connect. */
#define VIGIL_CONNECTION_TEST_TIMEOUT 5

VigilConnectionDialog *vigil_connection_dialog_new         (GtkWindow             *parent,
                                                            VigilConnectionList   *list);
/* Fills the form through its widgets, as a user would (tests). SSLMODE is one of libpq's
 * (NULL: prefer). */
void                   vigil_connection_dialog_fill        (VigilConnectionDialog *self,
                                                            const char            *name,
                                                            const char            *host,
                                                            const char            *port,
                                                            const char            *database,
                                                            const char            *user,
                                                            const char            *password,
                                                            const char            *sslmode);
/* The conninfo the form describes (password included: for libpq, not for display). */
char                  *vigil_connection_dialog_dup_conninfo (VigilConnectionDialog *self);
/* What the status line says now, and whether a Test or Save is running (tests). */
const char            *vigil_connection_dialog_get_status  (VigilConnectionDialog *self);
gboolean               vigil_connection_dialog_get_busy    (VigilConnectionDialog *self);

G_END_DECLS
