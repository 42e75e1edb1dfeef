-- Live (not deleted) resources per tenant and type, kept by triggers in the
-- same transaction as every insert, delete and soft delete: the
-- totalResults of an unfiltered list without a COUNT(*) walk over every row
-- (3 ms for 100,000 users, on every page). Triggers rather than code, so
-- that no write path can forget it.
CREATE TABLE resource_counts (
    tenant  BLOB    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL,
    live    INTEGER NOT NULL,
    PRIMARY KEY (tenant, kind)
) WITHOUT ROWID;

INSERT INTO resource_counts (tenant, kind, live)
    SELECT tenant, kind, COUNT(*) FROM resources WHERE deleted_at IS NULL GROUP BY tenant, kind;

CREATE TRIGGER resource_counts_insert AFTER INSERT ON resources WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO resource_counts (tenant, kind, live) VALUES (NEW.tenant, NEW.kind, 1)
        ON CONFLICT (tenant, kind) DO UPDATE SET live = live + 1;
END;

CREATE TRIGGER resource_counts_delete AFTER DELETE ON resources WHEN OLD.deleted_at IS NULL
BEGIN
    UPDATE resource_counts SET live = live - 1 WHERE tenant = OLD.tenant AND kind = OLD.kind;
END;

CREATE TRIGGER resource_counts_soft_delete AFTER UPDATE OF deleted_at ON resources
    WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO resource_counts (tenant, kind, live)
        VALUES (NEW.tenant, NEW.kind, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
        ON CONFLICT (tenant, kind) DO UPDATE SET live = live + excluded.live;
END;
