/* vigil-bundle-report.c: report.html, the human view of a bundle.
 *
 * One self-contained file: inline CSS, inline SVG charts, no script, nothing fetched.
 * Every string that came from the log (statements are SQL text from agents) goes through
 * esc(), so the report cannot be made to run anything. It is a view: records.jsonl is
 * the evidence, and the report's totals are bounded summaries (lists are capped).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-bundle-private.h"

#define MAX_LISTED      100   /* rows per list */
#define MAX_PIDS        4096  /* distinct pids counted per process */
#define MAX_RELATIONS   64    /* distinct relations counted per row of "who ran what" */
#define MAX_BUCKETS     96    /* bars in the activity chart */
#define TOP_IDENTITIES  10
#define SNIPPET_CHARS   240
#define CHART_W         1120
#define CHART_H         240

#define COLOR_ALLOW     "#3f8f5a"
#define COLOR_REVIEW    "#d9962b"
#define COLOR_DENY      "#c8463d"

typedef struct
{
  gint64 allow;
  gint64 review;
  gint64 deny;
} Decisions;

typedef struct
{
  char       *exe;
  char       *user;
  GHashTable *pids;
  gint64      statements;
} Process;

typedef struct
{
  char       *name;
  char       *kind;
  Decisions   decisions;
  gint64      masked;
  gint64      errors;
  GHashTable *processes;   /* "exe\nuser" -> Process */
} Identity;

typedef struct
{
  char       *identity;
  char       *connection;
  char       *class;
  gint64      statements;
  GHashTable *relations;   /* name -> count */
} Activity;

typedef struct
{
  gint64  time_us;
  char   *identity;
  char   *connection;
  char   *rule;
  char   *statement;
} Denied;

struct _VigilBundleReport
{
  GHashTable *identities;  /* name -> Identity */
  GHashTable *activity;    /* "identity\nconnection\nclass" -> Activity */
  GHashTable *hours;       /* hour since the epoch -> Decisions */
  GPtrArray  *denied;      /* Denied, the first MAX_LISTED */
  GPtrArray  *approvals;   /* JsonObject */
  GPtrArray  *policies;    /* JsonObject */
  Decisions   decisions;
  gint64      statements;
  gint64      outcomes;
  gint64      masked;
  gint64      errors;
  gint64      approved;
  gint64      rejected;
  gint64      first_us;
  gint64      last_us;
};

/* Helpers */

static const char *
text_of (const VigilAuditValue *value)
{
  /* Values come from SQLite or json-glib, both NUL-terminated. */
  return value->type == 'T' ? (const char *) value->data : NULL;
}

static gint64
int_of (const VigilAuditValue *value)
{
  return value->type == 'I' ? value->i : 0;
}

static void
esc (GString    *out,
     const char *text)
{
  g_autofree char *valid = NULL;
  g_autofree char *escaped = NULL;

  if (text == NULL)
    return;
  valid = g_utf8_make_valid (text, -1);
  escaped = g_markup_escape_text (valid, -1);
  g_string_append (out, escaped);
}

static void
esc_snippet (GString    *out,
             const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text != NULL ? text : "", -1);

  if (g_utf8_strlen (valid, -1) > SNIPPET_CHARS)
    {
      char *end = g_utf8_offset_to_pointer (valid, SNIPPET_CHARS);

      strcpy (end, "…");
    }
  esc (out, valid);
}

