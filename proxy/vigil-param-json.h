/* vigil-param-json.h: a Bind parameter as the audit keeps it, one element of a JSON array.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VIGIL_PARAM_TEXT_LIMIT 4096   /* longest parameter value the audit keeps, in bytes */

/* Appends the parameter VALUE (LEN bytes; LEN < 0 is SQL NULL) to JSON: null, or a JSON
 * string (RFC 8259) of the text made valid UTF-8 (each invalid byte becomes U+FFFD), or of
 * a binary value as \x and hex, PostgreSQL's bytea output, with "..." when it was cut at
 * VIGIL_PARAM_TEXT_LIMIT. VALUE may be NULL when LEN is 0 or less. Allocates nothing
 * beyond JSON's growth when the text is valid UTF-8. */
void vigil_param_json_append (GString      *json,
                              const guint8 *value,
                              gint32        len,
                              gboolean      binary);

G_END_DECLS
