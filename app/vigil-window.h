/* vigil-window.h: the console's main window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "vigil-application.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_WINDOW (vigil_window_get_type ())
G_DECLARE_FINAL_TYPE (VigilWindow, vigil_window, VIGIL, WINDOW, AdwApplicationWindow)

VigilWindow *vigil_window_new           (VigilApplication *application);
/* "live", "approvals", "audit", "policies", "identities" or "overview". */
void         vigil_window_show_view     (VigilWindow      *self,
                                         const char       *name);
const char  *vigil_window_get_view      (VigilWindow      *self);
void         vigil_window_add_toast     (VigilWindow      *self,
                                         const char       *title);
/* Why what the user just did failed: shown at once, ahead of any other toast. */
void         vigil_window_add_error_toast (VigilWindow    *self,
                                           const char     *title);
/* The view's widget, for tests. */
GtkWidget   *vigil_window_get_view_widget (VigilWindow    *self,
                                           const char     *name);

G_END_DECLS
