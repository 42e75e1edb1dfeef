//! Unique group names on PostgreSQL: the key column `group_name_key` (the
//! lower-cased displayName, set only where the tenant's rule applies) under
//! a unique partial index over live groups, and the check before a write
//! that names the group holding the name. Groups that shared a name before
//! the rule have no key, so the index leaves them be.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::PgStore;
use super::convert::{at, get};
use super::sql::{all, opt};
use super::tenants;
use crate::writes::group_name_taken;
use crate::{Result, SharedGroupName, StoreError};

/// The key to store for group `id` of `tenant` taking the name `name`
/// (`lower`: lower-cased): `None` where the tenant has no name rule or the
/// group no name; `Uniqueness` naming the holder when another live group
/// has the name, with or without a key of its own.
pub(super) async fn key_for(
    c: &impl GenericClient,
    tenant: Uuid,
    id: Uuid,
    name: Option<&str>,
    lower: Option<&str>,
) -> Result<Option<String>> {
    let (Some(name), Some(lower)) = (name, lower) else { return Ok(None) };
    let unique = tenants::by_id(c, tenant).await?.is_none_or(|t| t.settings.unique_group_names);
    if !unique {
        return Ok(None);
    }
    let holder = opt(
        c,
        "SELECT id FROM resources WHERE tenant = $1 AND kind = 'Group' AND display_name_lower = $2 \
         AND deleted_at IS NULL AND id <> $3 ORDER BY created, id LIMIT 1",
        &[&tenant, &lower, &id],
    )
    .await?;
    match holder {
        Some(row) => Err(group_name_taken(name, at(&row, 0)?)),
        None => Ok(Some(lower.to_owned())),
    }
}

/// The error for a write the unique index refused after all (another node
/// took the name between the check and the write): the holder, looked up.
pub(super) async fn violation(c: &impl GenericClient, tenant: Uuid, name: &str, lower: &str) -> StoreError {
    let holder = opt(
        c,
        "SELECT id FROM resources WHERE tenant = $1 AND group_name_key = $2 AND deleted_at IS NULL",
        &[&tenant, &lower],
    )
    .await
    .ok()
    .flatten()
    .and_then(|row| at::<Uuid>(&row, 0).ok());
    match holder {
        Some(holder) => group_name_taken(name, holder),
        None => StoreError::Uniqueness(format!("displayName \"{name}\" is already taken")),
    }
}

impl PgStore {
    pub(crate) async fn shared_group_names_impl(&self, limit: u32) -> Result<Vec<SharedGroupName>> {
        let c = self.conn().await?;
        let rows = all(
            &c,
            "SELECT tenant, display_name_lower AS name, COUNT(*) AS n FROM resources \
             WHERE kind = 'Group' AND deleted_at IS NULL AND display_name_lower IS NOT NULL \
             GROUP BY tenant, display_name_lower HAVING COUNT(*) > 1 ORDER BY tenant, display_name_lower LIMIT $1",
            &[&i64::from(limit)],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SharedGroupName {
                    tenant: get(r, "tenant")?,
                    name: get(r, "name")?,
                    groups: get::<i64>(r, "n")?.unsigned_abs(),
                })
            })
            .collect()
    }
}
