/* vigil-session-query.c: what a logged-in client sends, before it reaches the upstream.
 *
 * Each statement is classified, decided by policy and recorded. A statement reaches the
 * upstream only once its audit record is durable (vigil_audit_log_statement() returns
 * after the journal write); when the audit refuses a record nothing more goes upstream
 * and the session ends with 58030. A denied statement is replaced by a stand-in that
 * the server itself rejects (SELECT from a relation named after a nonce), so the error
 * arrives exactly where the statement's own result would have, with PostgreSQL's own
 * transaction semantics; vigil-session-result.c turns that error into ours.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <openssl/rand.h>

#include "vigil-function-names.h"
#include "vigil-param-json.h"
#include "vigil-session-private.h"

#define DENY_HINT "The policy in force does not allow it; see vigilctl policy list, or ask an admin."

/* ---- prepared statements and portals ------------------------------------------------- */

static SessionPrepared *
prepared_new (const char *text,
              GPtrArray  *statements,
              gboolean    mask)
{
  SessionPrepared *p = g_new0 (SessionPrepared, 1);

  p->mask = mask;
  p->refs = 1;
  p->text = g_strdup (text);
  p->statements = g_ptr_array_ref (statements);
  return p;
}

static SessionPrepared *
prepared_ref (SessionPrepared *p)
{
  p->refs++;
  return p;
}

static void
prepared_unref (SessionPrepared *p)
{
  if (p == NULL || --p->refs > 0)
    return;
  g_free (p->text);
  g_free (p->audit_text);
  g_ptr_array_unref (p->statements);
  g_free (p);
}

static void
portal_clear (SessionPortal *portal)
{
  prepared_unref (portal->prepared);
  g_free (portal->params);
  g_free (portal->results.each);
  memset (portal, 0, sizeof *portal);
}

static void
portal_free (SessionPortal *portal)
{
  portal_clear (portal);
  g_free (portal);
}

gboolean
_vigil_session_formats_binary (const SessionFormats *formats,
                               guint                 column)
{
  if (formats->n == 1)
    return formats->one != 0;
  return formats->each != NULL && column < (guint) formats->n && formats->each[column] != 0;
}

static void
formats_copy (SessionFormats       *to,
              const SessionFormats *from)
{
  *to = *from;
  if (from->each != NULL)
    to->each = g_memdup2 (from->each, (gsize) from->n);
}

/* What the in-flight record owns; the rest of it is borrowed (see SessionInFlight). */
static void
inflight_record_clear (SessionInFlight *f)
{
  VigilAuditRecord *r = &f->audit;

  g_free (r->statement);
  g_free (r->params);
  g_free (r->relations);
  g_free (r->approver);
  g_free (r->error_sqlstate);
  g_free (r->error_message);
  g_free (f->owned_class);
}

void
_vigil_session_inflight_free (SessionInFlight *f)
{
  inflight_record_clear (f);
  g_free (f->results.each);
  g_free (f->poison);
  g_free (f->deny_sqlstate);
  g_free (f->deny_message);
  g_free (f->deny_hint);
  g_free (f);
}

void
_vigil_session_init_statements (VigilSession *self)
{
  self->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) prepared_unref);
  self->portals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) portal_free);
  self->poisons = g_hash_table_new (g_str_hash, g_str_equal);
  self->sql_prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) g_ptr_array_unref);
  g_queue_init (&self->inflight);
  g_queue_init (&self->finished);
  g_queue_init (&self->describing);
}

void
_vigil_session_describe_free (SessionDescribe *d)
{
  g_clear_pointer (&d->prepared, prepared_unref);
  g_free (d);
}

/* The key D's column plan is kept under: its statement's audit text, as Execute records
 * it; NULL for a portal. */
const char *
_vigil_session_describe_key (SessionDescribe *d)
{
  return d->prepared != NULL ? d->prepared->audit_text : NULL;
}

