/* vigil-session-private.h: the session struct, shared by vigil-session*.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-buffer.h"
#include "vigil-engine-private.h"
#include "vigil-identity.h"
#include "vigil-peer.h"
#include "vigil-scram.h"
#include "vigil-session.h"
#include "vigil-stream.h"
#include "vigil-upstream.h"
#include "vigil-wire.h"

G_BEGIN_DECLS

typedef enum {
  SESSION_STARTUP,        /* waiting for the startup packet (or SSL/GSS/cancel request) */
  SESSION_TLS_HANDSHAKE,
  SESSION_AUTH_LOOKUP,    /* the identity is being read from the store */
  SESSION_AUTH_SASL_INIT, /* AuthenticationSASL sent, waiting for SASLInitialResponse */
  SESSION_AUTH_SASL_FINAL,/* SASLContinue sent, waiting for SASLResponse */
  SESSION_AUTH_FAILED,    /* answering a failed login after a delay */
  SESSION_CONNECTING,     /* authenticated, upstream connection under way */
  SESSION_READY,          /* forwarding */
  SESSION_DRAINING,       /* flushing a last message to the client, then closing */
  SESSION_CLOSED,
} SessionState;

#define SESSION_BUFFER_SIZE   (64 * 1024)
/* Stop reading a side while the other side has this much unsent: bounds memory. */
#define SESSION_HIGH_WATER    (256 * 1024)
#define SESSION_DRAIN_TIMEOUT_MS 5000

struct _VigilSession
{
  gint               refs;

  /* engine thread only */
  VigilEngine       *engine;          /* not owned: outlives its sessions */
  guint64            id;
  SessionState       state;
  GSocket           *socket;
  gboolean           is_unix;
  VigilStream       *client;
  VigilStream       *server;
  GSource           *source;
  gpointer           client_tag;
  gpointer           server_tag;
  VigilBuffer        client_in;
  VigilBuffer        client_out;
  VigilBuffer        server_in;
  VigilBuffer        server_out;
  gboolean           client_readable; /* poll said so, and no read has hit EAGAIN since */
  gboolean           server_readable;
  gboolean           client_wants_out;/* TLS needs the fd writable to make progress */
  gboolean           server_wants_out;
  GSource           *timeout;         /* startup timeout, auth delay or drain limit */
  GHashTable        *startup;         /* client's startup parameters but user, database */
  char              *user;            /* identity name as the client sent it */
  char              *database;        /* connection name as the client sent it */
  VigilIdentity     *identity;
  VigilScramServer  *scram;
  VigilPeer         *peer;
  VigilUpstream     *upstream;
  guint32            backend_pid;
  guint32            cancel_secret;
  guint              pending_syncs;   /* Query/Sync sent upstream not yet answered by 'Z' */
  gboolean           terminated;      /* the client sent Terminate */
  gint64             started_at;
  guint64            bytes_from_client;
  guint64            bytes_to_client;
  char              *end_reason;
};

/* vigil-session.c */
void     _vigil_session_send_to_client   (VigilSession *self,
                                          GByteArray   *msg);
void     _vigil_session_fatal            (VigilSession *self,
                                          const char   *sqlstate,
                                          const char   *message);
void     _vigil_session_drain_and_close  (VigilSession *self,
                                          const char   *reason);
void     _vigil_session_set_timeout      (VigilSession *self,
                                          guint         ms,
                                          GSourceFunc   func);
void     _vigil_session_clear_timeout    (VigilSession *self);
void     _vigil_session_pump             (VigilSession *self);
void     _vigil_session_attach_server    (VigilSession *self);

/* vigil-session-startup.c: returns FALSE once nothing more can be done with the input. */
gboolean _vigil_session_process_startup  (VigilSession *self);
void     _vigil_session_begin_tls        (VigilSession *self);
void     _vigil_session_continue_tls     (VigilSession *self);
gboolean _vigil_session_process_auth     (VigilSession *self);

G_END_DECLS
