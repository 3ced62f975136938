/* vigil-audit-private.h: the chain format shared by the writer, the verifier and tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "vigil-audit.h"

G_BEGIN_DECLS

#define VIGIL_AUDIT_DB_NAME     "vigil.db"
#define VIGIL_AUDIT_HEAD_NAME   "audit.head"
#define VIGIL_AUDIT_JOURNAL_NAME "audit.journal"
#define VIGIL_AUDIT_BUSY_TIMEOUT_MS 5000   /* how long a write waits for a lock */
#define VIGIL_AUDIT_HASH_LEN    32
#define VIGIL_AUDIT_HEX_LEN     (VIGIL_AUDIT_HASH_LEN * 2)
#define VIGIL_AUDIT_GENESIS_HEX "0000000000000000000000000000000000000000000000000000000000000000"

/* The content columns of audit_log in canonical order; prev_hash and hash follow. */
#define VIGIL_AUDIT_CONTENT_COLUMNS                                                  \
  "id, kind, time_us, identity, identity_kind, pid, exe, os_user, connection, "      \
  "session, protocol, statement, params, class, relations, decision, rule, approver, " \
  "statement_id, rows, duration_us, masked, error_sqlstate, error_message, bytes"
#define VIGIL_AUDIT_N_FIELDS 25

typedef enum {
  VIGIL_AUDIT_FIELD_ID,
  VIGIL_AUDIT_FIELD_KIND,
  VIGIL_AUDIT_FIELD_TIME_US,
  VIGIL_AUDIT_FIELD_IDENTITY,
  VIGIL_AUDIT_FIELD_IDENTITY_KIND,
  VIGIL_AUDIT_FIELD_PID,
  VIGIL_AUDIT_FIELD_EXE,
  VIGIL_AUDIT_FIELD_OS_USER,
  VIGIL_AUDIT_FIELD_CONNECTION,
  VIGIL_AUDIT_FIELD_SESSION,
  VIGIL_AUDIT_FIELD_PROTOCOL,
  VIGIL_AUDIT_FIELD_STATEMENT,
  VIGIL_AUDIT_FIELD_PARAMS,
  VIGIL_AUDIT_FIELD_CLASS,
  VIGIL_AUDIT_FIELD_RELATIONS,
  VIGIL_AUDIT_FIELD_DECISION,
  VIGIL_AUDIT_FIELD_RULE,
  VIGIL_AUDIT_FIELD_APPROVER,
  VIGIL_AUDIT_FIELD_STATEMENT_ID,
  VIGIL_AUDIT_FIELD_ROWS,
  VIGIL_AUDIT_FIELD_DURATION_US,
  VIGIL_AUDIT_FIELD_MASKED,
  VIGIL_AUDIT_FIELD_ERROR_SQLSTATE,
  VIGIL_AUDIT_FIELD_ERROR_MESSAGE,
  VIGIL_AUDIT_FIELD_BYTES,
} VigilAuditField;

/* One column value, typed as SQLite stores it: 'N' null, 'I' integer, 'T' text,
 * 'F' real, 'B' blob (the writer only produces N, I and T). */
typedef struct
{
  char          type;
  gint64        i;
  double        f;
  const guint8 *data;
  gsize         len;
} VigilAuditValue;

typedef struct
{
  VigilAuditValue v[VIGIL_AUDIT_N_FIELDS];
} VigilAuditEntry;

void     _vigil_audit_value_set_int  (VigilAuditValue       *value,
                                      gint64                 i);
void     _vigil_audit_value_set_text (VigilAuditValue       *value,
                                      const char            *text);
/* Reads columns FIRST.. of STMT (in canonical order) into ENTRY; borrowed from STMT. */
void     _vigil_audit_entry_from_row (VigilAuditEntry       *entry,
                                      sqlite3_stmt          *stmt,
                                      int                    first);
/* The canonical encoding (what the chain hashes): u64be (25), then each column. */
void     _vigil_audit_entry_encode   (const VigilAuditEntry *entry,
                                      GByteArray            *out);
/* Its length, and the encoding written to OUT (that many bytes) without a copy. */
gsize    _vigil_audit_entry_encoded_len (const VigilAuditEntry *entry);
void     _vigil_audit_entry_encode_to   (const VigilAuditEntry *entry,
                                         guint8                *out);
/* Parses what _vigil_audit_entry_encode wrote (null, integer and text columns); values
 * borrow DATA. FALSE when malformed. */
gboolean _vigil_audit_entry_decode   (const guint8          *data,
                                      gsize                  len,
                                      VigilAuditEntry       *entry);