void
_vigil_session_clear_statements (VigilSession *self)
{
  GList *link;

  g_clear_pointer (&self->prepared, g_hash_table_unref);
  g_clear_pointer (&self->portals, g_hash_table_unref);
  g_clear_pointer (&self->poisons, g_hash_table_unref);
  g_clear_pointer (&self->sql_prepared, g_hash_table_unref);
  while ((link = g_queue_pop_head_link (&self->inflight)) != NULL)
    _vigil_session_inflight_free (link->data);
  while ((link = g_queue_pop_head_link (&self->describing)) != NULL)
    _vigil_session_describe_free (link->data);
  _vigil_session_record_finished (self);
}

/* ---- forwarding ---------------------------------------------------------------------- */

static void
mark_started (VigilSession *self)
{
  gint64 now = g_get_monotonic_time ();

  for (GList *l = self->inflight.tail; l != NULL; l = l->prev)
    {
      SessionInFlight *f = l->data;

      if (f->started_us != 0)
        break;
      f->started_us = now;
      f->bytes_at_start = self->bytes_to_client;
    }
}

gboolean
_vigil_session_check_audit (VigilSession *self)
{
  if (!self->audit_failed)
    return TRUE;
  _vigil_session_fatal (self, VIGIL_SQLSTATE_IO_ERROR,
                        "the audit log cannot be written: statement refused");
  return FALSE;
}

static void
forward (VigilSession *self,
         const guint8 *msg,
         gsize         len)
{
  /* Fail closed: nothing runs once a record could not be written. */
  if (self->audit_failed)
    return;
  vigil_buffer_append (&self->server_out, msg, len);
  mark_started (self);
}

static void
forward_query_text (VigilSession *self,
                    const char   *text)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  gsize start = vigil_wire_begin (msg, VIGIL_FE_QUERY);

  vigil_wire_add_string (msg, text);
  vigil_wire_end (msg, start);
  forward (self, msg->data, msg->len);
}

static void
forward_parse (VigilSession *self,
               const char   *name,
               const char   *text)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  gsize start = vigil_wire_begin (msg, VIGIL_FE_PARSE);

  vigil_wire_add_string (msg, name);
  vigil_wire_add_string (msg, text);
  vigil_wire_add_int16 (msg, 0);
  vigil_wire_end (msg, start);
  forward (self, msg->data, msg->len);
}

/* ---- records ------------------------------------------------------------------------- */

static char *
join_relations (const VigilStatement *st)
{
  if (st->relations == NULL || st->relations[0] == NULL)
    return NULL;
  return g_strjoinv (",", st->relations);
}

/* TEXT as the audit keeps it, values redacted; *MASKED counts them. */
static char *
audit_text (VigilSession *self,
            const char   *text,
            guint        *masked)
{
  char *shown = _vigil_session_mask_for_audit (self, text, masked);

  return shown != NULL ? shown : g_strdup (text);
}

/* A prepared statement's text is redacted once, however often it runs. */
static const char *
prepared_audit_text (VigilSession    *self,
                     SessionPrepared *prepared,
                     guint           *masked)
{
  if (prepared->audit_text == NULL)
    prepared->audit_text = audit_text (self, prepared->text, &prepared->audit_masked);
  *masked += prepared->audit_masked;
  return prepared->audit_text;
}

/* ST's classes as the audit keeps them: a single class's static name, else built (and
 * then owned by F). */
static const char *
record_class (SessionInFlight      *f,
              const VigilStatement *st)
{
  const char *single;

  if (st == NULL)
    return "other";
  single = vigil_class_set_single_name (st->classes);
  if (single != NULL)
    return single;
  f->owned_class = vigil_class_set_to_string (st->classes);
  return f->owned_class;
}

/* A new in-flight statement and its record. SHOWN: the statement text as the audit
 * keeps it (taken over). Only what changes from one statement to the next is copied. */