static char *
show_time (gint64 time_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static void
count_decision (Decisions  *d,
                const char *decision)
{
  if (g_strcmp0 (decision, "deny") == 0)
    d->deny++;
  else if (g_strcmp0 (decision, "review") == 0)
    d->review++;
  else
    d->allow++;
}

static gint64
total (const Decisions *d)
{
  return d->allow + d->review + d->deny;
}

static const char *
json_text (JsonObject *object,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* GLib 2.76's g_hash_table_get_{keys,values}_as_ptr_array, borrowed pointers. */
static GPtrArray *
hash_table_array (GHashTable *table,
                  gboolean    keys)
{
  GPtrArray *array = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (array, keys ? key : value);
  return array;
}

static GPtrArray *
values_array (GHashTable *table)
{
  return hash_table_array (table, FALSE);
}

static GPtrArray *
keys_array (GHashTable *table)
{
  return hash_table_array (table, TRUE);
}

/* Construction */

static void
process_free (gpointer data)
{
  Process *p = data;

  g_free (p->exe);
  g_free (p->user);
  g_hash_table_unref (p->pids);
  g_free (p);
}

static void
identity_free (gpointer data)
{
  Identity *i = data;

  g_free (i->name);
  g_free (i->kind);
  g_hash_table_unref (i->processes);
  g_free (i);
}

static void
activity_free (gpointer data)
{
  Activity *a = data;

  g_free (a->identity);
  g_free (a->connection);
  g_free (a->class);
  g_hash_table_unref (a->relations);
  g_free (a);
}

static void
denied_free (gpointer data)
{
  Denied *d = data;

  g_free (d->identity);
  g_free (d->connection);
  g_free (d->rule);
  g_free (d->statement);
  g_free (d);
}

VigilBundleReport *
_vigil_bundle_report_new (void)
{
  VigilBundleReport *self = g_new0 (VigilBundleReport, 1);

  self->identities = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, identity_free);
  self->activity = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, activity_free);
  self->hours = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->denied = g_ptr_array_new_with_free_func (denied_free);
  self->approvals = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->policies = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->first_us = G_MAXINT64;
  self->last_us = G_MININT64;
  return self;
}

void
_vigil_bundle_report_free (VigilBundleReport *self)
{
  g_hash_table_unref (self->identities);
  g_hash_table_unref (self->activity);
  g_hash_table_unref (self->hours);
  g_ptr_array_unref (self->denied);
  g_ptr_array_unref (self->approvals);
  g_ptr_array_unref (self->policies);
  g_free (self);
}

/* Accumulating */

static Identity *
lookup_identity (VigilBundleReport *self,
                 const char        *name)
{
  Identity *identity = g_hash_table_lookup (self->identities, name != NULL ? name : "?");

  if (identity == NULL)
    {
      identity = g_new0 (Identity, 1);
      identity->name = g_strdup (name != NULL ? name : "?");
      identity->processes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, process_free);
      g_hash_table_insert (self->identities, identity->name, identity);
    }
  return identity;
}

static void
add_process (Identity              *identity,
             const VigilAuditEntry *entry)
{
  const char *exe = text_of (&entry->v[VIGIL_AUDIT_FIELD_EXE]);
  const char *user = text_of (&entry->v[VIGIL_AUDIT_FIELD_OS_USER]);
  gint64 pid = int_of (&entry->v[VIGIL_AUDIT_FIELD_PID]);
  g_autofree char *key = g_strdup_printf ("%s\n%s", exe != NULL ? exe : "",
                                          user != NULL ? user : "");
  Process *p = g_hash_table_lookup (identity->processes, key);

  if (p == NULL)
    {
      p = g_new0 (Process, 1);
      p->exe = g_strdup (exe);
      p->user = g_strdup (user);
      p->pids = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_hash_table_insert (identity->processes, g_steal_pointer (&key), p);
    }
  p->statements++;
  if (pid > 0 && g_hash_table_size (p->pids) < MAX_PIDS)
    g_hash_table_add (p->pids, GINT_TO_POINTER ((gint) pid));
}

static void
add_activity (VigilBundleReport     *self,
              const char            *identity,
              const VigilAuditEntry *entry)
{
  const char *connection = text_of (&entry->v[VIGIL_AUDIT_FIELD_CONNECTION]);
  const char *class = text_of (&entry->v[VIGIL_AUDIT_FIELD_CLASS]);
  const char *relations = text_of (&entry->v[VIGIL_AUDIT_FIELD_RELATIONS]);
  g_autofree char *key = g_strdup_printf ("%s\n%s\n%s", identity, connection != NULL
                                          ? connection : "", class != NULL ? class : "");
  Activity *a = g_hash_table_lookup (self->activity, key);
  g_auto(GStrv) names = NULL;

  if (a == NULL)
    {
      a = g_new0 (Activity, 1);
      a->identity = g_strdup (identity);
      a->connection = g_strdup (connection);
      a->class = g_strdup (class);
      a->relations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (self->activity, g_steal_pointer (&key), a);
    }
  a->statements++;
  names = relations != NULL ? g_strsplit (relations, ",", -1) : NULL;
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      gpointer count = g_hash_table_lookup (a->relations, names[i]);

      if (count != NULL || g_hash_table_size (a->relations) < MAX_RELATIONS)
        g_hash_table_replace (a->relations, g_strdup (names[i]),
                              GSIZE_TO_POINTER (GPOINTER_TO_SIZE (count) + 1));
    }
}

