/* test-oidc.c: ID tokens validated against a JWKS served by a SoupServer in the test.
 *
 * The keys (RSA 2048, EC P-256) and the provider serving them are tests/vigil-test-jwt.c;
 * the tokens are signed here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-oidc.h"
#include "vigil-test-jwt.h"

#define AUDIENCE VIGIL_TEST_JWT_AUDIENCE
#define EMAIL    "alice@example.com"

static VigilTestIdp *idp;

static char *
claims (const char *issuer,
        const char *audience_json,
        gint64      exp_delta,
        gint64      nbf_delta)
{
  return vigil_test_jwt_claims (issuer, audience_json, EMAIL, exp_delta, nbf_delta);
}

static char *
good_claims (void)
{
  return claims (vigil_test_idp_get_issuer (idp), "\"" AUDIENCE "\"", 600, -10);
}

/* ---- validating ----------------------------------------------------------------------- */

typedef struct
{
  char    *name;
  GError  *error;
  gboolean done;
} Outcome;

static void
validated_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Outcome *o = user_data;

  o->name = vigil_oidc_validate_finish (VIGIL_OIDC (source), result, &o->error);
  o->done = TRUE;
}

/* A bound on waits that should end at once: a hang fails the test instead. */
static gboolean
guard_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static char *
validate (VigilOidc   *oidc,
          const char  *token,
          GError     **error)
{
  Outcome o = { 0 };

  vigil_oidc_validate_async (oidc, token, NULL, validated_cb, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);
  if (o.error != NULL)
    g_propagate_error (error, o.error);
  return o.name;
}

static void
assert_valid (VigilOidc  *oidc,
              const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = validate (oidc, token, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, EMAIL);
}

static void
assert_refused (VigilOidc    *oidc,
                const char   *token,
                VigilJwtError code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = validate (oidc, token, &error);

  g_assert_null (name);
  g_assert_error (error, VIGIL_JWT_ERROR, (gint) code);
  g_test_message ("refused: %s", error->message);
}

static VigilOidc *
new_oidc (void)
{
  return vigil_oidc_new (vigil_test_idp_get_issuer (idp), AUDIENCE, "email", NULL);
}

/* ---- cases ---------------------------------------------------------------------------- */

static void
test_valid (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *rs = vigil_test_jwt_make ("RS256", "rsa-1", vigil_test_idp_get_rsa (idp), payload);
  g_autofree char *es = vigil_test_jwt_make ("ES256", "ec-1", vigil_test_idp_get_ec (idp), payload);
  g_autofree char *array_aud = claims (vigil_test_idp_get_issuer (idp), "[\"other\", \"" AUDIENCE "\"]", 600, 0);
  g_autofree char *rs_array = vigil_test_jwt_make ("RS256", "rsa-1", vigil_test_idp_get_rsa (idp), array_aud);

  vigil_test_idp_publish_default (idp, 300);
  assert_valid (oidc, rs);
  assert_valid (oidc, es);
  assert_valid (oidc, rs_array);
}

static void
test_claims_refused (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *expired = claims (vigil_test_idp_get_issuer (idp), "\"" AUDIENCE "\"", -120, -600);
  g_autofree char *early = claims (vigil_test_idp_get_issuer (idp), "\"" AUDIENCE "\"", 600, 300);
  g_autofree char *audience = claims (vigil_test_idp_get_issuer (idp), "\"someone-else\"", 600, 0);
  g_autofree char *audiences = claims (vigil_test_idp_get_issuer (idp), "[\"a\", \"b\"]", 600, 0);
  g_autofree char *issuer = claims ("https://evil.example.com", "\"" AUDIENCE "\"", 600, 0);
  g_autofree char *unverified = g_strdup_printf ("{\"iss\":\"%s\",\"aud\":\"" AUDIENCE "\","
                                                 "\"email\":\"x@example.com\",\"email_verified\":"
                                                 "false,\"exp\":%" G_GINT64_FORMAT "}", vigil_test_idp_get_issuer (idp),
                                                 g_get_real_time () / G_USEC_PER_SEC + 600);
  struct { const char *payload; VigilJwtError code; } cases[] = {
    { expired, VIGIL_JWT_ERROR_EXPIRED },
    { early, VIGIL_JWT_ERROR_NOT_YET_VALID },
    { audience, VIGIL_JWT_ERROR_AUDIENCE },
    { audiences, VIGIL_JWT_ERROR_AUDIENCE },
    { issuer, VIGIL_JWT_ERROR_ISSUER },
    { unverified, VIGIL_JWT_ERROR_CLAIM },
  };

  vigil_test_idp_publish_default (idp, 300);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *token = vigil_test_jwt_make ("ES256", "ec-1", vigil_test_idp_get_ec (idp), cases[i].payload);
      assert_refused (oidc, token, cases[i].code);
    }
}

