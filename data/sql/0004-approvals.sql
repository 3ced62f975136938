-- Approval requests for held statements, and their decisions.
-- The engine inserts a pending request and polls it; vigilctl and the console decide it.
CREATE TABLE approvals (
  id               INTEGER PRIMARY KEY,
  created_us       INTEGER NOT NULL,
  session          INTEGER NOT NULL,
  identity         TEXT NOT NULL,
  connection       TEXT NOT NULL,
  pid              INTEGER NOT NULL DEFAULT 0,
  exe              TEXT,
  os_user          TEXT,
  statement        TEXT NOT NULL,
  class            TEXT NOT NULL,
  relations        TEXT,
  rule             TEXT,
  reason           TEXT,
  fingerprint      TEXT,
  estimated_rows   INTEGER NOT NULL DEFAULT -1,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'withdrawn')),
  decided_by       TEXT,
  decision_reason  TEXT,
  decided_us       INTEGER,
  approve_minutes  INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX approvals_pending ON approvals (status) WHERE status = 'pending';
