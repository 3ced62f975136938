/* vigil-buffer.c: a byte buffer consumed at its head.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-buffer.h"

void
vigil_buffer_init (VigilBuffer *self,
                   gsize        cap)
{
  self->data = g_malloc (cap);
  self->start = self->end = 0;
  self->cap = cap;
}

void
vigil_buffer_clear (VigilBuffer *self)
{
  g_clear_pointer (&self->data, g_free);
  self->start = self->end = self->cap = 0;
}

void
vigil_buffer_consume (VigilBuffer *self,
                      gsize        n)
{
  g_assert (n <= vigil_buffer_len (self));

  self->start += n;
  if (self->start == self->end)
    self->start = self->end = 0;
}

void
vigil_buffer_commit (VigilBuffer *self,
                     gsize        n)
{
  g_assert (n <= vigil_buffer_space (self));
  self->end += n;
}

void
vigil_buffer_reserve (VigilBuffer *self,
                      gsize        need)
{
  gsize len = vigil_buffer_len (self);

  if (self->start + need <= self->cap)
    return;
  if (self->start > 0)
    {
      memmove (self->data, self->data + self->start, len);
      self->start = 0;
      self->end = len;
    }
  if (need > self->cap)
    {
      gsize cap = self->cap;

      while (cap < need)
        cap = cap < G_MAXSIZE / 2 ? cap * 2 : need;
      self->data = g_realloc (self->data, cap);
      self->cap = cap;
    }
}

void
vigil_buffer_append (VigilBuffer *self,
                     const void  *p,
                     gsize        n)
{
  if (n == 0)
    return;   /* P may be NULL then (an empty GByteArray's data) */
  vigil_buffer_reserve (self, vigil_buffer_len (self) + n);
  memcpy (vigil_buffer_tail (self), p, n);
  self->end += n;
}

void
vigil_buffer_shrink (VigilBuffer *self,
                     gsize        cap)
{
  if (self->cap <= cap || vigil_buffer_len (self) > 0)
    return;
  g_free (self->data);
  self->data = g_malloc (cap);
  self->cap = cap;
  self->start = self->end = 0;
}
