-- The admin views (issue 11, items 6 and 7). Indexes only, each IF NOT
-- EXISTS: running it again (a test putting a file back to an older schema
-- version) changes nothing.
--
-- Audit search: newest first by (time, id) within a tenant, with since/until
-- ranges on the time. The row id is the last column of every index of a
-- rowid table, so (tenant, at) orders by (at, id) as well.
CREATE INDEX IF NOT EXISTS audit_log_tenant_at ON audit_log (tenant, at);
-- Audit search for one resource's entries, newest first.
CREATE INDEX IF NOT EXISTS audit_log_resource ON audit_log (tenant, resource_id, at) WHERE resource_id IS NOT NULL;

-- The host application's view of its users and groups lists soft-deleted
-- resources too, in the default order (created, id); `resources_created`
-- holds live rows only. Rows enter this index on insert and leave it on a
-- hard delete; updates do not touch it (none of its columns change).
CREATE INDEX IF NOT EXISTS resources_all_created ON resources (tenant, kind, created, id);