static void
add_hour (VigilBundleReport *self,
          gint64             time_us,
          const char        *decision)
{
  gint64 hour = time_us / G_TIME_SPAN_HOUR;
  Decisions *d = g_hash_table_lookup (self->hours, &hour);

  if (d == NULL)
    {
      d = g_new0 (Decisions, 1);
      g_hash_table_insert (self->hours, g_memdup2 (&hour, sizeof hour), d);
    }
  count_decision (d, decision);
  self->first_us = MIN (self->first_us, time_us);
  self->last_us = MAX (self->last_us, time_us);
}

static void
add_denied (VigilBundleReport     *self,
            const char            *identity,
            const VigilAuditEntry *entry)
{
  Denied *d;

  if (self->denied->len >= MAX_LISTED)
    return;
  d = g_new0 (Denied, 1);
  d->time_us = int_of (&entry->v[VIGIL_AUDIT_FIELD_TIME_US]);
  d->identity = g_strdup (identity);
  d->connection = g_strdup (text_of (&entry->v[VIGIL_AUDIT_FIELD_CONNECTION]));
  d->rule = g_strdup (text_of (&entry->v[VIGIL_AUDIT_FIELD_RULE]));
  d->statement = g_strdup (text_of (&entry->v[VIGIL_AUDIT_FIELD_STATEMENT]));
  g_ptr_array_add (self->denied, d);
}

static void
add_statement (VigilBundleReport     *self,
               const VigilAuditEntry *entry)
{
  const char *name = text_of (&entry->v[VIGIL_AUDIT_FIELD_IDENTITY]);
  const char *decision = text_of (&entry->v[VIGIL_AUDIT_FIELD_DECISION]);
  Identity *identity = lookup_identity (self, name);

  self->statements++;
  count_decision (&self->decisions, decision);
  count_decision (&identity->decisions, decision);
  vigil_set_str (&identity->kind, text_of (&entry->v[VIGIL_AUDIT_FIELD_IDENTITY_KIND]));
  add_process (identity, entry);
  add_activity (self, identity->name, entry);
  add_hour (self, int_of (&entry->v[VIGIL_AUDIT_FIELD_TIME_US]), decision);
  if (g_strcmp0 (decision, "deny") == 0)
    add_denied (self, identity->name, entry);
}

void
_vigil_bundle_report_add_entry (VigilBundleReport     *self,
                                const VigilAuditEntry *entry,
                                const char            *statement_identity,
                                const char            *statement_connection)
{
  const char *kind = text_of (&entry->v[VIGIL_AUDIT_FIELD_KIND]);
  gint64 masked = int_of (&entry->v[VIGIL_AUDIT_FIELD_MASKED]);
  gboolean failed = entry->v[VIGIL_AUDIT_FIELD_ERROR_SQLSTATE].type == 'T';
  Identity *identity;

  if (g_strcmp0 (kind, "statement") == 0)
    {
      add_statement (self, entry);
      return;
    }
  self->outcomes++;
  self->masked += masked;
  self->errors += failed ? 1 : 0;
  identity = lookup_identity (self, statement_identity);
  identity->masked += masked;
  identity->errors += failed ? 1 : 0;
}

void
_vigil_bundle_report_add_approval (VigilBundleReport *self,
                                   JsonObject        *approval)
{
  const char *status = json_text (approval, "status");

  self->approved += g_strcmp0 (status, "approved") == 0 ? 1 : 0;
  self->rejected += g_strcmp0 (status, "denied") == 0 ? 1 : 0;
  g_ptr_array_add (self->approvals, json_object_ref (approval));
}

void
_vigil_bundle_report_add_policy (VigilBundleReport *self,
                                 JsonObject        *policy)
{
  g_ptr_array_add (self->policies, json_object_ref (policy));
}

/* Rendering: the page */

