/* vigil-oidc.c: OpenID Connect ID tokens as passwords for human identities.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <string.h>

#include "vigil-oidc.h"

#define MAX_DOCUMENT      (1024 * 1024)
#define MAX_AGE_CAP       (24 * 3600)
#define FETCH_TIMEOUT     10

struct _VigilOidc
{
  GObject      parent_instance;

  /* set at construction */
  char        *issuer;
  char        *audience;
  char        *claim;
  char        *jwks_url;          /* configured or discovered; NULL until known */
  guint        min_refetch;       /* seconds */

  /* the validating thread only */
  GThread     *owner;
  SoupSession *session;
  GHashTable  *keys;              /* kid -> EVP_PKEY; NULL before the first fetch */
  gint64       keys_expire;       /* monotonic us */
  gint64       last_fetch;        /* monotonic us, 0 never */
  gboolean     fetching;
  GQueue       waiting;           /* GTask */
};

/* A task's data: the token, and while it waits for the key set, its cancellation. */
typedef struct
{
  VigilJwt    *jwt;
  GSource     *cancel_source;
} Validation;

G_DEFINE_FINAL_TYPE (VigilOidc, vigil_oidc, G_TYPE_OBJECT)

static void fetch_jwks (VigilOidc *self);

/* ---- helpers -------------------------------------------------------------------------- */

static gboolean
url_allowed (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (uri == NULL || host == NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") == 0)
    return TRUE;
  /* Plain HTTP only to this machine (tests, a local identity provider). */
  return g_strcmp0 (g_uri_get_scheme (uri), "http") == 0 &&
         (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "localhost") ||
          g_str_equal (host, "::1"));
}

static guint
max_age (SoupMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Cache-Control");
  g_autoptr(GHashTable) params = NULL;
  const char *value;
  guint64 age;

  if (header == NULL)
    return VIGIL_OIDC_DEFAULT_MAX_AGE;
  params = soup_header_parse_param_list (header);
  if (g_hash_table_contains (params, "no-store") || g_hash_table_contains (params, "no-cache"))
    return 0;
  value = g_hash_table_lookup (params, "max-age");
  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &age, NULL))
    return VIGIL_OIDC_DEFAULT_MAX_AGE;
  return (guint) MIN (age, MAX_AGE_CAP);
}

static void
validation_stop_waiting (Validation *v)
{
  if (v->cancel_source == NULL)
    return;
  g_source_destroy (v->cancel_source);
  g_clear_pointer (&v->cancel_source, g_source_unref);
}

static void
validation_free (Validation *v)
{
  validation_stop_waiting (v);
  vigil_jwt_free (v->jwt);
  g_free (v);
}

/* ---- validation ----------------------------------------------------------------------- */

static EVP_PKEY *
find_key (VigilOidc *self,
          VigilJwt  *jwt)
{
  const char *kid = vigil_jwt_get_key_id (jwt);
  GHashTableIter iter;
  gpointer key = NULL;

  if (self->keys == NULL)
    return NULL;
  if (kid != NULL)
    return g_hash_table_lookup (self->keys, kid);
  /* No kid: only unambiguous with a single key. */
  if (g_hash_table_size (self->keys) != 1)
    return NULL;
  g_hash_table_iter_init (&iter, self->keys);
  g_hash_table_iter_next (&iter, NULL, &key);
  return key;
}

/* Completes TASK with KEY (NULL: the kid is unknown). */
static void
finish_with_key (VigilOidc *self,
                 GTask     *task,
                 EVP_PKEY  *key)
{
  VigilJwt *jwt = ((Validation *) g_task_get_task_data (task))->jwt;
  GError *error = NULL;
  char *name;

  if (key == NULL)
    {
      g_task_return_new_error (task, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_UNKNOWN_KEY,
                               "no key \"%s\" in the issuer's key set",
                               vigil_jwt_get_key_id (jwt) ? vigil_jwt_get_key_id (jwt) : "");
      return;
    }
  if (!vigil_jwt_verify_signature (jwt, key, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  name = vigil_jwt_check_claims (jwt, self->issuer, self->audience, self->claim,
                                 g_get_real_time () / G_USEC_PER_SEC, &error);
  if (name == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, name, g_free);
}

/* Every waiting task, after a fetch: FETCH_ERROR when there are no keys to try. */
static void
release_waiting (VigilOidc    *self,
                 const GError *fetch_error)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->waiting)) != NULL)
    {
      Validation *v = g_task_get_task_data (task);
      EVP_PKEY *key = find_key (self, v->jwt);

      validation_stop_waiting (v);
      if (key == NULL && fetch_error != NULL)
        g_task_return_error (task, g_error_copy (fetch_error));
      else
        finish_with_key (self, task, key);
      g_object_unref (task);
    }
}

