/* vigil-poller.h: the engine's sockets, watched through one epoll set.
 *
 * GLib's main loop polls every file descriptor of every source on each iteration, and
 * prepares and checks every source: with one source per session, its cost grows with the
 * sessions. The poller keeps the sessions' sockets (and the listeners and kept server
 * connections) in an epoll set instead, whose one descriptor is all GLib sees: each
 * iteration then costs the same whatever the number of sessions, and wakes only the
 * sockets that are ready.
 *
 * Watches are level-triggered, as GLib's are. The events of one wakeup are gathered
 * before any callback runs, so that an owner of several sockets can take the others'
 * events (vigil_poller_watch_take) and act once. A callback may remove any watch, its own
 * included. Engine thread only.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VigilPoller      VigilPoller;
typedef struct _VigilPollerWatch VigilPollerWatch;

/* REVENTS: G_IO_IN, G_IO_OUT, G_IO_ERR, G_IO_HUP, as poll(2) reports them. */
typedef void (*VigilPollerFunc) (VigilPollerWatch *watch,
                                 GIOCondition      revents,
                                 gpointer          user_data);

typedef enum {
  VIGIL_POLLER_FLAGS_NONE = 0,
  /* CONTEXT was made with G_MAIN_CONTEXT_FLAGS_OWNERLESS_POLLING: GLib then signals its
   * wakeup for every source attached or changed, from any thread. On the bound thread, a
   * wait that finds only sockets ready delivers their events and goes on waiting, so an
   * iteration of CONTEXT returns only once GLib has something to do (a timer due, a
   * source attached, an invoke, g_main_context_wakeup). */
  VIGIL_POLLER_CONTEXT_OWNERLESS = 1 << 0,
} VigilPollerFlags;

/* A poller whose wakeups CONTEXT dispatches; NULL (and ERROR set) without an epoll set. */
VigilPoller      *vigil_poller_new           (GMainContext      *context,
                                              VigilPollerFlags   flags,
                                              GError           **error);
/* Every watch must be removed first. */
void              vigil_poller_free          (VigilPoller       *self);
/* Watches FD for EVENTS (G_IO_IN, G_IO_OUT or both; errors and hang-ups always) until
 * vigil_poller_unwatch, which must come before FD is closed. NULL and ERROR set when the
 * kernel refuses it (out of memory, or of epoll watches). */
VigilPollerWatch *vigil_poller_watch         (VigilPoller       *self,
                                              int                fd,
                                              GIOCondition       events,
                                              VigilPollerFunc    func,
                                              gpointer           user_data,
                                              GError           **error);
/* Changes what WATCH waits for; costs nothing when EVENTS is what it waits for already. */
void              vigil_poller_watch_set     (VigilPollerWatch  *watch,
                                              GIOCondition       events);
GIOCondition      vigil_poller_watch_get     (VigilPollerWatch  *watch);
/* The events this wakeup reported for WATCH that its callback has not been given yet;
 * they are taken: the callback will not run for them. 0 outside a dispatch. */
GIOCondition      vigil_poller_watch_take    (VigilPollerWatch  *watch);
/* This thread iterates SELF's context from now on (NULL: not any more): a wakeup that finds
 * only sockets of the set ready then costs one epoll_wait, no poll(2) before it. */
void              vigil_poller_bind_thread   (VigilPoller       *self);
/* Stops watching and frees WATCH (at the end of the dispatch when one is running). NULL
 * is ignored. */
void              vigil_poller_unwatch       (VigilPollerWatch  *watch);

G_END_DECLS
