/* vigil-stream.h: a non-blocking socket, in clear or under TLS, with its input buffer.
 *
 * Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <openssl/ssl.h>

#include "vigil-types.h"

G_BEGIN_DECLS

typedef enum {
  VIGIL_IO_OK,
  VIGIL_IO_WANT_READ,   /* try again when the fd is readable */
  VIGIL_IO_WANT_WRITE,  /* try again when the fd is writable */
  VIGIL_IO_EOF,
  VIGIL_IO_ERROR,
} VigilIoStatus;

VigilStream   *vigil_stream_new          (int           fd);
void           vigil_stream_free         (VigilStream  *self);
int            vigil_stream_get_fd       (VigilStream  *self);
/* Takes the SSL object over (the stream frees it unless BORROWED). */
void           vigil_stream_set_ssl      (VigilStream  *self,
                                          SSL          *ssl,
                                          gboolean      borrowed);
gboolean       vigil_stream_is_tls       (VigilStream  *self);
VigilIoStatus  vigil_stream_handshake    (VigilStream  *self);
VigilIoStatus  vigil_stream_read         (VigilStream  *self,
                                          guint8       *buf,
                                          gsize         len,
                                          gsize        *out_n);
VigilIoStatus  vigil_stream_write        (VigilStream  *self,
                                          const guint8 *buf,
                                          gsize         len,
                                          gsize        *out_n);
/* Bytes TLS has decrypted already but not handed out (poll won't report them). */
gboolean       vigil_stream_has_pending  (VigilStream  *self);
/* Last error for logs; never contains payload bytes. */
const char    *vigil_stream_last_error   (VigilStream  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilStream, vigil_stream_free)

G_END_DECLS