static SessionInFlight *
new_inflight (VigilSession         *self,
              const char           *protocol,
              char                 *shown,
              guint                 masked,
              const VigilStatement *st,
              const VigilVerdict   *verdict)
{
  SessionInFlight *f = g_new0 (SessionInFlight, 1);
  VigilAuditRecord *r = &f->audit;

  f->record = r;
  f->link.data = f;
  r->rows = -1;
  r->duration_us = -1;
  r->time_us = g_get_real_time ();
  r->identity = self->user;
  r->identity_kind = (char *) vigil_identity_kind_to_string (self->identity->kind);
  if (self->peer != NULL)
    {
      r->pid = self->peer->pid;
      r->exe = self->peer->exe;
      r->os_user = self->peer->user;
    }
  r->connection = self->database;
  r->session = self->id;
  r->protocol = (char *) protocol;
  r->statement = shown;
  r->masked = masked;
  r->class = (char *) record_class (f, st);
  r->relations = st ? join_relations (st) : NULL;
  r->decision = (char *) vigil_decision_to_string (verdict->decision);
  r->rule = (char *) verdict->rule;   /* interned by judge () */
  /* A held statement is recorded as reviewed, with who decided. */
  if (self->hold == HOLD_APPROVED || self->hold == HOLD_DENIED)
    {
      r->decision = (char *) "review";
      r->approver = g_strdup (self->hold_by);
    }
  return f;
}

static SessionInFlight *
new_record (VigilSession         *self,
            const char           *protocol,
            const char           *text,
            const VigilStatement *st,
            const VigilVerdict   *verdict)
{
  guint masked = 0;
  char *shown = audit_text (self, text, &masked);

  return new_inflight (self, protocol, shown, masked, st, verdict);
}

void
_vigil_session_record_outcome (VigilSession    *self,
                               SessionInFlight *f)
{
  VigilAudit *audit = _vigil_engine_get_audit (self->engine);
  VigilAuditRecord *r = f->record;

  if (audit != NULL && r->id > 0)
    vigil_audit_append_outcome (audit, r->id, r->rows, r->duration_us, r->masked,
                                r->error_sqlstate, r->error_message, r->bytes_to_client);
  _vigil_engine_emit_event (self->engine, r);
}

void
_vigil_session_record_finished (VigilSession *self)
{
  GList *link;

  while ((link = g_queue_pop_head_link (&self->finished)) != NULL)
    {
      SessionInFlight *f = link->data;

      _vigil_session_record_outcome (self, f);
      _vigil_session_inflight_free (f);
    }
}

/* Queues the statement's result slot (F, its record made by new_inflight) and writes its
 * audit record; a record that cannot be written closes the gate for good (fail closed). */
static SessionInFlight *
track (VigilSession    *self,
       SessionInFlight *f,
       gboolean         mask)
{
  VigilAudit *audit = _vigil_engine_get_audit (self->engine);
  VigilAuditRecord *record = f->record;
  g_autoptr(GError) error = NULL;

  f->mask = mask;
  f->sync_seq = self->syncs_sent;
  g_queue_push_tail_link (&self->inflight, &f->link);
  if (audit != NULL && (record->id = vigil_audit_log_statement (audit, record, &error)) == 0)
    {
      g_warning ("audit write failed, refusing statements: %s", error->message);
      self->audit_failed = TRUE;
      return f;
    }
  _vigil_engine_emit_event (self->engine, record);
  return f;
}

/* ---- denial -------------------------------------------------------------------------- */

static char *
new_poison (SessionInFlight    *f,
            const char         *sqlstate,
            const char         *message,
            const char         *hint)
{
  guint8 raw[12];
  g_autofree char *nonce = NULL;

  RAND_bytes (raw, sizeof raw);
  nonce = g_compute_checksum_for_data (G_CHECKSUM_MD5, raw, sizeof raw);
  f->poison = g_strdup_printf ("vigil:%s", nonce);
  f->deny_sqlstate = g_strdup (sqlstate);
  f->deny_message = g_strdup (message);
  f->deny_hint = g_strdup (hint);
  return g_strdup_printf ("SELECT FROM \"%s\"", f->poison);
}

