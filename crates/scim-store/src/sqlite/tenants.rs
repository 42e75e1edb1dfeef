//! Tenants: create, look up by slug, list, update settings.

use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, is_unique_violation, now, parse_json, to_json, to_ms};
use super::sql::all;
use crate::{Result, StoreError, Tenant, TenantSettings};

const SELECT: &str = "SELECT id, slug, name, settings, created FROM tenants";

fn tenant_from_row(row: &Row<'_>) -> Result<Tenant> {
    let settings: String = row.get("settings")?;
    let settings: TenantSettings = serde_json::from_value(parse_json(&settings)?)
        .map_err(|e| StoreError::Corrupt(format!("tenant settings: {e}")))?;
    Ok(Tenant {
        id: row.get("id")?,
        slug: row.get("slug")?,
        name: row.get("name")?,
        settings,
        created: from_ms(row.get("created")?),
    })
}

impl SqliteStore {
    pub(crate) async fn create_tenant_impl(&self, slug: &str, name: &str) -> Result<Tenant> {
        let tenant = Tenant {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            settings: TenantSettings::default(),
            created: now(),
        };
        let row = tenant.clone();
        self.write(move |c| {
            let res = c
                .prepare_cached("INSERT INTO tenants (id, slug, name, settings, created) VALUES (?, ?, ?, ?, ?)")?
                .execute(params![row.id, row.slug, row.name, to_json(&row.settings)?, to_ms(row.created)]);
            match res {
                Err(e) if is_unique_violation(&e, "slug") => {
                    Err(StoreError::Conflict(format!("tenant slug \"{}\" is already taken", row.slug)))
                }
                other => other.map(drop).map_err(Into::into),
            }
        })
        .await?;
        Ok(tenant)
    }

    pub(crate) fn tenant_by_slug_impl(&self, slug: &str) -> Result<Option<Tenant>> {
        self.read_fresh(|c| {
            let mut stmt = c.prepare_cached(&format!("{SELECT} WHERE slug = ?"))?;
            let row = stmt.query_row([slug], |r| Ok(tenant_from_row(r))).optional()?;
            row.transpose()
        })
    }

    pub(crate) async fn list_tenants_impl(&self) -> Result<Vec<Tenant>> {
        self.scan(|c| all(c, &format!("{SELECT} ORDER BY created, id"), [], tenant_from_row)).await
    }

    pub(crate) async fn update_tenant_settings_impl(&self, tenant: Uuid, settings: &TenantSettings) -> Result<()> {
        let settings = to_json(settings)?;
        self.write(move |c| {
            let done =
                c.prepare_cached("UPDATE tenants SET settings = ? WHERE id = ?")?.execute(params![settings, tenant])?;
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
}
