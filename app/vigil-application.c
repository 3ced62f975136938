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
#include "vigil-audit-read.h"
#include "vigil-demo.h"
#include "vigil-policy.h"
#include "vigil-window.h"

/* The engine resumes a waiting client within 250 ms of a decision; polling at twice that
 * keeps the queue current without a change feed from the store. */
#define HELD_REFRESH_MS   500
#define HELD_LIST_LIMIT   200

struct _VigilApplication
{
  AdwApplication     parent_instance;

  VigilOptions       options;
  GSettings         *settings;
  VigilStore        *store;
  VigilEngine       *engine;
  VigilApi          *api;
  GError            *engine_error;
  char              *connection;
  VigilLiveModel    *live;
  VigilIdentityList *identities;
  VigilPolicyModel  *policy;
  GListStore        *approvals;
  VigilAuditSearch  *audit_search;
  guint              demo_source;
  gboolean           started;
  gboolean           demo;

  /* The approval queue in the store; polled while the engine runs. */
  VigilApprovals    *queue;
  GHashTable        *seen_held;        /* gint64 ids already announced */
  GCancellable      *cancellable;      /* every task; cancelled at shutdown */
  guint              held_source;
  gboolean           held_refreshing;
  gboolean           held_refresh_again;
  gboolean           held_error_shown;

  /* The policy in force, as validated by the engine's parser. */
  VigilPolicy       *policy_doc;
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

/* TEXT in the window; an error answering what the user just did goes ahead of any toast
 * showing. Without a window (headless), in the log. */
static void
toast (VigilApplication *self,
       const char       *text,
       gboolean          answers_user)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (!VIGIL_IS_WINDOW (window))
    g_message ("%s", text);
  else if (answers_user)
    vigil_window_add_error_toast (VIGIL_WINDOW (window), text);
  else
    vigil_window_add_toast (VIGIL_WINDOW (window), text);
}

static char *
dup_console_user (void)
{
  return g_strconcat ("os:", g_get_user_name (), NULL);
}

/* Announces each held request once, however often the queue is read. */
static void
announce_held (VigilApplication  *self,
               VigilApprovalItem *approval)
{
  gint64 id = vigil_approval_item_get_id (approval);

  if (g_hash_table_contains (self->seen_held, &id))
    return;
  g_hash_table_add (self->seen_held, g_memdup2 (&id, sizeof id));
  notify_held (self, approval);
}

/* Updates the list in place so that rows under the pointer stay put: decided requests
 * leave, the others are refreshed, new ones slide in at their place (newest first). */
static void
sync_approvals (VigilApplication *self,
                GPtrArray        *held)
{
  GListModel *model = G_LIST_MODEL (self->approvals);
  g_autoptr(GHashTable) pending = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < held->len; i++)
    g_hash_table_add (pending, &((VigilApproval *) g_ptr_array_index (held, i))->id);
  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(VigilApprovalItem) item = g_list_model_get_item (model, i - 1);
      gint64 id = vigil_approval_item_get_id (item);

      if (!g_hash_table_contains (pending, &id))
        g_list_store_remove (self->approvals, i - 1);
    }
  for (guint i = 0; i < held->len; i++)
    {
      const VigilApproval *a = g_ptr_array_index (held, i);
      guint position = 0;
      g_autoptr(VigilApprovalItem) item = find_approval (self, a->id, &position);

      if (item != NULL)
        {
          vigil_approval_item_update (item, a);
          continue;
        }
      item = vigil_approval_item_new (a);
      g_list_store_insert (self->approvals, MIN (i, g_list_model_get_n_items (model)), item);
      announce_held (self, item);
    }
}

static void
list_held_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *held = vigil_approvals_list (task_data, TRUE, HELD_LIST_LIMIT, &error);

  if (held == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, held, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_held_async (VigilApplication    *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, list_held_async);
  g_task_set_task_data (task, g_object_ref (self->queue), g_object_unref);
  g_task_run_in_thread (task, list_held_thread);
}

static GPtrArray *
list_held_finish (VigilApplication  *self,
                  GAsyncResult      *result,
                  GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == list_held_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void refresh_held (VigilApplication *self);

static void
held_listed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  VigilApplication *self = VIGIL_APPLICATION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) held = list_held_finish (self, result, &error);

  self->held_refreshing = FALSE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (held != NULL)
    {
      sync_approvals (self, held);
      self->held_error_shown = FALSE;
    }
  else if (!self->held_error_shown)
    {
      g_autofree char *text = g_strdup_printf (_("Could not read the approval queue: %s"),
                                               error->message);

      /* Once, not every half second until it recovers. */
      self->held_error_shown = TRUE;
      toast (self, text, FALSE);
    }
  if (self->held_refresh_again)
    {
      self->held_refresh_again = FALSE;
      refresh_held (self);
    }
}

