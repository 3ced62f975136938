/* vigil-session-result.c: what the upstream answers, on its way to the client.
 *
 * Results are matched to the statements in flight (the server answers in order): rows,
 * duration and errors become each record's outcome. The error a denied statement's
 * stand-in provoked is rewritten into the denial the client should see.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "vigil-session-private.h"

#define POISON_PREFIX "vigil:"
#define POISON_NONCE_LEN 32

typedef struct
{
  const char *sqlstate;
  const char *message;
} ErrorFields;

static gboolean
read_error_fields (const guint8 *msg,
                   gsize         len,
                   ErrorFields  *out)
{
  VigilWireReader r;
  guint8 code;

  memset (out, 0, sizeof *out);
  vigil_wire_reader_init (&r, msg + VIGIL_WIRE_HEADER_SIZE, len - VIGIL_WIRE_HEADER_SIZE);
  while (vigil_wire_read_byte (&r, &code) && code != 0)
    {
      const char *value;

      if (!vigil_wire_read_string (&r, &value))
        return FALSE;
      if (code == 'C')
        out->sqlstate = value;
      else if (code == 'M')
        out->message = value;
    }
  return TRUE;
}

/* The in-flight statement the current result belongs to: the oldest of this sync point. */
static void emit (VigilSession *self, const guint8 *msg, gsize len);

static SessionInFlight *
current (VigilSession *self)
{
  SessionInFlight *f = g_queue_peek_head (&self->inflight);

  if (f == NULL || f->sync_seq != self->syncs_answered)
    return NULL;
  return f;
}

static gint64
rows_from_tag (const guint8 *msg,
               gsize         len)
{
  const char *tag = (const char *) msg + VIGIL_WIRE_HEADER_SIZE;
  const char *space;

  if (len <= VIGIL_WIRE_HEADER_SIZE || msg[len - 1] != '\0')
    return -1;
  space = strrchr (tag, ' ');
  if (space == NULL || !g_ascii_isdigit (space[1]))
    return -1;
  return g_ascii_strtoll (space + 1, NULL, 10);
}

static void
finish (VigilSession    *self,
        SessionInFlight *f,
        gint64           rows,
        const char      *sqlstate,
        const char      *message)
{
  VigilAuditRecord *r = f->record;

  g_assert (g_queue_peek_head (&self->inflight) == f);
  g_queue_pop_head_link (&self->inflight);
  if (f->poison != NULL)
    g_hash_table_remove (self->poisons, f->poison);
  r->rows = rows;
  r->duration_us = f->started_us > 0 ? g_get_monotonic_time () - f->started_us : 0;
  r->error_sqlstate = g_strdup (sqlstate);
  /* Server messages quote values ('invalid input syntax ... "bob@example.com"'). */
  r->error_message = message ? _vigil_session_mask_for_audit (self, message, &r->masked) : NULL;
  if (r->error_message == NULL)
    r->error_message = g_strdup (message);
  r->bytes_to_client = self->bytes_to_client - f->bytes_at_start;
  g_queue_push_tail_link (&self->finished, &f->link);
}

/* The Describe the server answers now, if its answer is the next message of this sync
 * point that can be one. */
static SessionDescribe *
current_describe (VigilSession *self)
{
  SessionDescribe *d = g_queue_peek_head (&self->describing);

  return d != NULL && d->sync_seq == self->syncs_answered ? d : NULL;
}

static void
describe_answered (VigilSession *self)
{
  if (current_describe (self) != NULL)
    _vigil_session_describe_free (g_queue_pop_head_link (&self->describing)->data);
}

/* ReadyForQuery: whatever this sync point still had in flight did not run, and its
 * Describes after an error went unanswered. */
static void
finish_sync_point (VigilSession *self)
{
  SessionInFlight *f;

  while ((f = current (self)) != NULL)
    finish (self, f, -1, NULL, "not run: an earlier statement failed");
  while (current_describe (self) != NULL)
    describe_answered (self);
  self->syncs_answered++;
}

