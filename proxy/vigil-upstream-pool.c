/* vigil-upstream-pool.c: server connections kept after their client left.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "vigil-stream.h"
#include "vigil-upstream-pool.h"
#include "vigil-wire.h"

/* What the server answers to DISCARD ALL: ParameterStatus for each reported setting the
 * client had changed, CommandComplete, ReadyForQuery. More than this is not an answer. */
#define RESET_REPLY_MAX 8192

typedef struct
{
  VigilUpstreamPool *pool;
  char              *key;
  VigilUpstream     *upstream;
  VigilStream       *stream;      /* for the reset; the next session makes its own */
  VigilPollerWatch  *watch;
  gboolean           completed;   /* DISCARD ALL's CommandComplete arrived */
  gboolean           ready;       /* reset, idle: may be taken */
  gint64             since;       /* given, then ready (monotonic us) */
  gsize              in_len;
  guint8             in[RESET_REPLY_MAX];
} PoolEntry;

struct _VigilUpstreamPool
{
  VigilPoller  *poller;
  GQueue        entries;          /* PoolEntry, the most recently given first */
};

static void
entry_free (PoolEntry *entry)
{
  vigil_poller_unwatch (entry->watch);
  vigil_stream_free (entry->stream);
  g_free (entry->key);
  g_free (entry);
}

/* Closes ENTRY's connection and forgets it. */
static void
entry_drop (PoolEntry *entry)
{
  g_queue_remove (&entry->pool->entries, entry);
  /* Before the fd closes: epoll would forget it, and the number may be reused. */
  g_clear_pointer (&entry->watch, vigil_poller_unwatch);
  vigil_upstream_close (g_steal_pointer (&entry->upstream));
  entry_free (entry);
}

/* Reads what the socket holds; FALSE at EOF, on an error or past RESET_REPLY_MAX. */
static gboolean
entry_read (PoolEntry *entry)
{
  for (;;)
    {
      gsize n = 0;
      VigilIoStatus st;

      if (entry->in_len == sizeof entry->in)
        return FALSE;
      st = vigil_stream_read (entry->stream, entry->in + entry->in_len,
                              sizeof entry->in - entry->in_len, &n);
      if (st == VIGIL_IO_WANT_READ || st == VIGIL_IO_WANT_WRITE)
        return TRUE;
      if (st != VIGIL_IO_OK)
        return FALSE;
      entry->in_len += n;
    }
}

/* One server message while resetting; FALSE when the connection cannot be kept. */
static gboolean
entry_handle (PoolEntry    *entry,
              guint8        type,
              const guint8 *body,
              gsize         body_len)
{
  if (entry->ready)
    return FALSE;   /* the server spoke to an idle connection: a shutdown, a notification */
  switch (type)
    {
    case VIGIL_BE_COMMAND_COMPLETE:
      entry->completed = TRUE;
      return TRUE;
    case VIGIL_BE_PARAMETER_STATUS:
    case VIGIL_BE_NOTICE:
      return TRUE;
    case VIGIL_BE_READY_FOR_QUERY:
      if (!entry->completed || body_len != 1 || body[0] != 'I')
        return FALSE;
      entry->ready = TRUE;
      entry->since = g_get_monotonic_time ();
      return TRUE;
    default:
      return FALSE;
    }
}

/* Handles the complete messages read so far; FALSE when the connection cannot be kept. */
static gboolean
entry_parse (PoolEntry *entry)
{
  gsize pos = 0;

  while (entry->in_len - pos >= VIGIL_WIRE_HEADER_SIZE)
    {
      const guint8 *head = entry->in + pos;
      guint32 len = vigil_wire_get_uint32 (head + 1);

      if (len < 4 || len > RESET_REPLY_MAX)
        return FALSE;
      if (entry->in_len - pos < (gsize) len + 1)
        break;
      if (!entry_handle (entry, head[0], head + VIGIL_WIRE_HEADER_SIZE, len - 4))
        return FALSE;
      pos += (gsize) len + 1;
    }
  memmove (entry->in, entry->in + pos, entry->in_len - pos);
  entry->in_len -= pos;
  return !entry->ready || entry->in_len == 0;
}

static void
entry_readable_cb (VigilPollerWatch *watch,
                   GIOCondition      condition,
                   gpointer          user_data)
{
  PoolEntry *entry = user_data;

  if (!entry_read (entry) || !entry_parse (entry))
    entry_drop (entry);
}

