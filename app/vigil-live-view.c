/* vigil-live-view.c: the statement stream, filtered, with a detail pane.
 *
 * The column view shows VigilLiveModel through a GtkFilterListModel; its factories are in
 * the template. New rows keep the view pinned to the bottom unless the reader scrolled up.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-live"

#include <string.h>

#include <glib/gi18n.h>

#include "vigil-live-view.h"
#include "vigil-record-cells.h"
#include "vigil-record-details.h"

/* Rows of the decision dropdown, in the template's order. */
static const char *const decision_filters[] = { NULL, "allow", "deny", "review" };

/* The column view's columns, in the template's order. */
static const VigilRecordCell columns[] = {
  VIGIL_RECORD_CELL_TIME, VIGIL_RECORD_CELL_IDENTITY, VIGIL_RECORD_CELL_PROCESS,
  VIGIL_RECORD_CELL_CONNECTION, VIGIL_RECORD_CELL_STATEMENT, VIGIL_RECORD_CELL_DECISION,
  VIGIL_RECORD_CELL_ROWS, VIGIL_RECORD_CELL_DURATION,
};

struct _VigilLiveView
{
  AdwBin              parent_instance;

  VigilLiveModel     *model;
  GtkFlattenListModel *identity_choices;
  char               *identity;
  char               *decision;
  char               *needle;
  gboolean            follow;
  gboolean            auto_paused;  /* paused by leaving the bottom, not by the button */
  guint               follow_tick;

  /* template children */
  GtkStack           *stack;
  AdwStatusPage      *empty_page;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *identity_dropdown;
  GtkDropDown        *decision_dropdown;
  GtkLabel           *count_label;
  GtkScrolledWindow  *scroller;
  GtkColumnView      *column_view;
  GtkFilterListModel *filter_model;
  GtkCustomFilter    *filter;
  GtkSingleSelection *selection;
  VigilRecordDetails *details;
};

G_DEFINE_FINAL_TYPE (VigilLiveView, vigil_live_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
filter_record (gpointer item,
               gpointer user_data)
{
  VigilLiveView *self = user_data;
  VigilLiveRecord *record = item;

  if (self->decision != NULL &&
      g_strcmp0 (vigil_live_record_get_decision (record), self->decision) != 0)
    return FALSE;
  if (self->identity != NULL &&
      g_strcmp0 (vigil_live_record_get_identity (record), self->identity) != 0)
    return FALSE;
  if (self->needle != NULL && strstr (vigil_live_record_get_haystack (record), self->needle) == NULL)
    return FALSE;
  return TRUE;
}

static void
update_count (VigilLiveView *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  guint total = self->model ? g_list_model_get_n_items (G_LIST_MODEL (self->model)) : 0;
  guint pending = self->model ? vigil_live_model_get_n_pending (self->model) : 0;
  g_autofree char *text = NULL;

  if (pending > 0)
    /* Translators: the live view's counter while paused */
    text = g_strdup_printf (_("%u of %u statements · %u waiting"), shown, total, pending);
  else
    text = g_strdup_printf (_("%u of %u statements"), shown, total);
  gtk_label_set_label (self->count_label, text);
  gtk_stack_set_visible_child_name (self->stack, total > 0 ? "list" : "empty");
}

/* The column view's inner list, which scrolls to an item by itself. */
static GtkWidget *
inner_list (VigilLiveView *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      return child;
  return NULL;
}

static gboolean
follow_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  VigilLiveView *self = VIGIL_LIVE_VIEW (widget);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  GtkWidget *list = inner_list (self);

  self->follow_tick = 0;
  /* Not by setting the adjustment: in this phase of the frame it still measures the rows
   * before the batch, and under a flood GTK 4.8 then finds no row at that offset. The
   * list's own scroll-to-item anchors on the row and lays out from there. */
  if (n > 0 && list != NULL)
    gtk_widget_activate_action (list, "list.scroll-to-item", "u", n - 1);
  return G_SOURCE_REMOVE;
}

/* Only the reader stops following (wheel or touchpad up, keys, the scrollbar): row height
 * estimates make the offset jitter under a flood, and a view that lost the bottom that way
 * would rebind its rows for every batch as the oldest are pushed out under it. While the
 * reader looks elsewhere the stream waits (paused), so the rows on screen stay put. */
static void
leave_bottom (VigilLiveView *self)
{
  if (!self->follow)
    return;
  self->follow = FALSE;
  if (self->model != NULL && !vigil_live_model_get_paused (self->model))
    {
      self->auto_paused = TRUE;
      vigil_live_model_set_paused (self->model, TRUE);
    }
}

