/* vigil-wire.c: PostgreSQL protocol 3.0 framing helpers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-wire.h"

guint32
vigil_wire_get_uint32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

void
vigil_wire_put_uint32 (guint8  *p,
                       guint32  v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

bool
vigil_wire_read_byte (VigilWireReader *r,
                      guint8          *out)
{
  if (vigil_wire_reader_remaining (r) < 1)
    return false;
  *out = r->data[r->pos++];
  return true;
}

bool
vigil_wire_read_int16 (VigilWireReader *r,
                       gint16          *out)
{
  if (vigil_wire_reader_remaining (r) < 2)
    return false;
  *out = (gint16) (((guint16) r->data[r->pos] << 8) | r->data[r->pos + 1]);
  r->pos += 2;
  return true;
}

bool
vigil_wire_read_uint32 (VigilWireReader *r,
                        guint32         *out)
{
  if (vigil_wire_reader_remaining (r) < 4)
    return false;
  *out = vigil_wire_get_uint32 (r->data + r->pos);
  r->pos += 4;
  return true;
}

bool
vigil_wire_read_int32 (VigilWireReader *r,
                       gint32          *out)
{
  guint32 v;

  if (!vigil_wire_read_uint32 (r, &v))
    return false;
  *out = (gint32) v;
  return true;
}

bool
vigil_wire_read_string (VigilWireReader  *r,
                        const char      **out)
{
  const guint8 *start = r->data + r->pos;
  const guint8 *nul = memchr (start, '\0', vigil_wire_reader_remaining (r));

  if (nul == NULL)
    return false;
  *out = (const char *) start;
  r->pos += (gsize) (nul - start) + 1;
  return true;
}

bool
vigil_wire_read_bytes (VigilWireReader  *r,
                       gsize             n,
                       const guint8    **out)
{
  if (vigil_wire_reader_remaining (r) < n)
    return false;
  *out = r->data + r->pos;
  r->pos += n;
  return true;
}

gsize
vigil_wire_begin (GByteArray *buf,
                  guint8      type)
{
  static const guint8 zero_len[4] = { 0 };
  gsize start;

  g_byte_array_append (buf, &type, 1);
  start = buf->len;
  g_byte_array_append (buf, zero_len, 4);
  return start;
}

void
vigil_wire_end (GByteArray *buf,
                gsize       start)
{
  g_assert (start + 4 <= buf->len);
  vigil_wire_put_uint32 (buf->data + start, (guint32) (buf->len - start));
}

void
vigil_wire_add_byte (GByteArray *buf,
                     guint8      v)
{
  g_byte_array_append (buf, &v, 1);
}

void
vigil_wire_add_int16 (GByteArray *buf,
                      gint16      v)
{
  guint8 b[2] = { (guint16) v >> 8, (guint16) v & 0xff };

  g_byte_array_append (buf, b, 2);
}

void
vigil_wire_add_int32 (GByteArray *buf,
                      gint32      v)
{
  guint8 b[4];

  vigil_wire_put_uint32 (b, (guint32) v);
  g_byte_array_append (buf, b, 4);
}

void
vigil_wire_add_string (GByteArray *buf,
                       const char *s)
{
  g_byte_array_append (buf, (const guint8 *) s, strlen (s) + 1);
}

void
vigil_wire_add_bytes (GByteArray *buf,
                      const void *p,
                      gsize       n)
{
  g_byte_array_append (buf, p, n);
}

static void
add_field (GByteArray *buf,
           char        code,
           const char *value)
{
  if (value == NULL)
    return;
  vigil_wire_add_byte (buf, code);
  vigil_wire_add_string (buf, value);
}

static void
write_error_or_notice (GByteArray *buf,
                       guint8      type,
                       const char *severity,
                       const char *sqlstate,
                       const char *message,
                       const char *detail,
                       const char *hint)
{
  gsize start = vigil_wire_begin (buf, type);

  add_field (buf, 'S', severity);
  add_field (buf, 'V', severity);
  add_field (buf, 'C', sqlstate);
  add_field (buf, 'M', message);
  add_field (buf, 'D', detail);
  add_field (buf, 'H', hint);
  vigil_wire_add_byte (buf, '\0');
  vigil_wire_end (buf, start);
}

void
vigil_wire_write_error_hint (GByteArray *buf,
                             const char *severity,
                             const char *sqlstate,
                             const char *message,
                             const char *hint)
{
  write_error_or_notice (buf, VIGIL_BE_ERROR, severity, sqlstate, message, NULL, hint);
}

void
vigil_wire_write_error (GByteArray *buf,
                        const char *severity,
                        const char *sqlstate,
                        const char *message,
                        const char *detail)
{
  write_error_or_notice (buf, VIGIL_BE_ERROR, severity, sqlstate, message, detail, NULL);
}

void
vigil_wire_write_notice (GByteArray *buf,
                         const char *sqlstate,
                         const char *message)
{
  write_error_or_notice (buf, VIGIL_BE_NOTICE, "NOTICE", sqlstate, message, NULL, NULL);
}

void
vigil_wire_write_auth (GByteArray *buf,
                       gint32      code,
                       const void *data,
                       gsize       len)
{
  gsize start = vigil_wire_begin (buf, VIGIL_BE_AUTHENTICATION);

  vigil_wire_add_int32 (buf, code);
  if (len > 0)
    vigil_wire_add_bytes (buf, data, len);
  vigil_wire_end (buf, start);
}

void
vigil_wire_write_auth_sasl (GByteArray *buf,
                            const char *mechanism)
{
  gsize start = vigil_wire_begin (buf, VIGIL_BE_AUTHENTICATION);

  vigil_wire_add_int32 (buf, VIGIL_AUTH_SASL);
  vigil_wire_add_string (buf, mechanism);
  vigil_wire_add_byte (buf, '\0');
  vigil_wire_end (buf, start);
}

void
vigil_wire_write_parameter_status (GByteArray *buf,
                                   const char *name,
                                   const char *value)
{
  gsize start = vigil_wire_begin (buf, VIGIL_BE_PARAMETER_STATUS);

  vigil_wire_add_string (buf, name);
  vigil_wire_add_string (buf, value);
  vigil_wire_end (buf, start);
}

void
vigil_wire_write_backend_key_data (GByteArray *buf,
                                   guint32     pid,
                                   guint32     secret)
{
  gsize start = vigil_wire_begin (buf, VIGIL_BE_BACKEND_KEY_DATA);

  vigil_wire_add_int32 (buf, (gint32) pid);
  vigil_wire_add_int32 (buf, (gint32) secret);
  vigil_wire_end (buf, start);
}

void
vigil_wire_write_ready_for_query (GByteArray *buf,
                                  char        tx_status)
{
  gsize start = vigil_wire_begin (buf, VIGIL_BE_READY_FOR_QUERY);

  vigil_wire_add_byte (buf, (guint8) tx_status);
  vigil_wire_end (buf, start);
}

void
vigil_wire_write_negotiate_version (GByteArray         *buf,
                                    guint32             newest_minor,
                                    const char * const *unsupported)
{
  gsize start = vigil_wire_begin (buf, VIGIL_BE_NEGOTIATE_VERSION);
  guint n = unsupported != NULL ? g_strv_length ((char **) unsupported) : 0;

  vigil_wire_add_int32 (buf, (gint32) newest_minor);
  vigil_wire_add_int32 (buf, (gint32) n);
  for (guint i = 0; i < n; i++)
    vigil_wire_add_string (buf, unsupported[i]);
  vigil_wire_end (buf, start);
}

bool
vigil_wire_is_frontend_type (guint8 type)
{
  switch (type)
    {
    case VIGIL_FE_BIND:
    case VIGIL_FE_CLOSE:
    case VIGIL_FE_DESCRIBE:
    case VIGIL_FE_EXECUTE:
    case VIGIL_FE_FUNCTION_CALL:
    case VIGIL_FE_FLUSH:
    case VIGIL_FE_PARSE:
    case VIGIL_FE_QUERY:
    case VIGIL_FE_SYNC:
    case VIGIL_FE_TERMINATE:
    case VIGIL_FE_COPY_FAIL:
    case VIGIL_FE_COPY_DATA:
    case VIGIL_FE_COPY_DONE:
    case VIGIL_FE_PASSWORD:
      return true;
    default:
      return false;
    }
}

guint32
vigil_wire_frontend_limit (guint8 type)
{
  switch (type)
    {
    case VIGIL_FE_SYNC:
    case VIGIL_FE_FLUSH:
    case VIGIL_FE_TERMINATE:
    case VIGIL_FE_COPY_DONE:
    case VIGIL_FE_DESCRIBE:
    case VIGIL_FE_CLOSE:
    case VIGIL_FE_EXECUTE:
      return VIGIL_MAX_SMALL_MESSAGE;
    case VIGIL_FE_PASSWORD:
      return VIGIL_MAX_AUTH_MESSAGE;
    default:
      return VIGIL_MAX_MESSAGE;
    }
}
