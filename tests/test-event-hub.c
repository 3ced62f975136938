/* test-event-hub.c: live events delivered in batches, on the subscriber's context and at
 * its priority, over a real GMainContext.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>

#include "vigil-event-hub.h"

#define DELIVERY_WAIT_US (60 * 1000)   /* past the hub's ~50 ms frame */
#define COMPETING_RUNS   5

typedef struct
{
  GMainContext  *context;
  VigilEventHub *hub;
  GPtrArray     *delivered;    /* the ids, in order */
  guint          deliveries;
  guint          competing;    /* dispatches of the competing source so far */
  guint          competing_at_delivery;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->hub = vigil_event_hub_new ();
  f->delivered = g_ptr_array_new ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  vigil_event_hub_free (f->hub);
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
  g_ptr_array_unref (f->delivered);
}

static void
events_cb (GPtrArray *records,
           gpointer   user_data)
{
  Fixture *f = user_data;

  f->deliveries++;
  f->competing_at_delivery = f->competing;
  for (guint i = 0; i < records->len; i++)
    g_ptr_array_add (f->delivered,
                     GINT_TO_POINTER ((int) ((VigilAuditRecord *) records->pdata[i])->id));
}

static void
publish (Fixture *f,
         gint64   id)
{
  VigilAuditRecord record = { 0 };

  record.id = id;
  record.statement = (char *) "select 1";
  record.rows = -1;
  record.duration_us = -1;
  vigil_event_hub_publish (f->hub, &record);
}

static void
wait_for_delivery (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (f->deliveries == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (f->context, TRUE);
  g_assert_cmpuint (f->deliveries, ==, 1);
}

/* What is published between two deliveries arrives as one batch, in order, once. */
static void
test_batches (Fixture       *f,
              gconstpointer  data)
{
  vigil_event_hub_subscribe (f->hub, f->context, G_PRIORITY_DEFAULT, events_cb, f, NULL);
  for (gint64 id = 1; id <= 3; id++)
    publish (f, id);
  wait_for_delivery (f);
  g_assert_cmpuint (f->delivered->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (GPOINTER_TO_INT (f->delivered->pdata[i]), ==, (int) i + 1);

  /* Nothing more comes without more events. */
  g_usleep (DELIVERY_WAIT_US);
  while (g_main_context_iteration (f->context, FALSE))
    ;
  g_assert_cmpuint (f->deliveries, ==, 1);
}

static gboolean
competing_cb (gpointer user_data)
{
  Fixture *f = user_data;

  return ++f->competing < COMPETING_RUNS ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* A delivery due at the same time as a source of higher priority (the console's frame
 * clock) waits until that source has nothing left to do; one of higher priority than
 * the source goes first. */
static void
check_order (Fixture *f,
             int      delivery_priority,
             int      competing_priority)
{
  GSource *competing = g_idle_source_new ();

  vigil_event_hub_subscribe (f->hub, f->context, delivery_priority, events_cb, f, NULL);
  publish (f, 1);
  g_usleep (DELIVERY_WAIT_US);   /* the delivery is due now */
  g_source_set_priority (competing, competing_priority);
  g_source_set_callback (competing, competing_cb, f, NULL);
  g_source_attach (competing, f->context);
  g_source_unref (competing);
  wait_for_delivery (f);
}

static void
test_priority_below (Fixture       *f,
                     gconstpointer  data)
{
  check_order (f, G_PRIORITY_HIGH_IDLE + 30, G_PRIORITY_HIGH_IDLE + 20);
  g_assert_cmpuint (f->competing_at_delivery, ==, COMPETING_RUNS);
}

static void
test_priority_above (Fixture       *f,
                     gconstpointer  data)
{
  check_order (f, G_PRIORITY_DEFAULT, G_PRIORITY_HIGH_IDLE + 20);
  g_assert_cmpuint (f->competing_at_delivery, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/event-hub/batches", Fixture, NULL, fixture_set_up, test_batches,
              fixture_tear_down);
  g_test_add ("/event-hub/priority/below", Fixture, NULL, fixture_set_up,
              test_priority_below, fixture_tear_down);
  g_test_add ("/event-hub/priority/above", Fixture, NULL, fixture_set_up,
              test_priority_above, fixture_tear_down);
  return g_test_run ();
}
