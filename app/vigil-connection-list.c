/* vigil-connection-list.c: the store's named upstreams as a GListModel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "vigil-identities"

#include <string.h>

#include <glib/gi18n.h>
#include <openssl/crypto.h>

#include "vigil-conninfo.h"
#include "vigil-connection-list.h"
#include "vigil-list-items.h"

struct _VigilConnectionList
{
  GObject      parent_instance;

  VigilStore  *store;
  VigilEngine *engine;
  GPtrArray   *items;  /* VigilConnectionItem */
};

/* One store call; CONNINFO may hold a password and is wiped when the call ends. */
typedef struct
{
  VigilStore *store;
  char       *name;
  char       *conninfo;
  guint       timeout;
} StoreCall;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilConnectionList, vigil_connection_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
store_call_free (StoreCall *call)
{
  g_clear_object (&call->store);
  g_free (call->name);
  if (call->conninfo != NULL)
    OPENSSL_cleanse (call->conninfo, strlen (call->conninfo));
  g_free (call->conninfo);
  g_free (call);
}

static GTask *
store_task_new (gpointer             source,
                VigilStore          *store,
                const char          *name,
                const char          *conninfo,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (source, cancellable, callback, user_data);
  StoreCall *call = g_new0 (StoreCall, 1);

  call->store = store ? g_object_ref (store) : NULL;
  call->name = g_strdup (name);
  call->conninfo = g_strdup (conninfo);
  g_task_set_task_data (task, call, (GDestroyNotify) store_call_free);
  return task;
}

static gboolean
check_store (GTask     *task,
             StoreCall *call)
{
  if (call->store != NULL)
    return TRUE;
  g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_STORE, _("The store is not open"));
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
  GPtrArray *list;

  if (!check_store (task, call))
    return;
  /* Items are built here: only redacted conninfos reach the main thread. */
  if ((list = vigil_store_connection_list (call->store, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_ptr_array_set_free_func (list, NULL);
  for (guint i = 0; i < list->len; i++)
    {
      VigilConnection *connection = list->pdata[i];

      list->pdata[i] = vigil_connection_item_new (connection);
      vigil_connection_free (connection);
    }
  g_ptr_array_set_free_func (list, g_object_unref);
  g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
change_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  StoreCall *call = task_data;
  GError *error = NULL;
  gboolean ok;

  if (!check_store (task, call))
    return;
  ok = call->conninfo != NULL
         ? vigil_store_connection_add (call->store, call->name, call->conninfo, &error)
         : vigil_store_connection_remove (call->store, call->name, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
test_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  StoreCall *call = task_data;
  GError *error = NULL;
  char *version = vigil_conninfo_test (call->conninfo, call->timeout, &error);

  if (version != NULL)
    g_task_return_pointer (task, version, g_free);
  else
    g_task_return_error (task, error);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GPtrArray) items = NULL;
  GError *error = NULL;

  items = g_task_propagate_pointer (G_TASK (result), &error);
  if (items == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  vigil_list_items_replace (G_LIST_MODEL (object), VIGIL_CONNECTION_LIST (object)->items,
                            items);
  g_task_return_boolean (outer, TRUE);
}

static void
reloaded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;

  if (!vigil_connection_list_reload_finish (VIGIL_CONNECTION_LIST (object), result, &error))
    g_task_return_error (outer, error);
  else
    g_task_return_boolean (outer, TRUE);
}

/* The change is stored: tell the engine, then show it; OUTER finishes once it is shown. */
static void
changed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilConnectionList *self = VIGIL_CONNECTION_LIST (object);
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (outer, error);
      return;
    }
  if (self->engine != NULL)
    vigil_engine_reload_connections (self->engine);
  vigil_connection_list_reload_async (self, NULL, reloaded_cb, g_object_ref (outer));
}

static GType
get_item_type (GListModel *model)
{
  return VIGIL_TYPE_CONNECTION_ITEM;
}

static guint
get_n_items (GListModel *model)
{
  return VIGIL_CONNECTION_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return vigil_list_items_get (VIGIL_CONNECTION_LIST (model)->items, position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
vigil_connection_list_dispose (GObject *object)
{
  VigilConnectionList *self = VIGIL_CONNECTION_LIST (object);

  g_clear_object (&self->store);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  G_OBJECT_CLASS (vigil_connection_list_parent_class)->dispose (object);
}

static void
vigil_connection_list_class_init (VigilConnectionListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vigil_connection_list_dispose;
}

static void
vigil_connection_list_init (VigilConnectionList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

VigilConnectionList *
vigil_connection_list_new (VigilStore  *store,
                           VigilEngine *engine)
{
  VigilConnectionList *self = g_object_new (VIGIL_TYPE_CONNECTION_LIST, NULL);

  self->store = store ? g_object_ref (store) : NULL;
  self->engine = engine ? g_object_ref (engine) : NULL;
  return self;
}

void
vigil_connection_list_reload_async (VigilConnectionList *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *outer;

  g_return_if_fail (VIGIL_IS_CONNECTION_LIST (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, vigil_connection_list_reload_async);
  inner = store_task_new (self, self->store, NULL, NULL, cancellable, listed_cb, outer);
  g_task_run_in_thread (inner, list_thread);
}

gboolean
vigil_connection_list_reload_finish (VigilConnectionList  *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
change_async (VigilConnectionList *self,
              gpointer             tag,
              const char          *name,
              const char          *conninfo,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) inner = NULL;
  GTask *outer = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (outer, tag);
  inner = store_task_new (self, self->store, name, conninfo, cancellable, changed_cb, outer);
  g_task_run_in_thread (inner, change_thread);
}

void
vigil_connection_list_add_async (VigilConnectionList *self,
                                 const char          *name,
                                 const char          *conninfo,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (VIGIL_IS_CONNECTION_LIST (self));
  g_return_if_fail (name != NULL && conninfo != NULL);

  change_async (self, vigil_connection_list_add_async, name, conninfo, cancellable, callback,
                user_data);
}

gboolean
vigil_connection_list_add_finish (VigilConnectionList  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vigil_connection_list_remove_async (VigilConnectionList *self,
                                    const char          *name,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (VIGIL_IS_CONNECTION_LIST (self));
  g_return_if_fail (name != NULL);

  change_async (self, vigil_connection_list_remove_async, name, NULL, cancellable, callback,
                user_data);
}

gboolean
vigil_connection_list_remove_finish (VigilConnectionList  *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vigil_connection_test_async (const char          *conninfo,
                             guint                timeout_seconds,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (conninfo != NULL);

  task = store_task_new (NULL, NULL, NULL, conninfo, cancellable, callback, user_data);
  ((StoreCall *) g_task_get_task_data (task))->timeout = timeout_seconds;
  g_task_set_source_tag (task, vigil_connection_test_async);
  g_task_run_in_thread (task, test_thread);
}

char *
vigil_connection_test_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
