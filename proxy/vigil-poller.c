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
  GSource            *source;
  gboolean            dispatching;
  VigilPollerWatch   *removed;    /* unwatched during a dispatch, freed after it */
  guint               watches;
  struct epoll_event  events[POLLER_BATCH];
};

/* ---- dispatch ------------------------------------------------------------------------ */

static void
gather (VigilPoller *self,
        int          n)
{
  for (int i = 0; i < n; i++)
    {
      VigilPollerWatch *watch = self->events[i].data.ptr;

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
      GIOCondition revents = watch->revents;

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

static gboolean
poller_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  VigilPoller *self = ((PollerSource *) source)->poller;
  int n = epoll_wait (self->epfd, self->events, POLLER_BATCH, 0);

  if (n < 0)
    {
      if (errno != EINTR)
        g_warning ("epoll_wait failed: %s", g_strerror (errno));
      return G_SOURCE_CONTINUE;
    }
  self->dispatching = TRUE;
  gather (self, n);
  deliver (self, n);
  self->dispatching = FALSE;
  free_removed (self);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs poller_source_funcs = {
  .dispatch = poller_source_dispatch,
};

/* ---- public -------------------------------------------------------------------------- */

VigilPoller *
vigil_poller_new (GMainContext  *context,
                  GError       **error)
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
  g_source_destroy (self->source);
  g_source_unref (self->source);
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
  if (!self->dispatching)
    {
      g_free (watch);
      return;
    }
  watch->next_removed = self->removed;
  self->removed = watch;
}
