/* test-ui-window.c: the real console window, under Xvfb.
 *
 * One application and one window for the whole program (as a user has them); each case
 * drives it through its public API and actions, spinning the main context until what it
 * waits for is on screen. Every view is rendered to a PNG in $VIGIL_SCREENSHOT_DIR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>

#include "vigil-application.h"
#include "vigil-approval-item.h"
#include "vigil-demo.h"
#include "vigil-identity-dialog.h"
#include "vigil-live-view.h"
#include "vigil-overview-view.h"
#include "vigil-window.h"

#define N_RECORDS 5000

static VigilApplication *app;
static VigilWindow *window;
static char *data_dir;

static const char *const views[] = {
  "live", "approvals", "audit", "policies", "identities", "overview",
};

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context for MS milliseconds, so that layout and drawing happen. */
static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
wait_for (gboolean (*condition) (gpointer),
          gpointer  data,
          guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!condition (data) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return condition (data);
}

static void
screenshot (const char *name)
{
  GtkWidget *widget = GTK_WIDGET (window);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = NULL;
  const char *dir = g_getenv ("VIGIL_SCREENSHOT_DIR");
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  spin (300);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  file = g_strdup_printf ("%s/vigil-%s.png", dir ? dir : ".", name);
  g_assert_true (gdk_texture_save_to_png (texture, file));
  g_test_message ("screenshot: %s", file);
}

static VigilLiveView *
live_view (void)
{
  return VIGIL_LIVE_VIEW (vigil_window_get_view_widget (window, "live"));
}

static guint
n_items (GListModel *model)
{
  return g_list_model_get_n_items (model);
}

static void
push_records (guint  n,
              gint64 first_id)
{
  g_autoptr(GPtrArray) batch = vigil_demo_make_records (n, first_id, g_get_real_time (),
                                                        20 * 60 * G_USEC_PER_SEC);

  vigil_live_model_push_batch (batch, vigil_application_get_live_model (app));
}

static void
test_window_opens (void)
{
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    g_assert_nonnull (vigil_window_get_view_widget (window, views[i]));
  g_assert_cmpstr (vigil_window_get_view (window), ==, "live");
}

static void
test_window_shortcuts (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *target = g_strdup (views[i]);

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", target));
      spin (50);
      g_assert_cmpstr (vigil_window_get_view (window), ==, views[i]);
    }
  vigil_window_show_view (window, "live");
}

static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *changes)
{
  (*changes)++;
}

static void
test_live_batch (void)
{
  VigilLiveModel *model = vigil_application_get_live_model (app);
  GListModel *shown = vigil_live_view_get_shown (live_view ());
  g_autoptr(GPtrArray) update = NULL;
  VigilAuditRecord *outcome;
  g_autoptr(VigilLiveRecord) first = NULL;
  guint changes = 0;
  gulong handler;

  vigil_live_model_clear (model);
  handler = g_signal_connect (model, "items-changed", G_CALLBACK (count_changes_cb), &changes);
  push_records (N_RECORDS, 1);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (n_items (G_LIST_MODEL (model)), ==, N_RECORDS);
  g_assert_cmpuint (n_items (shown), ==, N_RECORDS);

  /* The outcome of a shown statement updates its row instead of adding one. */
  update = vigil_demo_make_records (1, 1, g_get_real_time (), 0);
  outcome = g_ptr_array_index (update, 0);
  outcome->rows = 4242;
  vigil_live_model_push_batch (update, model);
  g_assert_cmpuint (n_items (G_LIST_MODEL (model)), ==, N_RECORDS);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_cmpint (vigil_live_record_get_rows (first), ==, 4242);

  /* Full: the oldest make room, still N rows. */
  changes = 0;
  push_records (100, N_RECORDS + 1);
  g_assert_cmpuint (n_items (G_LIST_MODEL (model)), ==, N_RECORDS);
  g_assert_cmpuint (changes, ==, 2);
  g_signal_handler_disconnect (model, handler);
  spin (200);
  screenshot ("live");
}

