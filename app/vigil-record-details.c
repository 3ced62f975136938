/* vigil-record-details.c: everything about one statement.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-live"

#include <glib/gi18n.h>

#include "vigil-record-details.h"

struct _VigilRecordDetails
{
  AdwBin           parent_instance;

  VigilLiveRecord *record;

  /* template children */
  GtkStack        *stack;
};

G_DEFINE_FINAL_TYPE (VigilRecordDetails, vigil_record_details, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_RECORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* An empty value reads as a dash rather than as a missing row. */
static char *
or_dash (gpointer    instance,
         const char *value)
{
  return g_strdup (value != NULL && *value != '\0' ? value : "—");
}

static void
vigil_record_details_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  VigilRecordDetails *self = VIGIL_RECORD_DETAILS (object);

  switch (prop_id)
    {
    case PROP_RECORD: g_value_set_object (value, self->record); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_record_details_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  VigilRecordDetails *self = VIGIL_RECORD_DETAILS (object);

  switch (prop_id)
    {
    case PROP_RECORD: vigil_record_details_set_record (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_record_details_dispose (GObject *object)
{
  VigilRecordDetails *self = VIGIL_RECORD_DETAILS (object);

  g_clear_object (&self->record);
  G_OBJECT_CLASS (vigil_record_details_parent_class)->dispose (object);
}

static void
vigil_record_details_class_init (VigilRecordDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = vigil_record_details_get_property;
  object_class->set_property = vigil_record_details_set_property;
  object_class->dispose = vigil_record_details_dispose;

  properties[PROP_RECORD] =
    g_param_spec_object ("record", NULL, NULL, VIGIL_TYPE_LIVE_RECORD,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIGIL_TYPE_LIVE_RECORD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/vigil/Vigil/vigil-record-details.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilRecordDetails, stack);
  gtk_widget_class_bind_template_callback (widget_class, or_dash);
}

static void
vigil_record_details_init (VigilRecordDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

VigilLiveRecord *
vigil_record_details_get_record (VigilRecordDetails *self)
{
  g_return_val_if_fail (VIGIL_IS_RECORD_DETAILS (self), NULL);
  return self->record;
}

void
vigil_record_details_set_record (VigilRecordDetails *self,
                                 VigilLiveRecord    *record)
{
  g_return_if_fail (VIGIL_IS_RECORD_DETAILS (self));

  if (!g_set_object (&self->record, record))
    return;
  gtk_stack_set_visible_child_name (self->stack, record ? "record" : "none");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECORD]);
}
