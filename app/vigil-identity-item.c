/* vigil-identity-item.c: an identity as the Identities view lists it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <glib/gi18n.h>

#include "vigil-identity-item.h"

struct _VigilIdentityItem
{
  GObject            parent_instance;

  char              *name;
  VigilIdentityKind  kind;
  gint64             created_at;
  gint64             revoked_at;
};

G_DEFINE_FINAL_TYPE (VigilIdentityItem, vigil_identity_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_KIND_LABEL,
  PROP_CREATED_TEXT,
  PROP_STATUS_TEXT,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_seconds);

  return dt ? g_date_time_format (dt, "%x %H:%M") : g_strdup ("");
}

static char *
format_status (VigilIdentityItem *self)
{
  g_autofree char *when = NULL;

  if (self->revoked_at == 0)
    return g_strdup (_("Active"));
  when = format_date (self->revoked_at);
  /* Translators: %s is a date and time */
  return g_strdup_printf (_("Revoked %s"), when);
}

static void
vigil_identity_item_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  VigilIdentityItem *self = VIGIL_IDENTITY_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_KIND_LABEL: g_value_set_string (value, vigil_identity_kind_to_label (self->kind)); break;
    case PROP_CREATED_TEXT: g_value_take_string (value, format_date (self->created_at)); break;
    case PROP_STATUS_TEXT: g_value_take_string (value, format_status (self)); break;
    case PROP_ACTIVE: g_value_set_boolean (value, self->revoked_at == 0); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_identity_item_finalize (GObject *object)
{
  g_free (VIGIL_IDENTITY_ITEM (object)->name);
  G_OBJECT_CLASS (vigil_identity_item_parent_class)->finalize (object);
}

static void
vigil_identity_item_class_init (VigilIdentityItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vigil_identity_item_get_property;
  object_class->finalize = vigil_identity_item_finalize;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND_LABEL] = g_param_spec_string ("kind-label", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATED_TEXT] = g_param_spec_string ("created-text", NULL, NULL, NULL,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, TRUE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_identity_item_init (VigilIdentityItem *self)
{
}

VigilIdentityItem *
vigil_identity_item_new (const VigilIdentity *identity)
{
  VigilIdentityItem *self;

  g_return_val_if_fail (identity != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_IDENTITY_ITEM, NULL);
  self->name = g_strdup (identity->name);
  self->kind = identity->kind;
  self->created_at = identity->created_at;
  self->revoked_at = identity->revoked_at;
  return self;
}

const char *
vigil_identity_item_get_name (VigilIdentityItem *self)
{
  g_return_val_if_fail (VIGIL_IS_IDENTITY_ITEM (self), NULL);
  return self->name;
}

VigilIdentityKind
vigil_identity_item_get_kind (VigilIdentityItem *self)
{
  g_return_val_if_fail (VIGIL_IS_IDENTITY_ITEM (self), VIGIL_IDENTITY_KIND_AGENT);
  return self->kind;
}

gboolean
vigil_identity_item_get_active (VigilIdentityItem *self)
{
  g_return_val_if_fail (VIGIL_IS_IDENTITY_ITEM (self), FALSE);
  return self->revoked_at == 0;
}

const char *
vigil_identity_kind_to_label (VigilIdentityKind kind)
{
  switch (kind)
    {
    case VIGIL_IDENTITY_KIND_AGENT: return C_("identity kind", "Agent");
    case VIGIL_IDENTITY_KIND_HUMAN: return C_("identity kind", "Human");
    case VIGIL_IDENTITY_KIND_ADMIN: return C_("identity kind", "Administrator");
    default: return "";
    }
}
