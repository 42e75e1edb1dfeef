-- Verified domains (DESIGN §3, §6; issue 11 item 5): the domains a tenant
-- claims, each with the TXT value that proves control
-- (`_scimd-challenge.<domain>` must hold `txt_value`), and when and how it
-- was verified. Rows go with their tenant (ON DELETE CASCADE). The same
-- domain may be claimed by several tenants; which may verify it is decided
-- by the operations, not here. `domain` is normalised (lower case, no
-- trailing dot) before it is stored.
-- Numbered 0009: 0008 is reserved for another change.
CREATE TABLE domains (
    tenant             BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    domain             TEXT    NOT NULL,
    include_subdomains INTEGER NOT NULL DEFAULT 0,
    txt_value          TEXT    NOT NULL,
    created            INTEGER NOT NULL,
    verified_at        INTEGER,
    -- `dns` or `manual` once verified.
    verified_by        TEXT,
    last_checked       INTEGER,
    last_result        TEXT,
    PRIMARY KEY (tenant, domain)
) WITHOUT ROWID;
-- Who else claims a domain (the other tenants' verified holders).
CREATE INDEX domains_by_name ON domains (domain);
-- The background re-check: pending domains, least recently checked first.
CREATE INDEX domains_pending ON domains (last_checked) WHERE verified_at IS NULL;