/* SHA-256 over the domain, PREV (raw) and an encoded entry; DIGEST_OUT: 32 bytes. */
void     _vigil_audit_hash_encoded   (const guint8          *prev,
                                      const guint8          *encoded,
                                      gsize                  len,
                                      guint8                *digest_out);
gboolean _vigil_audit_hex_to_hash    (const char            *hex,
                                      guint8                *out);
/* HEX_OUT: VIGIL_AUDIT_HEX_LEN + 1 bytes. */
void     _vigil_audit_hash_to_hex    (const guint8          *hash,
                                      char                  *hex_out);
/* HEX_OUT: VIGIL_AUDIT_HEX_LEN + 1 bytes. FALSE only if PREV_HEX is not a valid hash. */
gboolean _vigil_audit_entry_hash     (const VigilAuditEntry *entry,
                                      const char            *prev_hex,
                                      char                  *hex_out);

/* DATA_DIR/audit.head: "vigil-audit-head 1\nentries N\nhash HEX\n". */
gboolean _vigil_audit_head_write     (const char            *data_dir,
                                      gint64                 entries,
                                      const char            *hash_hex,
                                      GError               **error);
/* FALSE with G_FILE_ERROR_NOENT when missing, VIGIL_ERROR_INVALID when malformed. */
gboolean _vigil_audit_head_read      (const char            *data_dir,
                                      gint64                *out_entries,
                                      char                 **out_hash_hex,
                                      GError               **error);

/* DATA_DIR/audit.journal (vigil-audit-journal.c): the write-ahead journal in front of
 * audit_log, a mapped file. Not thread-safe: the audit serialises its use. */
typedef struct _VigilAuditJournal VigilAuditJournal;

/* Called for each intact frame in order; FALSE (with ERROR) stops the replay. */
typedef gboolean (*VigilAuditJournalFunc) (const VigilAuditEntry  *entry,
                                           const char             *prev_hex,
                                           const char             *hash_hex,
                                           gpointer                user_data,
                                           GError                **error);

#define VIGIL_AUDIT_JOURNAL_CHUNK (1024 * 1024)       /* the file grows by this much */
#define VIGIL_AUDIT_JOURNAL_KEEP  (64 * 1024 * 1024)  /* a rewind cuts a larger file back */
#define VIGIL_AUDIT_JOURNAL_RESIDENT (8 * 1024 * 1024) /* and releases the pages past this */

VigilAuditJournal *_vigil_audit_journal_open     (const char             *data_dir,
                                                  GError                **error);
void               _vigil_audit_journal_free     (VigilAuditJournal      *self);
/* Where to encode an entry of ENCODED_LEN bytes at the journal's end (NULL with ERROR
 * when the journal cannot grow: refuse the entry); _vigil_audit_journal_commit then
 * makes it a frame, PREV and HASH raw. The journal must have been reset (mapped). */
guint8            *_vigil_audit_journal_begin    (VigilAuditJournal      *self,
                                                  gsize                   encoded_len,
                                                  GError                **error);
void               _vigil_audit_journal_commit   (VigilAuditJournal      *self,
                                                  const guint8           *prev,
                                                  const guint8           *hash);
/* Appends one frame of the journal's generation (prev and hash raw, the canonical
 * encoding) to OUT, for _vigil_audit_journal_write later. */
void               _vigil_audit_journal_frame    (VigilAuditJournal      *self,
                                                  GByteArray             *out,
                                                  const guint8           *prev,
                                                  const guint8           *hash,
                                                  const guint8           *encoded,
                                                  gsize                   encoded_len);
/* Writes all of DATA or, on failure, nothing. */
gboolean           _vigil_audit_journal_write    (VigilAuditJournal      *self,
                                                  const guint8           *data,
                                                  gsize                   len,
                                                  GError                **error);
gboolean           _vigil_audit_journal_lock     (VigilAuditJournal      *self);
goffset            _vigil_audit_journal_get_size (VigilAuditJournal      *self);
gboolean           _vigil_audit_journal_reset    (VigilAuditJournal      *self,
                                                  GError                **error);
/* Whether DATA_DIR's journal holds a frame. */
gboolean           _vigil_audit_journal_has_frames (const char           *data_dir);
/* Reads DATA_DIR's journal (none is fine) up to its first frame that is torn, of an
 * older generation or does not continue the one before. */
gboolean           _vigil_audit_journal_replay   (const char             *data_dir,
                                                  VigilAuditJournalFunc   func,
                                                  gpointer                user_data,
                                                  GError                **error);

/* The audit tables through one connection (vigil-audit-db.c). */
#define VIGIL_AUDIT_DB_SHAPES 8

/* An INSERT that names only the columns an entry has (the others are NULL anyway):
 * statements and outcomes leave most of each other's columns empty. */
