/* vigil-application.c: the console application; owns the engine and the models.
 *
 * The engine runs on its own thread; its events reach the live model here, on the main
 * context, in batches. Models live here, not in the window, so a second window (or a
 * test) sees the same state.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-app"

#include <string.h>

#include <glib/gi18n.h>

#include "vigil-application.h"
#include "vigil-approval-item.h"
#include "vigil-demo.h"
#include "vigil-window.h"

struct _VigilApplication
{
  AdwApplication     parent_instance;

  VigilOptions       options;
  GSettings         *settings;
  VigilStore        *store;
  VigilEngine       *engine;
  GError            *engine_error;
  char              *connection;
  VigilLiveModel    *live;
  VigilIdentityList *identities;
  VigilPolicyModel  *policy;
  GListStore        *approvals;
  GListStore        *audit_results;
  guint              demo_source;
  gboolean           started;
};

G_DEFINE_FINAL_TYPE (VigilApplication, vigil_application, ADW_TYPE_APPLICATION)

static GSettings *
settings_new_if_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, VIGIL_APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_message ("The %s GSettings schema is not installed: settings are not remembered",
                 VIGIL_APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static GtkWindow *
ensure_window (VigilApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (vigil_window_new (self));
  return window;
}

static VigilApprovalItem *
find_approval (VigilApplication *self,
               gint64            id,
               guint            *out_position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->approvals));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VigilApprovalItem) approval = g_list_model_get_item (G_LIST_MODEL (self->approvals), i);

      if (vigil_approval_item_get_id (approval) == id)
        {
          *out_position = i;
          return g_steal_pointer (&approval);
        }
    }
  return NULL;
}

static void
notify_held (VigilApplication *self,
             VigilApprovalItem    *approval)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* Only a reviewer who is looking elsewhere needs telling. */
  if (window == NULL || gtk_window_is_active (window))
    return;
  if (self->settings != NULL && !g_settings_get_boolean (self->settings, "notify-held"))
    return;
  /* Translators: %s is an identity's name */
  title = g_strdup_printf (_("%s is waiting for approval"), vigil_approval_item_get_identity (approval));
  notification = g_notification_new (title);
  g_notification_set_body (notification, vigil_approval_item_get_statement (approval));
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_add_button_with_target (notification, _("Approve"), "app.approve", "x",
                                          vigil_approval_item_get_id (approval));
  g_notification_add_button_with_target (notification, _("Deny"), "app.deny", "x",
                                         vigil_approval_item_get_id (approval));
  g_application_send_notification (G_APPLICATION (self), "held", notification);
}

static void
approvals_changed_cb (GListModel       *model,
                      guint             position,
                      guint             removed,
                      guint             added,
                      VigilApplication *self)
{
  if (added > 0)
    {
      g_autoptr(VigilApprovalItem) newest = g_list_model_get_item (model, position + added - 1);

      notify_held (self, newest);
    }
  if (g_list_model_get_n_items (model) == 0)
    g_application_withdraw_notification (G_APPLICATION (self), "held");
}

static void
approve_action_cb (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  vigil_application_decide (user_data, g_variant_get_int64 (parameter), "approve", 0, NULL);
}

static void
deny_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  vigil_application_decide (user_data, g_variant_get_int64 (parameter), "deny", 0, NULL);
}

static void
quit_action_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (user_data);

  /* The window asks first when statements are held; it quits when it closes. */
  if (window != NULL)
    gtk_window_close (window);
  else
    g_application_quit (user_data);
}

