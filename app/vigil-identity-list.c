/* vigil-identity-list.c: the store's identities as a GListModel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <glib/gi18n.h>

#include "vigil-identity-list.h"
#include "vigil-list-items.h"

struct _VigilIdentityList
{
  GObject     parent_instance;

  VigilStore *store;
  GPtrArray  *items;  /* VigilIdentityItem */
};

typedef struct
{
  VigilStore        *store;
  char              *name;
  VigilIdentityKind  kind;
} StoreCall;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilIdentityList, vigil_identity_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
store_call_free (StoreCall *call)
{
  g_clear_object (&call->store);
  g_free (call->name);
  g_free (call);
}

static GTask *
store_task_new (VigilIdentityList   *self,
                const char          *name,
                VigilIdentityKind    kind,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  StoreCall *call = g_new0 (StoreCall, 1);

  call->store = self->store ? g_object_ref (self->store) : NULL;
  call->name = g_strdup (name);
  call->kind = kind;
  g_task_set_task_data (task, call, (GDestroyNotify) store_call_free);
  return task;
}

static gboolean
check_store (GTask     *task,
             StoreCall *call)
{
  if (call->store != NULL)
    return TRUE;
  g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_STORE,
                           _("The identity store is not open"));
  return FALSE;
}

static void
list_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  StoreCall *call = task_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) identities = NULL;
  GPtrArray *items;

  if (!check_store (task, call))
    return;
  if ((identities = vigil_store_identity_list (call->store, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  items = g_ptr_array_new_full (identities->len, g_object_unref);
  for (guint i = 0; i < identities->len; i++)
    g_ptr_array_add (items, vigil_identity_item_new (identities->pdata[i]));
  g_task_return_pointer (task, items, (GDestroyNotify) g_ptr_array_unref);
}

static void
add_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  StoreCall *call = task_data;
  GError *error = NULL;
  char *token = NULL;

  if (!check_store (task, call))
    return;
  if (vigil_store_identity_add (call->store, call->name, call->kind, &token, &error))
    g_task_return_pointer (task, token, g_free);
  else
    g_task_return_error (task, error);
}

static void
revoke_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  StoreCall *call = task_data;
  GError *error = NULL;

  if (!check_store (task, call))
    return;
  if (vigil_store_identity_revoke (call->store, call->name, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  VigilIdentityList *self = VIGIL_IDENTITY_LIST (object);
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GPtrArray) items = NULL;
  GError *error = NULL;

  items = g_task_propagate_pointer (G_TASK (result), &error);
  if (items == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  vigil_list_items_replace (G_LIST_MODEL (self), self->items, items);
  g_task_return_boolean (outer, TRUE);
}

static void
reloaded_quietly_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vigil_identity_list_reload_finish (VIGIL_IDENTITY_LIST (object), result, &error))
    g_warning ("Could not list identities: %s", error->message);
}

static void
changed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;
  GTask *inner = G_TASK (result);
  gboolean added = g_task_get_source_tag (inner) == vigil_identity_list_add_async;
  gpointer value;

  value = added ? g_task_propagate_pointer (inner, &error)
                : GINT_TO_POINTER (g_task_propagate_boolean (inner, &error));
  if (error != NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  vigil_identity_list_reload_async (VIGIL_IDENTITY_LIST (object), NULL, reloaded_quietly_cb, NULL);
  if (added)
    g_task_return_pointer (outer, value, g_free);
  else
    g_task_return_boolean (outer, TRUE);
}

static GType
get_item_type (GListModel *model)
{
  return VIGIL_TYPE_IDENTITY_ITEM;
}

static guint
get_n_items (GListModel *model)
{
  return VIGIL_IDENTITY_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return vigil_list_items_get (VIGIL_IDENTITY_LIST (model)->items, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
vigil_identity_list_dispose (GObject *object)
{
  VigilIdentityList *self = VIGIL_IDENTITY_LIST (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  G_OBJECT_CLASS (vigil_identity_list_parent_class)->dispose (object);
}

static void
vigil_identity_list_class_init (VigilIdentityListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vigil_identity_list_dispose;
}

static void
vigil_identity_list_init (VigilIdentityList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

VigilIdentityList *
vigil_identity_list_new (VigilStore *store)
{
  VigilIdentityList *self = g_object_new (VIGIL_TYPE_IDENTITY_LIST, NULL);

  vigil_identity_list_set_store (self, store);
  return self;
}

void
vigil_identity_list_set_store (VigilIdentityList *self,
                               VigilStore        *store)
{
  g_return_if_fail (VIGIL_IS_IDENTITY_LIST (self));

  g_set_object (&self->store, store);
}

void
vigil_identity_list_reload_async (VigilIdentityList   *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *outer;

  g_return_if_fail (VIGIL_IS_IDENTITY_LIST (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, vigil_identity_list_reload_async);
  inner = store_task_new (self, NULL, 0, cancellable, listed_cb, outer);
  g_task_run_in_thread (inner, list_thread);
}

gboolean
vigil_identity_list_reload_finish (VigilIdentityList  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vigil_identity_list_add_async (VigilIdentityList   *self,
                               const char          *name,
                               VigilIdentityKind    kind,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *outer;

  g_return_if_fail (VIGIL_IS_IDENTITY_LIST (self));
  g_return_if_fail (name != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, vigil_identity_list_add_async);
  inner = store_task_new (self, name, kind, cancellable, changed_cb, outer);
  g_task_set_source_tag (inner, vigil_identity_list_add_async);
  g_task_run_in_thread (inner, add_thread);
}

char *
vigil_identity_list_add_finish (VigilIdentityList  *self,
                                GAsyncResult       *result,
                                GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vigil_identity_list_revoke_async (VigilIdentityList   *self,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *outer;

  g_return_if_fail (VIGIL_IS_IDENTITY_LIST (self));
  g_return_if_fail (name != NULL);

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, vigil_identity_list_revoke_async);
  inner = store_task_new (self, name, 0, cancellable, changed_cb, outer);
  g_task_set_source_tag (inner, vigil_identity_list_revoke_async);
  g_task_run_in_thread (inner, revoke_thread);
}

gboolean
vigil_identity_list_revoke_finish (VigilIdentityList  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
