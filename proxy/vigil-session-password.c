/* vigil-session-password.c: a cleartext password where single sign-on is on.
 *
 * Over TLS or the Unix socket, with --oidc-issuer, the proxy asks for the password itself
 * (AuthenticationCleartextPassword) instead of SCRAM. A password shaped like a JWT is an
 * OpenID Connect ID token: validated by the engine's VigilOidc, its claim must name the
 * startup user, an active human or admin. Anything else is the identity's own token,
 * checked against its SCRAM verifier off the engine thread, so agents keep working.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <openssl/crypto.h>

#include "vigil-session-private.h"

#define AUTH_CLEARTEXT_PASSWORD 3
/* client_may_read() stops reading login input at 2 × VIGIL_MAX_AUTH_MESSAGE: a whole
 * password message fits in that (an ID token can be several KB). */
#define MAX_PASSWORD_MESSAGE    (2 * VIGIL_MAX_AUTH_MESSAGE - VIGIL_WIRE_HEADER_SIZE)

typedef struct
{
  char *verifier;   /* NULL for an unknown identity */
  char *password;
} TokenCheck;

/* ---- helpers ------------------------------------------------------------------------- */

static void
free_secret (char *secret)
{
  if (secret == NULL)
    return;
  OPENSSL_cleanse (secret, strlen (secret));
  g_free (secret);
}

static void
token_check_free (TokenCheck *check)
{
  g_free (check->verifier);
  free_secret (check->password);
  g_free (check);
}

static gboolean
is_base64url (const char *p,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (p[i]) && p[i] != '-' && p[i] != '_')
      return FALSE;
  return TRUE;
}

/* Three base64url parts (the last may be empty: "alg": "none" is refused, not mistaken
 * for a token). Vigil's own tokens ("vgl_...") have no dots. */
static gboolean
looks_like_jwt (const char *password)
{
  const char *dot1 = strchr (password, '.');
  const char *dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;

  return dot2 != NULL && dot1 > password && dot2 > dot1 + 1 &&
         is_base64url (password, dot1 - password) &&
         is_base64url (dot1 + 1, dot2 - dot1 - 1) &&
         is_base64url (dot2 + 1, strlen (dot2 + 1));
}

/* A short word for the log, then the validator's own explanation. */
static const char *
jwt_failure (const GError *error)
{
  static const char * const words[] = {
    [VIGIL_JWT_ERROR_MALFORMED] = "malformed",
    [VIGIL_JWT_ERROR_TOO_LARGE] = "too-large",
    [VIGIL_JWT_ERROR_ALGORITHM] = "alg",
    [VIGIL_JWT_ERROR_UNKNOWN_KEY] = "unknown-key",
    [VIGIL_JWT_ERROR_SIGNATURE] = "signature",
    [VIGIL_JWT_ERROR_EXPIRED] = "expired",
    [VIGIL_JWT_ERROR_NOT_YET_VALID] = "not-yet-valid",
    [VIGIL_JWT_ERROR_ISSUER] = "issuer",
    [VIGIL_JWT_ERROR_AUDIENCE] = "audience",
    [VIGIL_JWT_ERROR_CLAIM] = "claim",
    [VIGIL_JWT_ERROR_JWKS] = "jwks",
  };

  if (error->domain == VIGIL_JWT_ERROR && error->code >= 0 &&
      (gsize) error->code < G_N_ELEMENTS (words))
    return words[error->code];
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  return "error";
}

static gboolean
reject (VigilSession *self,
        const char   *message)
{
  _vigil_session_fatal (self, VIGIL_SQLSTATE_PROTOCOL_VIOLATION, message);
  return FALSE;
}

/* ---- ID tokens ----------------------------------------------------------------------- */

/* The token is genuine and names NAME: is that who logs in, and may they use SSO? */
static void
id_token_accepted (VigilSession *self,
                   const char   *name)
{
  g_autofree char *reason = NULL;
  g_autoptr(GByteArray) msg = NULL;

  if (!g_str_equal (name, self->user))
    reason = g_strdup_printf ("identity: the token names \"%s\"", name);
  else if (self->identity == NULL)
    reason = g_strdup ("identity: no such active identity");
  else if (self->identity->kind != VIGIL_IDENTITY_KIND_HUMAN &&
           self->identity->kind != VIGIL_IDENTITY_KIND_ADMIN)
    reason = g_strdup_printf ("identity: an identity of kind %s does not log in by single "
                              "sign-on", vigil_identity_kind_to_string (self->identity->kind));
  if (reason != NULL)
    {
      _vigil_session_auth_failed (self, reason);
      return;
    }
  msg = g_byte_array_new ();
  _vigil_session_logged_in (self, msg);
}