static const char STYLE[] =
  ":root{--ink:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--accent:#1a5fb4}"
  "*{box-sizing:border-box}"
  "body{margin:0;font:14px/1.5 system-ui,-apple-system,'Segoe UI',Cantarell,'Noto Sans',"
  "sans-serif;color:var(--ink);background:#eef1f4}"
  "main{max-width:1200px;margin:0 auto;padding:32px 40px;background:#fff;min-height:100vh}"
  "header{border-bottom:3px solid var(--accent);padding-bottom:16px;margin-bottom:24px}"
  "h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;"
  "border-bottom:1px solid var(--line)}"
  ".sub{color:var(--muted);margin:0}"
  ".meta{display:grid;grid-template-columns:190px 1fr;gap:4px 16px;margin:16px 0 0;font-size:13px}"
  ".meta dt{color:var(--muted)}.meta dd{margin:0}"
  "code,.hash{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}"
  ".hash{word-break:break-all}"
  ".cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}"
  ".card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;background:var(--soft)}"
  ".card b{display:block;font-size:24px;font-weight:600}.card span{color:var(--muted);font-size:12px;"
  "text-transform:uppercase;letter-spacing:.04em}"
  ".card.deny b{color:" COLOR_DENY "}.card.review b{color:" COLOR_REVIEW "}"
  ".card.allow b{color:" COLOR_ALLOW "}"
  "table{width:100%;border-collapse:collapse;font-size:13px}"
  "th{text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);"
  "padding:6px 8px;white-space:nowrap}"
  "td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top}"
  "tr:nth-child(even) td{background:#fafbfc}td.n,th.n{text-align:right;"
  "font-variant-numeric:tabular-nums}"
  "td.sql{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;"
  "word-break:break-word;max-width:520px}"
  ".pill{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;color:#fff}"
  ".pill.approved{background:" COLOR_ALLOW "}.pill.denied{background:" COLOR_DENY "}"
  ".pill.pending,.pill.expired,.pill.withdrawn{background:#8c959f}"
  ".chart{border:1px solid var(--line);border-radius:8px;padding:12px;margin-bottom:16px}"
  ".legend{font-size:12px;color:var(--muted)}.legend i{display:inline-block;width:10px;"
  "height:10px;border-radius:2px;margin:0 4px 0 12px}"
  ".note{color:var(--muted);font-size:12px}"
  "footer{margin-top:40px;padding-top:12px;border-top:1px solid var(--line);color:var(--muted);"
  "font-size:12px}"
  "@media print{body{background:#fff}main{padding:0}h2{break-after:avoid}tr{break-inside:avoid}}";

static void
meta_row (GString    *out,
          const char *label,
          const char *value,
          gboolean    hash)
{
  g_string_append_printf (out, "<dt>%s</dt><dd%s>", label, hash ? " class=\"hash\"" : "");
  esc (out, value);
  g_string_append (out, "</dd>");
}

static void
render_header (VigilBundleReport           *self,
               const VigilBundleReportMeta *meta,
               GString                     *out)
{
  g_autofree char *from = self->first_us != G_MAXINT64 ? show_time (self->first_us) : NULL;
  g_autofree char *to = self->last_us != G_MININT64 ? show_time (self->last_us) : NULL;
  g_autofree char *span = from != NULL ? g_strdup_printf ("%s – %s UTC", from, to)
                                       : g_strdup ("no statements");
  g_autofree char *ids = g_strdup_printf ("%" G_GINT64_FORMAT " – %" G_GINT64_FORMAT
                                          " (%" G_GINT64_FORMAT " entries, %" G_GINT64_FORMAT
                                          " in full, %" G_GINT64_FORMAT " outside the filter)",
                                          meta->first_id, meta->last_id, meta->entries,
                                          meta->matching, meta->entries - meta->matching);

  g_string_append (out, "<header><h1>Audit bundle</h1><p class=\"sub\">Vigil PostgreSQL "
                        "governance proxy · statements ");
  esc (out, span);
  g_string_append (out, "</p><dl class=\"meta\">");
  meta_row (out, "Created", meta->created, FALSE);
  meta_row (out, "Filter", meta->filter_text, FALSE);
  meta_row (out, "Audit entries (ids)", ids, FALSE);
  meta_row (out, "Install", meta->install_id, FALSE);
  meta_row (out, "Signing key (SHA-256)", meta->fingerprint, TRUE);
  meta_row (out, "Chain starts after", meta->first_prev_hash, TRUE);
  meta_row (out, "Chain ends at", meta->last_hash, TRUE);
  g_string_append (out, "</dl></header>");
}

static void
card (GString    *out,
      const char *klass,
      const char *label,
      gint64      value)
{
  g_string_append_printf (out, "<div class=\"card %s\"><b>%" G_GINT64_FORMAT "</b>"
                          "<span>%s</span></div>", klass, value, label);
}