static void
refresh_held (VigilApplication *self)
{
  if (self->queue == NULL || self->demo)
    return;
  if (self->held_refreshing)
    {
      self->held_refresh_again = TRUE;
      return;
    }
  self->held_refreshing = TRUE;
  list_held_async (self, self->cancellable, held_listed_cb, NULL);
}

static gboolean
held_tick_cb (gpointer user_data)
{
  refresh_held (user_data);
  return G_SOURCE_CONTINUE;
}

static void
approvals_changed_cb (GListModel       *model,
                      guint             position,
                      guint             removed,
                      guint             added,
                      VigilApplication *self)
{
  if (g_list_model_get_n_items (model) == 0)
    g_application_withdraw_notification (G_APPLICATION (self), "held");
}

typedef struct
{
  VigilApprovals *queue;
  gint64          id;
  gboolean        approve;
  guint           minutes;
  char           *by;
  char           *reason;
} Decision;

static void
decision_free (Decision *decision)
{
  g_clear_object (&decision->queue);
  g_free (decision->by);
  g_free (decision->reason);
  g_free (decision);
}

static void
decide_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Decision *d = task_data;
  GError *error = NULL;

  if (vigil_approvals_decide (d->queue, d->id, d->approve, d->by, d->reason, (gint) d->minutes,
                              &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
decided_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilApplication *self = VIGIL_APPLICATION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilApprovalItem) approval = NULL;
  gint64 id = g_task_get_task_data (G_TASK (result))
              ? ((Decision *) g_task_get_task_data (G_TASK (result)))->id : 0;
  guint position = 0;

  if (!vigil_application_decide_finish (self, result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: %s says why, e.g. "os:ann may not decide their own request #4" */
      text = g_strdup_printf (_("The decision was not recorded: %s"), error->message);
      toast (self, text, TRUE);
    }
  else if ((approval = find_approval (self, id, &position)) != NULL)
    g_list_store_remove (self->approvals, position);
  refresh_held (self);
}

typedef struct
{
  VigilStore  *store;
  VigilEngine *engine;
  char        *json;       /* to import, then the policy in force */
  gint64       version;    /* 0: none saved, the built-in default is in force */
  VigilPolicy *policy;
} PolicyLoad;

static void
policy_load_free (PolicyLoad *load)
{
  g_clear_object (&load->store);
  g_clear_object (&load->engine);
  g_clear_object (&load->policy);
  g_free (load->json);
  g_free (load);
}

/* Reads the version in force, validated by the same parser the engine uses. */
static gboolean
load_current_policy (PolicyLoad  *load,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_pointer (&load->json, g_free);
  g_clear_object (&load->policy);
  load->version = 0;
  load->json = vigil_store_policy_load_current (load->store, &load->version, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (load->json == NULL)
    {
      load->policy = vigil_policy_new_default ();
      load->json = vigil_policy_to_json (load->policy);
      return TRUE;
    }
  load->policy = vigil_policy_new_from_json (load->json, error);
  if (load->policy == NULL)
    {
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, load->version);

      /* Translators: %s is a policy version number; the parser's error follows */
      g_prefix_error (error, _("Policy version %s in the store: "), number);
      return FALSE;
    }
  return TRUE;
}

static void
load_policy_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;

  if (load_current_policy (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
import_policy_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  PolicyLoad *load = task_data;
  g_autoptr(VigilPolicy) policy = NULL;
  g_autofree char *author = dup_console_user ();
  GError *error = NULL;

  policy = vigil_policy_new_from_json (load->json, &error);
  if (policy == NULL ||
      !vigil_store_policy_save (load->store, load->json, author, "imported from the console",
                                NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (load->engine != NULL)
    vigil_engine_reload_policy (load->engine);
  /* Show what is in force now, even if another tool saved a version meanwhile. */
  if (load_current_policy (load, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Shows LOAD's policy; runs on the main thread. */
static void
show_policy (VigilApplication *self,
             PolicyLoad       *load)
{
  g_autoptr(GError) error = NULL;

  g_set_object (&self->policy_doc, load->policy);
  if (!vigil_policy_model_load_json (self->policy, load->json, &error))
    g_warning ("Cannot show the policy: %s", error->message);
  vigil_policy_model_set_version (self->policy, load->version);
}

static void
policy_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VigilApplication *self = VIGIL_APPLICATION (object);
  g_autoptr(GError) error = NULL;

  if (!vigil_application_load_policy_finish (self, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf (_("Could not load the policy: %s"), error->message);

      toast (self, text, FALSE);
    }
}

typedef struct
{
  gboolean intact;
  gint64  entries;
  gint64  first_bad;
  char   *reason;
} AuditVerdict;

static void
audit_verdict_free (AuditVerdict *verdict)
{
  g_free (verdict->reason);
  g_free (verdict);
}

static void
verify_audit_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  AuditVerdict *verdict = g_new0 (AuditVerdict, 1);
  GError *error = NULL;

  verdict->intact = vigil_audit_verify (task_data, &verdict->entries, &verdict->first_bad,
                                        &verdict->reason, &error);
  if (error != NULL && !g_error_matches (error, VIGIL_AUDIT_VERIFY_ERROR,
                                         VIGIL_AUDIT_VERIFY_ERROR_BROKEN))
    {
      audit_verdict_free (verdict);
      g_task_return_error (task, error);
      return;
    }
  /* A broken chain is an answer, not a failure to give one. */
  g_clear_error (&error);
  g_task_return_pointer (task, verdict, (GDestroyNotify) audit_verdict_free);
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
  g_clear_handle_id (&self->held_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (self->api != NULL)
    vigil_api_stop (self->api);
  g_clear_object (&self->api);
  if (self->engine != NULL)
    vigil_engine_stop (self->engine);
  G_APPLICATION_CLASS (vigil_application_parent_class)->shutdown (app);
}

static void
vigil_application_dispose (GObject *object)
{
  VigilApplication *self = VIGIL_APPLICATION (object);

  g_clear_handle_id (&self->demo_source, g_source_remove);
  g_clear_handle_id (&self->held_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->queue);
  g_clear_object (&self->policy_doc);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->live);
  g_clear_object (&self->identities);
  g_clear_object (&self->policy);
  g_clear_object (&self->approvals);
  g_clear_object (&self->audit_search);
  G_OBJECT_CLASS (vigil_application_parent_class)->dispose (object);
}

static void
vigil_application_finalize (GObject *object)
{
  VigilApplication *self = VIGIL_APPLICATION (object);

  vigil_options_clear (&self->options);
  g_free (self->connection);
  g_clear_error (&self->engine_error);
  g_clear_pointer (&self->seen_held, g_hash_table_unref);
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
  self->audit_search = vigil_audit_search_new ();
  self->seen_held = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
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
  /* Below the frame clock's priority: a batch waits for a frame that is due, so a flood
   * the model takes longer than a frame to take in cannot keep the window from drawing. */
  vigil_engine_set_event_sink (engine, g_main_context_default (), GDK_PRIORITY_REDRAW + 10,
                               vigil_live_model_push_batch, self->live);
  self->api = vigil_options_start_api (options, engine, self->store,
                                       vigil_store_get_data_dir (self->store),
                                       &self->engine_error);
  if (self->api == NULL && self->engine_error != NULL)
    g_warning ("The HTTP API did not start: %s", self->engine_error->message);
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

static void
start_approvals (VigilApplication *self,
                 const char       *data_dir)
{
  g_autoptr(GError) error = NULL;

  self->queue = vigil_approvals_open (data_dir, &error);
  if (self->queue == NULL)
    {
      g_warning ("Held statements cannot be shown: %s", error->message);
      return;
    }
  /* Only a running engine holds statements (and resumes them when decided). */
  if (self->engine == NULL)
    return;
  refresh_held (self);
  self->held_source = g_timeout_add (HELD_REFRESH_MS, held_tick_cb, self);
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
  self->demo = options->demo;
  if (options->upstreams != NULL && options->upstreams[0] != NULL)
    self->connection = vigil_options_connection_name (options->upstreams[0], NULL);
  vigil_identity_list_set_store (self->identities, self->store);
  vigil_identity_list_reload_async (self->identities, NULL, NULL, NULL);
  vigil_application_load_policy_async (self, self->cancellable, policy_loaded_cb, NULL);
  start_engine (self, options);
  if (options->demo)
    start_demo (self);
  else
    start_approvals (self, data_dir);
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
  return vigil_audit_search_get_results (vigil_application_get_audit_search (self));
}

VigilAuditSearch *
vigil_application_get_audit_search (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);

  /* The store opens in vigil_application_start (), after the search exists. */
  if (self->store != NULL && vigil_audit_search_get_data_dir (self->audit_search) == NULL)
    vigil_audit_search_set_data_dir (self->audit_search, vigil_store_get_data_dir (self->store));
  return self->audit_search;
}

guint
vigil_application_get_held_count (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->approvals));
}

void
vigil_application_decide_async (VigilApplication    *self,
                                gint64               id,
                                gboolean             approve,
                                guint                minutes,
                                const char          *reason,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Decision *decision;

  g_return_if_fail (VIGIL_IS_APPLICATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_application_decide_async);
  if (self->queue == NULL)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_STORE,
                               _("The approval queue is not open"));
      return;
    }
  decision = g_new0 (Decision, 1);
  decision->queue = g_object_ref (self->queue);
  decision->id = id;
  decision->approve = approve;
  decision->minutes = approve ? minutes : 0;
  decision->by = dup_console_user ();
  decision->reason = reason != NULL && *reason != '\0' ? g_strdup (reason) : NULL;
  g_task_set_task_data (task, decision, (GDestroyNotify) decision_free);
  g_task_run_in_thread (task, decide_thread);
}

gboolean
vigil_application_decide_finish (VigilApplication  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_application_decide_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
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

  if (self->demo)
    {
      /* Generated requests have no waiting client: deciding only clears them. */
      if ((approval = find_approval (self, id, &position)) != NULL)
        g_list_store_remove (self->approvals, position);
      return;
    }
  vigil_application_decide_async (self, id, g_str_equal (decision, "approve"), minutes, reason,
                                  self->cancellable, decided_cb, NULL);
}

void
vigil_application_refresh_approvals (VigilApplication *self)
{
  g_return_if_fail (VIGIL_IS_APPLICATION (self));
  refresh_held (self);
}

static GTask *
policy_task_new (VigilApplication    *self,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  PolicyLoad *load;

  g_task_set_source_tag (task, source_tag);
  if (self->store == NULL)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_STORE, _("The store is not open"));
      return task;
    }
  load = g_new0 (PolicyLoad, 1);
  load->store = g_object_ref (self->store);
  load->engine = self->engine ? g_object_ref (self->engine) : NULL;
  g_task_set_task_data (task, load, (GDestroyNotify) policy_load_free);
  return task;
}

