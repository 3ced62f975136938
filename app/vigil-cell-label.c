/* vigil-cell-label.c: one line of text in a list cell, cheap to measure.
 *
 * A GtkListView in GTK 4.8 keeps about 200 rows bound around what is visible, and sizes
 * every one of them on each layout; a GtkLabel shapes its text to measure it, and again
 * when its width changes. Under a flood of statements every row is rebound each batch,
 * so the live view spent most of its frame measuring text no one could see.
 *
 * This cell measures from its font's metrics alone: its height is one line, its natural
 * width its length times the font's approximate character width. It shapes its text only
 * when it is drawn, once for a given text and width, ellipsized at the end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "vigil-cell-label.h"

struct _VigilCellLabel
{
  GtkWidget             parent_instance;

  char                 *label;
  glong                 n_chars;
  float                 xalign;
  gboolean              numeric;      /* tabular figures */

  PangoLayout          *layout;       /* for drawing, made on the first snapshot */
  int                   layout_width; /* px the layout was ellipsized to */

  PangoFontDescription *metrics_font; /* the font the metrics below are for */
  int                   line_height;
  int                   char_width;
};

G_DEFINE_FINAL_TYPE (VigilCellLabel, vigil_cell_label, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LABEL,
  PROP_XALIGN,
  PROP_NUMERIC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
forget_layout (VigilCellLabel *self)
{
  g_clear_object (&self->layout);
  self->layout_width = -1;
}

static void
forget_metrics (VigilCellLabel *self)
{
  g_clear_pointer (&self->metrics_font, pango_font_description_free);
}

/* The metrics of the font the widget's style gives it, computed again only when that
 * font changes. */
static void
ensure_metrics (VigilCellLabel *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  const PangoFontDescription *font = pango_context_get_font_description (context);
  PangoFontMetrics *metrics;

  if (self->metrics_font != NULL && font != NULL &&
      pango_font_description_equal (self->metrics_font, font))
    return;
  metrics = pango_context_get_metrics (context, font, NULL);
  self->line_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_ascent (metrics) +
                                         pango_font_metrics_get_descent (metrics));
  self->char_width = PANGO_PIXELS_CEIL (self->numeric
                                          ? pango_font_metrics_get_approximate_digit_width (metrics)
                                          : pango_font_metrics_get_approximate_char_width (metrics));
  pango_font_metrics_unref (metrics);
  forget_metrics (self);
  self->metrics_font = font != NULL ? pango_font_description_copy (font) : pango_font_description_new ();
}

static void
ensure_layout (VigilCellLabel *self,
               int             width)
{
  if (self->layout == NULL)
    {
      self->layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->label);
      pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
      if (self->numeric)
        {
          PangoAttrList *attrs = pango_attr_list_new ();

          pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
          pango_layout_set_attributes (self->layout, attrs);
          pango_attr_list_unref (attrs);
        }
    }
  if (self->layout_width != width)
    {
      pango_layout_set_width (self->layout, width * PANGO_SCALE);
      self->layout_width = width;
    }
}

static void
vigil_cell_label_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  VigilCellLabel *self = VIGIL_CELL_LABEL (widget);

  ensure_metrics (self);
  if (orientation == GTK_ORIENTATION_VERTICAL)
    {
      *minimum = *natural = self->line_height;
      return;
    }
  /* Ellipsized: as narrow as one character, as wide as the whole text. */
  *minimum = self->n_chars > 0 ? self->char_width : 0;
  *natural = (int) MIN (self->n_chars, G_MAXINT / MAX (self->char_width, 1)) * self->char_width;
}

static void
vigil_cell_label_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  VigilCellLabel *self = VIGIL_CELL_LABEL (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  float xalign = self->xalign;
  PangoRectangle logical;
  GdkRGBA color;

  if (self->n_chars == 0 || width <= 0 || height <= 0)
    return;
  ensure_layout (self, width);
  pango_layout_get_pixel_extents (self->layout, NULL, &logical);
  if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
    xalign = 1.0f - xalign;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (
                            floorf (xalign * MAX (width - logical.width, 0)) - logical.x,
                            floorf ((height - logical.height) / 2.0f) - logical.y));
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
  gtk_snapshot_restore (snapshot);
}