static void
test_live_filter (void)
{
  GListModel *shown = vigil_live_view_get_shown (live_view ());
  guint n;

  vigil_live_view_set_filter (live_view (), NULL, "deny", NULL);
  n = n_items (shown);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, N_RECORDS);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VigilLiveRecord) record = g_list_model_get_item (shown, i);

      g_assert_cmpstr (vigil_live_record_get_decision (record), ==, "deny");
    }

  vigil_live_view_set_filter (live_view (), "alice", NULL, NULL);
  n = n_items (shown);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, N_RECORDS);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VigilLiveRecord) record = g_list_model_get_item (shown, i);

      g_assert_cmpstr (vigil_live_record_get_identity (record), ==, "alice");
    }

  vigil_live_view_set_filter (live_view (), NULL, NULL, "API_KEYS");
  n = n_items (shown);
  g_assert_cmpuint (n, >, 0);
  g_assert_cmpuint (n, <, N_RECORDS);
  spin (100);
  screenshot ("live-filtered");

  vigil_live_view_set_filter (live_view (), NULL, NULL, NULL);
  g_assert_cmpuint (n_items (shown), ==, N_RECORDS);
}

static void
test_live_pause (void)
{
  VigilLiveModel *model = vigil_application_get_live_model (app);
  g_autoptr(VigilLiveRecord) last = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.toggle-pause", NULL));
  g_assert_true (vigil_live_model_get_paused (model));
  push_records (10, 900000);
  g_assert_cmpuint (vigil_live_model_get_n_pending (model), ==, 10);
  last = g_list_model_get_item (G_LIST_MODEL (model), N_RECORDS - 1);
  g_assert_cmpint (vigil_live_record_get_id (last), <, 900000);
  g_clear_object (&last);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.toggle-pause", NULL));
  g_assert_false (vigil_live_model_get_paused (model));
  g_assert_cmpuint (vigil_live_model_get_n_pending (model), ==, 0);
  last = g_list_model_get_item (G_LIST_MODEL (model), N_RECORDS - 1);
  g_assert_cmpint (vigil_live_record_get_id (last), ==, 900009);
}

static gboolean
approvals_empty (gpointer data)
{
  return vigil_application_get_held_count (app) == 0;
}

static void
test_approvals (void)
{
  GListStore *approvals = vigil_application_get_approvals (app);
  g_autoptr(GPtrArray) held = vigil_demo_make_held ();
  GtkWidget *view = vigil_window_get_view_widget (window, "approvals");

  vigil_window_show_view (window, "approvals");
  spin (100);
  screenshot ("approvals-empty");
  for (guint i = 0; i < held->len; i++)
    {
      g_autoptr(VigilApprovalItem) item = vigil_approval_item_new (g_ptr_array_index (held, i));

      g_list_store_append (approvals, item);
    }
  g_assert_cmpuint (vigil_application_get_held_count (app), ==, 2);
  spin (100);
  screenshot ("approvals");

  g_assert_true (gtk_widget_activate_action (view, "approvals.approve", "x", (gint64) 41));
  g_assert_cmpuint (vigil_application_get_held_count (app), ==, 1);
  g_assert_true (gtk_widget_activate_action (view, "approvals.approve-for", "x", (gint64) 42));
  g_assert_true (wait_for (approvals_empty, NULL, 1000));
}

static void
test_close_asks_when_held (void)
{
  GListStore *approvals = vigil_application_get_approvals (app);
  g_autoptr(GPtrArray) held = vigil_demo_make_held ();
  g_autoptr(VigilApprovalItem) item = vigil_approval_item_new (g_ptr_array_index (held, 0));
  GList *windows;

  g_list_store_append (approvals, item);
  gtk_window_close (GTK_WINDOW (window));
  spin (200);
  windows = gtk_window_list_toplevels ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  /* The window stays; a message dialog asks. */
  g_assert_cmpuint (g_list_length (windows), >=, 2);
  for (GList *l = windows; l != NULL; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data))
      {
        screenshot ("close-asks");
        adw_message_dialog_response (l->data, "cancel");
      }
  g_list_free (windows);
  g_list_store_remove_all (approvals);
}