static void
render_cards (VigilBundleReport *self,
              GString           *out)
{
  g_string_append (out, "<h2>Summary</h2><div class=\"cards\">");
  card (out, "", "Statements", self->statements);
  card (out, "allow", "Allowed", self->decisions.allow);
  card (out, "deny", "Denied", self->decisions.deny);
  card (out, "review", "Held for review", self->decisions.review);
  card (out, "allow", "Approved by a human", self->approved);
  card (out, "deny", "Rejected by a human", self->rejected);
  card (out, "", "Values masked", self->masked);
  card (out, "", "Statements that failed", self->errors);
  g_string_append (out, "</div>");
}

/* Rendering: charts */

static gint64
nice_ceiling (gint64 value)
{
  gint64 step = 1;

  while (step * 10 < value)
    step *= 10;
  for (gint64 m = 1; ; m++)
    if (m * step >= value)
      return m * step;
}

static void
legend (GString *out)
{
  g_string_append (out, "<div class=\"legend\"><i style=\"background:" COLOR_ALLOW "\"></i>allowed"
                        "<i style=\"background:" COLOR_REVIEW "\"></i>held for review"
                        "<i style=\"background:" COLOR_DENY "\"></i>denied</div>");
}

static void
bar_segment (GString    *out,
             double      x,
             double      y,
             double      w,
             double      h,
             const char *color)
{
  if (h > 0)
    g_string_append_printf (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                            "fill=\"%s\"/>", x, y, w, h, color);
}

static void
stacked_bar (GString         *out,
             const Decisions *d,
             double           x,
             double           w,
             double           base,
             double           scale)
{
  double h_allow = d->allow * scale, h_review = d->review * scale, h_deny = d->deny * scale;

  bar_segment (out, x, base - h_allow, w, h_allow, COLOR_ALLOW);
  bar_segment (out, x, base - h_allow - h_review, w, h_review, COLOR_REVIEW);
  bar_segment (out, x, base - h_allow - h_review - h_deny, w, h_deny, COLOR_DENY);
}

static gint64
bucket_hours (gint64 span_hours)
{
  static const gint64 sizes[] = { 1, 2, 3, 6, 12, 24, 48, 168, 720 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (span_hours / sizes[i] < MAX_BUCKETS)
      return sizes[i];
  return span_hours / MAX_BUCKETS + 1;
}

static Decisions *
fill_buckets (VigilBundleReport *self,
              gint64             first_hour,
              gint64             size,
              guint              n)
{
  Decisions *buckets = g_new0 (Decisions, n);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->hours);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Decisions *d = value;
      guint i = (guint) ((*(gint64 *) key - first_hour) / size);

      buckets[i].allow += d->allow;
      buckets[i].review += d->review;
      buckets[i].deny += d->deny;
    }
  return buckets;
}

static void
axis (GString *out,
      gint64   top,
      double   left,
      double   base,
      double   height)
{
  for (int i = 0; i <= 4; i++)
    {
      double y = base - height * i / 4.0;

      g_string_append_printf (out, "<line x1=\"%.0f\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                              "stroke=\"#e4e8ec\"/><text x=\"%.0f\" y=\"%.1f\" "
                              "text-anchor=\"end\" font-size=\"11\" fill=\"#59636e\">%"
                              G_GINT64_FORMAT "</text>", left, CHART_W, y, y, left - 6, y + 4,
                              top * i / 4);
    }
}

