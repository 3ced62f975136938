/* test-poller.c: the epoll set the engine's sockets are watched through, over real
 * socket pairs and a real GMainContext.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "vigil-poller.h"

typedef struct
{
  GMainContext     *context;
  VigilPoller      *poller;
  int               a[2];          /* a[0] watched, a[1] its peer */
  int               b[2];
  VigilPollerWatch *watch_a;
  VigilPollerWatch *watch_b;
  guint             calls_a;
  guint             calls_b;
  GIOCondition      last_a;
  GIOCondition      taken_b;       /* what A's callback took of B's events */
  gboolean          a_takes_b;
  gboolean          removes_both;  /* whichever callback runs removes both watches */
  guint             hops;          /* bytes relayed between A and B (relay_cb) */
  gboolean          idle_ran;
} Fixture;

static void
watch_cb (VigilPollerWatch *watch,
          GIOCondition      revents,
          gpointer          user_data)
{
  Fixture *f = user_data;

  if (watch == f->watch_b)
    f->calls_b++;
  else
    {
      f->calls_a++;
      f->last_a = revents;
      if (f->a_takes_b)
        f->taken_b = vigil_poller_watch_take (f->watch_b);
    }
  if (f->removes_both)
    {
      g_clear_pointer (&f->watch_a, vigil_poller_unwatch);
      g_clear_pointer (&f->watch_b, vigil_poller_unwatch);
    }
}

/* DATA non-NULL: an ownerless context, as the engine's. */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (data != NULL)
    {
      f->context = g_main_context_new_with_flags (G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING);
      f->poller = vigil_poller_new (f->context, VIGIL_POLLER_CONTEXT_OWNERLESS, &error);
    }
  else
    {
      f->context = g_main_context_new ();
      f->poller = vigil_poller_new (f->context, VIGIL_POLLER_FLAGS_NONE, &error);
    }
  g_assert_no_error (error);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f->a), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f->b), ==, 0);
  f->watch_a = vigil_poller_watch (f->poller, f->a[0], G_IO_IN, watch_cb, f, &error);
  g_assert_no_error (error);
  f->watch_b = vigil_poller_watch (f->poller, f->b[0], G_IO_IN, watch_cb, f, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->watch_a, vigil_poller_unwatch);
  g_clear_pointer (&f->watch_b, vigil_poller_unwatch);
  vigil_poller_free (f->poller);
  for (guint i = 0; i < 2; i++)
    {
      close (f->a[i]);
      close (f->b[i]);
    }
  g_main_context_unref (f->context);
}

/* Runs what is ready now, without blocking (nothing may stay ready: watches are
 * level-triggered). */
static void
iterate (Fixture *f)
{
  while (g_main_context_iteration (f->context, FALSE))
    ;
}

static void
send_byte (int fd)
{
  g_assert_cmpint (write (fd, "x", 1), ==, 1);
}

static void
test_readable (Fixture       *f,
               gconstpointer  data)
{
  char byte;

  iterate (f);
  g_assert_cmpuint (f->calls_a, ==, 0);
  send_byte (f->a[1]);
  g_main_context_iteration (f->context, FALSE);
  g_assert_cmpuint (f->calls_a, ==, 1);
  g_assert_true (f->last_a & G_IO_IN);
  g_assert_cmpuint (f->calls_b, ==, 0);
  /* Level-triggered: unread bytes keep it ready; read, it goes quiet. */
  f->calls_a = 0;
  g_main_context_iteration (f->context, FALSE);
  g_assert_cmpuint (f->calls_a, ==, 1);
  g_assert_cmpint (read (f->a[0], &byte, 1), ==, 1);
  f->calls_a = 0;
  iterate (f);
  g_assert_cmpuint (f->calls_a, ==, 0);
}

static void
test_writable_and_hangup (Fixture       *f,
                          gconstpointer  data)
{
  vigil_poller_watch_set (f->watch_a, G_IO_OUT);
  g_assert_cmpuint (vigil_poller_watch_get (f->watch_a), ==, G_IO_OUT);
  g_main_context_iteration (f->context, FALSE);
  g_assert_cmpuint (f->calls_a, ==, 1);
  g_assert_cmpuint (f->last_a, ==, G_IO_OUT);
  /* Watching nothing, a hang-up is still reported. */
  vigil_poller_watch_set (f->watch_a, 0);
  f->calls_a = 0;
  iterate (f);
  g_assert_cmpuint (f->calls_a, ==, 0);
  close (f->a[1]);
  f->a[1] = socket (AF_UNIX, SOCK_STREAM, 0);
  g_main_context_iteration (f->context, FALSE);
  g_assert_cmpuint (f->calls_a, ==, 1);
  g_assert_true (f->last_a & G_IO_HUP);
}