static void
about_action_cb (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  const char *developers[] = { "The Vigil authors", NULL };

  adw_show_about_window (gtk_application_get_active_window (user_data),
                         "application-name", _("Vigil"),
                         "application-icon", VIGIL_APPLICATION_ID,
                         "version", VIGIL_VERSION,
                         "comments", _("Watch, approve and audit what AI agents do to your databases"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action_cb },
  { "about", about_action_cb },
  { "approve", approve_action_cb, "x" },
  { "deny", deny_action_cb, "x" },
};

static void
vigil_application_startup (GApplication *app)
{
  VigilApplication *self = VIGIL_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (vigil_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  self->settings = settings_new_if_installed ();
}

static void
vigil_application_activate (GApplication *app)
{
  gtk_window_present (ensure_window (VIGIL_APPLICATION (app)));
}

static int
vigil_application_command_line (GApplication            *app,
                                GApplicationCommandLine *command_line)
{
  VigilApplication *self = VIGIL_APPLICATION (app);
  g_autoptr(GError) error = NULL;

  /* A second `vigil` only raises the window: the engine is already configured. */
  if (!g_application_command_line_get_is_remote (command_line) &&
      !vigil_application_start (self, &self->options, &error))
    {
      g_application_command_line_printerr (command_line, "vigil: %s\n", error->message);
      return 2;
    }
  g_application_activate (app);
  return 0;
}

static void
vigil_application_shutdown (GApplication *app)
{
  VigilApplication *self = VIGIL_APPLICATION (app);

  g_clear_handle_id (&self->demo_source, g_source_remove);
  if (self->engine != NULL)
    vigil_engine_stop (self->engine);
  G_APPLICATION_CLASS (vigil_application_parent_class)->shutdown (app);
}

static void
vigil_application_dispose (GObject *object)
{
  VigilApplication *self = VIGIL_APPLICATION (object);

  g_clear_handle_id (&self->demo_source, g_source_remove);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->live);
  g_clear_object (&self->identities);
  g_clear_object (&self->policy);
  g_clear_object (&self->approvals);
  g_clear_object (&self->audit_results);
  G_OBJECT_CLASS (vigil_application_parent_class)->dispose (object);
}

static void
vigil_application_finalize (GObject *object)
{
  VigilApplication *self = VIGIL_APPLICATION (object);

  vigil_options_clear (&self->options);
  g_free (self->connection);
  g_clear_error (&self->engine_error);
  G_OBJECT_CLASS (vigil_application_parent_class)->finalize (object);
}

static void
vigil_application_class_init (VigilApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = vigil_application_dispose;
  object_class->finalize = vigil_application_finalize;
  app_class->startup = vigil_application_startup;
  app_class->activate = vigil_application_activate;
  app_class->command_line = vigil_application_command_line;
  app_class->shutdown = vigil_application_shutdown;
}

static void
vigil_application_init (VigilApplication *self)
{
  g_autofree GOptionEntry *entries = vigil_options_get_entries (&self->options, TRUE);
  g_autoptr(GError) error = NULL;

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self),
                                                     _("- the Vigil console"));
  self->live = vigil_live_model_new (VIGIL_LIVE_MODEL_DEFAULT_MAX);
  self->identities = vigil_identity_list_new (NULL);
  self->policy = vigil_policy_model_new ();
  self->approvals = g_list_store_new (VIGIL_TYPE_APPROVAL_ITEM);
  self->audit_results = g_list_store_new (VIGIL_TYPE_LIVE_RECORD);
  if (!vigil_policy_model_load_default (self->policy, &error))
    g_warning ("Could not load the default policy: %s", error->message);
  g_signal_connect_object (self->approvals, "items-changed",
                           G_CALLBACK (approvals_changed_cb), self, 0);
}

VigilApplication *
vigil_application_new (void)
{
  return g_object_new (VIGIL_TYPE_APPLICATION,
                       "application-id", VIGIL_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/org/vigil/Vigil",
                       NULL);
}

static void
start_engine (VigilApplication   *self,
              const VigilOptions *options)
{
  g_autoptr(VigilEngine) engine = vigil_engine_new (self->store);
  g_autofree char *listen = NULL;

  /* Command-line options win over the remembered settings. */
  if (self->settings != NULL)
    {
      vigil_engine_set_approval_timeout (engine,
                                         g_settings_get_uint (self->settings, "approval-timeout"));
      listen = g_settings_get_string (self->settings, "listen-address");
      if (options->listen == NULL && *listen != '\0' &&
          !vigil_engine_set_listen (engine, listen, &self->engine_error))
        {
          g_warning ("Ignoring the listen-address setting: %s", self->engine_error->message);
          g_clear_error (&self->engine_error);
        }
    }
  if (!vigil_options_configure_engine (options, engine, &self->engine_error) ||
      !vigil_engine_start (engine, &self->engine_error))
    {
      g_warning ("The proxy did not start: %s", self->engine_error->message);
      return;
    }
  vigil_engine_set_event_sink (engine, g_main_context_default (),
                               vigil_live_model_push_batch, self->live);
  self->engine = g_steal_pointer (&engine);
}