static void
render_activity (VigilBundleReport *self,
                 GString           *out)
{
  const double left = 56, base = CHART_H - 28, height = CHART_H - 44;
  gint64 first_hour = self->first_us / G_TIME_SPAN_HOUR;
  gint64 span = self->last_us / G_TIME_SPAN_HOUR - first_hour + 1;
  gint64 size = bucket_hours (span), peak = 1;
  guint n = (guint) ((span + size - 1) / size);
  g_autofree Decisions *buckets = fill_buckets (self, first_hour, size, n);
  double slot = (CHART_W - left) / n;
  gint64 top;
  g_autofree char *unit = size == 1 ? g_strdup ("hour") : size == 24 ? g_strdup ("day")
                          : size % 24 == 0 ? g_strdup_printf ("%" G_GINT64_FORMAT " days", size / 24)
                          : g_strdup_printf ("%" G_GINT64_FORMAT " hours", size);

  for (guint i = 0; i < n; i++)
    peak = MAX (peak, total (&buckets[i]));
  top = nice_ceiling (peak);
  g_string_append_printf (out, "<h2>Statements per %s, by decision (UTC)</h2>"
                          "<div class=\"chart\">", unit);
  g_string_append_printf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%%\" "
                          "viewBox=\"0 0 %d %d\" role=\"img\">", CHART_W, CHART_H);
  axis (out, top, left, base, height);
  for (guint i = 0; i < n; i++)
    {
      double x = left + i * slot;

      stacked_bar (out, &buckets[i], x + slot * 0.1, MAX (slot * 0.8, 1), base, height / top);
      if (i % MAX (1, n / 8) == 0 && x + 70 < CHART_W)
        {
          g_autofree char *label = show_time ((first_hour + (gint64) i * size) * G_TIME_SPAN_HOUR);

          g_string_append_printf (out, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
                                  "fill=\"#59636e\">%.11s</text>", x, CHART_H - 8, label + 5);
        }
    }
  g_string_append (out, "</svg>");
  legend (out);
  g_string_append (out, "</div>");
}

static int
compare_identities (gconstpointer a,
                    gconstpointer b)
{
  gint64 ta = total (&(*(Identity **) a)->decisions);
  gint64 tb = total (&(*(Identity **) b)->decisions);

  if (ta != tb)
    return ta > tb ? -1 : 1;
  return g_strcmp0 ((*(Identity **) a)->name, (*(Identity **) b)->name);
}

static GPtrArray *
sorted_identities (VigilBundleReport *self)
{
  GPtrArray *sorted = values_array (self->identities);

  g_ptr_array_sort (sorted, compare_identities);
  return sorted;
}

static void
render_top_identities (GPtrArray *identities,
                       GString   *out)
{
  const double left = 200, row = 26, width = CHART_W - left - 80;
  guint n = MIN (identities->len, TOP_IDENTITIES);
  gint64 peak = n > 0 ? MAX (1, total (&((Identity *) identities->pdata[0])->decisions)) : 1;

  g_string_append (out, "<h2>Top identities</h2><div class=\"chart\">");
  g_string_append_printf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100%%\" "
                          "viewBox=\"0 0 %d %.0f\" role=\"img\">", CHART_W, n * row + 8);
  for (guint i = 0; i < n; i++)
    {
      const Identity *identity = identities->pdata[i];
      const Decisions *d = &identity->decisions;
      double y = 4 + i * row, x = left, scale = width / peak;

      g_string_append_printf (out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" "
                              "font-size=\"13\" fill=\"#1f2328\">", left - 10, y + 15);
      esc (out, identity->name);
      g_string_append (out, "</text>");
      bar_segment (out, x, y, d->allow * scale, row - 8, COLOR_ALLOW);
      x += d->allow * scale;
      bar_segment (out, x, y, d->review * scale, row - 8, COLOR_REVIEW);
      x += d->review * scale;
      bar_segment (out, x, y, d->deny * scale, row - 8, COLOR_DENY);
      x += d->deny * scale;
      g_string_append_printf (out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" "
                              "fill=\"#59636e\">%" G_GINT64_FORMAT "</text>", x + 6, y + 14,
                              total (d));
    }
  g_string_append (out, "</svg>");
  legend (out);
  g_string_append (out, "</div>");
}

/* Rendering: tables */

static void
cell (GString    *out,
      const char *text)
{
  g_string_append (out, "<td>");
  esc (out, text);
  g_string_append (out, "</td>");
}

static void
cell_int (GString *out,
          gint64   value)
{
  g_string_append_printf (out, "<td class=\"n\">%" G_GINT64_FORMAT "</td>", value);
}

static void
cell_sql (GString    *out,
          const char *text)
{
  g_string_append (out, "<td class=\"sql\">");
  esc_snippet (out, text);
  g_string_append (out, "</td>");
}

static void
table_head (GString    *out,
            const char *title,
            const char *columns)
{
  g_auto(GStrv) names = g_strsplit (columns, "|", -1);

  g_string_append_printf (out, "<h2>%s</h2><table><thead><tr>", title);
  for (guint i = 0; names[i] != NULL; i++)
    {
      gboolean numeric = g_str_has_prefix (names[i], "#");

      g_string_append_printf (out, "<th%s>%s</th>", numeric ? " class=\"n\"" : "",
                              names[i] + (numeric ? 1 : 0));
    }
  g_string_append (out, "</tr></thead><tbody>");
}

