/* vigil-event-hub.c: live statement events fanned out to subscribers in batches.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "vigil-event-hub.h"

#define FRAME_MS     50
#define MAX_PENDING  20000   /* a subscriber that stops reading loses events, not memory */

typedef struct
{
  gint            refs;          /* the hub's list, plus a scheduled delivery */
  guint           id;
  gboolean        alive;
  GMainContext   *context;
  int             priority;      /* of the delivery on CONTEXT */
  VigilEventsFunc func;
  gpointer        user_data;
  GDestroyNotify  destroy;
  GPtrArray      *pending;       /* VigilAuditRecord, under the hub's lock */
  gboolean        scheduled;
  GMutex         *lock;          /* the hub's */
} Subscriber;

struct _VigilEventHub
{
  GMutex  lock;
  GList  *subscribers;          /* Subscriber, under lock */
  gint    n_subscribers;        /* atomic: publishing without any takes no lock */
  guint   next_id;
};

static void
subscriber_unref (Subscriber *s)
{
  if (!g_atomic_int_dec_and_test (&s->refs))
    return;
  if (s->destroy != NULL)
    s->destroy (s->user_data);
  g_main_context_unref (s->context);
  g_ptr_array_unref (s->pending);
  g_free (s);
}

static gboolean
deliver_cb (gpointer data)
{
  Subscriber *s = data;
  g_autoptr(GPtrArray) batch = NULL;
  gboolean alive;

  g_mutex_lock (s->lock);
  batch = g_steal_pointer (&s->pending);
  s->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_audit_record_free);
  s->scheduled = FALSE;
  alive = s->alive;
  g_mutex_unlock (s->lock);
  if (alive && batch->len > 0)
    s->func (batch, s->user_data);
  return G_SOURCE_REMOVE;
}

/* Called with the hub's lock held. */
static void
queue_for (Subscriber             *s,
           const VigilAuditRecord *record)
{
  GSource *source;

  if (!s->alive || s->pending->len >= MAX_PENDING)
    return;
  g_ptr_array_add (s->pending, vigil_audit_record_copy (record));
  if (s->scheduled)
    return;
  s->scheduled = TRUE;
  g_atomic_int_inc (&s->refs);
  source = g_timeout_source_new (FRAME_MS);
  g_source_set_priority (source, s->priority);
  g_source_set_callback (source, deliver_cb, s, (GDestroyNotify) subscriber_unref);
  g_source_attach (source, s->context);
  g_source_unref (source);
}

VigilEventHub *
vigil_event_hub_new (void)
{
  VigilEventHub *self = g_new0 (VigilEventHub, 1);

  g_mutex_init (&self->lock);
  return self;
}

void
vigil_event_hub_free (VigilEventHub *self)
{
  if (self == NULL)
    return;
  while (self->subscribers != NULL)
    vigil_event_hub_unsubscribe (self, ((Subscriber *) self->subscribers->data)->id);
  g_mutex_clear (&self->lock);
  g_free (self);
}

guint
vigil_event_hub_subscribe (VigilEventHub   *self,
                           GMainContext    *context,
                           int              priority,
                           VigilEventsFunc  func,
                           gpointer         user_data,
                           GDestroyNotify   destroy)
{
  Subscriber *s = g_new0 (Subscriber, 1);

  g_return_val_if_fail (func != NULL, 0);

  s->refs = 1;
  s->alive = TRUE;
  s->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  s->priority = priority;
  s->func = func;
  s->user_data = user_data;
  s->destroy = destroy;
  s->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_audit_record_free);
  s->lock = &self->lock;
  g_mutex_lock (&self->lock);
  s->id = ++self->next_id;
  self->subscribers = g_list_append (self->subscribers, s);
  g_atomic_int_inc (&self->n_subscribers);
  g_mutex_unlock (&self->lock);
  return s->id;
}

void
vigil_event_hub_unsubscribe (VigilEventHub *self,
                             guint          id)
{
  Subscriber *found = NULL;

  g_mutex_lock (&self->lock);
  for (GList *l = self->subscribers; l != NULL; l = l->next)
    {
      Subscriber *s = l->data;

      if (s->id != id)
        continue;
      found = s;
      found->alive = FALSE;
      self->subscribers = g_list_delete_link (self->subscribers, l);
      g_atomic_int_add (&self->n_subscribers, -1);
      break;
    }
  g_mutex_unlock (&self->lock);
  if (found != NULL)
    subscriber_unref (found);
}

void
vigil_event_hub_publish (VigilEventHub          *self,
                         const VigilAuditRecord *record)
{
  if (g_atomic_int_get (&self->n_subscribers) == 0)
    return;
  g_mutex_lock (&self->lock);
  for (GList *l = self->subscribers; l != NULL; l = l->next)
    queue_for (l->data, record);
  g_mutex_unlock (&self->lock);
}

gboolean
vigil_event_hub_has_subscribers (VigilEventHub *self)
{
  gboolean any;

  g_mutex_lock (&self->lock);
  any = self->subscribers != NULL;
  g_mutex_unlock (&self->lock);
  return any;
}
