-- 0002-audit.sql: the flight recorder, an append-only hash chain of entries.
--
-- Every change to the log is an entry: a 'statement' (written before the statement runs)
-- or an 'outcome' (rows, duration, error of an earlier statement entry, STATEMENT_ID).
-- ids are assigned by the writer, contiguous from 1. hash = SHA-256 (prev_hash ||
-- canonical encoding of every content column), see proxy/vigil-audit.c. Hashes are
-- lowercase hex; the genesis prev_hash is 64 zeros. The triggers are a speed bump only:
-- `vigilctl audit verify` detects edits even when they are dropped.

CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY,
  kind            TEXT    NOT NULL CHECK (kind IN ('statement', 'outcome')),
  time_us         INTEGER NOT NULL,   -- unix microseconds, UTC

  -- statement entries
  identity        TEXT,
  identity_kind   TEXT,
  pid             INTEGER,
  exe             TEXT,
  os_user         TEXT,
  connection      TEXT,
  session         INTEGER,
  protocol        TEXT,
  statement       TEXT,
  params          TEXT,               -- JSON array, or NULL
  class           TEXT,
  relations       TEXT,
  decision        TEXT,
  rule            TEXT,
  approver        TEXT,

  -- outcome entries
  statement_id    INTEGER,
  rows            INTEGER,
  duration_us     INTEGER,
  masked          INTEGER,
  error_sqlstate  TEXT,
  error_message   TEXT,
  bytes           INTEGER,

  prev_hash       TEXT    NOT NULL,
  hash            TEXT    NOT NULL
);

CREATE INDEX audit_log_time ON audit_log (time_us);
CREATE INDEX audit_log_outcome ON audit_log (statement_id) WHERE kind = 'outcome';

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE (ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE (ABORT, 'audit_log is append-only');
END;

-- The chain head, updated in the same transaction as every batch. DATA_DIR/audit.head
-- holds a copy outside the database, written after each commit.
CREATE TABLE audit_checkpoint (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  entries     INTEGER NOT NULL,
  head_hash   TEXT    NOT NULL,
  updated_us  INTEGER NOT NULL
);

INSERT INTO audit_checkpoint (id, entries, head_hash, updated_us)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN
  SELECT RAISE (ABORT, 'audit_checkpoint is permanent');
END;
