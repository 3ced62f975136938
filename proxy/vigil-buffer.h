/* vigil-buffer.h: a byte buffer that is read into at its tail and consumed at its head.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-types.h"

G_BEGIN_DECLS

typedef struct
{
  guint8 *data;
  gsize   start;   /* first unconsumed byte */
  gsize   end;     /* one past the last byte */
  gsize   cap;
} VigilBuffer;

void     vigil_buffer_init     (VigilBuffer *self,
                                gsize        cap);
void     vigil_buffer_clear    (VigilBuffer *self);

static inline gsize
vigil_buffer_len (const VigilBuffer *self)
{
  return self->end - self->start;
}

static inline guint8 *
vigil_buffer_head (const VigilBuffer *self)
{
  return self->data + self->start;
}

static inline gsize
vigil_buffer_space (const VigilBuffer *self)
{
  return self->cap - self->end;
}

static inline guint8 *
vigil_buffer_tail (const VigilBuffer *self)
{
  return self->data + self->end;
}

void     vigil_buffer_consume  (VigilBuffer *self,
                                gsize        n);
void     vigil_buffer_commit   (VigilBuffer *self,
                                gsize        n);
/* Makes room for at least NEED contiguous bytes of content from the head, growing the
 * buffer if needed. The caller has bounded NEED. */
void     vigil_buffer_reserve  (VigilBuffer *self,
                                gsize        need);
void     vigil_buffer_append   (VigilBuffer *self,
                                const void  *p,
                                gsize        n);
/* Gives back memory a large message needed once the buffer is empty again. */
void     vigil_buffer_shrink   (VigilBuffer *self,
                                gsize        cap);

G_END_DECLS