/* The stand-in of a denied statement failed as planned: say why, as the client expects. */
static gboolean
rewrite_denial (VigilSession      *self,
                const ErrorFields *fields,
                SessionInFlight   *f)
{
  g_autoptr(GByteArray) msg = NULL;
  const char *at;

  if (f == NULL || f->poison == NULL || fields->message == NULL)
    return FALSE;
  at = strstr (fields->message, POISON_PREFIX);
  if (at == NULL || strncmp (at, f->poison, strlen (f->poison)) != 0)
    return FALSE;
  msg = g_byte_array_new ();
  vigil_wire_write_error_hint (msg, "ERROR", f->deny_sqlstate, f->deny_message, f->deny_hint);
  emit (self, msg->data, msg->len);
  return TRUE;
}

static gboolean
handle_error (VigilSession *self,
              const guint8 *msg,
              gsize         len)
{
  SessionInFlight *f = current (self);
  ErrorFields fields;
  gboolean rewritten;

  if (!read_error_fields (msg, len, &fields))
    return FALSE;
  rewritten = rewrite_denial (self, &fields, f);
  if (f != NULL)
    {
      /* The rest of this sync point is skipped by the server: see finish_sync_point. */
      if (rewritten)
        finish (self, f, 0, f->deny_sqlstate, f->deny_message);
      else
        finish (self, f, -1, fields.sqlstate, fields.message);
    }
  return rewritten;
}

static void
emit (VigilSession *self,
      const guint8 *msg,
      gsize         len)
{
  vigil_buffer_append (&self->client_out, msg, len);
  self->bytes_to_client += len;
}

/* Masks MSG by policy on its way to the client; FALSE when it must wait for a plan. */
static gboolean
emit_masked (VigilSession    *self,
             SessionInFlight *f,
             const guint8    *msg,
             gsize            len)
{
  switch (_vigil_session_mask_server_message (self, f, msg, len, self->scratch))
    {
    case MASK_WAIT:
      return FALSE;
    case MASK_REPLACED:
      emit (self, self->scratch->data, self->scratch->len);
      g_byte_array_set_size (self->scratch, 0);
      return TRUE;
    default:
      emit (self, msg, len);
      return TRUE;
    }
}

gboolean
_vigil_session_handle_server_message (VigilSession *self,
                                      const guint8 *msg,
                                      gsize         len)
{
  SessionInFlight *f = current (self);
  gboolean describes = msg[0] == VIGIL_BE_ROW_DESCRIPTION || msg[0] == VIGIL_BE_NO_DATA;
  SessionDescribe *d = describes ? current_describe (self) : NULL;

  /* Mask first: a message that waits for its column plan must not be counted twice. */
  if (d != NULL)
    _vigil_session_mask_set_describing (self->mask, _vigil_session_describe_key (d));
  if (msg[0] != VIGIL_BE_ERROR && !emit_masked (self, f, msg, len))
    return FALSE;
  if (d != NULL)
    {
      _vigil_session_mask_set_describing (self->mask, NULL);
      describe_answered (self);
    }
  switch (msg[0])
    {
    case VIGIL_BE_DATA_ROW:
      if (f != NULL)
        f->rows_seen++;
      break;
    case VIGIL_BE_COMMAND_COMPLETE:
      if (f != NULL)
        finish (self, f, rows_from_tag (msg, len), NULL, NULL);
      break;
    case VIGIL_BE_EMPTY_QUERY:
    case VIGIL_BE_FUNCTION_CALL_RESULT:
      if (f != NULL)
        finish (self, f, 0, NULL, NULL);
      break;
    case VIGIL_BE_PORTAL_SUSPENDED:
      if (f != NULL)
        finish (self, f, f->rows_seen, NULL, NULL);
      break;
    case VIGIL_BE_ERROR:
      if (!handle_error (self, msg, len))
        emit_masked (self, NULL, msg, len);
      break;
    case VIGIL_BE_READY_FOR_QUERY:
      self->server_status = len > VIGIL_WIRE_HEADER_SIZE ? msg[VIGIL_WIRE_HEADER_SIZE] : 0;
      finish_sync_point (self);
      break;
    default:
      break;
    }
  return TRUE;
}