static char *
deny_message (const VigilVerdict *verdict)
{
  if (verdict->message != NULL)
    return g_strdup_printf ("Vigil denied this statement: %s", verdict->message);
  if (verdict->rule != NULL)
    return g_strdup_printf ("Vigil denied this statement (rule \"%s\")", verdict->rule);
  return g_strdup ("Vigil denied this statement (default policy)");
}

/* ---- decisions ----------------------------------------------------------------------- */

static void
decide (VigilSession         *self,
        VigilPolicy          *policy,
        const VigilStatement *st,
        VigilVerdict         *out)
{
  VigilPolicySubject subject = {
    .identity = self->user,
    .kind = self->identity->kind,
    .connection = self->database,
  };

  vigil_policy_decide (policy, &subject, st, out);
}

static int
severity (VigilDecision decision)
{
  switch (decision)
    {
    case VIGIL_DECISION_DENY:
      return 2;
    case VIGIL_DECISION_REVIEW:
      return 1;
    default:
      return 0;
    }
}

/* A query string is judged by its most dangerous statement, as a whole. Returns the
 * index of the statement that decided (0 when all are allowed). */
static guint
judge (VigilSession *self,
       GPtrArray    *statements,
       VigilVerdict *out)
{
  g_autoptr(VigilPolicy) policy = _vigil_engine_ref_policy (self->engine);
  guint deciding = 0;

  *out = (VigilVerdict) { .decision = VIGIL_DECISION_ALLOW, .mask = TRUE };
  for (guint i = 0; i < statements->len; i++)
    {
      VigilVerdict v;

      decide (self, policy, g_ptr_array_index (statements, i), &v);
      if (i == 0 || severity (v.decision) > severity (out->decision))
        {
          *out = v;
          deciding = i;
        }
      if (!v.mask)
        out->mask = FALSE;
    }
  /* The policy may go before the session does; keep nothing that points into it. */
  out->rule = out->rule ? g_intern_string (out->rule) : NULL;
  out->message = out->message ? g_intern_string (out->message) : NULL;
  return deciding;
}

/* ---- SQL-level PREPARE / EXECUTE ---------------------------------------------------- */

static void
remember_sql_prepare (VigilSession         *self,
                      const VigilStatement *st)
{
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;
  gboolean deallocate = FALSE;

  if (vigil_classifier_split_prepare (st->text, &name, &body))
    {
      GPtrArray *body_statements =
        vigil_classifier_classify (_vigil_engine_get_classifier (self->engine), body);

      g_hash_table_replace (self->sql_prepared, g_steal_pointer (&name), body_statements);
    }
  else if (vigil_classifier_execute_name (st->text, &name, &deallocate) && deallocate)
    {
      if (name != NULL)
        g_hash_table_remove (self->sql_prepared, name);
      else
        g_hash_table_remove_all (self->sql_prepared);
    }
}

/* What the statements will run: an EXECUTE of a statement this session PREPAREd in SQL
 * is judged by the prepared body, not by the word EXECUTE. */
static GPtrArray *
effective_statements (VigilSession *self,
                      GPtrArray    *statements)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_statement_unref);

  for (guint i = 0; i < statements->len; i++)
    {
      VigilStatement *st = g_ptr_array_index (statements, i);
      g_autofree char *name = NULL;
      GPtrArray *body = NULL;

      if (st->classes & VIGIL_CLASS_BIT (VIGIL_CLASS_PREPARE))
        remember_sql_prepare (self, st);
      if ((st->classes & VIGIL_CLASS_BIT (VIGIL_CLASS_EXECUTE)) &&
          vigil_classifier_execute_name (st->text, &name, NULL) && name != NULL)
        body = g_hash_table_lookup (self->sql_prepared, name);
      if (body == NULL)
        g_ptr_array_add (out, vigil_statement_ref (st));
      for (guint j = 0; body != NULL && j < body->len; j++)
        g_ptr_array_add (out, vigil_statement_ref (g_ptr_array_index (body, j)));
    }
  return out;
}

