/* vigil-session-mask.c: masking of what leaves the proxy. Being written (issue 5):
 * until then nothing is masked. */
#include "vigil-session-private.h"

struct _SessionMask
{
  VigilSession *session;
};

SessionMask *
_vigil_session_mask_new (VigilSession *self)
{
  SessionMask *mask = g_new0 (SessionMask, 1);

  mask->session = self;
  return mask;
}

void
_vigil_session_mask_free (SessionMask *mask)
{
  g_free (mask);
}

MaskAction
_vigil_session_mask_server_message (VigilSession    *self,
                                    SessionInFlight *current,
                                    const guint8    *msg,
                                    gsize            len,
                                    GByteArray      *out)
{
  return MASK_PASS;
}

char *
_vigil_session_mask_for_audit (VigilSession *self,
                               const char   *text,
                               guint        *masked)
{
  return NULL;
}