static void
table_end (GString    *out,
           guint       shown,
           gint64      all,
           const char *empty)
{
  g_string_append (out, "</tbody></table>");
  if (shown == 0)
    g_string_append_printf (out, "<p class=\"note\">%s</p>", empty);
  else if (all > shown)
    g_string_append_printf (out, "<p class=\"note\">The first %u of %" G_GINT64_FORMAT
                            "; records.jsonl holds them all.</p>", shown, all);
}

static void
render_processes (Identity *identity,
                  GString  *out)
{
  g_autoptr(GList) processes = g_hash_table_get_values (identity->processes);

  g_string_append (out, "<td>");
  for (GList *l = processes; l != NULL; l = l->next)
    {
      const Process *p = l->data;
      guint pids = g_hash_table_size (p->pids);

      g_string_append (out, "<div><code>");
      esc (out, p->exe != NULL ? p->exe : "unknown executable");
      g_string_append (out, "</code> as ");
      esc (out, p->user != NULL ? p->user : "?");
      g_string_append_printf (out, " <span class=\"note\">· %u%s process%s · %" G_GINT64_FORMAT
                              " statements</span></div>", pids, pids >= MAX_PIDS ? "+" : "",
                              pids == 1 ? "" : "es", p->statements);
    }
  g_string_append (out, "</td>");
}

static void
render_identities (GPtrArray *identities,
                   GString   *out)
{
  table_head (out, "Identities and the processes behind them",
              "Identity|Kind|Processes (executable, OS user)|#Statements|#Denied|#Held|#Masked|"
              "#Failed");
  for (guint i = 0; i < identities->len; i++)
    {
      Identity *identity = identities->pdata[i];

      g_string_append (out, "<tr>");
      cell (out, identity->name);
      cell (out, identity->kind);
      render_processes (identity, out);
      cell_int (out, total (&identity->decisions));
      cell_int (out, identity->decisions.deny);
      cell_int (out, identity->decisions.review);
      cell_int (out, identity->masked);
      cell_int (out, identity->errors);
      g_string_append (out, "</tr>");
    }
  table_end (out, identities->len, identities->len, "No statement in the range.");
}

static int
compare_activity (gconstpointer a,
                  gconstpointer b)
{
  const Activity *x = *(Activity **) a, *y = *(Activity **) b;

  if (x->statements != y->statements)
    return x->statements > y->statements ? -1 : 1;
  return g_strcmp0 (x->identity, y->identity);
}

static int
compare_counts (gconstpointer a,
                gconstpointer b,
                gpointer      data)
{
  GHashTable *counts = data;
  gsize x = GPOINTER_TO_SIZE (g_hash_table_lookup (counts, *(char **) a));
  gsize y = GPOINTER_TO_SIZE (g_hash_table_lookup (counts, *(char **) b));

  return x != y ? (x > y ? -1 : 1) : g_strcmp0 (*(char **) a, *(char **) b);
}

static void
render_relations (Activity *a,
                  GString  *out)
{
  g_autoptr(GPtrArray) names = keys_array (a->relations);

  g_ptr_array_sort_with_data (names, compare_counts, a->relations);
  g_string_append (out, "<td>");
  for (guint i = 0; i < MIN (names->len, 5); i++)
    {
      g_string_append (out, i > 0 ? ", <code>" : "<code>");
      esc (out, names->pdata[i]);
      g_string_append (out, "</code>");
    }
  if (names->len > 5)
    g_string_append_printf (out, " <span class=\"note\">and %u more</span>", names->len - 5);
  g_string_append (out, "</td>");
}

static void
render_activity_table (VigilBundleReport *self,
                       GString           *out)
{
  g_autoptr(GPtrArray) rows = values_array (self->activity);
  guint shown = MIN (rows->len, MAX_LISTED);

  g_ptr_array_sort (rows, compare_activity);
  table_head (out, "Who ran what", "Identity|Connection|Class|Relations|#Statements");
  for (guint i = 0; i < shown; i++)
    {
      Activity *a = rows->pdata[i];

      g_string_append (out, "<tr>");
      cell (out, a->identity);
      cell (out, a->connection);
      cell (out, a->class);
      render_relations (a, out);
      cell_int (out, a->statements);
      g_string_append (out, "</tr>");
    }
  table_end (out, shown, rows->len, "No statement in the range.");
}

