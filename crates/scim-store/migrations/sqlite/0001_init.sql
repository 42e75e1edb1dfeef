-- scimd SQLite schema (DESIGN §3). Ids are UUIDs stored as 16-byte blobs;
-- timestamps are INTEGER milliseconds since the Unix epoch (UTC), the
-- precision SCIM prints, so SQL compares instants exactly as the evaluator.

CREATE TABLE tenants (
    id        BLOB    NOT NULL PRIMARY KEY,
    slug      TEXT    NOT NULL UNIQUE,
    name      TEXT    NOT NULL,
    settings  TEXT    NOT NULL DEFAULT '{}',
    created   INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         BLOB    NOT NULL PRIMARY KEY,
    tenant     BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    hash       BLOB    NOT NULL,
    scopes     TEXT    NOT NULL DEFAULT '[]',
    created    INTEGER NOT NULL,
    expires    INTEGER,
    last_used  INTEGER,
    revoked    INTEGER
);
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);
CREATE INDEX tokens_tenant ON tokens (tenant, created);

-- One row per resource. `doc` is the normalised document (no id, meta,
-- password, groups or members); the other columns are derived from it by
-- the store (sqlite/derive.rs) so they can never drift from it.
CREATE TABLE resources (
    id                  BLOB    NOT NULL PRIMARY KEY,
    tenant              BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind                TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    created             INTEGER NOT NULL,
    last_modified       INTEGER NOT NULL,
    deleted_at          INTEGER,
    doc                 TEXT    NOT NULL,
    password_hash       TEXT,
    -- original-case name used as a member's/group's `display`
    display             TEXT,
    user_name           TEXT,
    user_name_lower     TEXT,
    display_name_lower  TEXT,
    external_id         TEXT,
    -- primary email, else the first (lower-cased): sorting by emails.value
    email_lower         TEXT,
    -- every email value lower-cased, each followed and preceded by a newline:
    -- a superset test for `emails.value eq|co|sw|ew`, refined by the evaluator
    emails_all          TEXT,
    active              INTEGER,
    -- enterprise manager.value, lower-cased
    manager_id          TEXT
);

-- userName is unique per tenant among live users, case-insensitively; the
-- database enforces it so concurrent writers cannot race past it.
CREATE UNIQUE INDEX resources_user_name_live ON resources (tenant, user_name_lower)
    WHERE kind = 'User' AND deleted_at IS NULL;
-- Default listing order (created, then id) and meta.* filters.
CREATE INDEX resources_created ON resources (tenant, kind, created, id) WHERE deleted_at IS NULL;
CREATE INDEX resources_last_modified ON resources (tenant, kind, last_modified) WHERE deleted_at IS NULL;
CREATE INDEX resources_display_name ON resources (tenant, kind, display_name_lower) WHERE deleted_at IS NULL;
CREATE INDEX resources_external_id ON resources (tenant, kind, external_id) WHERE deleted_at IS NULL;
CREATE INDEX resources_email ON resources (tenant, kind, email_lower) WHERE deleted_at IS NULL;
CREATE INDEX resources_manager ON resources (tenant, manager_id) WHERE deleted_at IS NULL AND manager_id IS NOT NULL;

-- Membership, one row per (group, member): never a JSON array. The primary
-- key serves "members of g" and "is u in g"; the second index "groups of u".
CREATE TABLE group_members (
    tenant       BLOB NOT NULL,
    group_id     BLOB NOT NULL,
    member_id    BLOB NOT NULL,
    member_kind  TEXT NOT NULL,
    PRIMARY KEY (tenant, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (tenant, member_id, group_id);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant         BLOB,
    at             INTEGER NOT NULL,
    token          BLOB,
    remote_addr    TEXT,
    method         TEXT    NOT NULL,
    path           TEXT    NOT NULL,
    request_id     TEXT,
    resource_kind  TEXT,
    resource_id    BLOB,
    status         INTEGER NOT NULL,
    detail         TEXT    NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant, id);

-- The transactional outbox (DESIGN §7): ordered per tenant by seq.
CREATE TABLE events (
    tenant       BLOB    NOT NULL,
    seq          INTEGER NOT NULL,
    id           BLOB    NOT NULL UNIQUE,
    event_type   TEXT    NOT NULL,
    resource_id  BLOB    NOT NULL,
    at           INTEGER NOT NULL,
    data         TEXT    NOT NULL,
    PRIMARY KEY (tenant, seq)
);
