-- Group displayNames unique per tenant among live groups, case-insensitively
-- (a tenant setting, on by default). The key is the lower-cased name, set
-- by the store only where the rule applies; groups that already shared a
-- name keep working: only the oldest holder of each name gets the key, the
-- others none, and the partial index leaves them out.
ALTER TABLE resources ADD COLUMN group_name_key TEXT;
UPDATE resources SET group_name_key = display_name_lower
WHERE kind = 'Group' AND deleted_at IS NULL AND display_name_lower IS NOT NULL
  AND id = (
    SELECT g.id FROM resources g
    WHERE g.tenant = resources.tenant AND g.kind = 'Group' AND g.deleted_at IS NULL
      AND g.display_name_lower = resources.display_name_lower
    ORDER BY g.created, g.id LIMIT 1
  );
CREATE UNIQUE INDEX resources_group_name_live ON resources (tenant, group_name_key)
    WHERE group_name_key IS NOT NULL AND deleted_at IS NULL;
