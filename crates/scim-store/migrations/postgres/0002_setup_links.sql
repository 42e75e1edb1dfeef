-- Self-serve setup links (issue 14): see migrations/sqlite/0012_setup_links.sql.
CREATE TABLE setup_links (
    id          uuid    PRIMARY KEY,
    tenant      uuid    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    prefix      text    NOT NULL,
    hash        bytea   NOT NULL,
    allow       jsonb   NOT NULL DEFAULT '[]',
    created     bigint  NOT NULL,
    expires     bigint  NOT NULL,
    last_used   bigint,
    revoked     bigint,
    created_by  uuid
);
CREATE UNIQUE INDEX setup_links_hash ON setup_links (hash);
CREATE INDEX setup_links_tenant ON setup_links (tenant, created);