static void
render_denied (VigilBundleReport *self,
               GString           *out)
{
  table_head (out, "Denied statements", "Time (UTC)|Identity|Connection|Rule|Statement");
  for (guint i = 0; i < self->denied->len; i++)
    {
      const Denied *d = self->denied->pdata[i];
      g_autofree char *time = show_time (d->time_us);

      g_string_append (out, "<tr>");
      cell (out, time);
      cell (out, d->identity);
      cell (out, d->connection);
      cell (out, d->rule != NULL ? d->rule : "default");
      cell_sql (out, d->statement);
      g_string_append (out, "</tr>");
    }
  table_end (out, self->denied->len, self->decisions.deny, "Nothing was denied.");
}

static void
render_approvals (VigilBundleReport *self,
                  GString           *out)
{
  guint shown = MIN (self->approvals->len, MAX_LISTED);

  table_head (out, "Held statements and their decisions",
              "Requested (UTC)|Identity|Connection|Statement|Decision|By|Reason");
  for (guint i = 0; i < shown; i++)
    {
      JsonObject *a = self->approvals->pdata[i];
      const char *status = json_text (a, "status");
      const char *why = json_text (a, "decision_reason");

      g_string_append (out, "<tr>");
      cell (out, json_text (a, "time"));
      cell (out, json_text (a, "identity"));
      cell (out, json_text (a, "connection"));
      cell_sql (out, json_text (a, "statement"));
      g_string_append (out, "<td><span class=\"pill ");
      esc (out, status);
      g_string_append (out, "\">");
      esc (out, status);
      g_string_append (out, "</span></td>");
      cell (out, json_text (a, "decided_by"));
      cell (out, why != NULL ? why : json_text (a, "reason"));
      g_string_append (out, "</tr>");
    }
  table_end (out, shown, self->approvals->len, "No statement was held for review.");
}

static void
render_policies (VigilBundleReport *self,
                 GString           *out)
{
  table_head (out, "Policy versions in force", "#Version|Created (UTC)|Superseded|Author|"
              "Comment|SHA-256");
  for (guint i = 0; i < self->policies->len; i++)
    {
      JsonObject *p = self->policies->pdata[i];
      const char *superseded = json_text (p, "superseded");

      g_string_append (out, "<tr>");
      cell_int (out, json_object_get_int_member (p, "version"));
      cell (out, json_text (p, "created"));
      cell (out, superseded != NULL ? superseded : "in force");
      cell (out, json_text (p, "author"));
      cell (out, json_text (p, "comment"));
      g_string_append (out, "<td class=\"hash\">");
      esc (out, json_text (p, "sha256"));
      g_string_append (out, "</td></tr>");
    }
  table_end (out, self->policies->len, self->policies->len, "No policy version was saved.");
}

static void
render_footer (GString *out)
{
  g_string_append (out, "<footer>This report is a summary for reading. The evidence is "
                        "<code>records.jsonl</code>, whose entries re-hash into the audit "
                        "log's SHA-256 chain; <code>manifest.json</code> lists every file's "
                        "digest and is signed with Ed25519 (<code>manifest.sig</code>, "
                        "<code>public-key.pem</code>). Check the whole bundle with "
                        "<code>vigilctl audit verify-bundle FILE</code>, or the signature alone "
                        "with <code>openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin "
                        "-in manifest.json -sigfile manifest.sig</code>.</footer>");
}

GBytes *
_vigil_bundle_report_render (VigilBundleReport           *self,
                             const VigilBundleReportMeta *meta)
{
  g_autoptr(GPtrArray) identities = sorted_identities (self);
  GString *out = g_string_sized_new (64 * 1024);

  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width\">"
                        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                        "'none'; style-src 'unsafe-inline'; img-src data:\">"
                        "<title>Vigil audit bundle</title><style>");
  g_string_append (out, STYLE);
  g_string_append (out, "</style></head><body><main>");
  render_header (self, meta, out);
  render_cards (self, out);
  if (self->statements > 0)
    render_activity (self, out);
  render_top_identities (identities, out);
  render_identities (identities, out);
  render_activity_table (self, out);
  render_denied (self, out);
  render_approvals (self, out);
  render_policies (self, out);
  render_footer (out);
  g_string_append (out, "</main></body></html>\n");
  return g_string_free_to_bytes (out);
}
