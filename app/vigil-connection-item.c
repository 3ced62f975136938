/* vigil-connection-item.c: a named upstream as the Identities view lists it.
 *
 * The item never holds the password: it keeps the redacted conninfo only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <glib/gi18n.h>

#include "vigil-conninfo.h"
#include "vigil-connection-item.h"

struct _VigilConnectionItem
{
  GObject  parent_instance;

  char    *name;
  char    *conninfo;   /* redacted */
  gint64   created_at;
};

G_DEFINE_FINAL_TYPE (VigilConnectionItem, vigil_connection_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_CONNINFO,
  PROP_CREATED_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_seconds);

  return dt ? g_date_time_format (dt, "%x %H:%M") : g_strdup ("");
}

static void
vigil_connection_item_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  VigilConnectionItem *self = VIGIL_CONNECTION_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_CONNINFO: g_value_set_string (value, self->conninfo); break;
    case PROP_CREATED_TEXT: g_value_take_string (value, format_date (self->created_at)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_connection_item_finalize (GObject *object)
{
  VigilConnectionItem *self = VIGIL_CONNECTION_ITEM (object);

  g_free (self->name);
  g_free (self->conninfo);
  G_OBJECT_CLASS (vigil_connection_item_parent_class)->finalize (object);
}

static void
vigil_connection_item_class_init (VigilConnectionItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vigil_connection_item_get_property;
  object_class->finalize = vigil_connection_item_finalize;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNINFO] =
    g_param_spec_string ("conninfo", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATED_TEXT] =
    g_param_spec_string ("created-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_connection_item_init (VigilConnectionItem *self)
{
}

VigilConnectionItem *
vigil_connection_item_new (const VigilConnection *connection)
{
  VigilConnectionItem *self;
  char *shown;

  g_return_val_if_fail (connection != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_CONNECTION_ITEM, NULL);
  self->name = g_strdup (connection->name);
  shown = vigil_conninfo_redact (connection->conninfo);
  self->conninfo = shown != NULL ? shown : g_strdup (_("(not a valid conninfo)"));
  self->created_at = connection->created_at;
  return self;
}

const char *
vigil_connection_item_get_name (VigilConnectionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_CONNECTION_ITEM (self), NULL);
  return self->name;
}

const char *
vigil_connection_item_get_conninfo (VigilConnectionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_CONNECTION_ITEM (self), NULL);
  return self->conninfo;
}
