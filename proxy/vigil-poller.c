/* vigil-poller.c: the engine's sockets, watched through one epoll set.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <gio/gio.h>

#include "vigil-poller.h"

/* Events taken from the kernel at a time; the rest stay ready for the next wakeup. */
#define POLLER_BATCH 256

/* The bits are poll(2)'s in both: events pass through unchanged. */
G_STATIC_ASSERT ((int) EPOLLIN == (int) G_IO_IN && (int) EPOLLOUT == (int) G_IO_OUT);
G_STATIC_ASSERT ((int) EPOLLERR == (int) G_IO_ERR && (int) EPOLLHUP == (int) G_IO_HUP);

#define WATCHABLE (G_IO_IN | G_IO_OUT)
#define REPORTED  (G_IO_IN | G_IO_OUT | G_IO_ERR | G_IO_HUP)

struct _VigilPollerWatch
{
  VigilPoller      *poller;
  int               fd;
  GIOCondition      events;
  GIOCondition      revents;      /* reported this wakeup, not given to func yet */
  gboolean          removed;
  VigilPollerFunc   func;
  gpointer          user_data;
  VigilPollerWatch *next_removed;
};

typedef struct
{
  GSource      parent;
  VigilPoller *poller;
} PollerSource;

struct _VigilPoller
{
  int                 epfd;
  int                 wakeup_fd;  /* the context's own, also in the epoll set; or -1 */
  gboolean            ownerless;  /* the context signals wakeup_fd for every change */
  GMainContext       *context;
  GSource            *source;
  gboolean            dispatching;
  int                 batch;      /* events the poll function took, not delivered yet */
  VigilPollerWatch   *removed;    /* unwatched during a dispatch or batch, freed after it */
  guint               watches;
  struct epoll_event  events[POLLER_BATCH];
};

/* The poller whose context this thread iterates (vigil_poller_bind_thread). */
static _Thread_local VigilPoller *thread_poller;

/* ---- dispatch ------------------------------------------------------------------------ */

/* The context's wakeup fd stands in the set under this mark, not a watch. */
static gboolean
is_wakeup (VigilPoller              *self,
           const struct epoll_event *event)
{
  return event->data.ptr == &self->wakeup_fd;
}

static void
gather (VigilPoller *self,
        int          n)
{
  for (int i = 0; i < n; i++)
    {
      VigilPollerWatch *watch = self->events[i].data.ptr;

      if (!is_wakeup (self, &self->events[i]) && !watch->removed)
        watch->revents |= self->events[i].events & REPORTED;
    }
}

static void
deliver (VigilPoller *self,
         int          n)
{
  for (int i = 0; i < n; i++)
    {
      VigilPollerWatch *watch = self->events[i].data.ptr;
      GIOCondition revents;

      if (is_wakeup (self, &self->events[i]))
        continue;
      revents = watch->revents;
      if (watch->removed || revents == 0)
        continue;
      watch->revents = 0;
      watch->func (watch, revents, watch->user_data);
    }
}

static void
free_removed (VigilPoller *self)
{
  while (self->removed != NULL)
    {
      VigilPollerWatch *watch = self->removed;

      self->removed = watch->next_removed;
      g_free (watch);
    }
}

/* A batch the poll function took is still to be delivered: no waiting. */
static gboolean
poller_source_prepare (GSource *source,
                       gint    *timeout)
{
  *timeout = -1;
  return ((PollerSource *) source)->poller->batch > 0;
}

/* Hands the first N events to their watches' callbacks. */
static void
dispatch_events (VigilPoller *self,
                 int          n)
{
  self->dispatching = TRUE;
  gather (self, n);
  deliver (self, n);
  self->dispatching = FALSE;
  free_removed (self);
}

static gboolean
poller_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  VigilPoller *self = ((PollerSource *) source)->poller;
  int n = self->batch;

  self->batch = 0;
  if (n == 0)
    n = epoll_wait (self->epfd, self->events, POLLER_BATCH, 0);
  if (n < 0)
    {
      if (errno != EINTR)
        g_warning ("epoll_wait failed: %s", g_strerror (errno));
      return G_SOURCE_CONTINUE;
    }
  dispatch_events (self, n);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs poller_source_funcs = {
  .prepare = poller_source_prepare,
  .dispatch = poller_source_dispatch,
};

/* ---- the context's poll function ---------------------------------------------------- */

