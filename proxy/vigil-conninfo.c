/* vigil-conninfo.c: libpq connection strings as Vigil shows and checks them.
 *
 * Parsing is libpq's own (PQconninfoParse), so what is shown is what libpq will use.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <libpq-fe.h>

#include "vigil-conninfo.h"
#include "vigil-types.h"

static PQconninfoOption *
parse (const char  *conninfo,
       GError     **error)
{
  char *errmsg = NULL;
  PQconninfoOption *options = PQconninfoParse (conninfo, &errmsg);

  if (options == NULL)
    {
      g_autoptr(GString) message = g_string_new (errmsg != NULL ? g_strchomp (errmsg)
                                                                : "out of memory");

      /* libpq quotes a bad URI whole, and a URI may carry a password. */
      if (*conninfo != '\0')
        g_string_replace (message, conninfo, "...", 0);
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "Invalid conninfo: %s", message->str);
      PQfreemem (errmsg);
    }
  return options;
}

/* Single quotes around VALUE when libpq needs them, with ' and \ escaped. */
static void
append_value (GString    *out,
              const char *value)
{
  gboolean plain = *value != '\0' && strpbrk (value, " \t\n\r'\\") == NULL;

  if (plain)
    {
      g_string_append (out, value);
      return;
    }
  g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\'' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

static void
append_pair (GString    *out,
             const char *key,
             const char *value)
{
  if (out->len > 0)
    g_string_append_c (out, ' ');
  g_string_append_printf (out, "%s=", key);
  append_value (out, value);
}

gboolean
vigil_conninfo_validate (const char  *conninfo,
                         GError     **error)
{
  PQconninfoOption *options;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (conninfo == NULL || *conninfo == '\0')
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID, "The conninfo is empty");
      return FALSE;
    }
  if ((options = parse (conninfo, error)) == NULL)
    return FALSE;
  PQconninfoFree (options);
  return TRUE;
}

char *
vigil_conninfo_redact (const char *conninfo)
{
  PQconninfoOption *options;
  GString *out;

  if (conninfo == NULL || (options = parse (conninfo, NULL)) == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    {
      if (o->val == NULL || *o->val == '\0')
        continue;
      /* libpq marks secrets with "*" in dispchar: password, and whatever it adds later. */
      if (o->dispchar != NULL && strchr (o->dispchar, '*') != NULL)
        append_pair (out, o->keyword, VIGIL_CONNINFO_HIDDEN);
      else
        append_pair (out, o->keyword, o->val);
    }
  PQconninfoFree (options);
  return g_string_free (out, FALSE);
}

char *
vigil_conninfo_build (const char * const *keys,
                      const char * const *values)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (keys != NULL && values != NULL, NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    if (values[i] != NULL && *values[i] != '\0')
      append_pair (out, keys[i], values[i]);
  return g_string_free (out, FALSE);
}

/* libpq's message with its line breaks and hint indentation folded into single spaces. */
static char *
one_line (const char *message)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = message; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p))
        {
          space = out->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static char *
query_version (PGconn  *conn,
               GError **error)
{
  PGresult *result = PQexec (conn, "SELECT version()");
  char *version = NULL;

  if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1)
    version = g_strdup (PQgetvalue (result, 0, 0));
  else
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_UPSTREAM, "%s",
                 g_strchomp (PQresultErrorMessage (result)));
  PQclear (result);
  return version;
}

char *
vigil_conninfo_test (const char  *conninfo,
                     guint        timeout_seconds,
                     GError     **error)
{
  g_autofree char *timeout = g_strdup_printf ("%u", MAX (timeout_seconds, 2));
  /* expand_dbname: CONNINFO is parsed by libpq; the later keywords override it. */
  const char *keys[] = { "dbname", "connect_timeout", "fallback_application_name", NULL };
  const char *values[] = { conninfo, timeout, "vigil", NULL };
  g_autofree char *message = NULL;
  PGconn *conn;
  char *version;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!vigil_conninfo_validate (conninfo, error))
    return NULL;
  conn = PQconnectdbParams (keys, values, 1);
  if (PQstatus (conn) != CONNECTION_OK)
    {
      message = one_line (conn != NULL ? PQerrorMessage (conn) : "out of memory");
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_UPSTREAM, "%s", message);
      PQfinish (conn);
      return NULL;
    }
  version = query_version (conn, error);
  PQfinish (conn);
  return version;
}