static void
test_take (Fixture       *f,
           gconstpointer  data)
{
  f->a_takes_b = TRUE;
  send_byte (f->a[1]);
  send_byte (f->b[1]);
  g_main_context_iteration (f->context, FALSE);
  /* Both were ready in the same wakeup: whichever ran first took the other's events,
   * or B ran first and A found nothing left to take. */
  if (f->calls_b == 0)
    {
      g_assert_cmpuint (f->calls_a, ==, 1);
      g_assert_true (f->taken_b & G_IO_IN);
    }
  else
    {
      g_assert_cmpuint (f->calls_b, ==, 1);
      g_assert_cmpuint (f->calls_a, ==, 1);
      g_assert_cmpuint (f->taken_b, ==, 0);
    }
  /* Outside a dispatch there is nothing to take. */
  g_assert_cmpuint (vigil_poller_watch_take (f->watch_b), ==, 0);
}

static void
test_remove_during_dispatch (Fixture       *f,
                             gconstpointer  data)
{
  char byte;

  f->removes_both = TRUE;
  send_byte (f->a[1]);
  send_byte (f->b[1]);
  g_main_context_iteration (f->context, FALSE);
  /* Both were ready in that wakeup: the first callback removed both, its own watch
   * included, and the other's pending event went with it. */
  g_assert_cmpuint (f->calls_a + f->calls_b, ==, 1);
  g_assert_null (f->watch_a);
  g_assert_null (f->watch_b);
  iterate (f);
  g_assert_cmpuint (f->calls_a + f->calls_b, ==, 1);
  /* The same fd may be watched again at once. */
  f->removes_both = FALSE;
  f->calls_b = 0;
  f->watch_b = vigil_poller_watch (f->poller, f->b[0], G_IO_IN, watch_cb, f, NULL);
  g_assert_nonnull (f->watch_b);
  g_main_context_iteration (f->context, FALSE);
  g_assert_cmpuint (f->calls_b, ==, 1);
  g_assert_cmpint (read (f->b[0], &byte, 1), ==, 1);
}

