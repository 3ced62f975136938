/* vigil-sql-shape.h: a query's shape, its text with the values of plain constants taken out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VIGIL_SQL_SHAPE_NUMBER '\001'   /* stands for a numeric constant in a shape */
#define VIGIL_SQL_SHAPE_STRING '\002'   /* ... and for a plain '...' string constant */

/* Appends QUERY's shape to OUT and returns TRUE, with *OUT_STATEMENT_LEN the length of its
 * one statement (up to a final ';'). Two queries with the same shape tokenize alike and
 * differ only in the values of their constants. FALSE (OUT unspecified) for whatever this
 * scanner cannot be sure to read exactly as PostgreSQL's lexer does: several statements,
 * E'', B'', X'', U&'' and other prefixed strings, backslashes or invalid UTF-8 in
 * strings, string continuations, dollar quotes, numbers run into identifiers, control
 * characters, unterminated quotes and comments. */
gboolean vigil_sql_shape (const char *query,
                          GString    *out,
                          gsize      *out_statement_len);

G_END_DECLS