/* A style change may change the font or its features: shape again when drawn. */
static void
vigil_cell_label_css_changed (GtkWidget         *widget,
                              GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (vigil_cell_label_parent_class)->css_changed (widget, change);
  forget_layout (VIGIL_CELL_LABEL (widget));
}

/* The resolution or the fonts changed: the same description may measure differently. */
static void
vigil_cell_label_system_setting_changed (GtkWidget          *widget,
                                         GtkSystemSetting    setting)
{
  GTK_WIDGET_CLASS (vigil_cell_label_parent_class)->system_setting_changed (widget, setting);
  forget_layout (VIGIL_CELL_LABEL (widget));
  forget_metrics (VIGIL_CELL_LABEL (widget));
  gtk_widget_queue_resize (widget);
}

static void
vigil_cell_label_direction_changed (GtkWidget        *widget,
                                    GtkTextDirection  previous)
{
  forget_layout (VIGIL_CELL_LABEL (widget));
  gtk_widget_queue_draw (widget);
}

static void
vigil_cell_label_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VigilCellLabel *self = VIGIL_CELL_LABEL (object);

  switch (prop_id)
    {
    case PROP_LABEL: g_value_set_string (value, self->label); break;
    case PROP_XALIGN: g_value_set_float (value, self->xalign); break;
    case PROP_NUMERIC: g_value_set_boolean (value, self->numeric); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_xalign (VigilCellLabel *self,
            float           xalign)
{
  if (self->xalign == xalign)
    return;
  self->xalign = xalign;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_XALIGN]);
}

static void
set_numeric (VigilCellLabel *self,
             gboolean        numeric)
{
  if (self->numeric == !!numeric)
    return;
  self->numeric = !!numeric;
  if (numeric)
    gtk_widget_add_css_class (GTK_WIDGET (self), "numeric");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "numeric");
  forget_layout (self);
  forget_metrics (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NUMERIC]);
}

static void
vigil_cell_label_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  VigilCellLabel *self = VIGIL_CELL_LABEL (object);

  switch (prop_id)
    {
    case PROP_LABEL: vigil_cell_label_set_label (self, g_value_get_string (value)); break;
    case PROP_XALIGN: set_xalign (self, g_value_get_float (value)); break;
    case PROP_NUMERIC: set_numeric (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_cell_label_finalize (GObject *object)
{
  VigilCellLabel *self = VIGIL_CELL_LABEL (object);

  g_free (self->label);
  forget_layout (self);
  forget_metrics (self);
  G_OBJECT_CLASS (vigil_cell_label_parent_class)->finalize (object);
}

static void
vigil_cell_label_class_init (VigilCellLabelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vigil_cell_label_get_property;
  object_class->set_property = vigil_cell_label_set_property;
  object_class->finalize = vigil_cell_label_finalize;
  widget_class->measure = vigil_cell_label_measure;
  widget_class->snapshot = vigil_cell_label_snapshot;
  widget_class->css_changed = vigil_cell_label_css_changed;
  widget_class->system_setting_changed = vigil_cell_label_system_setting_changed;
  widget_class->direction_changed = vigil_cell_label_direction_changed;

  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_XALIGN] =
    g_param_spec_float ("xalign", NULL, NULL, 0.0f, 1.0f, 0.0f,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NUMERIC] =
    g_param_spec_boolean ("numeric", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
vigil_cell_label_init (VigilCellLabel *self)
{
  self->layout_width = -1;
}

/* A new text keeps the line's height; only a new length can change the natural width. */
void
vigil_cell_label_set_label (VigilCellLabel *self,
                            const char     *label)
{
  glong n_chars;

  g_return_if_fail (VIGIL_IS_CELL_LABEL (self));

  if (g_strcmp0 (self->label, label) == 0)
    return;
  g_free (self->label);
  self->label = g_strdup (label);
  n_chars = label != NULL ? g_utf8_strlen (label, -1) : 0;
  if (self->layout != NULL)
    pango_layout_set_text (self->layout, label != NULL ? label : "", -1);
  if (n_chars != self->n_chars)
    {
      self->n_chars = n_chars;
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label != NULL ? label : "", -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

const char *
vigil_cell_label_get_label (VigilCellLabel *self)
{
  g_return_val_if_fail (VIGIL_IS_CELL_LABEL (self), NULL);
  return self->label;
}
