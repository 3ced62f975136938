/* vigil-session-private.h: the session struct, shared by vigil-session*.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "vigil-audit.h"
#include "vigil-buffer.h"
#include "vigil-classify.h"
#include "vigil-policy.h"
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
  SESSION_AUTH_LOOKUP,    /* the identity is being read from the store, or a password checked */
  SESSION_AUTH_SASL_INIT, /* AuthenticationSASL sent, waiting for SASLInitialResponse (with
                           * auth_cleartext: AuthenticationCleartextPassword, the password) */
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
#define SESSION_SCRATCH_KEEP  (64 * 1024)

typedef enum {
  MSG_CONSUMED,   /* handled; the next message may follow */
  MSG_PARKED,     /* held for approval: keep it, read nothing more */
  MSG_FAILED,     /* the session is ending */
} MessageResult;

typedef enum {
  HOLD_NONE,
  HOLD_REQUESTING,   /* the request is being written to the store */
  HOLD_WAITING,      /* queued as #id, waiting for a human */
  HOLD_APPROVED,
  HOLD_DENIED,
} HoldState;

typedef enum {
  MASK_PASS,       /* forward the message as it is */
  MASK_REPLACED,   /* forward OUT instead */
  MASK_WAIT,       /* not yet: a column plan is being resolved; the session pumps again */
} MaskAction;

typedef struct _SessionMask SessionMask;

/* A prepared statement (extended protocol) as the session knows it. */
typedef struct
{
  gint       refs;
  char      *text;
  char      *audit_text;   /* TEXT as the audit keeps it (values redacted); NULL until used */
  guint      audit_masked; /* values redacted in AUDIT_TEXT */
  GPtrArray *statements;   /* VigilStatement */
  gboolean   mask;         /* FALSE when the deciding rule said "mask": false */
} SessionPrepared;

/* A Bind's result format codes as the server reads them: none (every column in text), one
 * (for every column), or one per column (EACH, owned). */
typedef struct
{
  gint16  n;
  guint8  one;
  guint8 *each;
} SessionFormats;

/* A bound portal: which statement, with which parameters. */
typedef struct
{
  SessionPrepared *prepared;
  char            *params;   /* JSON array, or NULL */
  SessionFormats   results;
} SessionPortal;

/* A Describe the server has yet to answer with RowDescription or NoData: of a prepared
 * statement (a reference, not a copy: a client may describe one large statement many
 * times), or of a portal (PREPARED NULL: its plan is its Execute's). */
typedef struct
{
  guint64          sync_seq;
  SessionPrepared *prepared;
  GList            link;      /* in describing: no allocation a Describe */
} SessionDescribe;

/* A statement sent upstream whose result has not come back yet, in server order. Its
 * record is AUDIT, whose strings are partly borrowed (static, interned, or the session's
 * own user, database and peer, freed after the statements): never vigil_audit_record_free
 * it. */