static void
test_bad_fd (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (vigil_poller_watch (f->poller, -1, G_IO_IN, watch_cb, f, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* The same file under the same number, twice: the kernel says no, clearly. */
  g_assert_null (vigil_poller_watch (f->poller, f->a[0], G_IO_IN, watch_cb, f, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
}

/* ---- the thread bound: one epoll_wait a wakeup ---------------------------------------- */

static void
bound_set_up (Fixture       *f,
              gconstpointer  data)
{
  fixture_set_up (f, data);
  vigil_poller_bind_thread (f->poller);
}

static void
bound_tear_down (Fixture       *f,
                 gconstpointer  data)
{
  vigil_poller_bind_thread (NULL);
  fixture_tear_down (f, data);
}

static void
test_bound_blocking (Fixture       *f,
                     gconstpointer  data)
{
  char byte;

  send_byte (f->a[1]);
  /* Blocking: it returns because the socket is ready, with its event delivered. */
  while (f->calls_a == 0)
    g_main_context_iteration (f->context, TRUE);
  g_assert_true (f->last_a & G_IO_IN);
  g_assert_cmpuint (f->calls_b, ==, 0);
  g_assert_cmpint (read (f->a[0], &byte, 1), ==, 1);
}

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GMainContext *context;
  gboolean      invoked;
} Invocation;

static gpointer
invoke_thread (gpointer data)
{
  Invocation *invocation = data;

  g_usleep (50 * 1000);
  g_main_context_invoke (invocation->context, flag_cb, &invocation->invoked);
  return NULL;
}

static void
test_bound_cross_thread (Fixture       *f,
                         gconstpointer  data)
{
  Invocation invocation = { f->context, FALSE };
  GThread *thread = g_thread_new ("invoker", invoke_thread, &invocation);

  /* Nothing is ready: only the other thread's wakeup can end the wait. */
  while (!invocation.invoked)
    g_main_context_iteration (f->context, TRUE);
  g_thread_join (thread);
  g_assert_cmpuint (f->calls_a + f->calls_b, ==, 0);
}

/* Iterates until a timer of MS milliseconds, attached now, has run: how long it took. */
static gint64
run_until_timer (Fixture *f,
                 guint    ms)
{
  g_autoptr(GSource) timeout = g_timeout_source_new (ms);
  gboolean fired = FALSE;
  gint64 start = g_get_monotonic_time ();

  g_source_set_callback (timeout, flag_cb, &fired, NULL);
  g_source_attach (timeout, f->context);
  while (!fired)
    g_main_context_iteration (f->context, TRUE);
  return g_get_monotonic_time () - start;
}

static void
test_bound_timeout (Fixture       *f,
                    gconstpointer  data)
{
  /* The wait itself must end when the timer is due. */
  g_assert_cmpint (run_until_timer (f, 30), >=, 25 * 1000);
}

static gboolean
pipe_readable_cb (gint         fd,
                  GIOCondition condition,
                  gpointer     data)
{
  char byte;

  g_assert_cmpint (read (fd, &byte, 1), ==, 1);
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static void
test_bound_foreign_fd (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GSource) source = NULL;
  int pipe_fds[2];
  guint pipe_reads = 0;
  char byte;

  /* A source with an fd of its own: the context polls it, and the set still works. */
  g_assert_true (g_unix_open_pipe (pipe_fds, FD_CLOEXEC, NULL));
  source = g_unix_fd_source_new (pipe_fds[0], G_IO_IN);
  g_source_set_callback (source, G_SOURCE_FUNC (pipe_readable_cb), &pipe_reads, NULL);
  g_source_attach (source, f->context);
  g_assert_cmpint (write (pipe_fds[1], "p", 1), ==, 1);
  send_byte (f->a[1]);
  while (pipe_reads == 0 || f->calls_a == 0)
    g_main_context_iteration (f->context, TRUE);
  g_assert_cmpint (read (f->a[0], &byte, 1), ==, 1);
  /* Gone again: back to the set alone. */
  g_source_destroy (source);
  send_byte (f->b[1]);
  while (f->calls_b == 0)
    g_main_context_iteration (f->context, TRUE);
  g_assert_cmpint (read (f->b[0], &byte, 1), ==, 1);
  close (pipe_fds[0]);
  close (pipe_fds[1]);
}

static gboolean
unwatch_a_cb (gpointer data)
{
  Fixture *f = data;

  g_clear_pointer (&f->watch_a, vigil_poller_unwatch);
  return G_SOURCE_REMOVE;
}

/* A source that is never ready before the wait and always after it, as a timer that
 * comes due while the context waits. */
static gboolean
urgent_prepare (GSource *source,
                gint    *timeout)
{
  *timeout = -1;
  return FALSE;
}

static gboolean
urgent_check (GSource *source)
{
  return TRUE;
}

static gboolean
urgent_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs urgent_funcs = {
  .prepare = urgent_prepare,
  .check = urgent_check,
  .dispatch = urgent_dispatch,
};

static void
test_bound_removed_before_delivery (Fixture       *f,
                                    gconstpointer  data)
{
  g_autoptr(GSource) urgent = g_source_new (&urgent_funcs, sizeof (GSource));

  /* The wait takes A's and B's events; a more urgent source, ready after the wait, runs
   * first and removes A before the batch is delivered. */
  g_source_set_priority (urgent, G_PRIORITY_HIGH);
  g_source_set_callback (urgent, unwatch_a_cb, f, NULL);
  g_source_attach (urgent, f->context);
  send_byte (f->a[1]);
  send_byte (f->b[1]);
  while (f->calls_b == 0)
    g_main_context_iteration (f->context, TRUE);
  g_assert_null (f->watch_a);
  g_assert_cmpuint (f->calls_a, ==, 0);
}

/* ---- an ownerless context: the wait goes on past the sockets' events ----------------- */

#define RELAY_HOPS 50
#define OWNERLESS ((gconstpointer) "ownerless")

typedef struct
{
  GSource parent;
  guint   prepares;
} CountingSource;

/* Never ready: counts how often GLib prepares its sources. */
static gboolean
counting_prepare (GSource *source,
                  gint    *timeout)
{
  ((CountingSource *) source)->prepares++;
  *timeout = -1;
  return FALSE;
}

static GSourceFuncs counting_funcs = {
  .prepare = counting_prepare,
};

/* Reads the byte that woke it and sends one to the other socket, RELAY_HOPS times in all;
 * then wakes the context, the only way its iteration ends. */
static void
relay_cb (VigilPollerWatch *watch,
          GIOCondition      revents,
          gpointer          user_data)
{
  Fixture *f = user_data;
  gboolean on_a = watch == f->watch_a;
  char byte;

  g_assert_cmpint (read (on_a ? f->a[0] : f->b[0], &byte, 1), ==, 1);
  if (++f->hops == RELAY_HOPS)
    g_main_context_wakeup (f->context);
  else
    send_byte (on_a ? f->b[1] : f->a[1]);
}

static void
watch_both (Fixture         *f,
            VigilPollerFunc  func)
{
  g_clear_pointer (&f->watch_a, vigil_poller_unwatch);
  g_clear_pointer (&f->watch_b, vigil_poller_unwatch);
  f->watch_a = vigil_poller_watch (f->poller, f->a[0], G_IO_IN, func, f, NULL);
  f->watch_b = vigil_poller_watch (f->poller, f->b[0], G_IO_IN, func, f, NULL);
  g_assert_true (f->watch_a != NULL && f->watch_b != NULL);
}

static void
test_ownerless_relay (Fixture       *f,
                      gconstpointer  data)
{
  CountingSource *counter = (CountingSource *) g_source_new (&counting_funcs,
                                                             sizeof (CountingSource));
  guint prepares;

  watch_both (f, relay_cb);
  g_source_attach (&counter->parent, f->context);
  iterate (f);
  prepares = counter->prepares;
  send_byte (f->a[1]);
  g_main_context_iteration (f->context, TRUE);
  /* One iteration carried the whole relay: every hop was delivered inside the wait, and
   * GLib prepared its sources once for all of them. */
  g_assert_cmpuint (f->hops, ==, RELAY_HOPS);
  g_assert_cmpuint (counter->prepares - prepares, ==, 1);
  g_source_destroy (&counter->parent);
  g_source_unref (&counter->parent);
}

/* Attaches an idle source from inside the wait, and does nothing else to wake GLib. */
static void
attach_idle_cb (VigilPollerWatch *watch,
                GIOCondition      revents,
                gpointer          user_data)
{
  Fixture *f = user_data;
  g_autoptr(GSource) idle = g_idle_source_new ();
  char byte;

  g_assert_cmpint (read (f->a[0], &byte, 1), ==, 1);
  g_source_set_callback (idle, flag_cb, &f->idle_ran, NULL);
  g_source_attach (idle, f->context);
}

static void
test_ownerless_attach_in_callback (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GSource) guard = g_timeout_source_new (2000);
  gboolean guard_fired = FALSE;
  gint64 start;

  watch_both (f, attach_idle_cb);
  g_source_set_callback (guard, flag_cb, &guard_fired, NULL);
  g_source_attach (guard, f->context);
  iterate (f);
  start = g_get_monotonic_time ();
  send_byte (f->a[1]);
  while (!f->idle_ran && !guard_fired)
    g_main_context_iteration (f->context, TRUE);
  /* The attach woke the wait at once, not the guard two seconds later. */
  g_assert_true (f->idle_ran);
  g_assert_false (guard_fired);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_source_destroy (guard);
}

static void
test_ownerless_timer_while_busy (Fixture       *f,
                                 gconstpointer  data)
{
  /* A's byte is never read: it is ready at every wait. The timer still runs when due. */
  send_byte (f->a[1]);
  g_assert_cmpint (run_until_timer (f, 30), >=, 25 * 1000);
  g_assert_cmpuint (f->calls_a, >, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/poller/readable", Fixture, NULL, fixture_set_up, test_readable,
              fixture_tear_down);
  g_test_add ("/poller/writable-and-hangup", Fixture, NULL, fixture_set_up,
              test_writable_and_hangup, fixture_tear_down);
  g_test_add ("/poller/take", Fixture, NULL, fixture_set_up, test_take, fixture_tear_down);
  g_test_add ("/poller/remove-during-dispatch", Fixture, NULL, fixture_set_up,
              test_remove_during_dispatch, fixture_tear_down);
  g_test_add ("/poller/bad-fd", Fixture, NULL, fixture_set_up, test_bad_fd, fixture_tear_down);
  g_test_add ("/poller/bound/blocking", Fixture, NULL, bound_set_up, test_bound_blocking,
              bound_tear_down);
  g_test_add ("/poller/bound/cross-thread", Fixture, NULL, bound_set_up,
              test_bound_cross_thread, bound_tear_down);
  g_test_add ("/poller/bound/timeout", Fixture, NULL, bound_set_up, test_bound_timeout,
              bound_tear_down);
  g_test_add ("/poller/bound/foreign-fd", Fixture, NULL, bound_set_up, test_bound_foreign_fd,
              bound_tear_down);
  g_test_add ("/poller/bound/removed-before-delivery", Fixture, NULL, bound_set_up,
              test_bound_removed_before_delivery, bound_tear_down);
  g_test_add ("/poller/ownerless/relay", Fixture, OWNERLESS, bound_set_up,
              test_ownerless_relay, bound_tear_down);
  g_test_add ("/poller/ownerless/attach-in-callback", Fixture, OWNERLESS, bound_set_up,
              test_ownerless_attach_in_callback, bound_tear_down);
  g_test_add ("/poller/ownerless/timer-while-busy", Fixture, OWNERLESS, bound_set_up,
              test_ownerless_timer_while_busy, bound_tear_down);
  g_test_add ("/poller/ownerless/cross-thread", Fixture, OWNERLESS, bound_set_up,
              test_bound_cross_thread, bound_tear_down);
  g_test_add ("/poller/ownerless/timeout", Fixture, OWNERLESS, bound_set_up,
              test_bound_timeout, bound_tear_down);
  return g_test_run ();
}