/* When all GLib waits for is the epoll set and its own wakeup fd (the engine's steady
 * state: its timers need no fd), one epoll_wait does both, and the events it returns are
 * the batch the dispatch delivers: one system call a wakeup instead of poll, then
 * epoll_wait. Anything else (a worker's socket, a cancellable) goes through poll(2), as
 * GLib would: the wakeup fd cannot be closed and its number reused while the context
 * lives, other fds could. */
static gboolean
only_ours (VigilPoller  *self,
           GPollFD      *fds,
           guint         nfds,
           GPollFD     **epoll_rec,
           GPollFD     **wakeup_rec)
{
  *epoll_rec = *wakeup_rec = NULL;
  if (nfds != 2)
    return FALSE;
  for (guint i = 0; i < nfds; i++)
    {
      if (fds[i].fd == self->epfd && fds[i].events == G_IO_IN)
        *epoll_rec = &fds[i];
      else if (fds[i].fd == self->wakeup_fd && fds[i].events == G_IO_IN)
        *wakeup_rec = &fds[i];
    }
  return *epoll_rec != NULL && *wakeup_rec != NULL;
}

/* Takes the wakeup fd's event out of the first N: the sockets' events that are left,
 * first in the array; *WOKEN whether it was there. */
static int
split_wakeup (VigilPoller *self,
              int          n,
              gboolean    *woken)
{
  int kept = 0;

  *woken = FALSE;
  for (int i = 0; i < n; i++)
    {
      if (is_wakeup (self, &self->events[i]))
        *woken = TRUE;
      else
        self->events[kept++] = self->events[i];
    }
  return kept;
}

/* Milliseconds until DEADLINE (monotonic microseconds; -1: none), rounded up. */
static int
wait_ms (gint64 deadline)
{
  gint64 left;

  if (deadline < 0)
    return -1;
  left = deadline - g_get_monotonic_time ();
  return left <= 0 ? 0 : (int) MIN ((left + 999) / 1000, G_MAXINT);
}

/* The wait of one iteration of the context. With an ownerless context, a wakeup that
 * finds only sockets ready is delivered here and the wait goes on, up to the deadline
 * GLib gave: GLib prepares and checks its sources (twice a statement otherwise) only when
 * a timer is due or its wakeup fd says a source came, changed or was invoked, which an
 * ownerless context signals even from this thread. */
static gint
poller_poll (GPollFD *fds,
             guint    nfds,
             gint     timeout)
{
  VigilPoller *self = thread_poller;
  GPollFD *epoll_rec, *wakeup_rec;
  gint64 deadline;
  int n, kept;
  gboolean woken;

  if (self == NULL || self->wakeup_fd < 0 || self->batch > 0 ||
      !only_ours (self, fds, nfds, &epoll_rec, &wakeup_rec))
    return g_poll (fds, nfds, timeout);
  deadline = timeout < 0 ? -1 : g_get_monotonic_time () + (gint64) timeout * 1000;
  for (;;)
    {
      n = epoll_wait (self->epfd, self->events, POLLER_BATCH, wait_ms (deadline));
      if (n < 0)
        return -1;
      kept = split_wakeup (self, n, &woken);
      if (!self->ownerless || timeout == 0 || woken || kept == 0)
        break;
      dispatch_events (self, kept);
      if (wait_ms (deadline) == 0)
        {
          kept = 0;
          break;
        }
    }
  self->batch = kept;
  epoll_rec->revents = kept > 0 ? G_IO_IN : 0;
  wakeup_rec->revents = woken ? G_IO_IN : 0;
  return (kept > 0) + woken;
}

/* CONTEXT's wakeup fd: the one fd a context with no source polls, if it is an eventfd. */
static int
find_wakeup_fd (GMainContext *context)
{
  GPollFD fds[4];
  gint priority, timeout, n;
  char link[64] = "", path[64];
  ssize_t len;

  if (!g_main_context_acquire (context))
    return -1;
  g_main_context_prepare (context, &priority);
  n = g_main_context_query (context, G_MAXINT, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_release (context);
  if (n != 1)
    return -1;
  g_snprintf (path, sizeof path, "/proc/self/fd/%d", fds[0].fd);
  len = readlink (path, link, sizeof link - 1);
  if (len <= 0)
    return -1;
  link[len] = '\0';
  return strcmp (link, "anon_inode:[eventfd]") == 0 ? fds[0].fd : -1;
}

static void
watch_wakeup_fd (VigilPoller *self)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &self->wakeup_fd };

  self->wakeup_fd = find_wakeup_fd (self->context);
  if (self->wakeup_fd >= 0 && epoll_ctl (self->epfd, EPOLL_CTL_ADD, self->wakeup_fd, &ev) < 0)
    self->wakeup_fd = -1;
  g_debug ("poller: %s", self->wakeup_fd >= 0 ? "one epoll_wait a wakeup"
                                              : "poll(2), then epoll_wait");
}