static gboolean
policy_task_finish (VigilApplication  *self,
                    GAsyncResult      *result,
                    gpointer           source_tag,
                    GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  show_policy (self, g_task_get_task_data (G_TASK (result)));
  return TRUE;
}

void
vigil_application_load_policy_async (VigilApplication    *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_APPLICATION (self));

  task = policy_task_new (self, vigil_application_load_policy_async, cancellable, callback,
                          user_data);
  if (g_task_get_task_data (task) != NULL)
    g_task_run_in_thread (task, load_policy_thread);
}

gboolean
vigil_application_load_policy_finish (VigilApplication  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  return policy_task_finish (self, result, vigil_application_load_policy_async, error);
}

void
vigil_application_import_policy_async (VigilApplication    *self,
                                       const char          *json,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_APPLICATION (self));
  g_return_if_fail (json != NULL);

  task = policy_task_new (self, vigil_application_import_policy_async, cancellable, callback,
                          user_data);
  if (g_task_get_task_data (task) == NULL)
    return;
  ((PolicyLoad *) g_task_get_task_data (task))->json = g_strdup (json);
  g_task_run_in_thread (task, import_policy_thread);
}

gboolean
vigil_application_import_policy_finish (VigilApplication  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  return policy_task_finish (self, result, vigil_application_import_policy_async, error);
}