static void
start_demo (VigilApplication *self)
{
  g_autoptr(GPtrArray) held = vigil_demo_make_held ();

  self->demo_source = vigil_demo_start (self->live);
  for (guint i = 0; i < held->len; i++)
    {
      g_autoptr(VigilApprovalItem) approval = vigil_approval_item_new (g_ptr_array_index (held, i));

      g_list_store_append (self->approvals, approval);
    }
}

gboolean
vigil_application_start (VigilApplication    *self,
                         const VigilOptions  *options,
                         GError             **error)
{
  g_autofree char *data_dir = NULL;

  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  if (self->started)
    return TRUE;
  data_dir = vigil_options_resolve_data_dir (options);
  self->store = vigil_store_open (data_dir, error);
  if (self->store == NULL)
    return FALSE;
  self->started = TRUE;
  if (options->upstreams != NULL && options->upstreams[0] != NULL)
    self->connection = vigil_options_connection_name (options->upstreams[0], NULL);
  vigil_identity_list_set_store (self->identities, self->store);
  vigil_identity_list_reload_async (self->identities, NULL, NULL, NULL);
  start_engine (self, options);
  if (options->demo)
    start_demo (self);
  return TRUE;
}

VigilStore *
vigil_application_get_store (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->store;
}

VigilEngine *
vigil_application_get_engine (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->engine;
}

const GError *
vigil_application_get_engine_error (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->engine_error;
}

GSettings *
vigil_application_get_settings (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->settings;
}

VigilLiveModel *
vigil_application_get_live_model (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->live;
}

VigilIdentityList *
vigil_application_get_identities (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->identities;
}

VigilPolicyModel *
vigil_application_get_policy_model (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->policy;
}

GListStore *
vigil_application_get_approvals (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->approvals;
}

GListStore *
vigil_application_get_audit_results (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->audit_results;
}

guint
vigil_application_get_held_count (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->approvals));
}

void
vigil_application_decide (VigilApplication *self,
                          gint64            id,
                          const char       *decision,
                          guint             minutes,
                          const char       *reason)
{
  g_autoptr(VigilApprovalItem) approval = NULL;
  guint position = 0;

  g_return_if_fail (VIGIL_IS_APPLICATION (self));
  g_return_if_fail (decision != NULL);

  /* TODO(lead): hand the decision to the engine (vigil_engine_decide) once it exists;
   * the engine then drops the statement from the queue it reports. */
  g_debug ("Decision on #%" G_GINT64_FORMAT ": %s (%u min) %s", id, decision, minutes,
           reason ? reason : "");
  approval = find_approval (self, id, &position);
  if (approval != NULL)
    g_list_store_remove (self->approvals, position);
}

gboolean
vigil_application_apply_policy (VigilApplication  *self,
                                const char        *json,
                                GError           **error)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (json != NULL, FALSE);

  /* TODO(lead): validate with vigil_policy_new_from_json() and swap it into the engine
   * (vigil_engine_reload_policy) before showing it. */
  return vigil_policy_model_load_json (self->policy, json, error);
}

const char *
vigil_application_get_connection_name (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);
  return self->connection ? self->connection : "postgres";
}

char *
vigil_application_dup_listen_address (VigilApplication *self)
{
  const char *host;

  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);

  if (self->engine == NULL)
    return NULL;
  host = vigil_engine_get_listen_host (self->engine);
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, vigil_engine_get_port (self->engine));
  return g_strdup_printf ("%s:%u", host, vigil_engine_get_port (self->engine));
}
