-- Self-serve setup links (issue 14): a link an operator sends a
-- customer's IT admin, to connect their identity provider. Of its secret
-- only the SHA-256 and a visible prefix; `allow`: what the link may do
-- (JSON list: "scim", "domains"); `created_by`: the admin token that made it.
CREATE TABLE setup_links (
    id          BLOB    NOT NULL PRIMARY KEY,
    tenant      BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    prefix      TEXT    NOT NULL,
    hash        BLOB    NOT NULL UNIQUE,
    allow       TEXT    NOT NULL DEFAULT '[]',
    created     INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    last_used   INTEGER,
    revoked     INTEGER,
    created_by  BLOB
);
CREATE INDEX setup_links_tenant ON setup_links (tenant, created);