static gboolean
wheel_cb (GtkEventControllerScroll *controller,
          double                    dx,
          double                    dy,
          VigilLiveView            *self)
{
  if (dy < 0)
    leave_bottom (self);
  return FALSE;
}

static gboolean
key_cb (GtkEventControllerKey *controller,
        guint                  keyval,
        guint                  keycode,
        GdkModifierType        state,
        VigilLiveView         *self)
{
  switch (keyval)
    {
    case GDK_KEY_Up: case GDK_KEY_KP_Up:
    case GDK_KEY_Page_Up: case GDK_KEY_KP_Page_Up:
    case GDK_KEY_Home: case GDK_KEY_KP_Home:
      leave_bottom (self);
      break;
    default:
      break;
    }
  return FALSE;
}

static void
scrollbar_pressed_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      VigilLiveView   *self)
{
  leave_bottom (self);
}

static void
scrolled_cb (GtkAdjustment *adj,
             VigilLiveView *self)
{
  double bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  /* Back at the end: follow again, and let what waited in. */
  if (self->follow || gtk_adjustment_get_value (adj) < bottom - 4)
    return;
  self->follow = TRUE;
  if (self->auto_paused && self->model != NULL)
    vigil_live_model_set_paused (self->model, FALSE);
  self->auto_paused = FALSE;
}

static void
watch_reader (VigilLiveView *self)
{
  GtkEventController *wheel = NULL;
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkGesture *press = gtk_gesture_click_new ();

  wheel = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);

  gtk_event_controller_set_propagation_phase (wheel, GTK_PHASE_CAPTURE);
  g_signal_connect_object (wheel, "scroll", G_CALLBACK (wheel_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), wheel);
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (key_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), keys);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
  g_signal_connect_object (press, "pressed", G_CALLBACK (scrollbar_pressed_cb), self, 0);
  gtk_widget_add_controller (gtk_scrolled_window_get_vscrollbar (self->scroller),
                             GTK_EVENT_CONTROLLER (press));
}

static void
shown_changed_cb (GListModel    *model,
                  guint          position,
                  guint          removed,
                  guint          added,
                  VigilLiveView *self)
{
  gboolean appended = added > 0 && removed == 0 && position + added == g_list_model_get_n_items (model);

  update_count (self);
  /* Follow new rows only; a refilter reshuffles everything and keeps its own position. */
  if (self->follow && appended && self->follow_tick == 0)
    self->follow_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), follow_tick_cb, NULL, NULL);
}

static void
pending_changed_cb (VigilLiveView *self)
{
  update_count (self);
}

static void
refilter (VigilLiveView *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
search_changed_cb (GtkSearchEntry *entry,
                   VigilLiveView  *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  g_clear_pointer (&self->needle, g_free);
  if (text != NULL && *text != '\0')
    self->needle = g_utf8_casefold (text, -1);
  refilter (self);
}

static void
identity_selected_cb (GtkDropDown   *dropdown,
                      GParamSpec    *pspec,
                      VigilLiveView *self)
{
  guint position = gtk_drop_down_get_selected (dropdown);
  GtkStringObject *item = GTK_STRING_OBJECT (gtk_drop_down_get_selected_item (dropdown));

  g_clear_pointer (&self->identity, g_free);
  if (position > 0 && position != GTK_INVALID_LIST_POSITION && item != NULL)
    self->identity = g_strdup (gtk_string_object_get_string (item));
  refilter (self);
}

static void
decision_selected_cb (GtkDropDown   *dropdown,
                      GParamSpec    *pspec,
                      VigilLiveView *self)
{
  guint position = gtk_drop_down_get_selected (dropdown);

  g_clear_pointer (&self->decision, g_free);
  if (position < G_N_ELEMENTS (decision_filters))
    self->decision = g_strdup (decision_filters[position]);
  refilter (self);
}

static void
selected_cb (GtkSingleSelection *selection,
             GParamSpec         *pspec,
             VigilLiveView      *self)
{
  vigil_record_details_set_record (self->details, gtk_single_selection_get_selected_item (selection));
}

static void
vigil_live_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  VigilLiveView *self = VIGIL_LIVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->model && vigil_live_model_get_paused (self->model));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_live_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  VigilLiveView *self = VIGIL_LIVE_VIEW (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      self->auto_paused = FALSE;
      if (self->model != NULL)
        vigil_live_model_set_paused (self->model, g_value_get_boolean (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
paused_changed_cb (VigilLiveView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

static void
vigil_live_view_dispose (GObject *object)
{
  VigilLiveView *self = VIGIL_LIVE_VIEW (object);

  if (self->follow_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->follow_tick);
  self->follow_tick = 0;
  g_clear_object (&self->model);
  g_clear_object (&self->identity_choices);
  G_OBJECT_CLASS (vigil_live_view_parent_class)->dispose (object);
}

static void
vigil_live_view_finalize (GObject *object)
{
  VigilLiveView *self = VIGIL_LIVE_VIEW (object);

  g_free (self->identity);
  g_free (self->decision);
  g_free (self->needle);
  G_OBJECT_CLASS (vigil_live_view_parent_class)->finalize (object);
}

static void
vigil_live_view_class_init (VigilLiveViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vigil_live_view_get_property;
  object_class->set_property = vigil_live_view_set_property;
  object_class->dispose = vigil_live_view_dispose;
  object_class->finalize = vigil_live_view_finalize;

  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIGIL_TYPE_LIVE_RECORD);
  g_type_ensure (VIGIL_TYPE_RECORD_DETAILS);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/vigil/Vigil/vigil-live-view.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, identity_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, decision_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, count_label);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, scroller);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, column_view);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, filter_model);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, filter);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, selection);
  gtk_widget_class_bind_template_child (widget_class, VigilLiveView, details);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, identity_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, decision_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, selected_cb);

  gtk_widget_class_install_property_action (widget_class, "live.pause", "paused");
}