/* ---- simple query -------------------------------------------------------------------- */

static void
deny_query (VigilSession *self,
            GPtrArray    *statements,
            VigilVerdict *verdict)
{
  g_autofree char *message = deny_message (verdict);
  g_autofree char *poison = NULL;
  VigilStatement *st = g_ptr_array_index (statements, 0);
  SessionInFlight *first = track (self, new_record (self, "simple", st->text, st, verdict),
                                  verdict->mask);

  /* Every statement is recorded; the first carries the denial, the rest "not run". */
  for (guint i = 1; i < statements->len; i++)
    {
      st = g_ptr_array_index (statements, i);
      track (self, new_record (self, "simple", st->text, st, verdict), verdict->mask);
    }
  poison = new_poison (first, VIGIL_SQLSTATE_INSUFFICIENT_PRIVILEGE, message, DENY_HINT);
  g_hash_table_insert (self->poisons, first->poison, first);
  forward_query_text (self, poison);
}

static MessageResult
handle_query (VigilSession *self,
              const guint8 *msg,
              gsize         len)
{
  VigilWireReader r;
  const char *text;
  g_autoptr(GPtrArray) statements = NULL;
  g_autoptr(GPtrArray) effective = NULL;
  VigilVerdict verdict;
  guint deciding;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_string (&r, &text) || vigil_wire_reader_remaining (&r) != 0)
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid Query message");
      return MSG_FAILED;
    }
  statements = vigil_classifier_classify (_vigil_engine_get_classifier (self->engine), text);
  effective = effective_statements (self, statements);
  deciding = judge (self, effective, &verdict);
  if (verdict.decision == VIGIL_DECISION_REVIEW &&
      !_vigil_session_hold_settle (self, g_ptr_array_index (effective, deciding), text, &verdict))
    return MSG_PARKED;
  if (verdict.decision != VIGIL_DECISION_ALLOW && statements->len > 0)
    deny_query (self, statements, &verdict);
  else
    {
      for (guint i = 0; i < statements->len; i++)
        {
          VigilStatement *st = g_ptr_array_index (statements, i);

          track (self, new_record (self, "simple", st->text, st, &verdict), verdict.mask);
        }
      forward (self, msg, len);
    }
  _vigil_session_hold_clear (self);
  self->syncs_sent++;
  return MSG_CONSUMED;
}

/* ---- extended query ------------------------------------------------------------------ */

static MessageResult
handle_parse (VigilSession *self,
              const guint8 *msg,
              gsize         len)
{
  VigilWireReader r;
  const char *name, *text;
  g_autoptr(GPtrArray) statements = NULL;
  g_autoptr(GPtrArray) effective = NULL;
  VigilVerdict verdict;
  guint deciding;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_string (&r, &name) || !vigil_wire_read_string (&r, &text))
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid Parse message");
      return MSG_FAILED;
    }
  statements = vigil_classifier_classify (_vigil_engine_get_classifier (self->engine), text);
  effective = effective_statements (self, statements);
  deciding = judge (self, effective, &verdict);
  if (verdict.decision == VIGIL_DECISION_REVIEW &&
      !_vigil_session_hold_settle (self, g_ptr_array_index (effective, deciding), text, &verdict))
    return MSG_PARKED;
  if (verdict.decision != VIGIL_DECISION_ALLOW && statements->len > 0)
    {
      VigilStatement *st = g_ptr_array_index (effective, deciding);
      SessionInFlight *f = track (self, new_record (self, "extended", text, st, &verdict),
                                  verdict.mask);
      g_autofree char *message = deny_message (&verdict);
      g_autofree char *poison = new_poison (f, VIGIL_SQLSTATE_INSUFFICIENT_PRIVILEGE, message, DENY_HINT);

      g_hash_table_insert (self->poisons, f->poison, f);
      g_hash_table_remove (self->prepared, name);
      forward_parse (self, name, poison);
      _vigil_session_hold_clear (self);
      return MSG_CONSUMED;
    }
  _vigil_session_hold_clear (self);
  g_hash_table_replace (self->prepared, g_strdup (name), prepared_new (text, statements, verdict.mask));
  forward (self, msg, len);
  return MSG_CONSUMED;
}

