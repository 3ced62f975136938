/* vigil-window.c: the console's main window.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-window"

#include <glib/gi18n.h>

#include "vigil-approvals-view.h"
#include "vigil-audit-view.h"
#include "vigil-identities-view.h"
#include "vigil-live-view.h"
#include "vigil-overview-view.h"
#include "vigil-policies-view.h"
#include "vigil-window.h"

struct _VigilWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *stack;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStackPage     *approvals_page;
  VigilLiveView        *live_view;
  VigilApprovalsView   *approvals_view;
  VigilAuditView       *audit_view;
  VigilPoliciesView    *policies_view;
  VigilIdentitiesView  *identities_view;
  VigilOverviewView    *overview_view;

  GCancellable         *cancellable;   /* every task; cancelled when the window goes */
  gboolean              close_confirmed;
};

G_DEFINE_FINAL_TYPE (VigilWindow, vigil_window, ADW_TYPE_APPLICATION_WINDOW)

static const char *const view_names[] = {
  "live", "approvals", "audit", "policies", "identities", "overview",
};

static VigilApplication *
get_app (VigilWindow *self)
{
  return VIGIL_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void
update_badge (VigilWindow *self)
{
  guint held = vigil_application_get_held_count (get_app (self));

  adw_view_stack_page_set_badge_number (self->approvals_page, held);
  adw_view_stack_page_set_needs_attention (self->approvals_page, held > 0);
}

static void
approvals_changed_cb (GListModel  *model,
                      guint        position,
                      guint        removed,
                      guint        added,
                      VigilWindow *self)
{
  update_badge (self);
}

static void
show_toast (VigilWindow *self,
            const char  *title,
            gboolean     sticky)
{
  AdwToast *toast = adw_toast_new (title);

  /* What needs acting on stays until dismissed. */
  if (sticky)
    adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static char *
format_count (gint64 n)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, n);
}

static char *
format_verdict (gboolean    intact,
                gint64      entries,
                gint64      first_bad,
                const char *reason)
{
  g_autofree char *number = format_count (intact ? entries : first_bad);

  if (intact)
    /* Translators: %s is a number of audit entries */
    return g_strdup_printf (g_dngettext (NULL, "Audit chain intact: %s entry",
                                         "Audit chain intact: %s entries", (gulong) entries),
                            number);
  if (first_bad > 0)
    /* Translators: %s is a record number, then why the check failed */
    return g_strdup_printf (_("Audit chain broken at record #%s: %s"), number, reason);
  return g_strdup_printf (_("Audit chain broken: %s"), reason);
}

static void
audit_verified_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(VigilWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *text = NULL;
  gboolean intact = FALSE;
  gint64 entries = 0;
  gint64 first_bad = 0;

  if (!vigil_application_verify_audit_finish (VIGIL_APPLICATION (object), result, &intact,
                                              &entries, &first_bad, &reason, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("Could not verify the audit log: %s"), error->message);
    }
  else
    text = format_verdict (intact, entries, first_bad, reason ? reason : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self->audit_view), "audit.verify", TRUE);
  vigil_audit_view_set_status (self->audit_view, text, intact ? "success" : "error");
  show_toast (self, text, !intact);
}

static void
audit_verify_cb (VigilAuditView *view,
                 VigilWindow    *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (view), "audit.verify", FALSE);
  vigil_audit_view_set_status (view, _("Verifying the audit chain…"), NULL);
  vigil_application_verify_audit_async (get_app (self), self->cancellable, audit_verified_cb,
                                        g_object_ref (self));
}

static void
visible_view_changed_cb (VigilWindow *self)
{
  /* The log grows while other views are shown: search again whenever it comes back. */
  if (g_strcmp0 (vigil_window_get_view (self), "audit") == 0)
    vigil_audit_view_refresh (self->audit_view);
}

static void
bind_settings (VigilWindow *self)
{
  GSettings *settings = vigil_application_get_settings (get_app (self));

  if (settings == NULL)
    return;
  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
}

static void
show_engine_state (VigilWindow *self)
{
  VigilApplication *app = get_app (self);
  g_autofree char *address = vigil_application_dup_listen_address (app);
  const GError *error = vigil_application_get_engine_error (app);
  g_autofree char *subtitle = NULL;

  if (address != NULL)
    /* Translators: %s is a host and port, such as 127.0.0.1:6543 */
    subtitle = g_strdup_printf (_("Listening on %s"), address);
  else
    subtitle = g_strdup (_("Proxy not running"));
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The proxy did not start: %s"), error->message);
      AdwToast *toast = adw_toast_new (text);

      adw_toast_set_timeout (toast, 0);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}

static void
close_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   VigilWindow      *self)
{
  if (g_strcmp0 (response, "quit") != 0)
    return;
  self->close_confirmed = TRUE;
  gtk_window_close (GTK_WINDOW (self));
}