typedef struct
{
  VigilAuditRecord *record;        /* &audit */
  VigilAuditRecord  audit;
  char             *owned_class;   /* audit.class when it had to be built */
  GList             link;          /* in inflight, then finished: no allocation a statement */
  guint64           sync_seq;      /* answered by the ReadyForQuery of this sync point */
  gint64            started_us;
  guint64           bytes_at_start;
  gint64            rows_seen;
  gboolean          mask;          /* the deciding rule did not say "mask": false */
  SessionFormats    results;       /* its Bind's result formats (extended protocol) */
  char             *poison;        /* nonce of the stand-in a denied statement became */
  char             *deny_sqlstate;
  char             *deny_message;
  char             *deny_hint;
} SessionInFlight;

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
  VigilPollerWatch  *client_watch;
  VigilPollerWatch  *server_watch;    /* while there is a server connection */
  VigilBuffer        client_in;
  VigilBuffer        client_out;
  VigilBuffer        server_in;
  VigilBuffer        server_out;
  gboolean           client_readable; /* poll said so, and no read has hit EAGAIN since */
  gboolean           server_readable;
  gboolean           server_backlog;  /* buffered server messages left for the next round */
  gboolean           client_wants_out;/* TLS needs the fd writable to make progress */
  gboolean           server_wants_out;
  GSource           *timeout;         /* startup timeout, auth delay or drain limit */
  GHashTable        *startup;         /* client's startup parameters but user, database */
  char              *user;            /* identity name as the client sent it */
  char              *database;        /* connection name as the client sent it */
  VigilIdentity     *identity;
  VigilScramServer  *scram;
  gboolean           auth_cleartext;  /* a password was asked for: SSO on, TLS or Unix socket */
  const char        *auth_method;     /* "scram", "password" or "oidc", for the log */
  GCancellable      *auth_cancellable;/* while an ID token is being validated */
  VigilPeer         *peer;
  gint               counted_pid;     /* counted against the per-process limit */
  gboolean           peer_resolved;   /* attribution is done (the peer may still be NULL) */
  gboolean           connect_pending; /* logged in, waiting for attribution */
  gboolean           fncall_resolving;/* a FunctionCall waits for its function's name */
  VigilUpstream     *upstream;
  guint32            backend_pid;
  guint32            cancel_secret;
  char              *upstream_key;    /* the upstream pool's key for this client */
  guint8             server_status;   /* of the last ReadyForQuery: 'I', 'T' or 'E' */
  gboolean           unsynced;        /* client messages sent upstream since the last sync point */
  gboolean           cancel_sent;     /* a cancel went upstream: the connection is not kept */
  gboolean           terminated;      /* the client sent Terminate */
  gint64             started_at;
  guint64            bytes_from_client;
  guint64            bytes_to_client;
  char              *end_reason;

  /* statements (engine thread only) */
  GHashTable        *prepared;        /* name -> SessionPrepared */
  GHashTable        *portals;         /* name -> SessionPortal */
  GQueue             inflight;        /* SessionInFlight, in the order the server answers */
  GQueue             finished;        /* SessionInFlight answered, outcome not yet recorded */
  GQueue             describing;      /* SessionDescribe, in the order the server answers */
  guint64            syncs_sent;      /* Query, Sync and FunctionCall messages forwarded */
  guint64            syncs_answered;  /* ReadyForQuery messages seen */
  gboolean           audit_failed;    /* the audit refused a record: nothing more runs */
  GHashTable        *poisons;         /* nonce -> SessionInFlight (not owned) */
  GHashTable        *sql_prepared;    /* SQL-level PREPARE name -> GPtrArray of VigilStatement */

  /* masking (engine thread only; see vigil-session-mask.c) */
  SessionMask       *mask;
  GByteArray        *scratch;         /* a rewritten message on its way out */
  GString           *params_json;     /* scratch: a Bind's parameters as JSON */

  /* the statement held for approval (engine thread only) */
  HoldState          hold;
  gint64             hold_id;
  char              *hold_by;         /* who decided */
  char              *hold_reason;     /* why denied */
  GSource           *hold_timeout;
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
/* FALSE when the server connection cannot be watched (the kernel said why, in the log). */
gboolean _vigil_session_attach_server    (VigilSession *self);
/* A copy of *SCRATCH's text, at its size. A scratch string a large text grew past
 * SESSION_SCRATCH_KEEP is replaced by a new one, not kept for the session's life. */
char    *_vigil_session_scratch_copy     (GString     **scratch);

/* vigil-session-query.c: client messages after login. */
void     _vigil_session_init_statements  (VigilSession *self);
void     _vigil_session_clear_statements (VigilSession *self);
/* Handles one complete client message (type, full bytes). */
MessageResult _vigil_session_handle_client_message (VigilSession *self,
                                                    const guint8 *msg,
                                                    gsize         len);