/* Bind: portal, statement, formats, values. Returns the values as a JSON array, written
 * in the session's scratch string first: one allocation a Bind, of the right size. */
static char *
bind_params_json (VigilSession    *self,
                  VigilWireReader *r,
                  const char     **portal,
                  const char     **statement)
{
  GString *json = self->params_json;
  gint16 nformats, nparams;
  const guint8 *formats;

  g_string_assign (json, "[");

  if (!vigil_wire_read_string (r, portal) || !vigil_wire_read_string (r, statement) ||
      !vigil_wire_read_int16 (r, &nformats) || nformats < 0 ||
      !vigil_wire_read_bytes (r, (gsize) nformats * 2, &formats) ||
      !vigil_wire_read_int16 (r, &nparams) || nparams < 0)
    return NULL;
  for (gint i = 0; i < nparams; i++)
    {
      gint32 vlen;
      const guint8 *value = NULL;
      gint fi = nformats == 1 ? 0 : i;
      gboolean binary = nformats > 0 && fi < nformats && formats[fi * 2 + 1] == 1;

      if (!vigil_wire_read_int32 (r, &vlen) ||
          (vlen > 0 && !vigil_wire_read_bytes (r, (gsize) vlen, &value)))
        return NULL;
      if (i > 0)
        g_string_append_c (json, ',');
      vigil_param_json_append (json, value, vlen, binary);
    }
  g_string_append_c (json, ']');
  return _vigil_session_scratch_copy (&self->params_json);
}

/* The rest of a Bind: its result format codes. A malformed list is the server's to
 * refuse; it reads as text. */
static void
read_result_formats (VigilWireReader *r,
                     SessionFormats  *out)
{
  gint16 n, code;

  memset (out, 0, sizeof *out);
  if (!vigil_wire_read_int16 (r, &n) || n < 0 || vigil_wire_reader_remaining (r) < (gsize) n * 2)
    return;
  if (n > 1)
    out->each = g_malloc ((gsize) n);
  for (gint16 i = 0; i < n; i++)
    {
      if (!vigil_wire_read_int16 (r, &code))
        code = 0;  /* cannot happen: the length was checked */
      if (n == 1)
        out->one = code != 0;
      else
        out->each[i] = code != 0;
    }
  out->n = n;
}

/* The portal NAME, emptied for a Bind. A Bind usually replaces a portal of the same
 * name (the unnamed one, every statement): its slot is reused, not freed and made again. */
static SessionPortal *
portal_rebind (VigilSession *self,
               const char   *name)
{
  SessionPortal *p = g_hash_table_lookup (self->portals, name);

  if (p == NULL)
    {
      p = g_new0 (SessionPortal, 1);
      g_hash_table_insert (self->portals, g_strdup (name), p);
      return p;
    }
  portal_clear (p);
  return p;
}

static MessageResult
handle_bind (VigilSession *self,
             const guint8 *msg,
             gsize         len)
{
  VigilWireReader r;
  const char *portal, *statement;
  g_autofree char *params = NULL;
  SessionPrepared *prepared;
  SessionPortal *p;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  params = bind_params_json (self, &r, &portal, &statement);
  if (params == NULL)
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid Bind message");
      return MSG_FAILED;
    }
  prepared = g_hash_table_lookup (self->prepared, statement);
  if (prepared != NULL)
    {
      SessionPrepared *bound = prepared_ref (prepared);

      p = portal_rebind (self, portal);
      p->prepared = bound;
      p->params = g_steal_pointer (&params);
      read_result_formats (&r, &p->results);
    }
  else
    g_hash_table_remove (self->portals, portal);
  forward (self, msg, len);
  return MSG_CONSUMED;
}

