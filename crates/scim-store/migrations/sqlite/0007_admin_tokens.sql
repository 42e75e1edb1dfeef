-- Admin API tokens (DESIGN §3, §6): like SCIM tokens, only the SHA-256 of
-- the secret and a visible prefix are stored. `tenants` limits a token to
-- some tenants (a JSON array of tenant ids; empty: every tenant).
-- `replaces` links a rotated token to the one it replaced.
CREATE TABLE admin_tokens (
    id         BLOB    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    hash       BLOB    NOT NULL,
    scopes     TEXT    NOT NULL DEFAULT '[]',
    tenants    TEXT    NOT NULL DEFAULT '[]',
    created    INTEGER NOT NULL,
    expires    INTEGER,
    last_used  INTEGER,
    revoked    INTEGER,
    replaces   BLOB
);
CREATE UNIQUE INDEX admin_tokens_hash ON admin_tokens (hash);

-- Who made an admin change: the admin token, beside `token` (SCIM tokens).
ALTER TABLE audit_log ADD COLUMN admin_token BLOB;

-- A rotated SCIM token names the one it replaced.
ALTER TABLE tokens ADD COLUMN replaces BLOB;
