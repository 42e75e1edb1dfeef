-- OAuth 2.0 clients of a tenant (RFC 6749 §4.4, issue 11): the client_id
-- is the row's id; of the secret only its SHA-256 and a visible prefix.
CREATE TABLE oauth_clients (
    id          BLOB    NOT NULL PRIMARY KEY,
    tenant      BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL,
    hash        BLOB    NOT NULL,
    scopes      TEXT    NOT NULL DEFAULT '[]',
    created     INTEGER NOT NULL,
    last_used   INTEGER,
    revoked     INTEGER
);
CREATE INDEX oauth_clients_tenant ON oauth_clients (tenant, created);

-- The keys scimd signs its access tokens with (RFC 9068): the private key
-- sealed (scimd's secrets key), the public one as a JWK. `retired`: when it
-- stopped signing; it is still published while tokens it signed live.
CREATE TABLE signing_keys (
    kid          TEXT    NOT NULL PRIMARY KEY,
    alg          TEXT    NOT NULL,
    private_key  TEXT    NOT NULL,
    public_jwk   TEXT    NOT NULL,
    created      INTEGER NOT NULL,
    retired      INTEGER
);

-- Who made a change when it was no scimd token: a JWT's subject, an OAuth
-- client's id.
ALTER TABLE audit_log ADD COLUMN subject TEXT;