static gboolean
identity_listed (gpointer name)
{
  GListModel *list = G_LIST_MODEL (vigil_application_get_identities (app));

  for (guint i = 0; i < n_items (list); i++)
    {
      g_autoptr(VigilIdentityItem) item = g_list_model_get_item (list, i);

      if (g_strcmp0 (vigil_identity_item_get_name (item), name) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  char **token = user_data;
  g_autoptr(GError) error = NULL;

  *token = vigil_identity_list_add_finish (VIGIL_IDENTITY_LIST (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
is_set (gpointer pointer)
{
  return *(char **) pointer != NULL;
}

static void
test_identities (void)
{
  g_autofree char *token = NULL;
  g_autofree char *line = NULL;

  vigil_identity_list_add_async (vigil_application_get_identities (app), "ci-agent",
                                 VIGIL_IDENTITY_KIND_AGENT, NULL, added_cb, &token);
  g_assert_true (wait_for (is_set, &token, 10000));
  g_assert_cmpuint (strlen (token), >, 16);
  g_assert_true (wait_for (identity_listed, (gpointer) "ci-agent", 10000));
  line = vigil_identity_dialog_psql_line ("127.0.0.1:6543", "ci-agent", token, "shop");
  g_assert_true (g_str_has_prefix (line, "psql \"host=127.0.0.1 port=6543 user=ci-agent password="));
  g_assert_true (g_str_has_suffix (line, " dbname=shop\""));
}

static void
test_views_screenshots (void)
{
  AdwStyleManager *style = adw_style_manager_get_default ();

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *light = g_strdup_printf ("view-%s", views[i]);

      vigil_window_show_view (window, views[i]);
      if (g_str_equal (views[i], "overview"))
        vigil_overview_view_refresh (VIGIL_OVERVIEW_VIEW (vigil_window_get_view_widget (window, "overview")));
      screenshot (light);
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *dark = g_strdup_printf ("view-%s-dark", views[i]);

      vigil_window_show_view (window, views[i]);
      screenshot (dark);
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  vigil_window_show_view (window, "live");
}

static void
start_application (void)
{
  g_autoptr(GError) error = NULL;
  VigilOptions options = { 0 };

  data_dir = g_dir_make_tmp ("vigil-ui-XXXXXX", &error);
  g_assert_no_error (error);
  options.data_dir = data_dir;
  options.socket_dir = data_dir;
  options.listen = (char *) "127.0.0.1:0";

  app = vigil_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  /* No notification daemon under Xvfb. */
  g_assert_nonnull (vigil_application_get_settings (app));
  g_settings_set_boolean (vigil_application_get_settings (app), "notify-held", FALSE);
  g_assert_true (vigil_application_start (app, &options, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = VIGIL_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  spin (500);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  start_application ();

  g_test_add_func ("/ui/window/opens", test_window_opens);
  g_test_add_func ("/ui/window/shortcuts", test_window_shortcuts);
  g_test_add_func ("/ui/live/batch", test_live_batch);
  g_test_add_func ("/ui/live/filter", test_live_filter);
  g_test_add_func ("/ui/live/pause", test_live_pause);
  g_test_add_func ("/ui/approvals/decide", test_approvals);
  g_test_add_func ("/ui/window/close-asks-when-held", test_close_asks_when_held);
  g_test_add_func ("/ui/identities/add", test_identities);
  g_test_add_func ("/ui/views/screenshots", test_views_screenshots);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
  g_clear_object (&app);
  return ret;
}
