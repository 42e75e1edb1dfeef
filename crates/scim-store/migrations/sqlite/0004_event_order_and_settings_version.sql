-- Tenant settings change by compare-and-set on a version (two admins
-- editing at once cannot lose each other's change).
ALTER TABLE tenants ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;

-- The per-tenant event sequence as a counter row, taken in the write's own
-- transaction (DESIGN §7): gapless and in commit order however many
-- writers or processes commit, rolled back with the write. MAX(seq)+1 was
-- only safe with one writer.
CREATE TABLE event_sequences (
    tenant    BLOB    NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO event_sequences (tenant, last_seq)
    SELECT tenant, MAX(seq) FROM events WHERE tenant IN (SELECT id FROM tenants) GROUP BY tenant;

-- A global, commit-ordered position for the all-tenants feed. Every SQLite
-- write transaction holds the database's write lock, so the order rows are
-- inserted in is the order their transactions commit in: an AUTOINCREMENT
-- key (never reused, even after deletes) is that order. Existing events
-- keep theirs (rowid order is insertion order).
CREATE TABLE events_new (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
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