static MessageResult
handle_execute (VigilSession *self,
                const guint8 *msg,
                gsize         len)
{
  VigilWireReader r;
  const char *name;
  SessionPortal *portal;
  SessionInFlight *f;
  VigilAuditRecord *record;
  VigilVerdict allowed = { .decision = VIGIL_DECISION_ALLOW, .mask = TRUE };
  VigilStatement *st = NULL;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_string (&r, &name))
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid Execute message");
      return MSG_FAILED;
    }
  portal = g_hash_table_lookup (self->portals, name);
  /* An unknown portal runs nothing: the server answers with its own error. */
  if (portal != NULL)
    {
      if (portal->prepared->statements->len > 0)
        st = g_ptr_array_index (portal->prepared->statements, 0);
      guint masked = 0;
      const char *shown = prepared_audit_text (self, portal->prepared, &masked);

      f = new_inflight (self, "extended", g_strdup (shown), masked, st, &allowed);
      record = f->record;
      formats_copy (&f->results, &portal->results);
      record->params = _vigil_session_mask_for_audit (self, portal->params, &record->masked);
      if (record->params == NULL)
        record->params = g_strdup (portal->params);
      track (self, f, portal->prepared->mask);
    }
  forward (self, msg, len);
  return MSG_CONSUMED;
}

static MessageResult
handle_close (VigilSession *self,
              const guint8 *msg,
              gsize         len)
{
  VigilWireReader r;
  guint8 kind;
  const char *name;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_byte (&r, &kind) || !vigil_wire_read_string (&r, &name))
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid Close message");
      return MSG_FAILED;
    }
  g_hash_table_remove (kind == 'S' ? self->prepared : self->portals, name);
  forward (self, msg, len);
  return MSG_CONSUMED;
}

static void
function_resolved_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  VigilSession *self = user_data;

  vigil_function_names_resolve_finish (result);
  self->fncall_resolving = FALSE;
  if (self->state != SESSION_CLOSED)
    _vigil_session_pump (self);
  vigil_session_unref (self);
}

static MessageResult
handle_function_call (VigilSession *self,
                      const guint8 *msg,
                      gsize         len)
{
  VigilWireReader r;
  guint32 oid;
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GPtrArray) statements = NULL;
  const char *conninfo;
  VigilStatement *st;
  VigilVerdict verdict;
  SessionInFlight *f;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  if (!vigil_wire_read_uint32 (&r, &oid))
    {
      _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, "invalid FunctionCall");
      return MSG_FAILED;
    }
  /* The message names the function by oid: judge it by the name the catalog gives, as
   * a call in a SELECT; an oid the upstream does not know is an unknown function. */
  conninfo = _vigil_engine_lookup_connection (self->engine, self->database);
  name = vigil_function_names_lookup (conninfo, oid);
  if (name == NULL)
    {
      if (!self->fncall_resolving)
        {
          self->fncall_resolving = TRUE;
          vigil_function_names_resolve_async (conninfo, oid, function_resolved_cb,
                                              vigil_session_ref (self));
        }
      return MSG_PARKED;
    }
  text = *name != '\0' ? g_strdup_printf ("SELECT %s()", name)
                        : g_strdup_printf ("SELECT \"oid:%u\"()", oid);
  statements = vigil_classifier_classify (_vigil_engine_get_classifier (self->engine), text);
  g_return_val_if_fail (statements->len == 1, MSG_FAILED);
  st = g_ptr_array_index (statements, 0);
  judge (self, statements, &verdict);
  if (verdict.decision == VIGIL_DECISION_REVIEW &&
      !_vigil_session_hold_settle (self, st, text, &verdict))
    return MSG_PARKED;
  shown = g_strdup_printf ("FunctionCall oid %u (%s)", oid, *name ? name : "unknown");
  f = track (self, new_record (self, "function", shown, st, &verdict), verdict.mask);
  if (verdict.decision == VIGIL_DECISION_ALLOW)
    forward (self, msg, len);
  else
    {
      g_autofree char *message = deny_message (&verdict);
      g_autofree char *poison = new_poison (f, VIGIL_SQLSTATE_INSUFFICIENT_PRIVILEGE, message,
                                            DENY_HINT);

      /* A Query answers like a FunctionCall: an error, then ReadyForQuery. */
      g_hash_table_insert (self->poisons, f->poison, f);
      forward_query_text (self, poison);
    }
  _vigil_session_hold_clear (self);
  self->syncs_sent++;
  return MSG_CONSUMED;
}

