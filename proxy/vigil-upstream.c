/* vigil-upstream.c: one server connection opened by libpq, then spoken to byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libpq-fe.h>

#include "vigil-upstream.h"

struct _VigilUpstream
{
  PGconn    *conn;
  PGcancel  *cancel;
  GPtrArray *parameters;   /* VigilParameter */
  gint       refs;         /* the owner, plus each running cancel */
};

/* libpq keeps every ParameterStatus but only answers by name; these are the ones a
 * PostgreSQL 15 server reports at startup. */
static const char * const reported_parameters[] = {
  "application_name", "client_encoding", "DateStyle", "default_transaction_read_only",
  "in_hot_standby", "integer_datetimes", "IntervalStyle", "is_superuser",
  "server_encoding", "server_version", "session_authorization",
  "standard_conforming_strings", "TimeZone",
};

/* Startup parameters that libpq takes as connection keywords of the same name. */
static const char * const libpq_keywords[] = {
  "application_name", "client_encoding", "options",
};

typedef struct
{
  char       *conninfo;
  GHashTable *startup;
} ConnectData;

static void
parameter_free (gpointer data)
{
  VigilParameter *p = data;

  g_free (p->name);
  g_free (p->value);
  g_free (p);
}

static void
connect_data_free (gpointer data)
{
  ConnectData *cd = data;

  g_free (cd->conninfo);
  g_clear_pointer (&cd->startup, g_hash_table_unref);
  g_free (cd);
}

static gboolean
is_libpq_keyword (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (libpq_keywords); i++)
    if (strcmp (name, libpq_keywords[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
append_escaped_option (GString    *out,
                       const char *name,
                       const char *value)
{
  if (out->len > 0)
    g_string_append_c (out, ' ');
  g_string_append (out, "-c ");
  for (const char *p = name; *p; p++)
    {
      if (*p == ' ' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '=');
  for (const char *p = value; *p; p++)
    {
      if (*p == ' ' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
}

char *
_vigil_upstream_build_options (GHashTable *startup)
{
  GString *out = g_string_new (g_hash_table_lookup (startup, "options"));
  g_autoptr(GList) keys = g_hash_table_get_keys (startup);

  keys = g_list_sort (keys, (GCompareFunc) strcmp);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (is_libpq_keyword (name))
        continue;
      append_escaped_option (out, name, g_hash_table_lookup (startup, name));
    }
  return g_string_free (out, out->len == 0);
}

static PGconn *
open_connection (ConnectData *cd)
{
  g_autofree char *options = _vigil_upstream_build_options (cd->startup);
  const char *keywords[8];
  const char *values[8];
  guint n = 0;

  keywords[n] = "dbname";
  values[n++] = cd->conninfo;
  for (guint i = 0; i < G_N_ELEMENTS (libpq_keywords); i++)
    {
      const char *value = g_hash_table_lookup (cd->startup, libpq_keywords[i]);

      if (strcmp (libpq_keywords[i], "options") == 0)
        value = options;
      if (value == NULL)
        continue;
      keywords[n] = libpq_keywords[i];
      values[n++] = value;
    }
  keywords[n] = NULL;
  values[n] = NULL;
  /* expand_dbname: the conninfo is parsed by libpq; later keywords override it. */
  return PQconnectdbParams (keywords, values, 1);
}

static void
collect_parameters (VigilUpstream *self)
{
  self->parameters = g_ptr_array_new_with_free_func (parameter_free);
  for (guint i = 0; i < G_N_ELEMENTS (reported_parameters); i++)
    {
      const char *value = PQparameterStatus (self->conn, reported_parameters[i]);
      VigilParameter *p;

      if (value == NULL)
        continue;
      p = g_new0 (VigilParameter, 1);
      p->name = g_strdup (reported_parameters[i]);
      p->value = g_strdup (value);
      g_ptr_array_add (self->parameters, p);
    }
}

static void
upstream_free (VigilUpstream *self)
{
  g_clear_pointer (&self->cancel, PQfreeCancel);
  g_clear_pointer (&self->conn, PQfinish);
  g_clear_pointer (&self->parameters, g_ptr_array_unref);
  g_free (self);
}

static void
upstream_unref (VigilUpstream *self)
{
  if (g_atomic_int_dec_and_test (&self->refs))
    upstream_free (self);
}

static char *
clean_libpq_message (PGconn *conn)
{
  g_autofree char *msg = g_strdup (PQerrorMessage (conn));

  return g_strdup (g_strchomp (msg));
}

static void
connect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ConnectData *cd = task_data;
  VigilUpstream *self = g_new0 (VigilUpstream, 1);

  self->refs = 1;
  self->conn = open_connection (cd);
  if (self->conn == NULL || PQstatus (self->conn) != CONNECTION_OK)
    {
      g_autofree char *msg = self->conn ? clean_libpq_message (self->conn) : NULL;

      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_UPSTREAM,
                               "%s", msg ? msg : "out of memory");
      upstream_free (self);
      return;
    }
  self->cancel = PQgetCancel (self->conn);
  collect_parameters (self);
  g_task_return_pointer (task, self, (GDestroyNotify) upstream_unref);
}

void
vigil_upstream_connect_async (const char          *conninfo,
                              GHashTable          *startup,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ConnectData *cd;

  g_return_if_fail (conninfo != NULL);
  g_return_if_fail (startup != NULL);

  cd = g_new0 (ConnectData, 1);
  cd->conninfo = g_strdup (conninfo);
  cd->startup = g_hash_table_ref (startup);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_upstream_connect_async);
  g_task_set_task_data (task, cd, connect_data_free);
  g_task_run_in_thread (task, connect_thread);
}

VigilUpstream *
vigil_upstream_connect_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

int
vigil_upstream_get_fd (VigilUpstream *self)
{
  return PQsocket (self->conn);
}

SSL *
vigil_upstream_get_ssl (VigilUpstream *self)
{
  if (!PQsslInUse (self->conn))
    return NULL;
  return PQsslStruct (self->conn, "OpenSSL");
}

guint32
vigil_upstream_get_backend_pid (VigilUpstream *self)
{
  return (guint32) PQbackendPID (self->conn);
}

GPtrArray *
vigil_upstream_get_parameters (VigilUpstream *self)
{
  return self->parameters;
}

static void
cancel_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VigilUpstream *self = task_data;
  char errbuf[256];

  if (self->cancel != NULL && !PQcancel (self->cancel, errbuf, sizeof errbuf))
    g_warning ("cancel request to the upstream failed: %s", errbuf);
  upstream_unref (self);
  g_task_return_boolean (task, TRUE);
}

void
vigil_upstream_cancel (VigilUpstream *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);

  g_atomic_int_inc (&self->refs);
  g_task_set_source_tag (task, vigil_upstream_cancel);
  g_task_set_task_data (task, self, NULL);
  g_task_run_in_thread (task, cancel_thread);
}

static void
close_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  /* The last reference: PQfinish runs here, never on the engine thread. */
  upstream_unref (task_data);
  g_task_return_boolean (task, TRUE);
}

void
vigil_upstream_close (VigilUpstream *self)
{
  g_autoptr(GTask) task = NULL;

  if (self == NULL)
    return;
  /* PQfinish sends Terminate and may block on a full socket: off the engine thread. */
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, vigil_upstream_close);
  g_task_set_task_data (task, self, NULL);
  g_task_run_in_thread (task, close_thread);
}
