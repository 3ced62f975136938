/* vigil-export-dialog.h: export a signed audit bundle, with progress.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define VIGIL_TYPE_EXPORT_DIALOG (vigil_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VigilExportDialog, vigil_export_dialog, VIGIL, EXPORT_DIALOG, AdwWindow)

/* A modal window over PARENT exporting DATA_DIR's audit log. */
VigilExportDialog *vigil_export_dialog_new             (GtkWindow         *parent,
                                                        const char        *data_dir);
/* The form's fields as a user types them (NULL leaves one empty). */
void               vigil_export_dialog_set_filters     (VigilExportDialog *self,
                                                        const char        *since,
                                                        const char        *until,
                                                        const char        *identity,
                                                        const char        *connection);
void               vigil_export_dialog_set_output_path (VigilExportDialog *self,
                                                        const char        *path);
const char        *vigil_export_dialog_get_output_path (VigilExportDialog *self);
/* "form", "progress", "done" or "failed"; and what the dialog says about it. */
const char        *vigil_export_dialog_get_state       (VigilExportDialog *self);
const char        *vigil_export_dialog_get_message     (VigilExportDialog *self);

G_END_DECLS