static void
test_signature_refused (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *forged = vigil_test_jwt_make ("RS256", "rsa-1", vigil_test_idp_get_other_rsa (idp), payload);
  g_autofree char *none = vigil_test_jwt_make ("none", "rsa-1", NULL, payload);
  g_autofree char *hs256 = vigil_test_jwt_make ("HS256", "rsa-1", vigil_test_idp_get_rsa (idp), payload);
  g_autofree char *wrong_type = vigil_test_jwt_make ("RS256", "ec-1", vigil_test_idp_get_rsa (idp), payload);
  g_autofree char *good = vigil_test_jwt_make ("RS256", "rsa-1", vigil_test_idp_get_rsa (idp), payload);
  g_autofree char *tampered = g_strdup (good);
  g_autofree char *huge = NULL;
  char *dot;

  vigil_test_idp_publish_default (idp, 300);
  assert_refused (oidc, forged, VIGIL_JWT_ERROR_SIGNATURE);
  assert_refused (oidc, none, VIGIL_JWT_ERROR_ALGORITHM);
  assert_refused (oidc, hs256, VIGIL_JWT_ERROR_ALGORITHM);
  assert_refused (oidc, wrong_type, VIGIL_JWT_ERROR_ALGORITHM);
  /* A payload changed after signing. */
  dot = strchr (tampered, '.') + 5;
  *dot = *dot == 'A' ? 'B' : 'A';
  assert_refused (oidc, tampered, VIGIL_JWT_ERROR_SIGNATURE);
  assert_refused (oidc, "not-a-token", VIGIL_JWT_ERROR_MALFORMED);
  assert_refused (oidc, "eyJ!!!.eyJ.c2ln", VIGIL_JWT_ERROR_MALFORMED);
  assert_refused (oidc, "a.b.c.d", VIGIL_JWT_ERROR_MALFORMED);
  assert_refused (oidc, "e30.e30.", VIGIL_JWT_ERROR_MALFORMED);
  huge = g_strnfill (VIGIL_JWT_MAX_LENGTH + 1, 'A');
  assert_refused (oidc, huge, VIGIL_JWT_ERROR_TOO_LARGE);
}

static void
test_unknown_kid (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *unknown = vigil_test_jwt_make ("RS256", "rsa-9", vigil_test_idp_get_rsa (idp), payload);
  g_autofree char *rotated = vigil_test_jwt_make ("RS256", "rsa-2", vigil_test_idp_get_other_rsa (idp), payload);
  g_autofree char *good = vigil_test_jwt_make ("RS256", "rsa-1", vigil_test_idp_get_rsa (idp), payload);
  g_autofree char *rsa1 = vigil_test_jwk (vigil_test_idp_get_rsa (idp), "rsa-1");
  g_autofree char *rsa2 = vigil_test_jwk (vigil_test_idp_get_other_rsa (idp), "rsa-2");
  g_autofree char *both = g_strdup_printf ("{\"keys\":[%s,%s]}", rsa1, rsa2);
  gint hits;

  vigil_test_idp_publish_default (idp, 300);
  assert_valid (oidc, good);
  hits = vigil_test_idp_get_jwks_hits (idp);
  /* Within the rate limit an unknown kid does not refetch. */
  assert_refused (oidc, unknown, VIGIL_JWT_ERROR_UNKNOWN_KEY);
  g_assert_cmpint (vigil_test_idp_get_jwks_hits (idp), ==, hits);

  /* Past it, a new key published by the issuer is found. */
  vigil_oidc_set_min_refetch (oidc, 0);
  vigil_test_idp_set_jwks (idp, both, 300);
  assert_valid (oidc, rotated);
  g_assert_cmpint (vigil_test_idp_get_jwks_hits (idp), ==, hits + 1);
  assert_refused (oidc, unknown, VIGIL_JWT_ERROR_UNKNOWN_KEY);
}

