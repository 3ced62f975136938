-- 0003-policies.sql: every policy ever imported, newest in force.
--
-- Rows are never updated or deleted: the table is the policy's history (who, when, why).
-- sha256 is the hex digest of json, so an export can be matched to its version.

CREATE TABLE policy_versions (
  id          INTEGER PRIMARY KEY,
  created_at  INTEGER NOT NULL,          -- unix seconds
  author      TEXT    NOT NULL,          -- identity name or local OS user
  comment     TEXT,
  json        TEXT    NOT NULL,
  sha256      TEXT    NOT NULL CHECK (length (sha256) = 64)
);