static void
fetch_failed (VigilOidc    *self,
              const char   *what,
              const GError *cause)
{
  g_autoptr(GError) error = g_error_new (VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_JWKS,
                                         "cannot fetch the issuer's %s%s%s", what,
                                         cause ? ": " : "", cause ? cause->message : "");

  self->fetching = FALSE;
  release_waiting (self, error);
  g_object_unref (self);
}

/* A waiting task whose caller gave up: it leaves the queue now, the fetch goes on. */
static gboolean
waiting_cancelled_cb (GCancellable *cancellable,
                      gpointer      user_data)
{
  GTask *task = user_data;
  VigilOidc *self = g_task_get_source_object (task);
  Validation *v = g_task_get_task_data (task);

  g_clear_pointer (&v->cancel_source, g_source_unref);
  g_queue_remove (&self->waiting, task);
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
wait_for_keys (VigilOidc *self,
               GTask     *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  Validation *v = g_task_get_task_data (task);

  if (cancellable != NULL)
    {
      /* A source, not a signal handler: it runs on this thread's context, after cancel(). */
      v->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (v->cancel_source, G_SOURCE_FUNC (waiting_cancelled_cb), task, NULL);
      g_source_attach (v->cancel_source, g_task_get_context (task));
    }
  g_queue_push_tail (&self->waiting, task);
}

/* ---- fetching ------------------------------------------------------------------------- */

/* The body of a 200 answer, or NULL with ERROR set. */
static GBytes *
read_answer (SoupSession   *session,
             GAsyncResult  *result,
             GError       **error)
{
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (session, result, error);

  if (body == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_JWKS, "HTTP status %u",
                   soup_message_get_status (msg));
      return NULL;
    }
  if (g_bytes_get_size (body) > MAX_DOCUMENT)
    {
      g_set_error (error, VIGIL_JWT_ERROR, VIGIL_JWT_ERROR_JWKS, "the document is too large");
      return NULL;
    }
  return g_steal_pointer (&body);
}

static void
jwks_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VigilOidc *self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = read_answer (SOUP_SESSION (source), result, &error);
  GHashTable *keys;
  const char *data;
  gsize len;

  if (body == NULL)
    {
      fetch_failed (self, "key set", error);
      return;
    }
  data = g_bytes_get_data (body, &len);
  keys = vigil_jwks_parse (data, len, &error);
  if (keys == NULL)
    {
      fetch_failed (self, "key set", error);
      return;
    }
  g_clear_pointer (&self->keys, g_hash_table_unref);
  self->keys = keys;
  self->keys_expire = g_get_monotonic_time () + max_age (msg) * G_USEC_PER_SEC;
  self->fetching = FALSE;
  release_waiting (self, NULL);
  g_object_unref (self);
}

static void
get (VigilOidc           *self,
     const char          *url,
     GAsyncReadyCallback  callback)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, NULL, callback, self);
}

