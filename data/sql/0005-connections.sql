-- 0005-connections.sql: named upstreams kept in the store (vigilctl connection add, the
-- console), beside the ones given with --upstream (which win for their name).
--
-- 0001 reserved a connections table that nothing wrote; this one gives it the rules the
-- code relies on (a bounded name, one row per name) and keeps any rows it may hold.
-- conninfo may carry a password: it is read by the engine only, and never shown, logged,
-- audited or exported (see proxy/vigil-conninfo.c).

CREATE TABLE connections_new (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE CHECK (length (name) BETWEEN 1 AND 63),
  conninfo    TEXT    NOT NULL,
  created_at  INTEGER NOT NULL       -- unix seconds
);

INSERT INTO connections_new (name, conninfo, created_at)
  SELECT name, conninfo, created_at FROM connections
   WHERE length (name) BETWEEN 1 AND 63;

DROP TABLE connections;
ALTER TABLE connections_new RENAME TO connections;
