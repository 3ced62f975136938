/* vigil-live-record.c: one statement as the console shows it.
 *
 * Display strings are built once, when the record arrives, so that binding a row in a
 * scrolling column view costs nothing but a pointer copy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-live"

#include <glib/gi18n.h>

#include "vigil-live-record.h"

#define STATEMENT_PREVIEW_CHARS 200

struct _VigilLiveRecord
{
  GObject  parent_instance;

  gint64   id;
  gint64   time_us;
  gint64   rows;
  gint64   duration_us;
  guint    masked;
  char    *time_text;
  char    *identity;
  char    *identity_kind;
  char    *process;
  char    *os_user;
  char    *connection;
  char    *statement;
  char    *statement_full;
  char    *klass;
  char    *relations;
  char    *decision;
  char    *rule;
  char    *approver;
  char    *error;
  char    *haystack;
};

G_DEFINE_FINAL_TYPE (VigilLiveRecord, vigil_live_record, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TIME_TEXT,
  PROP_IDENTITY,
  PROP_IDENTITY_KIND,
  PROP_PROCESS,
  PROP_OS_USER,
  PROP_CONNECTION,
  PROP_STATEMENT,
  PROP_STATEMENT_FULL,
  PROP_CLASS,
  PROP_RELATIONS,
  PROP_DECISION,
  PROP_DECISION_LABEL,
  PROP_RULE,
  PROP_APPROVER,
  PROP_ROWS_TEXT,
  PROP_DURATION_TEXT,
  PROP_MASKED_TEXT,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  g_autofree char *hms = dt ? g_date_time_format (dt, "%H:%M:%S") : NULL;

  return g_strdup_printf ("%s.%03d", hms ? hms : "--:--:--",
                          (int) ((time_us % G_USEC_PER_SEC) / 1000));
}

static char *
format_process (const VigilAuditRecord *r)
{
  g_autofree char *base = r->exe ? g_path_get_basename (r->exe) : NULL;

  if (base != NULL && r->pid > 0)
    return g_strdup_printf ("%s (%d)", base, r->pid);
  if (r->pid > 0)
    return g_strdup_printf ("%d", r->pid);
  return g_strdup (base ? base : "");
}

/* One line, whitespace collapsed, at most STATEMENT_PREVIEW_CHARS characters. */
static char *
format_preview (const char *statement)
{
  GString *s = g_string_sized_new (64);
  gboolean space = FALSE;
  guint chars = 0;

  for (const char *p = statement ? statement : ""; *p && chars < STATEMENT_PREVIEW_CHARS;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        {
          space = s->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (s, ' ');
      space = FALSE;
      g_string_append_unichar (s, c);
      chars++;
    }
  if (chars >= STATEMENT_PREVIEW_CHARS)
    g_string_append (s, "…");
  return g_string_free (s, FALSE);
}

/* A reviewed statement is held until someone decides; then it shows the decision. */
static const char *
decision_label (VigilLiveRecord *self)
{
  const char *decision = self->decision;

  if (g_strcmp0 (decision, "allow") == 0)
    return C_("decision", "Allowed");
  if (g_strcmp0 (decision, "deny") == 0)
    return C_("decision", "Denied");
  if (g_strcmp0 (decision, "review") == 0 && self->approver == NULL)
    return C_("decision", "Held");
  if (g_strcmp0 (decision, "review") == 0)
    return self->error == NULL ? C_("decision", "Approved") : C_("decision", "Denied");
  return decision ? decision : "";
}

static char *
format_rows (gint64 rows)
{
  return rows < 0 ? g_strdup ("—") : g_strdup_printf ("%" G_GINT64_FORMAT, rows);
}

static char *
format_duration (gint64 us)
{
  if (us < 0)
    return g_strdup ("—");
  if (us < 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT " µs", us);
  if (us < G_USEC_PER_SEC)
    return g_strdup_printf (_("%.1f ms"), us / 1000.0);
  return g_strdup_printf (_("%.2f s"), us / (double) G_USEC_PER_SEC);
}

static void
vigil_live_record_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VigilLiveRecord *self = VIGIL_LIVE_RECORD (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_TIME_TEXT: g_value_set_string (value, self->time_text); break;
    case PROP_IDENTITY: g_value_set_string (value, self->identity); break;
    case PROP_IDENTITY_KIND: g_value_set_string (value, self->identity_kind); break;
    case PROP_PROCESS: g_value_set_string (value, self->process); break;
    case PROP_OS_USER: g_value_set_string (value, self->os_user); break;
    case PROP_CONNECTION: g_value_set_string (value, self->connection); break;
    case PROP_STATEMENT: g_value_set_string (value, self->statement); break;
    case PROP_STATEMENT_FULL: g_value_set_string (value, self->statement_full); break;
    case PROP_CLASS: g_value_set_string (value, self->klass); break;
    case PROP_RELATIONS: g_value_set_string (value, self->relations); break;
    case PROP_DECISION: g_value_set_string (value, self->decision); break;
    case PROP_DECISION_LABEL: g_value_set_string (value, decision_label (self)); break;
    case PROP_RULE: g_value_set_string (value, self->rule); break;
    case PROP_APPROVER: g_value_set_string (value, self->approver); break;
    case PROP_ROWS_TEXT: g_value_take_string (value, format_rows (self->rows)); break;
    case PROP_DURATION_TEXT:
      g_value_take_string (value, format_duration (self->duration_us));
      break;
    case PROP_MASKED_TEXT: g_value_take_string (value, g_strdup_printf ("%u", self->masked)); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_live_record_finalize (GObject *object)
{
  VigilLiveRecord *self = VIGIL_LIVE_RECORD (object);

  g_free (self->time_text);
  g_free (self->identity);
  g_free (self->identity_kind);
  g_free (self->process);
  g_free (self->os_user);
  g_free (self->connection);
  g_free (self->statement);
  g_free (self->statement_full);
  g_free (self->klass);
  g_free (self->relations);
  g_free (self->decision);
  g_free (self->rule);
  g_free (self->approver);
  g_free (self->error);
  g_free (self->haystack);
  G_OBJECT_CLASS (vigil_live_record_parent_class)->finalize (object);
}

static GParamSpec *
string_pspec (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
vigil_live_record_class_init (VigilLiveRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *const names[N_PROPS] = {
    [PROP_TIME_TEXT] = "time-text", [PROP_IDENTITY] = "identity",
    [PROP_IDENTITY_KIND] = "identity-kind", [PROP_PROCESS] = "process",
    [PROP_OS_USER] = "os-user", [PROP_CONNECTION] = "connection",
    [PROP_STATEMENT] = "statement", [PROP_STATEMENT_FULL] = "statement-full",
    [PROP_CLASS] = "class", [PROP_RELATIONS] = "relations", [PROP_DECISION] = "decision",
    [PROP_DECISION_LABEL] = "decision-label", [PROP_RULE] = "rule",
    [PROP_APPROVER] = "approver", [PROP_ROWS_TEXT] = "rows-text",
    [PROP_DURATION_TEXT] = "duration-text", [PROP_MASKED_TEXT] = "masked-text",
    [PROP_ERROR] = "error",
  };

  object_class->get_property = vigil_live_record_get_property;
  object_class->finalize = vigil_live_record_finalize;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  for (guint i = PROP_TIME_TEXT; i < N_PROPS; i++)
    properties[i] = string_pspec (names[i]);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_live_record_init (VigilLiveRecord *self)
{
  self->rows = -1;
  self->duration_us = -1;
}

static char *
format_error (const VigilAuditRecord *r)
{
  if (r->error_message == NULL && r->error_sqlstate == NULL)
    return NULL;
  if (r->error_sqlstate == NULL)
    return g_strdup (r->error_message);
  return g_strdup_printf ("%s: %s", r->error_sqlstate, r->error_message ?: "");
}

VigilLiveRecord *
vigil_live_record_new (const VigilAuditRecord *r)
{
  VigilLiveRecord *self;
  g_autofree char *search = NULL;

  g_return_val_if_fail (r != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_LIVE_RECORD, NULL);
  self->id = r->id;
  self->time_us = r->time_us;
  self->rows = r->rows;
  self->duration_us = r->duration_us;
  self->masked = r->masked;
  self->time_text = format_time (r->time_us);
  self->identity = g_strdup (r->identity ?: "");
  self->identity_kind = g_strdup (r->identity_kind);
  self->process = format_process (r);
  self->os_user = g_strdup (r->os_user);
  self->connection = g_strdup (r->connection ?: "");
  self->statement = format_preview (r->statement);
  self->statement_full = g_strdup (r->statement ?: "");
  self->klass = g_strdup (r->class);
  self->relations = g_strdup (r->relations);
  self->decision = g_strdup (r->decision);
  self->rule = g_strdup (r->rule);
  self->approver = g_strdup (r->approver);
  self->error = format_error (r);
  search = g_strjoin ("\n", self->statement_full, self->identity, self->process,
                      self->connection, NULL);
  self->haystack = g_utf8_casefold (search, -1);
  return self;
}

void
vigil_live_record_merge (VigilLiveRecord *self,
                         VigilLiveRecord *source)
{
  g_return_if_fail (VIGIL_IS_LIVE_RECORD (self));
  g_return_if_fail (VIGIL_IS_LIVE_RECORD (source));

  if (self == source)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (source->rows != self->rows)
    {
      self->rows = source->rows;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_TEXT]);
    }
  if (source->duration_us != self->duration_us)
    {
      self->duration_us = source->duration_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION_TEXT]);
    }
  if (source->masked != self->masked)
    {
      self->masked = source->masked;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MASKED_TEXT]);
    }
  if (source->error != NULL && g_strcmp0 (source->error, self->error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (source->error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECISION_LABEL]);
    }
  if (source->approver != NULL && g_strcmp0 (source->approver, self->approver) != 0)
    {
      g_free (self->approver);
      self->approver = g_strdup (source->approver);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_APPROVER]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECISION_LABEL]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

gint64
vigil_live_record_get_id (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), 0);
  return self->id;
}

gint64
vigil_live_record_get_time_us (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), 0);
  return self->time_us;
}

const char *
vigil_live_record_get_identity (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), NULL);
  return self->identity;
}

const char *
vigil_live_record_get_decision (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), NULL);
  return self->decision;
}

gint64
vigil_live_record_get_rows (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), -1);
  return self->rows;
}

gboolean
vigil_live_record_is_finished (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), FALSE);
  return self->duration_us >= 0 || self->error != NULL;
}

const char *
vigil_live_record_get_haystack (VigilLiveRecord *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_RECORD (self), NULL);
  return self->haystack;
}
