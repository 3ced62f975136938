/* vigil-wire.h: PostgreSQL protocol 3.0 framing, bounds-checked readers, append writers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdbool.h>

#include "vigil-types.h"

G_BEGIN_DECLS

/* Startup-phase request codes (the int32 after the length). */
#define VIGIL_PROTOCOL_3_0         196608u     /* 3 << 16 */
#define VIGIL_CANCEL_REQUEST_CODE  80877102u
#define VIGIL_SSL_REQUEST_CODE     80877103u
#define VIGIL_GSSENC_REQUEST_CODE  80877104u

/* Limits: PostgreSQL's own, so that nothing the server accepts is refused here. */
#define VIGIL_MAX_STARTUP_PACKET   10000u            /* MAX_STARTUP_PACKET_LENGTH */
#define VIGIL_MAX_MESSAGE          (0x3fffffffu)     /* PQ_LARGE_MESSAGE_LIMIT + 1 */
#define VIGIL_MAX_SMALL_MESSAGE    5000u             /* PQ_SMALL_MESSAGE_LIMIT */
#define VIGIL_MAX_AUTH_MESSAGE     8192u             /* SASL and password messages */

/* Frontend (client to server) message types. */
enum {
  VIGIL_FE_BIND           = 'B',
  VIGIL_FE_CLOSE          = 'C',
  VIGIL_FE_DESCRIBE       = 'D',
  VIGIL_FE_EXECUTE        = 'E',
  VIGIL_FE_FUNCTION_CALL  = 'F',
  VIGIL_FE_FLUSH          = 'H',
  VIGIL_FE_PARSE          = 'P',
  VIGIL_FE_QUERY          = 'Q',
  VIGIL_FE_SYNC           = 'S',
  VIGIL_FE_TERMINATE      = 'X',
  VIGIL_FE_COPY_FAIL      = 'f',
  VIGIL_FE_COPY_DATA      = 'd',
  VIGIL_FE_COPY_DONE      = 'c',
  VIGIL_FE_PASSWORD       = 'p',   /* also SASLInitialResponse and SASLResponse */
};

/* Backend (server to client) message types. */
enum {
  VIGIL_BE_PARSE_COMPLETE        = '1',
  VIGIL_BE_BIND_COMPLETE         = '2',
  VIGIL_BE_CLOSE_COMPLETE        = '3',
  VIGIL_BE_NOTIFICATION          = 'A',
  VIGIL_BE_COMMAND_COMPLETE      = 'C',
  VIGIL_BE_DATA_ROW              = 'D',
  VIGIL_BE_ERROR                 = 'E',
  VIGIL_BE_COPY_IN               = 'G',
  VIGIL_BE_COPY_OUT              = 'H',
  VIGIL_BE_EMPTY_QUERY           = 'I',
  VIGIL_BE_BACKEND_KEY_DATA      = 'K',
  VIGIL_BE_NOTICE                = 'N',
  VIGIL_BE_AUTHENTICATION        = 'R',
  VIGIL_BE_PARAMETER_STATUS      = 'S',
  VIGIL_BE_ROW_DESCRIPTION       = 'T',
  VIGIL_BE_FUNCTION_CALL_RESULT  = 'V',
  VIGIL_BE_COPY_BOTH             = 'W',
  VIGIL_BE_READY_FOR_QUERY       = 'Z',
  VIGIL_BE_COPY_DATA             = 'd',
  VIGIL_BE_COPY_DONE             = 'c',
  VIGIL_BE_NO_DATA               = 'n',
  VIGIL_BE_PORTAL_SUSPENDED      = 's',
  VIGIL_BE_PARAMETER_DESCRIPTION = 't',
  VIGIL_BE_NEGOTIATE_VERSION     = 'v',
};

/* Authentication request codes carried by 'R'. */
enum {
  VIGIL_AUTH_OK            = 0,
  VIGIL_AUTH_SASL          = 10,
  VIGIL_AUTH_SASL_CONTINUE = 11,
  VIGIL_AUTH_SASL_FINAL    = 12,
};