/* Whether the server has messages from the client that no sync point has closed yet: a
 * server connection is only kept for the next client at a sync point. */
static void
note_sync_point (VigilSession *self,
                 guint8        type)
{
  switch (type)
    {
    case VIGIL_FE_QUERY:
    case VIGIL_FE_FUNCTION_CALL:
    case VIGIL_FE_SYNC:
      self->unsynced = FALSE;
      break;
    case VIGIL_FE_TERMINATE:
      break;
    default:
      self->unsynced = TRUE;
      break;
    }
}

/* The server answers each Describe with RowDescription or NoData, in order: remember what
 * each one described, so that a prepared statement's columns are known when it is later
 * executed with no Describe (drivers that prepare once do that). */
static MessageResult
handle_describe (VigilSession *self,
                 const guint8 *msg,
                 gsize         len)
{
  VigilWireReader r;
  SessionDescribe *d = g_new0 (SessionDescribe, 1);
  SessionPrepared *prepared = NULL;
  const char *name;
  guint8 kind;
  guint masked = 0;

  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  /* A malformed one is the server's to refuse; it describes nothing. */
  if (vigil_wire_read_byte (&r, &kind) && vigil_wire_read_string (&r, &name) && kind == 'S')
    prepared = g_hash_table_lookup (self->prepared, name);
  if (prepared != NULL)
    {
      prepared_audit_text (self, prepared, &masked);
      d->prepared = prepared_ref (prepared);
    }
  d->sync_seq = self->syncs_sent;
  d->link.data = d;
  g_queue_push_tail_link (&self->describing, &d->link);
  forward (self, msg, len);
  return MSG_CONSUMED;
}

MessageResult
_vigil_session_handle_client_message (VigilSession *self,
                                      const guint8 *msg,
                                      gsize         len)
{
  note_sync_point (self, msg[0]);
  switch (msg[0])
    {
    case VIGIL_FE_QUERY:
      return handle_query (self, msg, len);
    case VIGIL_FE_PARSE:
      return handle_parse (self, msg, len);
    case VIGIL_FE_BIND:
      return handle_bind (self, msg, len);
    case VIGIL_FE_EXECUTE:
      return handle_execute (self, msg, len);
    case VIGIL_FE_CLOSE:
      return handle_close (self, msg, len);
    case VIGIL_FE_DESCRIBE:
      return handle_describe (self, msg, len);
    case VIGIL_FE_FUNCTION_CALL:
      return handle_function_call (self, msg, len);
    case VIGIL_FE_SYNC:
      forward (self, msg, len);
      self->syncs_sent++;
      return MSG_CONSUMED;
    case VIGIL_FE_TERMINATE:
      /* Not forwarded: the server connection may serve the next client, and when it is
       * closed instead, libpq says goodbye itself. */
      self->terminated = TRUE;
      return MSG_CONSUMED;
    default:
      forward (self, msg, len);
      return MSG_CONSUMED;
    }
}
