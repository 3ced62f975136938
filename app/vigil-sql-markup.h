/* vigil-sql-markup.h: SQL as Pango markup, keywords emphasised.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Escaped markup: keywords bold, string literals italic. Colours are left to the theme. */
char *vigil_sql_to_markup (const char *sql);

G_END_DECLS
