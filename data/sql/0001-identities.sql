-- 0001-identities.sql: who may connect, and the named upstreams they connect to.
--
-- Only SCRAM verifiers are stored, never tokens. A revoked identity keeps its row
-- (revoked_at set) for the audit trail; its name may be given to a new identity,
-- hence the partial unique index instead of UNIQUE (name).

CREATE TABLE identities (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL CHECK (length (name) BETWEEN 1 AND 63),
  kind            TEXT    NOT NULL CHECK (kind IN ('agent', 'human', 'admin')),
  scram_verifier  TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,  -- unix seconds
  revoked_at      INTEGER            -- NULL while active
);

CREATE UNIQUE INDEX identities_active_name ON identities (name) WHERE revoked_at IS NULL;

-- Named upstreams (dbname=CONNECTION on the client side). Used by later work.
CREATE TABLE connections (
  name        TEXT    PRIMARY KEY,
  conninfo    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL       -- unix seconds
);