/* Whether COLUMN comes in binary under FORMATS (a Bind's result formats). */
gboolean _vigil_session_formats_binary   (const SessionFormats *formats,
                                          guint                 column);

/* vigil-session-mask.c: what leaves the proxy is masked by policy. */
void         _vigil_session_describe_free   (SessionDescribe *d);
const char  *_vigil_session_describe_key    (SessionDescribe *d);
SessionMask *_vigil_session_mask_new        (VigilSession *self);
/* The next RowDescription answers a Describe of the prepared statement STATEMENT (its
 * audit text; NULL: not a statement's): its plan is kept for it, and applies to no rows. */
void         _vigil_session_mask_set_describing (SessionMask *mask,
                                                 const char  *statement);
void         _vigil_session_mask_free       (SessionMask  *mask);
/* Any server message after login; CURRENT is the statement it belongs to, or NULL.
 * Counts what it masks into CURRENT->record->masked. */
MaskAction   _vigil_session_mask_server_message (VigilSession    *self,
                                                 SessionInFlight *current,
                                                 const guint8    *msg,
                                                 gsize            len,
                                                 GByteArray      *out);
/* Statement text or parameters for the audit, with sensitive literals masked by the
 * detectors; NULL when nothing was masked. Adds the count to *MASKED. */
char        *_vigil_session_mask_for_audit  (VigilSession *self,
                                             const char   *text,
                                             guint        *masked);

/* vigil-session-hold.c: statements that need a human. */
/* Returns TRUE when VERDICT may proceed now (approved, or rewritten into a denial). */
gboolean _vigil_session_hold_settle      (VigilSession         *self,
                                          const VigilStatement *st,
                                          const char           *text,
                                          VigilVerdict         *verdict);
void     _vigil_session_hold_withdraw    (VigilSession *self);
void     _vigil_session_hold_clear       (VigilSession *self);
void     _vigil_session_inflight_free    (SessionInFlight *f);
/* Appends F's outcome to the audit and tells the console. */
void     _vigil_session_record_outcome   (VigilSession    *self,
                                          SessionInFlight *f);
/* Records the outcomes of the statements answered since the last call, and frees them:
 * once their results are on their way to the client, off the round trip. */
void     _vigil_session_record_finished  (VigilSession    *self);
/* FALSE once the audit refused a record (the session has been ended, 58030). */
gboolean _vigil_session_check_audit      (VigilSession *self);

/* vigil-session-result.c: server messages after login. Appends to client_out; FALSE
 * when the message must wait (masking resolves a column plan) and was not consumed. */
gboolean _vigil_session_handle_server_message (VigilSession *self,
                                               const guint8 *msg,
                                               gsize         len);

/* vigil-session-startup.c: returns FALSE once nothing more can be done with the input. */
gboolean _vigil_session_process_startup  (VigilSession *self);
void     _vigil_session_begin_tls        (VigilSession *self);
void     _vigil_session_connect_when_attributed (VigilSession *self);
void     _vigil_session_continue_tls     (VigilSession *self);
gboolean _vigil_session_process_auth     (VigilSession *self);
/* Refuses the login: REASON goes to the log, the client hears after the growing delay. */
gboolean _vigil_session_auth_failed      (VigilSession *self,
                                          const char   *reason);
/* Sends what MSG holds and AuthenticationOk, logs the login, connects upstream. */
void     _vigil_session_logged_in        (VigilSession *self,
                                          GByteArray   *msg);

/* vigil-session-password.c: a cleartext password where single sign-on is on (TLS or the
 * Unix socket): an OpenID Connect ID token, or the identity's own token. */
gboolean _vigil_session_wants_password   (VigilSession *self);
void     _vigil_session_ask_password     (VigilSession *self);
gboolean _vigil_session_process_password (VigilSession *self);
/* The session is closing: a validation under way is cancelled. */
void     _vigil_session_cancel_login     (VigilSession *self);

G_END_DECLS
