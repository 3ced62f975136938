/* vigil-identity-dialog.h: add an identity, then show its token once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-identity-list.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_IDENTITY_DIALOG (vigil_identity_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VigilIdentityDialog, vigil_identity_dialog, VIGIL, IDENTITY_DIALOG, AdwWindow)

/* ADDRESS is the proxy's "host:port"; CONNECTION the dbname clients ask for. */
VigilIdentityDialog *vigil_identity_dialog_new       (GtkWindow         *parent,
                                                      VigilIdentityList *list,
                                                      const char        *address,
                                                      const char        *connection);
/* The psql line for NAME and TOKEN (for tests and the copy button). */
char                *vigil_identity_dialog_psql_line (const char        *address,
                                                      const char        *name,
                                                      const char        *token,
                                                      const char        *connection);

G_END_DECLS
