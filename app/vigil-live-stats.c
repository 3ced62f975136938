/* vigil-live-stats.c: counters over every live event, per minute.
 *
 * A ring of minutes keyed by absolute minute number: adding costs a few increments,
 * whatever the rate, and nothing grows with the number of statements.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-overview"

#include <string.h>

#include "vigil-live-stats.h"

#define MAX_IDENTITIES 500
#define MAX_AWAITING   100000   /* statements seen arriving whose outcome is still due */

typedef struct
{
  gint64 minute;                  /* unix minutes; 0: unused */
  guint  decisions[VIGIL_LIVE_N_DECISIONS];
  guint  masked;
} Minute;

struct _VigilLiveStats
{
  GObject     parent_instance;

  Minute      minutes[VIGIL_LIVE_STATS_MINUTES];
  guint64     totals[VIGIL_LIVE_N_DECISIONS];
  GHashTable *identities;         /* name -> count */
  GHashTable *awaiting;           /* gint64 id set */
};

G_DEFINE_FINAL_TYPE (VigilLiveStats, vigil_live_stats, G_TYPE_OBJECT)

static int
decision_of (const char *decision)
{
  if (g_strcmp0 (decision, "allow") == 0)
    return VIGIL_LIVE_ALLOWED;
  if (g_strcmp0 (decision, "deny") == 0)
    return VIGIL_LIVE_DENIED;
  if (g_strcmp0 (decision, "review") == 0)
    return VIGIL_LIVE_HELD;
  return -1;
}

static Minute *
minute_for (VigilLiveStats *self,
            gint64          time_us)
{
  gint64 minute = time_us / (60 * G_USEC_PER_SEC);
  Minute *slot = &self->minutes[minute % VIGIL_LIVE_STATS_MINUTES];

  if (minute <= 0)
    return NULL;
  if (slot->minute == minute)
    return slot;
  if (slot->minute > minute)
    return NULL;  /* older than the ring reaches */
  *slot = (Minute) { .minute = minute };
  return slot;
}

static void
count_statement (VigilLiveStats         *self,
                 const VigilAuditRecord *record,
                 Minute                 *slot)
{
  int decision = decision_of (record->decision);
  const char *identity = record->identity;
  guint count;

  if (decision < 0)
    return;
  self->totals[decision]++;
  if (slot != NULL)
    slot->decisions[decision]++;
  if (identity == NULL || *identity == '\0')
    return;
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->identities, identity));
  if (count > 0 || g_hash_table_size (self->identities) < MAX_IDENTITIES)
    g_hash_table_replace (self->identities, g_strdup (identity), GUINT_TO_POINTER (count + 1));
}

static gboolean
has_outcome (const VigilAuditRecord *record)
{
  return record->duration_us >= 0 || record->rows >= 0 || record->error_sqlstate != NULL ||
         record->error_message != NULL;
}

static void
vigil_live_stats_finalize (GObject *object)
{
  VigilLiveStats *self = VIGIL_LIVE_STATS (object);

  g_clear_pointer (&self->identities, g_hash_table_unref);
  g_clear_pointer (&self->awaiting, g_hash_table_unref);
  G_OBJECT_CLASS (vigil_live_stats_parent_class)->finalize (object);
}

static void
vigil_live_stats_class_init (VigilLiveStatsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_live_stats_finalize;
}

static void
vigil_live_stats_init (VigilLiveStats *self)
{
  self->identities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->awaiting = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

VigilLiveStats *
vigil_live_stats_new (void)
{
  return g_object_new (VIGIL_TYPE_LIVE_STATS, NULL);
}

void
vigil_live_stats_add (VigilLiveStats         *self,
                      const VigilAuditRecord *record)
{
  Minute *slot;
  gboolean arrived;

  g_return_if_fail (VIGIL_IS_LIVE_STATS (self));
  g_return_if_fail (record != NULL);

  slot = minute_for (self, record->time_us);
  if (!has_outcome (record))
    {
      /* Seen already: a statement that ended without rows, duration or error. */
      if (record->id > 0 && g_hash_table_contains (self->awaiting, &record->id))
        return;
      count_statement (self, record, slot);
      if (record->id > 0 && g_hash_table_size (self->awaiting) < MAX_AWAITING)
        g_hash_table_add (self->awaiting, g_memdup2 (&record->id, sizeof record->id));
      return;
    }
  arrived = record->id > 0 && g_hash_table_remove (self->awaiting, &record->id);
  if (!arrived)
    count_statement (self, record, slot);
  if (slot != NULL)
    slot->masked += record->masked;
}

void
vigil_live_stats_get_minutes (VigilLiveStats *self,
                              gint64          now_us,
                              guint           n_minutes,
                              guint          *decisions,
                              guint          *masked)
{
  gint64 now_minute = now_us / (60 * G_USEC_PER_SEC);

  g_return_if_fail (VIGIL_IS_LIVE_STATS (self));
  g_return_if_fail (n_minutes <= VIGIL_LIVE_STATS_MINUTES);

  for (guint i = 0; i < n_minutes; i++)
    {
      gint64 minute = now_minute - (n_minutes - 1 - i);
      const Minute *slot = &self->minutes[((minute % VIGIL_LIVE_STATS_MINUTES)
                                           + VIGIL_LIVE_STATS_MINUTES) % VIGIL_LIVE_STATS_MINUTES];
      gboolean current = slot->minute == minute;

      for (guint d = 0; decisions != NULL && d < VIGIL_LIVE_N_DECISIONS; d++)
        decisions[i * VIGIL_LIVE_N_DECISIONS + d] = current ? slot->decisions[d] : 0;
      if (masked != NULL)
        masked[i] = current ? slot->masked : 0;
    }
}

guint64
vigil_live_stats_get_total (VigilLiveStats    *self,
                            VigilLiveDecision  decision)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_STATS (self), 0);
  g_return_val_if_fail (decision < VIGIL_LIVE_N_DECISIONS, 0);
  return self->totals[decision];
}

GHashTable *
vigil_live_stats_get_identities (VigilLiveStats *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_STATS (self), NULL);
  return self->identities;
}

void
vigil_live_stats_clear (VigilLiveStats *self)
{
  g_return_if_fail (VIGIL_IS_LIVE_STATS (self));

  memset (self->minutes, 0, sizeof self->minutes);
  memset (self->totals, 0, sizeof self->totals);
  g_hash_table_remove_all (self->identities);
  g_hash_table_remove_all (self->awaiting);
}