static void
discovered_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  VigilOidc *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = read_answer (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *doc;
  const char *jwks_uri;
  const char *data;
  gsize len;

  if (body == NULL)
    {
      fetch_failed (self, "OpenID configuration", error);
      return;
    }
  data = g_bytes_get_data (body, &len);
  if (!json_parser_load_from_data (parser, data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      fetch_failed (self, "OpenID configuration", NULL);
      return;
    }
  doc = json_node_get_object (json_parser_get_root (parser));
  jwks_uri = json_object_get_string_member_with_default (doc, "jwks_uri", NULL);
  /* OpenID Connect Discovery 1.0, 4.3: the document must name the issuer we asked. */
  if (g_strcmp0 (json_object_get_string_member_with_default (doc, "issuer", NULL),
                 self->issuer) != 0 || jwks_uri == NULL || !url_allowed (jwks_uri))
    {
      fetch_failed (self, "OpenID configuration (issuer or jwks_uri unusable)", NULL);
      return;
    }
  self->jwks_url = g_strdup (jwks_uri);
  get (self, self->jwks_url, jwks_fetched_cb);
}

/* Fetches the key set (discovering it first when needed); waiting tasks finish after. */
static void
fetch_jwks (VigilOidc *self)
{
  g_autofree char *discovery = NULL;

  if (self->fetching)
    return;
  self->fetching = TRUE;
  self->last_fetch = g_get_monotonic_time ();
  g_object_ref (self);
  if (self->jwks_url != NULL)
    {
      get (self, self->jwks_url, jwks_fetched_cb);
      return;
    }
  discovery = g_strconcat (self->issuer, g_str_has_suffix (self->issuer, "/") ? "" : "/",
                           ".well-known/openid-configuration", NULL);
  if (!url_allowed (discovery))
    {
      fetch_failed (self, "OpenID configuration (the issuer must use https)", NULL);
      return;
    }
  get (self, discovery, discovered_cb);
}

/* ---- GObject -------------------------------------------------------------------------- */

static void
vigil_oidc_finalize (GObject *object)
{
  VigilOidc *self = VIGIL_OIDC (object);

  g_assert (g_queue_is_empty (&self->waiting));
  g_free (self->issuer);
  g_free (self->audience);
  g_free (self->claim);
  g_free (self->jwks_url);
  g_clear_object (&self->session);
  g_clear_pointer (&self->keys, g_hash_table_unref);
  G_OBJECT_CLASS (vigil_oidc_parent_class)->finalize (object);
}

static void
vigil_oidc_class_init (VigilOidcClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_oidc_finalize;
}

static void
vigil_oidc_init (VigilOidc *self)
{
  self->min_refetch = VIGIL_OIDC_MIN_REFETCH;
  g_queue_init (&self->waiting);
}

/* ---- public API ----------------------------------------------------------------------- */

VigilOidc *
vigil_oidc_new (const char *issuer,
                const char *audience,
                const char *claim,
                const char *jwks_url)
{
  VigilOidc *self;

  g_return_val_if_fail (issuer != NULL && audience != NULL && claim != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_OIDC, NULL);
  self->issuer = g_strdup (issuer);
  self->audience = g_strdup (audience);
  self->claim = g_strdup (claim);
  self->jwks_url = g_strdup (jwks_url);
  return self;
}

void
vigil_oidc_set_min_refetch (VigilOidc *self,
                            guint      seconds)
{
  g_return_if_fail (VIGIL_IS_OIDC (self));
  self->min_refetch = seconds;
}

void
vigil_oidc_validate_async (VigilOidc           *self,
                           const char          *jwt,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  VigilJwt *parsed;
  Validation *v;
  gint64 now = g_get_monotonic_time ();
  EVP_PKEY *key;

  g_return_if_fail (VIGIL_IS_OIDC (self));
  g_return_if_fail (jwt != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_oidc_validate_async);
  if (self->owner == NULL)
    {
      self->owner = g_thread_self ();
      self->session = soup_session_new_with_options ("timeout", FETCH_TIMEOUT,
                                                     "user-agent", "vigil/" VIGIL_VERSION, NULL);
    }
  g_return_if_fail (self->owner == g_thread_self ());
  parsed = vigil_jwt_parse (jwt, &error);
  if (parsed == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  v = g_new0 (Validation, 1);
  v->jwt = parsed;
  g_task_set_task_data (task, v, (GDestroyNotify) validation_free);
  key = find_key (self, parsed);
  if (self->keys != NULL && now < self->keys_expire &&
      (key != NULL || now - self->last_fetch < (gint64) self->min_refetch * G_USEC_PER_SEC))
    {
      finish_with_key (self, task, key);
      return;
    }
  wait_for_keys (self, g_steal_pointer (&task));
  fetch_jwks (self);
}

void
vigil_oidc_abort (VigilOidc *self)
{
  g_return_if_fail (VIGIL_IS_OIDC (self));

  if (self->session != NULL)
    soup_session_abort (self->session);
}

gboolean
vigil_oidc_url_allowed (const char *url)
{
  g_return_val_if_fail (url != NULL, FALSE);
  return url_allowed (url);
}

char *
vigil_oidc_validate_finish (VigilOidc     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
