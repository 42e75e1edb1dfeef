//! Unique group names on SQLite: the key column `group_name_key` (the
//! lower-cased displayName, set only where the tenant's rule applies) under
//! a unique partial index over live groups, and the check before a write
//! that names the group holding the name. Groups that shared a name before
//! the rule have no key, so the index leaves them be (migration 0006).

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::SqliteStore;
use super::sql::all;
use super::tenants;
use crate::writes::group_name_taken;
use crate::{Result, SharedGroupName, StoreError};

/// The key to store for group `id` of `tenant` taking the name `name`
/// (`lower`: lower-cased): `None` where the tenant has no name rule or the
/// group no name; `Uniqueness` naming the holder when another live group
/// has the name, with or without a key of its own.
pub(super) fn key_for(
    c: &Connection,
    tenant: Uuid,
    id: Uuid,
    name: Option<&str>,
    lower: Option<&str>,
) -> Result<Option<String>> {
    let (Some(name), Some(lower)) = (name, lower) else { return Ok(None) };
    let unique = tenants::by_id(c, tenant)?.is_none_or(|t| t.settings.unique_group_names);
    if !unique {
        return Ok(None);
    }
    let holder: Option<Uuid> = c
        .prepare_cached(
            "SELECT id FROM resources WHERE tenant = ? AND kind = 'Group' AND display_name_lower = ? \
             AND deleted_at IS NULL AND id != ? ORDER BY created, id LIMIT 1",
        )?
        .query_row(params![tenant, lower, id], |r| r.get(0))
        .optional()?;
    match holder {
        Some(holder) => Err(group_name_taken(name, holder)),
        None => Ok(Some(lower.to_owned())),
    }
}

/// The error for a write the unique index refused after all (a check of
/// another backend's making, or a bug): the holder, looked up.
pub(super) fn violation(c: &Connection, tenant: Uuid, name: &str, lower: &str) -> StoreError {
    let holder: Option<Uuid> = c
        .query_row(
            "SELECT id FROM resources WHERE tenant = ? AND group_name_key = ? AND deleted_at IS NULL",
            params![tenant, lower],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten();
    match holder {
        Some(holder) => group_name_taken(name, holder),
        None => StoreError::Uniqueness(format!("displayName \"{name}\" is already taken")),
    }
}

impl SqliteStore {
    pub(crate) async fn shared_group_names_impl(&self, limit: u32) -> Result<Vec<SharedGroupName>> {
        self.scan(Uuid::nil(), move |c| {
            all(
                c,
                "SELECT tenant, display_name_lower, COUNT(*) FROM resources \
                 WHERE kind = 'Group' AND deleted_at IS NULL AND display_name_lower IS NOT NULL \
                 GROUP BY tenant, display_name_lower HAVING COUNT(*) > 1 ORDER BY tenant, display_name_lower LIMIT ?",
                [limit],
                |r| {
                    Ok(SharedGroupName {
                        tenant: r.get(0)?,
                        name: r.get(1)?,
                        groups: r.get::<_, i64>(2)?.unsigned_abs(),
                    })
                },
            )
        })
        .await
    }
}