/* ---- public -------------------------------------------------------------------------- */

VigilPoller *
vigil_poller_new (GMainContext       *context,
                  VigilPollerFlags    flags,
                  GError            **error)
{
  VigilPoller *self;
  int epfd = epoll_create1 (EPOLL_CLOEXEC);

  if (epfd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create an epoll set: %s", g_strerror (saved));
      return NULL;
    }
  self = g_new0 (VigilPoller, 1);
  self->epfd = epfd;
  self->ownerless = (flags & VIGIL_POLLER_CONTEXT_OWNERLESS) != 0;
  self->context = g_main_context_ref (context);
  /* Before the poller's own source is there: a context with no source polls only it. */
  watch_wakeup_fd (self);
  g_main_context_set_poll_func (context, poller_poll);
  self->source = g_source_new (&poller_source_funcs, sizeof (PollerSource));
  ((PollerSource *) self->source)->poller = self;
  g_source_set_static_name (self->source, "vigil-poller");
  /* GLib would otherwise take the epoll fd out of its poll set and put it back around each
   * dispatch: two wakeups of the context. Nothing here iterates the context. */
  g_source_set_can_recurse (self->source, TRUE);
  g_source_add_unix_fd (self->source, epfd, G_IO_IN);
  g_source_attach (self->source, context);
  return self;
}

void
vigil_poller_free (VigilPoller *self)
{
  if (self == NULL)
    return;
  g_warn_if_fail (self->watches == 0);
  g_warn_if_fail (thread_poller != self);
  g_source_destroy (self->source);
  g_source_unref (self->source);
  g_main_context_set_poll_func (self->context, NULL);
  g_main_context_unref (self->context);
  close (self->epfd);
  g_free (self);
}

VigilPollerWatch *
vigil_poller_watch (VigilPoller      *self,
                    int               fd,
                    GIOCondition      events,
                    VigilPollerFunc   func,
                    gpointer          user_data,
                    GError          **error)
{
  VigilPollerWatch *watch = g_new0 (VigilPollerWatch, 1);
  struct epoll_event ev = { .events = events & WATCHABLE, .data.ptr = watch };

  if (epoll_ctl (self->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot watch a socket: %s", g_strerror (saved));
      g_free (watch);
      return NULL;
    }
  watch->poller = self;
  watch->fd = fd;
  watch->events = events & WATCHABLE;
  watch->func = func;
  watch->user_data = user_data;
  self->watches++;
  return watch;
}

void
vigil_poller_watch_set (VigilPollerWatch *watch,
                        GIOCondition      events)
{
  struct epoll_event ev = { .events = events & WATCHABLE, .data.ptr = watch };

  g_return_if_fail (!watch->removed);
  if ((events & WATCHABLE) == watch->events)
    return;
  if (epoll_ctl (watch->poller->epfd, EPOLL_CTL_MOD, watch->fd, &ev) < 0)
    {
      g_warning ("cannot change what fd %d is watched for: %s", watch->fd, g_strerror (errno));
      return;
    }
  watch->events = events & WATCHABLE;
}

GIOCondition
vigil_poller_watch_get (VigilPollerWatch *watch)
{
  return watch->events;
}

GIOCondition
vigil_poller_watch_take (VigilPollerWatch *watch)
{
  GIOCondition revents = watch->revents;

  watch->revents = 0;
  return revents;
}

void
vigil_poller_unwatch (VigilPollerWatch *watch)
{
  VigilPoller *self;

  if (watch == NULL)
    return;
  self = watch->poller;
  g_return_if_fail (!watch->removed);
  /* The fd is still open (the caller closes it afterwards): this cannot hit another file
   * that reused its number. */
  if (epoll_ctl (self->epfd, EPOLL_CTL_DEL, watch->fd, NULL) < 0)
    g_warning ("cannot stop watching fd %d: %s", watch->fd, g_strerror (errno));
  self->watches--;
  watch->removed = TRUE;
  watch->revents = 0;
  /* A batch taken but not delivered may still name it. */
  if (!self->dispatching && self->batch == 0)
    {
      g_free (watch);
      return;
    }
  watch->next_removed = self->removed;
  self->removed = watch;
}

void
vigil_poller_bind_thread (VigilPoller *self)
{
  thread_poller = self;
}
