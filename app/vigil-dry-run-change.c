/* vigil-dry-run-change.c: one audited statement a draft policy would decide differently.
 *
 * Built on the dry run's worker thread; display strings are made once, there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-policies"

#include <glib/gi18n.h>

#include "vigil-dry-run-change.h"

#define STATEMENT_PREVIEW_CHARS 160

struct _VigilDryRunChange
{
  GObject        parent_instance;

  gint64         id;
  VigilDecision  recorded;
  VigilDecision  decision;
  char          *time_text;
  char          *identity;
  char          *statement;
  char          *change_text;
  char          *rule;
};

G_DEFINE_FINAL_TYPE (VigilDryRunChange, vigil_dry_run_change, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TIME_TEXT,
  PROP_IDENTITY,
  PROP_STATEMENT,
  PROP_CHANGE_TEXT,
  PROP_DECISION,
  PROP_RULE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);

  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("—");
}

/* One line, at most STATEMENT_PREVIEW_CHARS characters. */
static char *
format_statement (const char *statement)
{
  g_autofree char *line = g_strdup (statement ? statement : "");
  glong length;

  g_strdelimit (line, "\n\r\t", ' ');
  length = g_utf8_strlen (line, -1);
  if (length <= STATEMENT_PREVIEW_CHARS)
    return g_steal_pointer (&line);
  *g_utf8_offset_to_pointer (line, STATEMENT_PREVIEW_CHARS) = '\0';
  return g_strconcat (line, "…", NULL);
}

static void
vigil_dry_run_change_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  VigilDryRunChange *self = VIGIL_DRY_RUN_CHANGE (object);

  switch (prop_id)
    {
    case PROP_TIME_TEXT: g_value_set_string (value, self->time_text); break;
    case PROP_IDENTITY: g_value_set_string (value, self->identity); break;
    case PROP_STATEMENT: g_value_set_string (value, self->statement); break;
    case PROP_CHANGE_TEXT: g_value_set_string (value, self->change_text); break;
    case PROP_DECISION:
      g_value_set_string (value, vigil_decision_to_string (self->decision));
      break;
    case PROP_RULE: g_value_set_string (value, self->rule); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_dry_run_change_finalize (GObject *object)
{
  VigilDryRunChange *self = VIGIL_DRY_RUN_CHANGE (object);

  g_free (self->time_text);
  g_free (self->identity);
  g_free (self->statement);
  g_free (self->change_text);
  g_free (self->rule);
  G_OBJECT_CLASS (vigil_dry_run_change_parent_class)->finalize (object);
}

static void
vigil_dry_run_change_class_init (VigilDryRunChangeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *const names[N_PROPS] = {
    [PROP_TIME_TEXT] = "time-text", [PROP_IDENTITY] = "identity",
    [PROP_STATEMENT] = "statement", [PROP_CHANGE_TEXT] = "change-text",
    [PROP_DECISION] = "decision", [PROP_RULE] = "rule",
  };

  object_class->get_property = vigil_dry_run_change_get_property;
  object_class->finalize = vigil_dry_run_change_finalize;

  for (guint i = 1; i < N_PROPS; i++)
    properties[i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_dry_run_change_init (VigilDryRunChange *self)
{
}

VigilDryRunChange *
vigil_dry_run_change_new (const VigilAuditRecord *record,
                          VigilDecision           recorded,
                          const VigilVerdict     *verdict)
{
  VigilDryRunChange *self;

  g_return_val_if_fail (record != NULL, NULL);
  g_return_val_if_fail (verdict != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_DRY_RUN_CHANGE, NULL);
  self->id = record->id;
  self->recorded = recorded;
  self->decision = verdict->decision;
  self->time_text = format_time (record->time_us);
  self->identity = g_strdup (record->identity);
  self->statement = format_statement (record->statement);
  /* Translators: how a statement's decision would change, e.g. "allow → deny" */
  self->change_text = g_strdup_printf (_("%s → %s"), vigil_decision_to_string (recorded),
                                       vigil_decision_to_string (verdict->decision));
  self->rule = g_strdup (verdict->rule ? verdict->rule : _("(default)"));
  return self;
}

gint64
vigil_dry_run_change_get_id (VigilDryRunChange *self)
{
  g_return_val_if_fail (VIGIL_IS_DRY_RUN_CHANGE (self), 0);
  return self->id;
}

VigilDecision
vigil_dry_run_change_get_recorded (VigilDryRunChange *self)
{
  g_return_val_if_fail (VIGIL_IS_DRY_RUN_CHANGE (self), VIGIL_DECISION_ALLOW);
  return self->recorded;
}

VigilDecision
vigil_dry_run_change_get_decision (VigilDryRunChange *self)
{
  g_return_val_if_fail (VIGIL_IS_DRY_RUN_CHANGE (self), VIGIL_DECISION_ALLOW);
  return self->decision;
}

const char *
vigil_dry_run_change_get_rule (VigilDryRunChange *self)
{
  g_return_val_if_fail (VIGIL_IS_DRY_RUN_CHANGE (self), NULL);
  return self->rule;
}