static void
vigil_live_view_init (VigilLiveView *self)
{
  GtkStringList *all = NULL;
  GListStore *parts = g_list_store_new (G_TYPE_LIST_MODEL);

  gtk_widget_init_template (GTK_WIDGET (self));
  vigil_record_cells_attach (self->column_view, columns, G_N_ELEMENTS (columns));
  self->follow = TRUE;
  gtk_custom_filter_set_filter_func (self->filter, filter_record, self, NULL);
  all = gtk_string_list_new ((const char *[]) { _("All identities"), NULL });
  g_list_store_append (parts, all);
  g_object_unref (all);
  self->identity_choices = gtk_flatten_list_model_new (G_LIST_MODEL (parts));
  gtk_drop_down_set_model (self->identity_dropdown, G_LIST_MODEL (self->identity_choices));
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (scrolled_cb), self, 0);
  watch_reader (self);
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (shown_changed_cb), self, 0);
}

void
vigil_live_view_set_model (VigilLiveView  *self,
                           VigilLiveModel *model)
{
  GListStore *parts;

  g_return_if_fail (VIGIL_IS_LIVE_VIEW (self));
  g_return_if_fail (!model || VIGIL_IS_LIVE_MODEL (model));

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (!g_set_object (&self->model, model))
    return;
  gtk_filter_list_model_set_model (self->filter_model, G_LIST_MODEL (model));
  parts = G_LIST_STORE (gtk_flatten_list_model_get_model (self->identity_choices));
  while (g_list_model_get_n_items (G_LIST_MODEL (parts)) > 1)
    g_list_store_remove (parts, 1);
  if (model != NULL)
    {
      g_list_store_append (parts, vigil_live_model_get_identities (model));
      g_signal_connect_swapped (model, "notify::paused", G_CALLBACK (paused_changed_cb), self);
      g_signal_connect_swapped (model, "notify::n-pending", G_CALLBACK (pending_changed_cb), self);
    }
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

void
vigil_live_view_focus_search (VigilLiveView *self)
{
  g_return_if_fail (VIGIL_IS_LIVE_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
vigil_live_view_set_filter (VigilLiveView *self,
                            const char    *identity,
                            const char    *decision,
                            const char    *text)
{
  g_return_if_fail (VIGIL_IS_LIVE_VIEW (self));

  /* Through the widgets, so that what they show matches what is filtered. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
  search_changed_cb (self->search_entry, self);
  gtk_drop_down_set_selected (self->decision_dropdown, 0);
  for (guint i = 1; decision != NULL && i < G_N_ELEMENTS (decision_filters); i++)
    if (g_strcmp0 (decision_filters[i], decision) == 0)
      gtk_drop_down_set_selected (self->decision_dropdown, i);
  gtk_drop_down_set_selected (self->identity_dropdown, 0);
  for (guint i = 1; identity != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (self->identity_choices)); i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (self->identity_choices), i);

      if (g_strcmp0 (gtk_string_object_get_string (item), identity) == 0)
        gtk_drop_down_set_selected (self->identity_dropdown, i);
    }
}

GListModel *
vigil_live_view_get_shown (VigilLiveView *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_VIEW (self), NULL);
  return G_LIST_MODEL (self->filter_model);
}