static gboolean
send_reset (PoolEntry *entry)
{
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  gsize start = vigil_wire_begin (msg, VIGIL_FE_QUERY);
  gsize n = 0;

  vigil_wire_add_string (msg, "DISCARD ALL");
  vigil_wire_end (msg, start);
  /* The session left nothing unsent: a few bytes fit, or the connection is not kept. */
  return vigil_stream_write (entry->stream, msg->data, msg->len, &n) == VIGIL_IO_OK &&
         n == msg->len;
}

VigilUpstreamPool *
vigil_upstream_pool_new (VigilPoller *poller)
{
  VigilUpstreamPool *self = g_new0 (VigilUpstreamPool, 1);

  self->poller = poller;
  g_queue_init (&self->entries);
  return self;
}

void
vigil_upstream_pool_free (VigilUpstreamPool *self)
{
  if (self == NULL)
    return;
  vigil_upstream_pool_expire (self, G_MAXINT64);
  g_free (self);
}

static void
append_piece (GString    *key,
              const char *piece)
{
  g_string_append_printf (key, "%zu:%s", strlen (piece), piece);
}

char *
vigil_upstream_pool_key (const char *conninfo,
                         GHashTable *startup)
{
  GString *key = g_string_new (NULL);
  g_autoptr(GList) names = g_hash_table_get_keys (startup);

  /* Each piece with its length first: no separator to be confused by any value. */
  append_piece (key, conninfo);
  names = g_list_sort (names, (GCompareFunc) strcmp);
  for (GList *l = names; l != NULL; l = l->next)
    {
      append_piece (key, l->data);
      append_piece (key, g_hash_table_lookup (startup, l->data));
    }
  return g_string_free (key, FALSE);
}

VigilUpstream *
vigil_upstream_pool_take (VigilUpstreamPool *self,
                          const char        *key)
{
  for (GList *l = self->entries.head; l != NULL; l = l->next)
    {
      PoolEntry *entry = l->data;
      VigilUpstream *upstream;

      if (!entry->ready || strcmp (entry->key, key) != 0)
        continue;
      g_queue_delete_link (&self->entries, l);
      upstream = g_steal_pointer (&entry->upstream);
      entry_free (entry);
      return upstream;
    }
  return NULL;
}

void
vigil_upstream_pool_give (VigilUpstreamPool *self,
                          const char        *key,
                          VigilUpstream     *upstream)
{
  PoolEntry *entry = g_new0 (PoolEntry, 1);
  int fd = vigil_upstream_get_fd (upstream);

  if (g_queue_get_length (&self->entries) >= VIGIL_UPSTREAM_POOL_MAX_IDLE)
    entry_drop (g_queue_peek_tail (&self->entries));
  entry->pool = self;
  entry->key = g_strdup (key);
  entry->upstream = upstream;
  entry->since = g_get_monotonic_time ();
  entry->stream = vigil_stream_new (fd);
  if (vigil_upstream_get_ssl (upstream) != NULL)
    vigil_stream_set_ssl (entry->stream, vigil_upstream_get_ssl (upstream), TRUE);
  g_queue_push_head (&self->entries, entry);
  if (!send_reset (entry))
    {
      entry_drop (entry);
      return;
    }
  entry->watch = vigil_poller_watch (self->poller, fd, G_IO_IN, entry_readable_cb, entry, NULL);
  if (entry->watch == NULL)
    entry_drop (entry);
}

void
vigil_upstream_pool_expire (VigilUpstreamPool *self,
                            gint64             now_us)
{
  gint64 limit = (gint64) VIGIL_UPSTREAM_POOL_IDLE_SECONDS * G_USEC_PER_SEC;
  GList *l = self->entries.head;

  while (l != NULL)
    {
      PoolEntry *entry = l->data;

      l = l->next;
      if (now_us == G_MAXINT64 || now_us - entry->since >= limit)
        entry_drop (entry);
    }
}

guint
vigil_upstream_pool_ready (VigilUpstreamPool *self)
{
  guint n = 0;

  for (GList *l = self->entries.head; l != NULL; l = l->next)
    n += ((PoolEntry *) l->data)->ready ? 1 : 0;
  return n;
}