typedef struct
{
  guint32       fields;     /* bit i: column i of VIGIL_AUDIT_CONTENT_COLUMNS */
  sqlite3_stmt *insert;
} VigilAuditDbShape;

/* Rows a group INSERT writes at once: one statement's overhead (cursors, halt, the
 * step) for all of them. */
#define VIGIL_AUDIT_DB_GROUP 16

/* An entry to append and its chain hashes, in hex as stored. */
typedef struct
{
  VigilAuditEntry entry;
  char            prev_hex[VIGIL_AUDIT_HEX_LEN + 1];
  char            hash_hex[VIGIL_AUDIT_HEX_LEN + 1];
} VigilAuditDbRow;

typedef struct
{
  sqlite3           *db;
  sqlite3_stmt      *insert;  /* every column */
  sqlite3_stmt      *insert_group;  /* every column, VIGIL_AUDIT_DB_GROUP rows */
  /* insert_group's parameters that hold NULL now, by row and column (all of them once
   * prepared): bind_entry leaves those alone when they stay NULL */
  gboolean           group_null_bound[VIGIL_AUDIT_DB_GROUP][VIGIL_AUDIT_N_FIELDS];
  sqlite3_stmt      *update_checkpoint;
  sqlite3_stmt      *select_head;
  VigilAuditDbShape  shapes[VIGIL_AUDIT_DB_SHAPES];
  guint              n_shapes;
} VigilAuditDb;

/* Appends after the head HEAD_ID/HEAD_HASH inside a transaction, updating them. */
typedef gboolean (*VigilAuditDbInsertFunc) (VigilAuditDb  *store,
                                            gpointer       data,
                                            gint64        *head_id,
                                            char          *head_hash,
                                            GError       **error);

gboolean _vigil_audit_db_open        (VigilAuditDb            *store,
                                      const char              *data_dir,
                                      gboolean                 synchronous_full,
                                      GError                 **error);
void     _vigil_audit_db_close       (VigilAuditDb            *store);
/* ENTRY must continue the head (an entry the database already has is skipped). */
gboolean _vigil_audit_db_append      (VigilAuditDb            *store,
                                      const VigilAuditEntry   *entry,
                                      const char              *prev_hex,
                                      const char              *hash_hex,
                                      gint64                  *head_id,
                                      char                    *head_hash,
                                      GError                 **error);
/* ROWS[0..N) in order, each continuing the one before (as _vigil_audit_db_append); a full
 * group in one INSERT. The rows' values must stay valid until it returns. */
gboolean _vigil_audit_db_append_rows (VigilAuditDb            *store,
                                      const VigilAuditDbRow   *rows,
                                      guint                    n,
                                      gint64                  *head_id,
                                      char                    *head_hash,
                                      GError                 **error);
/* One write transaction: FUNC appends, the checkpoint follows; the head after it. */
gboolean _vigil_audit_db_transaction (VigilAuditDb            *store,
                                      VigilAuditDbInsertFunc   func,
                                      gpointer                 data,
                                      gint64                  *out_head_id,
                                      char                    *out_head_hash,
                                      GError                 **error);
/* After a refused commit: gives the WAL's space back (a checkpoint that truncates it),
 * so that a full disk may take the next, smaller batch. Best effort. */
void     _vigil_audit_db_release_wal (VigilAuditDb            *store);
/* Off: commits leave the WAL to grow until it is on again (SQLite's own threshold). */
void     _vigil_audit_db_set_autocheckpoint (VigilAuditDb     *store,
                                             gboolean          enabled);
/* Replays DATA_DIR's journal: what a crash left only there. */
gboolean _vigil_audit_db_recover     (VigilAuditDb            *store,
                                      const char              *data_dir,
                                      gint64                  *out_head_id,
                                      char                    *out_head_hash,
                                      guint64                 *out_replayed,
                                      GError                 **error);

/* DATA_DIR/vigil.db opened read-only for a reader; NULL with VIGIL_ERROR_STORE. */
sqlite3 *_vigil_audit_open_readonly  (const char              *data_dir,
                                      int                      busy_timeout_ms,
                                      GError                 **error);

/* Test hooks. */
VigilAudit *_vigil_audit_new_full         (const char  *data_dir,
                                           gboolean     synchronous_full,
                                           GError     **error);
void        _vigil_audit_set_busy_timeout (VigilAudit  *self,
                                           int          milliseconds);
/* The journal starts over past RESET_BYTES once caught up; past FORCE_BYTES the writer
 * catches up with appends held. */
void        _vigil_audit_set_journal_limits (VigilAudit *self,
                                             goffset     reset_bytes,
                                             goffset     force_bytes);

G_END_DECLS
