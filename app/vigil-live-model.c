/* vigil-live-model.c: the newest statements, as a GListModel of VigilLiveRecord.
 *
 * The engine delivers records in batches (one per frame). A batch costs one items-changed
 * for its new rows, plus one for the oldest rows it pushes out once the model is full;
 * a record whose id is already shown updates that row in place (its outcome). While
 * paused, batches wait, coalesced and bounded, and land as one batch on resume.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-live"

#include <gtk/gtk.h>

#include "vigil-list-items.h"
#include "vigil-live-model.h"
#include "vigil-live-stats.h"

#define MAX_IDENTITIES 500

struct _VigilLiveModel
{
  GObject        parent_instance;

  GPtrArray     *items;          /* VigilLiveRecord, oldest first */
  GHashTable    *by_id;          /* gint64 id -> VigilLiveRecord (borrowed from items) */
  GPtrArray     *pending;        /* while paused */
  GHashTable    *pending_by_id;
  GtkStringList *identities;
  GHashTable    *identity_set;
  VigilLiveStats *stats;         /* every record pushed, paused or not */
  guint          max_items;
  guint64        n_seen;
  gboolean       paused;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilLiveModel, vigil_live_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_PAUSED,
  PROP_N_PENDING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gint64 *
id_key (VigilLiveRecord *record)
{
  gint64 *key = g_new (gint64, 1);

  *key = vigil_live_record_get_id (record);
  return key;
}

static void
note_identity (VigilLiveModel *self,
               const char     *name)
{
  if (name == NULL || *name == '\0' || g_hash_table_contains (self->identity_set, name))
    return;
  if (g_hash_table_size (self->identity_set) >= MAX_IDENTITIES)
    return;
  g_hash_table_add (self->identity_set, g_strdup (name));
  gtk_string_list_append (self->identities, name);
}

static gpointer
ref_copy (gconstpointer object,
          gpointer      data)
{
  return g_object_ref ((gpointer) object);
}

/* Drops the N oldest rows. */
static void
drop_front (VigilLiveModel *self,
            guint           n)
{
  for (guint i = 0; i < n; i++)
    {
      VigilLiveRecord *old = g_ptr_array_index (self->items, i);
      gint64 id = vigil_live_record_get_id (old);

      if (g_hash_table_lookup (self->by_id, &id) == old)
        g_hash_table_remove (self->by_id, &id);
    }
  g_ptr_array_remove_range (self->items, 0, n);
}

/* Merges outcomes into shown rows; returns the records that need a new row. */
static GPtrArray *
merge_known (VigilLiveModel *self,
             GPtrArray      *batch)
{
  GPtrArray *fresh = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < batch->len; i++)
    {
      VigilLiveRecord *record = g_ptr_array_index (batch, i);
      gint64 id = vigil_live_record_get_id (record);
      VigilLiveRecord *shown = id > 0 ? g_hash_table_lookup (self->by_id, &id) : NULL;

      if (shown != NULL)
        {
          vigil_live_record_merge (shown, record);
          continue;
        }
      g_ptr_array_add (fresh, g_object_ref (record));
      if (id > 0)
        g_hash_table_insert (self->by_id, id_key (record), record);
      note_identity (self, vigil_live_record_get_identity (record));
    }
  return fresh;
}