char *
vigil_application_dup_policy_json (VigilApplication *self)
{
  g_return_val_if_fail (VIGIL_IS_APPLICATION (self), NULL);

  if (self->policy_doc != NULL)
    return vigil_policy_to_json (self->policy_doc);
  return g_strdup (vigil_policy_model_get_json (self->policy));
}

void
vigil_application_verify_audit_async (VigilApplication    *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_APPLICATION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_application_verify_audit_async);
  if (self->store == NULL)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_STORE, _("The store is not open"));
      return;
    }
  g_task_set_task_data (task, g_strdup (vigil_store_get_data_dir (self->store)), g_free);
  g_task_run_in_thread (task, verify_audit_thread);
}

gboolean
vigil_application_verify_audit_finish (VigilApplication  *self,
                                       GAsyncResult      *result,
                                       gboolean          *out_intact,
                                       gint64            *out_entries,
                                       gint64            *out_first_bad_id,
                                       char             **out_reason,
                                       GError           **error)
{
  AuditVerdict *verdict;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        vigil_application_verify_audit_async, FALSE);

  verdict = g_task_propagate_pointer (G_TASK (result), error);
  if (verdict == NULL)
    return FALSE;
  if (out_intact != NULL)
    *out_intact = verdict->intact;
  if (out_entries != NULL)
    *out_entries = verdict->entries;
  if (out_first_bad_id != NULL)
    *out_first_bad_id = verdict->first_bad;
  if (out_reason != NULL)
    *out_reason = g_steal_pointer (&verdict->reason);
  audit_verdict_free (verdict);
  return TRUE;
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
