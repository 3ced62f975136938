/* vigil-approval-item.c: one held statement waiting for a reviewer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-approvals"

#include <glib/gi18n.h>

#include "vigil-approval-item.h"
#include "vigil-types.h"

struct _VigilApprovalItem
{
  GObject  parent_instance;

  gint64   id;
  gint64   estimated_rows;
  char    *time_text;
  char    *identity;
  char    *process;
  char    *connection;
  char    *statement;
  char    *klass;
  char    *rule;
};

G_DEFINE_FINAL_TYPE (VigilApprovalItem, vigil_approval_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TIME_TEXT,
  PROP_IDENTITY,
  PROP_PROCESS,
  PROP_CONNECTION,
  PROP_STATEMENT,
  PROP_CLASS,
  PROP_RULE,
  PROP_ESTIMATE_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_estimate (gint64 rows)
{
  g_autofree char *number = NULL;

  if (rows < 0)
    return g_strdup (_("Unknown number of rows"));
  number = g_strdup_printf ("%" G_GINT64_FORMAT, rows);
  /* Translators: %s is a number of rows */
  return g_strdup_printf (g_dngettext (NULL, "About %s row", "About %s rows", (gulong) rows),
                          number);
}

static void
vigil_approval_item_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  VigilApprovalItem *self = VIGIL_APPROVAL_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_TIME_TEXT: g_value_set_string (value, self->time_text); break;
    case PROP_IDENTITY: g_value_set_string (value, self->identity); break;
    case PROP_PROCESS: g_value_set_string (value, self->process); break;
    case PROP_CONNECTION: g_value_set_string (value, self->connection); break;
    case PROP_STATEMENT: g_value_set_string (value, self->statement); break;
    case PROP_CLASS: g_value_set_string (value, self->klass); break;
    case PROP_RULE: g_value_set_string (value, self->rule); break;
    case PROP_ESTIMATE_TEXT: g_value_take_string (value, format_estimate (self->estimated_rows)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_approval_item_finalize (GObject *object)
{
  VigilApprovalItem *self = VIGIL_APPROVAL_ITEM (object);

  g_free (self->time_text);
  g_free (self->identity);
  g_free (self->process);
  g_free (self->connection);
  g_free (self->statement);
  g_free (self->klass);
  g_free (self->rule);
  G_OBJECT_CLASS (vigil_approval_item_parent_class)->finalize (object);
}

static void
vigil_approval_item_class_init (VigilApprovalItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *const names[N_PROPS] = {
    [PROP_TIME_TEXT] = "time-text", [PROP_IDENTITY] = "identity", [PROP_PROCESS] = "process",
    [PROP_CONNECTION] = "connection", [PROP_STATEMENT] = "statement", [PROP_CLASS] = "class",
    [PROP_RULE] = "rule", [PROP_ESTIMATE_TEXT] = "estimate-text",
  };

  object_class->get_property = vigil_approval_item_get_property;
  object_class->finalize = vigil_approval_item_finalize;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  for (guint i = PROP_TIME_TEXT; i < N_PROPS; i++)
    properties[i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_approval_item_init (VigilApprovalItem *self)
{
}

static void
take_string (VigilApprovalItem  *self,
             char              **field,
             char               *value,
             guint               prop_id)
{
  gboolean changed = vigil_set_str (field, value);

  g_free (value);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

/* Notifies only what changed, so a refreshed row does not redraw. */
static void
fill (VigilApprovalItem   *self,
      const VigilApproval *a)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (a->created_us / G_USEC_PER_SEC);
  g_autofree char *exe = a->exe ? g_path_get_basename (a->exe) : g_strdup (_("unknown process"));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->estimated_rows != a->estimated_rows)
    {
      self->estimated_rows = a->estimated_rows;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ESTIMATE_TEXT]);
    }
  take_string (self, &self->time_text, dt ? g_date_time_format (dt, "%X") : g_strdup (""),
               PROP_TIME_TEXT);
  take_string (self, &self->identity, g_strdup (a->identity ?: ""), PROP_IDENTITY);
  take_string (self, &self->process,
               a->pid > 0 ? g_strdup_printf ("%s (%d)", exe, a->pid) : g_strdup (exe),
               PROP_PROCESS);
  take_string (self, &self->connection, g_strdup (a->connection ?: ""), PROP_CONNECTION);
  take_string (self, &self->statement, g_strdup (a->statement ?: ""), PROP_STATEMENT);
  take_string (self, &self->klass, g_strdup (a->class ?: ""), PROP_CLASS);
  take_string (self, &self->rule, g_strdup (a->rule ? a->rule : _("default policy")), PROP_RULE);
  g_object_thaw_notify (G_OBJECT (self));
}

VigilApprovalItem *
vigil_approval_item_new (const VigilApproval *a)
{
  VigilApprovalItem *self;

  g_return_val_if_fail (a != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_APPROVAL_ITEM, NULL);
  self->id = a->id;
  self->estimated_rows = a->estimated_rows;
  fill (self, a);
  return self;
}

void
vigil_approval_item_update (VigilApprovalItem   *self,
                            const VigilApproval *a)
{
  g_return_if_fail (VIGIL_IS_APPROVAL_ITEM (self));
  g_return_if_fail (a != NULL);
  g_return_if_fail (a->id == self->id);

  fill (self, a);
}

gint64
vigil_approval_item_get_id (VigilApprovalItem *self)
{
  g_return_val_if_fail (VIGIL_IS_APPROVAL_ITEM (self), 0);
  return self->id;
}

const char *
vigil_approval_item_get_identity (VigilApprovalItem *self)
{
  g_return_val_if_fail (VIGIL_IS_APPROVAL_ITEM (self), NULL);
  return self->identity;
}

const char *
vigil_approval_item_get_statement (VigilApprovalItem *self)
{
  g_return_val_if_fail (VIGIL_IS_APPROVAL_ITEM (self), NULL);
  return self->statement;
}