static void
id_token_validated_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  VigilSession *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = vigil_oidc_validate_finish (VIGIL_OIDC (source), result, &error);

  g_clear_object (&self->auth_cancellable);
  if (self->state == SESSION_AUTH_LOOKUP)
    {
      if (name == NULL)
        {
          g_autofree char *reason = g_strdup_printf ("%s: %s", jwt_failure (error),
                                                     error->message);
          _vigil_session_auth_failed (self, reason);
        }
      else
        id_token_accepted (self, name);
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

static void
check_id_token (VigilSession *self,
                const char   *token)
{
  self->auth_method = "oidc";
  self->state = SESSION_AUTH_LOOKUP;
  self->auth_cancellable = g_cancellable_new ();
  vigil_oidc_validate_async (_vigil_engine_get_oidc (self->engine), token,
                             self->auth_cancellable, id_token_validated_cb,
                             vigil_session_ref (self));
}

/* ---- the identity's token ------------------------------------------------------------ */

static void
token_check_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  TokenCheck *check = task_data;

  /* An unknown identity costs the same PBKDF2 time as a known one. */
  if (check->verifier == NULL)
    {
      free_secret (vigil_scram_make_verifier (check->password, NULL));
      g_task_return_boolean (task, FALSE);
      return;
    }
  g_task_return_boolean (task, vigil_scram_verifier_check (check->verifier, check->password));
}

static void
token_checked_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VigilSession *self = user_data;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), NULL);

  if (self->state == SESSION_AUTH_LOOKUP)
    {
      if (self->identity == NULL)
        _vigil_session_auth_failed (self, "no such active identity");
      else if (!ok)
        _vigil_session_auth_failed (self, "wrong token");
      else
        {
          g_autoptr(GByteArray) msg = g_byte_array_new ();

          _vigil_session_logged_in (self, msg);
        }
      _vigil_session_pump (self);
    }
  vigil_session_unref (self);
}

static void
check_token (VigilSession *self,
             char         *password)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, token_checked_cb, vigil_session_ref (self));
  TokenCheck *check = g_new0 (TokenCheck, 1);

  self->auth_method = "password";
  self->state = SESSION_AUTH_LOOKUP;
  check->verifier = self->identity ? g_strdup (self->identity->scram_verifier) : NULL;
  check->password = password;
  g_task_set_source_tag (task, check_token);
  g_task_set_task_data (task, check, (GDestroyNotify) token_check_free);
  g_task_run_in_thread (task, token_check_thread);
}

/* ---- internal API -------------------------------------------------------------------- */

gboolean
_vigil_session_wants_password (VigilSession *self)
{
  return _vigil_engine_get_oidc (self->engine) != NULL &&
         (self->is_unix || vigil_stream_is_tls (self->client));
}

void
_vigil_session_ask_password (VigilSession *self)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();

  vigil_wire_write_auth (msg, AUTH_CLEARTEXT_PASSWORD, NULL, 0);
  _vigil_session_send_to_client (self, msg);
  self->auth_cleartext = TRUE;
  self->auth_method = "password";
  self->state = SESSION_AUTH_SASL_INIT;
}

gboolean
_vigil_session_process_password (VigilSession *self)
{
  const guint8 *head = vigil_buffer_head (&self->client_in);
  VigilWireReader r;
  const char *password;
  char *copy;
  guint32 len;

  if (vigil_buffer_len (&self->client_in) < VIGIL_WIRE_HEADER_SIZE)
    return FALSE;
  len = vigil_wire_get_uint32 (head + 1);
  if (head[0] != VIGIL_FE_PASSWORD)
    return reject (self, "expected password response, got another message type");
  /* Checked before anything waits for (or is allocated for) the body. */
  if (len < 5 || len - 4 > MAX_PASSWORD_MESSAGE)
    return reject (self, "invalid password packet size");
  if (vigil_buffer_len (&self->client_in) < (gsize) len + 1)
    return FALSE;
  vigil_wire_reader_init (&r, head + VIGIL_WIRE_HEADER_SIZE, len - 4);
  if (!vigil_wire_read_string (&r, &password) || vigil_wire_reader_remaining (&r) != 0)
    return reject (self, "invalid password packet");
  copy = g_strdup (password);
  OPENSSL_cleanse ((guint8 *) head + VIGIL_WIRE_HEADER_SIZE, len - 4);
  vigil_buffer_consume (&self->client_in, (gsize) len + 1);
  if (looks_like_jwt (copy))
    {
      check_id_token (self, copy);
      free_secret (copy);
    }
  else
    check_token (self, copy);
  return FALSE;
}

void
_vigil_session_cancel_login (VigilSession *self)
{
  if (self->auth_cancellable != NULL)
    g_cancellable_cancel (self->auth_cancellable);
}
