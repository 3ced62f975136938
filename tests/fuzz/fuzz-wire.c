/* fuzz-wire.c: the bounds-checked readers of vigil-wire.h, driven by the input.
 *
 * The input is a message (type byte, length, body, as a client would send it): the harness
 * checks the framing rules the session applies (type, length, limit), then reads the body
 * with a sequence of readers chosen by the body's own bytes, and checks that no reader ever
 * moves past the end or returns a string without its NUL inside the body.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-wire.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort (); } while (0)

static void
read_all (VigilWireReader *r,
          const guint8    *ops,
          gsize            n_ops)
{
  for (gsize i = 0; i < n_ops; i++)
    {
      gsize before = r->pos;
      const char *s = NULL;
      const guint8 *b = NULL;
      guint8 byte;
      gint16 i16;
      gint32 i32;
      guint32 u32;
      bool ok;

      switch (ops[i] % 6)
        {
        case 0: ok = vigil_wire_read_byte (r, &byte); CHECK (!ok || r->pos == before + 1); break;
        case 1: ok = vigil_wire_read_int16 (r, &i16); CHECK (!ok || r->pos == before + 2); break;
        case 2: ok = vigil_wire_read_int32 (r, &i32); CHECK (!ok || r->pos == before + 4); break;
        case 3: ok = vigil_wire_read_uint32 (r, &u32); CHECK (!ok || r->pos == before + 4); break;
        case 4:
          ok = vigil_wire_read_string (r, &s);
          CHECK (!ok || ((const guint8 *) s >= r->data && (const guint8 *) s < r->data + r->len &&
                         (const guint8 *) s + strlen (s) < r->data + r->len));
          break;
        default:
          ok = vigil_wire_read_bytes (r, ops[i] / 6, &b);
          CHECK (!ok || (b == r->data + before && r->pos == before + ops[i] / 6));
          break;
        }
      CHECK (r->pos <= r->len);
      CHECK (ok || r->pos == before);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  VigilWireReader r;
  g_autoptr(GByteArray) echo = g_byte_array_new ();
  guint32 len;
  gsize body_len;
  guint8 *copy;
  gsize start;

  if (size < VIGIL_WIRE_HEADER_SIZE)
    return 0;
  len = vigil_wire_get_uint32 (data + 1);
  if (vigil_wire_is_frontend_type (data[0]))
    (void) vigil_wire_frontend_limit (data[0]);
  if (len < 4)
    return 0;
  body_len = MIN ((gsize) len - 4, size - VIGIL_WIRE_HEADER_SIZE);
  /* An exact-size heap copy: ASan sees any read past the body. */
  copy = g_memdup2 (data + VIGIL_WIRE_HEADER_SIZE, body_len);
  vigil_wire_reader_init (&r, copy, body_len);
  read_all (&r, copy, body_len);
  CHECK (vigil_wire_reader_remaining (&r) == body_len - r.pos);

  /* The strings of an ErrorResponse-like body, written back by the writers. */
  vigil_wire_reader_init (&r, copy, body_len);
  start = vigil_wire_begin (echo, 'E');
  for (;;)
    {
      const char *value;
      guint8 field;

      if (!vigil_wire_read_byte (&r, &field) || field == 0 || !vigil_wire_read_string (&r, &value))
        break;
      vigil_wire_add_byte (echo, field);
      vigil_wire_add_string (echo, value);
    }
  vigil_wire_add_byte (echo, 0);
  vigil_wire_end (echo, start);
  CHECK (vigil_wire_get_uint32 (echo->data + 1) == echo->len - 1);
  g_free (copy);
  return 0;
}