static void
test_cache (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autofree char *payload = good_claims ();
  g_autofree char *token = vigil_test_jwt_make ("ES256", "ec-1", vigil_test_idp_get_ec (idp), payload);
  gint jwks_hits, discovery_hits;

  vigil_test_idp_publish_default (idp, 1);
  jwks_hits = vigil_test_idp_get_jwks_hits (idp);
  discovery_hits = vigil_test_idp_get_discovery_hits (idp);
  for (int i = 0; i < 5; i++)
    assert_valid (oidc, token);
  g_assert_cmpint (vigil_test_idp_get_jwks_hits (idp), ==, jwks_hits + 1);
  g_assert_cmpint (vigil_test_idp_get_discovery_hits (idp), ==, discovery_hits + 1);

  /* max-age=1: after it, fetched again (the discovery is not repeated). */
  g_usleep (1100 * 1000);
  assert_valid (oidc, token);
  assert_valid (oidc, token);
  g_assert_cmpint (vigil_test_idp_get_jwks_hits (idp), ==, jwks_hits + 2);
  g_assert_cmpint (vigil_test_idp_get_discovery_hits (idp), ==, discovery_hits + 1);
}

static void
test_jwks_unreachable (void)
{
  g_autoptr(VigilOidc) oidc = vigil_oidc_new ("http://127.0.0.1:1", AUDIENCE, "email", NULL);
  g_autoptr(VigilOidc) insecure = vigil_oidc_new ("http://idp.example.com", AUDIENCE, "email",
                                                  NULL);
  g_autofree char *payload = good_claims ();
  g_autofree char *token = vigil_test_jwt_make ("RS256", "rsa-1", vigil_test_idp_get_rsa (idp), payload);

  assert_refused (oidc, token, VIGIL_JWT_ERROR_JWKS);
  assert_refused (insecure, token, VIGIL_JWT_ERROR_JWKS);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* A caller that gives up while the key set is being fetched hears so at once (the answer
 * is held back until after), and the fetch still serves the next validation. */
static void
test_cancelled_while_fetching (void)
{
  g_autoptr(VigilOidc) oidc = new_oidc ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) guard = g_timeout_source_new_seconds (20);
  g_autofree char *payload = good_claims ();
  g_autofree char *token = vigil_test_jwt_make ("ES256", "ec-1", vigil_test_idp_get_ec (idp),
                                                payload);
  gint hits = vigil_test_idp_get_jwks_hits (idp);
  gboolean gave_up = FALSE;
  Outcome o = { 0 };
  guint ticker;

  vigil_test_idp_publish_default (idp, 300);
  vigil_test_idp_hold_jwks (idp, TRUE);
  g_source_set_callback (guard, guard_cb, &gave_up, NULL);
  g_source_attach (guard, NULL);
  vigil_oidc_validate_async (oidc, token, cancellable, validated_cb, &o);
  /* Cancel once the request for the key set has reached the provider. The provider counts
   * it on its own thread, which wakes nobody here: look every few milliseconds. */
  ticker = g_timeout_add (5, tick_cb, NULL);
  while (vigil_test_idp_get_jwks_hits (idp) == hits && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (ticker);
  g_cancellable_cancel (cancellable);
  while (!o.done && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (guard);
  vigil_test_idp_hold_jwks (idp, FALSE);
  g_assert_false (gave_up);
  g_assert_null (o.name);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&o.error);
  assert_valid (oidc, token);
  g_assert_cmpint (vigil_test_idp_get_jwks_hits (idp), ==, hits + 1);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  idp = vigil_test_idp_start ();

  g_test_add_func ("/oidc/token/valid", test_valid);
  g_test_add_func ("/oidc/token/claims-refused", test_claims_refused);
  g_test_add_func ("/oidc/token/signature-refused", test_signature_refused);
  g_test_add_func ("/oidc/jwks/unknown-kid", test_unknown_kid);
  g_test_add_func ("/oidc/jwks/cache", test_cache);
  g_test_add_func ("/oidc/jwks/unreachable", test_jwks_unreachable);
  g_test_add_func ("/oidc/jwks/cancelled-while-fetching", test_cancelled_while_fetching);
  status = g_test_run ();

  vigil_test_idp_stop (idp);
  return status;
}
