/* vigil-audit-record.c: one statement as the flight recorder keeps it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>

#include "vigil-audit-record.h"

G_DEFINE_BOXED_TYPE (VigilAuditRecord, vigil_audit_record,
                     vigil_audit_record_copy, vigil_audit_record_free)

/* Helpers */

/* JSON must be UTF-8; statement text is whatever the client sent. */
static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value == NULL)
    {
      json_builder_add_null_value (builder);
    }
  else if (g_utf8_validate (value, -1, NULL))
    {
      json_builder_add_string_value (builder, value);
    }
  else
    {
      g_autofree char *valid = g_utf8_make_valid (value, -1);

      json_builder_add_string_value (builder, valid);
    }
}

static void
add_int_or_null (JsonBuilder *builder,
                 const char  *name,
                 gint64       value)
{
  json_builder_set_member_name (builder, name);
  if (value < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, value);
}

static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) seconds = NULL;
  g_autoptr(GDateTime) dt = NULL;
  gint64 secs = time_us / G_USEC_PER_SEC;
  gint64 usecs = time_us % G_USEC_PER_SEC;

  if (usecs < 0)
    {
      secs--;
      usecs += G_USEC_PER_SEC;
    }
  seconds = g_date_time_new_from_unix_utc (secs);
  if (seconds == NULL)
    return NULL;
  dt = g_date_time_add (seconds, usecs);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S.%fZ");
}

/* The parameters as a JSON array when they parse as one, else as the stored string. */
static void
add_params (JsonBuilder *builder,
            const char  *params)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (params == NULL)
    {
      add_string (builder, "params", NULL);
      return;
    }
  parser = json_parser_new ();
  if (json_parser_load_from_data (parser, params, -1, NULL)
      && (root = json_parser_get_root (parser)) != NULL
      && JSON_NODE_HOLDS_ARRAY (root))
    {
      json_builder_set_member_name (builder, "params");
      json_builder_add_value (builder, json_node_copy (root));
      return;
    }
  add_string (builder, "params", params);
}

static void
add_process (JsonBuilder            *builder,
             const VigilAuditRecord *self)
{
  json_builder_set_member_name (builder, "process");
  json_builder_begin_object (builder);
  add_int_or_null (builder, "pid", self->pid > 0 ? self->pid : -1);
  add_string (builder, "exe", self->exe);
  add_string (builder, "user", self->os_user);
  json_builder_end_object (builder);
}

static void
add_error (JsonBuilder            *builder,
           const VigilAuditRecord *self)
{
  json_builder_set_member_name (builder, "error");
  if (self->error_sqlstate == NULL && self->error_message == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  add_string (builder, "sqlstate", self->error_sqlstate);
  add_string (builder, "message", self->error_message);
  json_builder_end_object (builder);
}

/* Public API */

VigilAuditRecord *
vigil_audit_record_new (void)
{
  VigilAuditRecord *self = g_new0 (VigilAuditRecord, 1);

  self->rows = -1;
  self->duration_us = -1;
  return self;
}

VigilAuditRecord *
vigil_audit_record_copy (const VigilAuditRecord *self)
{
  VigilAuditRecord *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->identity = g_strdup (self->identity);
  copy->identity_kind = g_strdup (self->identity_kind);
  copy->exe = g_strdup (self->exe);
  copy->os_user = g_strdup (self->os_user);
  copy->connection = g_strdup (self->connection);
  copy->protocol = g_strdup (self->protocol);
  copy->statement = g_strdup (self->statement);
  copy->params = g_strdup (self->params);
  copy->class = g_strdup (self->class);
  copy->relations = g_strdup (self->relations);
  copy->decision = g_strdup (self->decision);
  copy->rule = g_strdup (self->rule);
  copy->approver = g_strdup (self->approver);
  copy->error_sqlstate = g_strdup (self->error_sqlstate);
  copy->error_message = g_strdup (self->error_message);
  return copy;
}

void
vigil_audit_record_free (VigilAuditRecord *self)
{
  if (self == NULL)
    return;
  g_free (self->identity);
  g_free (self->identity_kind);
  g_free (self->exe);
  g_free (self->os_user);
  g_free (self->connection);
  g_free (self->protocol);
  g_free (self->statement);
  g_free (self->params);
  g_free (self->class);
  g_free (self->relations);
  g_free (self->decision);
  g_free (self->rule);
  g_free (self->approver);
  g_free (self->error_sqlstate);
  g_free (self->error_message);
  g_free (self);
}

char *
vigil_audit_record_to_json (const VigilAuditRecord *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *time = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  time = format_time (self->time_us);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, self->id);
  add_string (builder, "time", time);
  add_string (builder, "identity", self->identity);
  add_string (builder, "identity_kind", self->identity_kind);
  add_process (builder, self);
  add_string (builder, "connection", self->connection);
  json_builder_set_member_name (builder, "session");
  json_builder_add_int_value (builder, (gint64) self->session);
  add_string (builder, "protocol", self->protocol);
  add_string (builder, "statement", self->statement);
  add_params (builder, self->params);
  add_string (builder, "class", self->class);
  add_string (builder, "relations", self->relations);
  add_string (builder, "decision", self->decision);
  add_string (builder, "rule", self->rule);
  add_string (builder, "approver", self->approver);
  add_int_or_null (builder, "rows", self->rows);
  add_int_or_null (builder, "duration_us", self->duration_us);
  json_builder_set_member_name (builder, "masked");
  json_builder_add_int_value (builder, self->masked);
  add_error (builder, self);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, (gint64) self->bytes_to_client);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}
