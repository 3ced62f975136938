/* vigil-held-chart.c: held statements per minute (bars) and their longest wait (a line).
 *
 * The bars share the other charts' grid; the wait line has its own scale, named in the
 * top right corner. Colours come from the theme, so dark mode just works.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include <glib/gi18n.h>

#include "vigil-chart-draw.h"
#include "vigil-held-chart.h"

struct _VigilHeldChart
{
  GtkDrawingArea  parent_instance;

  guint          *held;
  double         *wait;
  guint           n_minutes;
};

G_DEFINE_FINAL_TYPE (VigilHeldChart, vigil_held_chart, GTK_TYPE_DRAWING_AREA)

static char *
format_wait (double seconds)
{
  if (seconds < 120)
    /* Translators: the longest wait for an approval, in seconds */
    return g_strdup_printf (_("longest wait %.0f s"), seconds);
  /* Translators: the longest wait for an approval, in minutes */
  return g_strdup_printf (_("longest wait %.0f min"), seconds / 60);
}

static void
draw_wait (VigilHeldChart        *self,
           cairo_t               *cr,
           const VigilChartFrame *frame)
{
  GdkRGBA fg = vigil_chart_theme_color (GTK_WIDGET (self), NULL);
  double longest = vigil_held_chart_get_longest (self);
  g_autofree char *text = NULL;
  PangoLayout *layout;
  int tw, th;

  if (longest <= 0)
    return;
  text = format_wait (longest);
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.8);
  for (guint m = 0; m < self->n_minutes; m++)
    {
      double x = VIGIL_CHART_AXIS_WIDTH + (m + 0.5) * frame->slot;
      /* Below the caption: the longest wait's dot sits just under it. */
      double y = frame->plot_height
                 - MAX (frame->plot_height - th - 8, 1) * self->wait[m] / longest;

      if (self->wait[m] <= 0)
        continue;
      cairo_arc (cr, x, y, 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  cairo_move_to (cr, frame->width - tw, 0);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
draw_cb (GtkDrawingArea *area,
         cairo_t        *cr,
         int             width,
         int             height,
         gpointer        user_data)
{
  VigilHeldChart *self = VIGIL_HELD_CHART (area);
  VigilChartFrame frame;

  if (!vigil_chart_begin (GTK_WIDGET (self), cr, width, height, self->n_minutes,
                          vigil_chart_max (self->held, self->n_minutes), &frame))
    return;
  vigil_chart_draw_bars (GTK_WIDGET (self), cr, &frame, "warning_color", self->held,
                         self->n_minutes);
  draw_wait (self, cr, &frame);
}

static void
vigil_held_chart_finalize (GObject *object)
{
  VigilHeldChart *self = VIGIL_HELD_CHART (object);

  g_free (self->held);
  g_free (self->wait);
  G_OBJECT_CLASS (vigil_held_chart_parent_class)->finalize (object);
}

static void
vigil_held_chart_class_init (VigilHeldChartClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_held_chart_finalize;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "heldchart");
}

static void
vigil_held_chart_init (VigilHeldChart *self)
{
  vigil_chart_init (GTK_DRAWING_AREA (self), 160, draw_cb);
}

void
vigil_held_chart_set_minutes (VigilHeldChart *self,
                              const guint    *held,
                              const double   *wait_seconds,
                              guint           n_minutes)
{
  g_return_if_fail (VIGIL_IS_HELD_CHART (self));

  g_free (self->held);
  g_free (self->wait);
  self->held = g_memdup2 (held, sizeof (guint) * n_minutes);
  self->wait = g_memdup2 (wait_seconds, sizeof (double) * n_minutes);
  self->n_minutes = n_minutes;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
vigil_held_chart_get_total (VigilHeldChart *self)
{
  guint total = 0;

  g_return_val_if_fail (VIGIL_IS_HELD_CHART (self), 0);
  for (guint m = 0; m < self->n_minutes; m++)
    total += self->held[m];
  return total;
}

double
vigil_held_chart_get_longest (VigilHeldChart *self)
{
  double longest = 0;

  g_return_val_if_fail (VIGIL_IS_HELD_CHART (self), 0);
  for (guint m = 0; m < self->n_minutes; m++)
    longest = MAX (longest, self->wait[m]);
  return longest;
}
