/* vigil-api-auth.c: bearer tokens for the HTTP API.
 *
 * A token is an identity's token, checked against its SCRAM verifier. PBKDF2 costs
 * milliseconds, so the check runs in a worker (the message paused meanwhile) and its
 * outcome is cached for a minute, keyed by the SHA-256 of the credential, never the
 * credential itself. "Bearer NAME:TOKEN" checks one identity; a bare token is tried
 * against every active identity (at most MAX_SCAN of them).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-api-private.h"
#include "vigil-scram.h"

#define CACHE_TTL_US      (60 * G_USEC_PER_SEC)
#define CACHE_MAX         4096
#define MAX_CREDENTIAL    1024
#define MAX_SCAN          64

typedef struct
{
  char              *name;     /* NULL: the credential was refused */
  VigilIdentityKind  kind;
  gint64             expires;
} AuthEntry;

typedef struct
{
  ApiRequest       *request;
  ApiAuthenticated  then;
  VigilStore       *store;
  char             *credential;
  char             *key;
} AuthJob;

static void
auth_entry_free (AuthEntry *entry)
{
  g_free (entry->name);
  g_free (entry);
}

static void
auth_job_free (AuthJob *job)
{
  g_object_unref (job->store);
  memset (job->credential, 0, strlen (job->credential));
  g_free (job->credential);
  g_free (job->key);
  g_free (job);
}

static AuthEntry *
check_one (const VigilIdentity *identity,
           const char          *token)
{
  AuthEntry *entry;

  if (identity == NULL || identity->revoked_at != 0 ||
      !vigil_scram_verifier_check (identity->scram_verifier, token))
    return NULL;
  entry = g_new0 (AuthEntry, 1);
  entry->name = g_strdup (identity->name);
  entry->kind = identity->kind;
  return entry;
}

/* Worker thread. */
static AuthEntry *
check_credential (VigilStore *store,
                  const char *credential)
{
  const char *colon = strrchr (credential, ':');
  g_autoptr(GPtrArray) identities = NULL;
  AuthEntry *entry = NULL;
  guint scanned = 0;

  if (colon != NULL)
    {
      g_autofree char *name = g_strndup (credential, colon - credential);
      g_autoptr(VigilIdentity) identity = vigil_store_identity_lookup (store, name, NULL);

      return check_one (identity, colon + 1);
    }
  identities = vigil_store_identity_list (store, NULL);
  for (guint i = 0; identities != NULL && i < identities->len && entry == NULL; i++)
    {
      const VigilIdentity *identity = g_ptr_array_index (identities, i);

      if (identity->revoked_at != 0)
        continue;
      if (++scanned > MAX_SCAN)
        break;
      entry = check_one (identity, credential);
    }
  return entry;
}

static void
check_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  AuthJob *job = task_data;
  AuthEntry *entry = check_credential (job->store, job->credential);

  if (entry == NULL)
    entry = g_new0 (AuthEntry, 1);
  g_task_return_pointer (task, entry, (GDestroyNotify) auth_entry_free);
}

static void
accept_entry (ApiRequest      *request,
              const AuthEntry *entry)
{
  request->caller.name = g_strdup (entry->name);
  request->caller.kind = entry->kind;
}

static void
remember (VigilApi  *self,
          char      *key,
          AuthEntry *entry)
{
  if (g_hash_table_size (self->auth_cache) >= CACHE_MAX)
    g_hash_table_remove_all (self->auth_cache);
  entry->expires = g_get_monotonic_time () + CACHE_TTL_US;
  g_hash_table_replace (self->auth_cache, key, entry);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  AuthJob *job = g_task_get_task_data (G_TASK (result));
  ApiRequest *request = job->request;
  AuthEntry *entry = g_task_propagate_pointer (G_TASK (result), NULL);

  if (entry != NULL && request->api->auth_cache != NULL)
    {
      accept_entry (request, entry);
      remember (request->api, g_steal_pointer (&job->key), entry);
    }
  else if (entry != NULL)
    auth_entry_free (entry);
  if (!request->finished)
    soup_server_message_unpause (request->msg);
  job->then (request);
}

void
_vigil_api_auth_init (VigilApi *self)
{
  self->auth_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) auth_entry_free);
}

void
_vigil_api_auth_clear (VigilApi *self)
{
  g_clear_pointer (&self->auth_cache, g_hash_table_unref);
}

static const char *
bearer_credential (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  header += 7;
  while (*header == ' ')
    header++;
  if (*header == '\0' || strlen (header) > MAX_CREDENTIAL || strchr (header, ' ') != NULL)
    return NULL;
  return header;
}

void
_vigil_api_authenticate (ApiRequest       *request,
                         ApiAuthenticated  then)
{
  VigilApi *self = request->api;
  const char *credential = bearer_credential (request->msg);
  g_autofree char *key = NULL;
  g_autoptr(GTask) task = NULL;
  AuthEntry *cached;
  AuthJob *job;

  if (credential == NULL)
    {
      then (request);
      return;
    }
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, credential, -1);
  cached = g_hash_table_lookup (self->auth_cache, key);
  if (cached != NULL && cached->expires > g_get_monotonic_time ())
    {
      if (cached->name != NULL)
        accept_entry (request, cached);
      then (request);
      return;
    }
  job = g_new0 (AuthJob, 1);
  job->request = request;
  job->then = then;
  job->store = g_object_ref (self->store);
  job->credential = g_strdup (credential);
  job->key = g_steal_pointer (&key);
  task = g_task_new (NULL, NULL, checked_cb, NULL);
  g_task_set_source_tag (task, _vigil_api_authenticate);
  g_task_set_task_data (task, job, (GDestroyNotify) auth_job_free);
  soup_server_message_pause (request->msg);
  g_task_run_in_thread (task, check_in_thread);
}