static void
ingest (VigilLiveModel *self,
        GPtrArray      *batch)
{
  g_autoptr(GPtrArray) fresh = merge_known (self, batch);
  guint old_n = self->items->len;
  guint excess;

  if (fresh->len == 0)
    return;
  self->n_seen += fresh->len;
  if (fresh->len >= self->max_items)
    {
      /* The batch alone fills the model: one reset. */
      guint cut = fresh->len - self->max_items;

      for (guint i = 0; i < cut; i++)
        {
          gint64 id = vigil_live_record_get_id (g_ptr_array_index (fresh, i));

          if (g_hash_table_lookup (self->by_id, &id) == g_ptr_array_index (fresh, i))
            g_hash_table_remove (self->by_id, &id);
        }
      g_ptr_array_remove_range (fresh, 0, cut);
      drop_front (self, old_n);
      g_ptr_array_extend (self->items, fresh, ref_copy, NULL);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->items->len);
    }
  else
    {
      /* Make room first, so the model is consistent at each signal. */
      excess = old_n + fresh->len > self->max_items ? old_n + fresh->len - self->max_items : 0;
      if (excess > 0)
        {
          drop_front (self, excess);
          g_list_model_items_changed (G_LIST_MODEL (self), 0, excess, 0);
        }
      g_ptr_array_extend (self->items, fresh, ref_copy, NULL);
      g_list_model_items_changed (G_LIST_MODEL (self), old_n - excess, 0, fresh->len);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
hold (VigilLiveModel *self,
      GPtrArray      *batch)
{
  for (guint i = 0; i < batch->len; i++)
    {
      VigilLiveRecord *record = g_ptr_array_index (batch, i);
      gint64 id = vigil_live_record_get_id (record);
      VigilLiveRecord *held = id > 0 ? g_hash_table_lookup (self->pending_by_id, &id) : NULL;

      if (held != NULL)
        {
          vigil_live_record_merge (held, record);
          continue;
        }
      g_ptr_array_add (self->pending, g_object_ref (record));
      if (id > 0)
        g_hash_table_insert (self->pending_by_id, id_key (record), record);
    }
  if (self->pending->len > self->max_items)
    {
      guint excess = self->pending->len - self->max_items;

      for (guint i = 0; i < excess; i++)
        {
          gint64 id = vigil_live_record_get_id (g_ptr_array_index (self->pending, i));

          g_hash_table_remove (self->pending_by_id, &id);
        }
      g_ptr_array_remove_range (self->pending, 0, excess);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

static GType
get_item_type (GListModel *model)
{
  return VIGIL_TYPE_LIVE_RECORD;
}

static guint
get_n_items (GListModel *model)
{
  return VIGIL_LIVE_MODEL (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return vigil_list_items_get (VIGIL_LIVE_MODEL (model)->items, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
vigil_live_model_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VigilLiveModel *self = VIGIL_LIVE_MODEL (object);

  switch (prop_id)
    {
    case PROP_PAUSED: g_value_set_boolean (value, self->paused); break;
    case PROP_N_PENDING: g_value_set_uint (value, self->pending->len); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->items->len); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_live_model_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_PAUSED:
      vigil_live_model_set_paused (VIGIL_LIVE_MODEL (object), g_value_get_boolean (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_live_model_dispose (GObject *object)
{
  VigilLiveModel *self = VIGIL_LIVE_MODEL (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->pending_by_id, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->identity_set, g_hash_table_unref);
  g_clear_object (&self->identities);
  g_clear_object (&self->stats);
  G_OBJECT_CLASS (vigil_live_model_parent_class)->dispose (object);
}

static void
vigil_live_model_class_init (VigilLiveModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vigil_live_model_get_property;
  object_class->set_property = vigil_live_model_set_property;
  object_class->dispose = vigil_live_model_dispose;

  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_live_model_init (VigilLiveModel *self)
{
  self->max_items = VIGIL_LIVE_MODEL_DEFAULT_MAX;
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pending_by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->identities = gtk_string_list_new (NULL);
  self->identity_set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stats = vigil_live_stats_new ();
}

VigilLiveModel *
vigil_live_model_new (guint max_items)
{
  VigilLiveModel *self = g_object_new (VIGIL_TYPE_LIVE_MODEL, NULL);

  if (max_items > 0)
    self->max_items = max_items;
  return self;
}

/* The last version of each statement in RECORDS (an outcome supersedes its arrival),
 * in order of first appearance. Borrowed pointers. */
static GPtrArray *
coalesce (GPtrArray *records)
{
  GPtrArray *unique = g_ptr_array_sized_new (records->len);
  g_autoptr(GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < records->len; i++)
    {
      VigilAuditRecord *record = g_ptr_array_index (records, i);
      gpointer at;

      if (record->id > 0 && g_hash_table_lookup_extended (index, &record->id, NULL, &at))
        {
          unique->pdata[GPOINTER_TO_UINT (at)] = record;
          continue;
        }
      if (record->id > 0)
        g_hash_table_insert (index, &record->id, GUINT_TO_POINTER (unique->len));
      g_ptr_array_add (unique, record);
    }
  return unique;
}

/* Rows are built only for what the model will show: updates of shown rows, and the
 * newest max_items new ones. Under a flood that bounds a batch's cost, whatever its size. */
static GPtrArray *
build_rows (VigilLiveModel *self,
            GPtrArray      *unique)
{
  GPtrArray *batch = g_ptr_array_new_full (MIN (unique->len, self->max_items * 2),
                                           g_object_unref);
  guint n_fresh = 0;
  guint skip;
  guint fresh_index = 0;

  for (guint i = 0; i < unique->len; i++)
    {
      VigilAuditRecord *record = g_ptr_array_index (unique, i);

      n_fresh += !(record->id > 0 && g_hash_table_contains (self->by_id, &record->id));
    }
  skip = n_fresh > self->max_items ? n_fresh - self->max_items : 0;
  for (guint i = 0; i < unique->len; i++)
    {
      VigilAuditRecord *record = g_ptr_array_index (unique, i);
      gboolean shown = record->id > 0 && g_hash_table_contains (self->by_id, &record->id);

      if (!shown && fresh_index++ < skip)
        {
          /* Pushed out by newer rows of the same batch: counted, never built. */
          self->n_seen++;
          note_identity (self, record->identity);
          continue;
        }
      g_ptr_array_add (batch, vigil_live_record_new (record));
    }
  return batch;
}

void
vigil_live_model_push_batch (GPtrArray *records,
                             gpointer   user_data)
{
  VigilLiveModel *self = user_data;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) unique = NULL;

  g_return_if_fail (VIGIL_IS_LIVE_MODEL (self));
  g_return_if_fail (records != NULL);

  for (guint i = 0; i < records->len; i++)
    vigil_live_stats_add (self->stats, g_ptr_array_index (records, i));
  unique = coalesce (records);
  if (self->paused)
    {
      batch = g_ptr_array_new_full (unique->len, g_object_unref);
      for (guint i = 0; i < unique->len; i++)
        g_ptr_array_add (batch, vigil_live_record_new (g_ptr_array_index (unique, i)));
      hold (self, batch);
      return;
    }
  batch = build_rows (self, unique);
  ingest (self, batch);
}

void
vigil_live_model_set_paused (VigilLiveModel *self,
                             gboolean        paused)
{
  g_autoptr(GPtrArray) pending = NULL;

  g_return_if_fail (VIGIL_IS_LIVE_MODEL (self));

  if (self->paused == !!paused)
    return;
  self->paused = !!paused;
  if (!paused && self->pending->len > 0)
    {
      pending = g_steal_pointer (&self->pending);
      self->pending = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_remove_all (self->pending_by_id);
      ingest (self, pending);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
vigil_live_model_get_paused (VigilLiveModel *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_MODEL (self), FALSE);
  return self->paused;
}

guint
vigil_live_model_get_max_items (VigilLiveModel *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_MODEL (self), 0);
  return self->max_items;
}

guint
vigil_live_model_get_n_pending (VigilLiveModel *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_MODEL (self), 0);
  return self->pending->len;
}

guint64
vigil_live_model_get_n_seen (VigilLiveModel *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_MODEL (self), 0);
  return self->n_seen;
}

GListModel *
vigil_live_model_get_identities (VigilLiveModel *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_MODEL (self), NULL);
  return G_LIST_MODEL (self->identities);
}

void
vigil_live_model_clear (VigilLiveModel *self)
{
  guint n;

  g_return_if_fail (VIGIL_IS_LIVE_MODEL (self));

  n = self->items->len;
  vigil_live_stats_clear (self->stats);
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_set_size (self->items, 0);
  if (n > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
}

VigilLiveStats *
vigil_live_model_get_stats (VigilLiveModel *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_MODEL (self), NULL);
  return self->stats;
}