/* SQLSTATE codes the proxy itself emits. */
#define VIGIL_SQLSTATE_PROTOCOL_VIOLATION     "08P01"
#define VIGIL_SQLSTATE_CONNECTION_FAILURE     "08006"
#define VIGIL_SQLSTATE_CANNOT_CONNECT         "08001"
#define VIGIL_SQLSTATE_INVALID_PASSWORD       "28P01"
#define VIGIL_SQLSTATE_INVALID_AUTHORIZATION  "28000"
#define VIGIL_SQLSTATE_INVALID_CATALOG        "3D000"
#define VIGIL_SQLSTATE_FEATURE_NOT_SUPPORTED  "0A000"
#define VIGIL_SQLSTATE_INSUFFICIENT_PRIVILEGE "42501"
#define VIGIL_SQLSTATE_ADMIN_SHUTDOWN         "57P01"
#define VIGIL_SQLSTATE_TOO_MANY_CONNECTIONS   "53300"
#define VIGIL_SQLSTATE_IO_ERROR               "58030"

/* A message header of a typed message: 1 type byte, 4 length bytes (length counts itself). */
#define VIGIL_WIRE_HEADER_SIZE 5

/* Bounds-checked reader over one message body. Every read returns false past the end. */
typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
} VigilWireReader;

static inline void
vigil_wire_reader_init (VigilWireReader *r,
                        const guint8    *data,
                        gsize            len)
{
  r->data = data;
  r->len = len;
  r->pos = 0;
}

static inline gsize
vigil_wire_reader_remaining (const VigilWireReader *r)
{
  return r->len - r->pos;
}

bool vigil_wire_read_byte   (VigilWireReader *r, guint8        *out) G_GNUC_WARN_UNUSED_RESULT;
bool vigil_wire_read_int16  (VigilWireReader *r, gint16        *out) G_GNUC_WARN_UNUSED_RESULT;
bool vigil_wire_read_int32  (VigilWireReader *r, gint32        *out) G_GNUC_WARN_UNUSED_RESULT;
bool vigil_wire_read_uint32 (VigilWireReader *r, guint32       *out) G_GNUC_WARN_UNUSED_RESULT;
/* A NUL-terminated string inside the body; *out points into the buffer. */
bool vigil_wire_read_string (VigilWireReader *r, const char   **out) G_GNUC_WARN_UNUSED_RESULT;
bool vigil_wire_read_bytes  (VigilWireReader *r, gsize          n,
                             const guint8   **out)                    G_GNUC_WARN_UNUSED_RESULT;

guint32 vigil_wire_get_uint32 (const guint8 *p);
void    vigil_wire_put_uint32 (guint8 *p, guint32 v);

/* Append-style writers. begin returns the offset to pass to end, which patches the length. */
gsize vigil_wire_begin          (GByteArray *buf, guint8 type);
void  vigil_wire_end            (GByteArray *buf, gsize start);
void  vigil_wire_add_byte       (GByteArray *buf, guint8 v);
void  vigil_wire_add_int16      (GByteArray *buf, gint16 v);
void  vigil_wire_add_int32      (GByteArray *buf, gint32 v);
void  vigil_wire_add_string     (GByteArray *buf, const char *s);
void  vigil_wire_add_bytes      (GByteArray *buf, const void *p, gsize n);

/* One helper per message the proxy writes itself. */
void  vigil_wire_write_error            (GByteArray *buf, const char *severity,
                                         const char *sqlstate, const char *message,
                                         const char *detail);
void  vigil_wire_write_error_hint       (GByteArray *buf, const char *severity,
                                         const char *sqlstate, const char *message,
                                         const char *hint);
void  vigil_wire_write_notice           (GByteArray *buf, const char *sqlstate,
                                         const char *message);
void  vigil_wire_write_auth             (GByteArray *buf, gint32 code,
                                         const void *data, gsize len);
void  vigil_wire_write_auth_sasl        (GByteArray *buf, const char *mechanism);
void  vigil_wire_write_parameter_status (GByteArray *buf, const char *name, const char *value);
void  vigil_wire_write_backend_key_data (GByteArray *buf, guint32 pid, guint32 secret);
void  vigil_wire_write_ready_for_query  (GByteArray *buf, char tx_status);
void  vigil_wire_write_negotiate_version(GByteArray *buf, guint32 newest_minor,
                                         const char * const *unsupported);

/* True for a type byte a client may send after startup. */
bool  vigil_wire_is_frontend_type       (guint8 type);
/* The largest body a frontend message of TYPE may have (PostgreSQL's own limits). */
guint32 vigil_wire_frontend_limit       (guint8 type);

G_END_DECLS
