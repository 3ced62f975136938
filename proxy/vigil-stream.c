/* vigil-stream.c: a non-blocking socket, in clear or under TLS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "vigil-stream.h"

struct _VigilStream
{
  int       fd;
  SSL      *ssl;
  gboolean  ssl_borrowed;
  char      error[128];
};

VigilStream *
vigil_stream_new (int fd)
{
  VigilStream *self = g_new0 (VigilStream, 1);

  self->fd = fd;
  return self;
}

void
vigil_stream_free (VigilStream *self)
{
  if (self == NULL)
    return;
  if (self->ssl != NULL && !self->ssl_borrowed)
    SSL_free (self->ssl);
  g_free (self);
}

int
vigil_stream_get_fd (VigilStream *self)
{
  return self->fd;
}

void
vigil_stream_set_ssl (VigilStream *self,
                      SSL         *ssl,
                      gboolean     borrowed)
{
  g_return_if_fail (self->ssl == NULL);

  self->ssl = ssl;
  self->ssl_borrowed = borrowed;
  /* Our output buffer moves between retries, and partial writes keep latency low. */
  SSL_set_mode (ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
}

gboolean
vigil_stream_is_tls (VigilStream *self)
{
  return self->ssl != NULL;
}

const char *
vigil_stream_last_error (VigilStream *self)
{
  return self->error;
}

static VigilIoStatus
errno_status (VigilStream *self,
              int          saved_errno,
              gboolean     reading)
{
  if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == EINTR)
    return reading ? VIGIL_IO_WANT_READ : VIGIL_IO_WANT_WRITE;
  g_strlcpy (self->error, g_strerror (saved_errno), sizeof self->error);
  return VIGIL_IO_ERROR;
}

static VigilIoStatus
ssl_status (VigilStream *self,
            int          ret)
{
  int err = SSL_get_error (self->ssl, ret);
  unsigned long code;

  switch (err)
    {
    case SSL_ERROR_WANT_READ:
      return VIGIL_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
      return VIGIL_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
      return VIGIL_IO_EOF;
    case SSL_ERROR_SYSCALL:
      if (errno == 0)
        return VIGIL_IO_EOF;
      return errno_status (self, errno, TRUE);
    default:
      code = ERR_get_error ();
      ERR_clear_error ();
      g_strlcpy (self->error, code ? ERR_reason_error_string (code) : "TLS error",
                 sizeof self->error);
      return VIGIL_IO_ERROR;
    }
}

VigilIoStatus
vigil_stream_handshake (VigilStream *self)
{
  int ret;

  g_return_val_if_fail (self->ssl != NULL, VIGIL_IO_ERROR);

  ERR_clear_error ();
  ret = SSL_do_handshake (self->ssl);
  if (ret == 1)
    return VIGIL_IO_OK;
  return ssl_status (self, ret);
}

VigilIoStatus
vigil_stream_read (VigilStream *self,
                   guint8      *buf,
                   gsize        len,
                   gsize       *out_n)
{
  *out_n = 0;
  if (self->ssl != NULL)
    {
      size_t n = 0;
      int ret;

      ERR_clear_error ();
      errno = 0;
      ret = SSL_read_ex (self->ssl, buf, len, &n);
      if (ret == 1)
        {
          *out_n = n;
          return VIGIL_IO_OK;
        }
      return ssl_status (self, ret);
    }
  else
    {
      ssize_t n = recv (self->fd, buf, len, 0);

      if (n > 0)
        {
          *out_n = (gsize) n;
          return VIGIL_IO_OK;
        }
      if (n == 0)
        return VIGIL_IO_EOF;
      return errno_status (self, errno, TRUE);
    }
}

VigilIoStatus
vigil_stream_write (VigilStream  *self,
                    const guint8 *buf,
                    gsize         len,
                    gsize        *out_n)
{
  *out_n = 0;
  if (self->ssl != NULL)
    {
      size_t n = 0;
      int ret;

      ERR_clear_error ();
      errno = 0;
      ret = SSL_write_ex (self->ssl, buf, len, &n);
      if (ret == 1)
        {
          *out_n = n;
          return VIGIL_IO_OK;
        }
      return ssl_status (self, ret);
    }
  else
    {
      ssize_t n = send (self->fd, buf, len, MSG_NOSIGNAL);

      if (n >= 0)
        {
          *out_n = (gsize) n;
          return VIGIL_IO_OK;
        }
      return errno_status (self, errno, FALSE);
    }
}

gboolean
vigil_stream_has_pending (VigilStream *self)
{
  return self->ssl != NULL && SSL_pending (self->ssl) > 0;
}
