-- Tenant settings change by compare-and-set on a version (two admins
-- editing at once cannot lose each other's change).
ALTER TABLE tenants ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;

-- The outbox's two orders (DESIGN §7; sqlite/events.rs says how they are
-- kept). Every SQLite write transaction holds the database's one write
-- lock from its first write to its commit, whichever thread or process
-- runs it, so rows are inserted in the order their transactions commit:
-- - `seq`, per tenant, gapless: one more than the tenant's largest, read
--   in the write's own transaction through UNIQUE (tenant, seq);
-- - `position`, global: the rowid (INTEGER PRIMARY KEY, one more than the
--   largest). Not AUTOINCREMENT, which costs a write to sqlite_sequence per
--   insert; instead whatever deletes events (retention) must keep the
--   newest one, so that no position is handed out twice.
-- Existing events keep their order (rowid order is insertion order).
CREATE TABLE events_new (
    position     INTEGER PRIMARY KEY,
    tenant       BLOB    NOT NULL,
    seq          INTEGER NOT NULL,
    id           BLOB    NOT NULL UNIQUE,
    event_type   TEXT    NOT NULL,
    resource_id  BLOB    NOT NULL,
    at           INTEGER NOT NULL,
    data         TEXT    NOT NULL,
    UNIQUE (tenant, seq)
);
INSERT INTO events_new (tenant, seq, id, event_type, resource_id, at, data)
    SELECT tenant, seq, id, event_type, resource_id, at, data FROM events ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