static void
ask_before_closing (VigilWindow *self,
                    guint        held)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  body = g_strdup_printf (g_dngettext (NULL,
                                       "%u statement is waiting for a decision. Closing Vigil "
                                       "stops the proxy and its client gets an error.",
                                       "%u statements are waiting for a decision. Closing Vigil "
                                       "stops the proxy and their clients get an error.", held),
                          held);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Quit While Statements Are Held?"),
                                                       body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "quit", _("_Quit"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "quit", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (close_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
vigil_window_close_request (GtkWindow *window)
{
  VigilWindow *self = VIGIL_WINDOW (window);
  guint held = vigil_application_get_held_count (get_app (self));

  if (held > 0 && !self->close_confirmed)
    {
      ask_before_closing (self, held);
      return TRUE;
    }
  return GTK_WINDOW_CLASS (vigil_window_parent_class)->close_request (window);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  vigil_window_show_view (VIGIL_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VigilWindow *self = VIGIL_WINDOW (widget);

  if (g_strcmp0 (vigil_window_get_view (self), "audit") == 0)
    {
      vigil_audit_view_focus_search (self->audit_view);
      return;
    }
  vigil_window_show_view (self, "live");
  vigil_live_view_focus_search (self->live_view);
}

static void
toggle_pause_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  VigilWindow *self = VIGIL_WINDOW (widget);

  gtk_widget_activate_action (GTK_WIDGET (self->live_view), "live.pause", NULL);
}

/* After construction: GtkWindow:application is not a construct property. */
static void
connect_models (VigilWindow *self)
{
  VigilApplication *app = get_app (self);
  GListModel *approvals = G_LIST_MODEL (vigil_application_get_approvals (app));

  vigil_live_view_set_model (self->live_view, vigil_application_get_live_model (app));
  vigil_overview_view_set_model (self->overview_view, vigil_application_get_live_model (app));
  vigil_approvals_view_set_model (self->approvals_view, approvals);
  vigil_audit_view_set_search (self->audit_view, vigil_application_get_audit_search (app));
  vigil_policies_view_set_model (self->policies_view, vigil_application_get_policy_model (app));
  vigil_identities_view_set_model (self->identities_view, vigil_application_get_identities (app));
  g_signal_connect_object (approvals, "items-changed", G_CALLBACK (approvals_changed_cb), self, 0);
  g_signal_connect_object (self->audit_view, "verify", G_CALLBACK (audit_verify_cb), self, 0);
  g_signal_connect_object (self->stack, "notify::visible-child-name",
                           G_CALLBACK (visible_view_changed_cb), self, G_CONNECT_SWAPPED);
  update_badge (self);
  bind_settings (self);
  show_engine_state (self);
}

static void
vigil_window_dispose (GObject *object)
{
  VigilWindow *self = VIGIL_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (vigil_window_parent_class)->dispose (object);
}

static void
vigil_window_class_init (VigilWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = vigil_window_dispose;
  window_class->close_request = vigil_window_close_request;

  g_type_ensure (VIGIL_TYPE_LIVE_VIEW);
  g_type_ensure (VIGIL_TYPE_APPROVALS_VIEW);
  g_type_ensure (VIGIL_TYPE_AUDIT_VIEW);
  g_type_ensure (VIGIL_TYPE_POLICIES_VIEW);
  g_type_ensure (VIGIL_TYPE_IDENTITIES_VIEW);
  g_type_ensure (VIGIL_TYPE_OVERVIEW_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/vigil/Vigil/vigil-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, approvals_page);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, live_view);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, approvals_view);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, audit_view);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, policies_view);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, identities_view);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, overview_view);

  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-pause", NULL, toggle_pause_action);
  for (guint i = 0; i < G_N_ELEMENTS (view_names); i++)
    {
      gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_CONTROL_MASK,
                                           "win.show-view", "s", view_names[i]);
      gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_1 + i, GDK_CONTROL_MASK,
                                           "win.show-view", "s", view_names[i]);
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK,
                                       "win.toggle-pause", NULL);
}

static void
vigil_window_init (VigilWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

VigilWindow *
vigil_window_new (VigilApplication *application)
{
  VigilWindow *self;

  g_return_val_if_fail (VIGIL_IS_APPLICATION (application), NULL);

  self = g_object_new (VIGIL_TYPE_WINDOW, "application", application, NULL);
  connect_models (self);
  return self;
}

void
vigil_window_show_view (VigilWindow *self,
                        const char  *name)
{
  g_return_if_fail (VIGIL_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

const char *
vigil_window_get_view (VigilWindow *self)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->stack);
}

void
vigil_window_add_toast (VigilWindow *self,
                        const char  *title)
{
  g_return_if_fail (VIGIL_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

void
vigil_window_add_error_toast (VigilWindow *self,
                              const char  *title)
{
  AdwToast *toast;

  g_return_if_fail (VIGIL_IS_WINDOW (self));
  /* A toast of normal priority waits for the one showing to time out (seconds). */
  toast = adw_toast_new (title);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

GtkWidget *
vigil_window_get_view_widget (VigilWindow *self,
                              const char  *name)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);
  return adw_view_stack_get_child_by_name (self->stack, name);
}
