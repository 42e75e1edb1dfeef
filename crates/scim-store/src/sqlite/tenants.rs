//! Tenants: create, look up by slug, list, update settings.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, is_unique_violation, now, parse_json, to_json, to_ms};
use crate::{Result, StoreError, Tenant, TenantSettings};

fn tenant_from_row(row: &SqliteRow) -> Result<Tenant> {
    let settings: String = row.try_get("settings")?;
    let settings: TenantSettings = serde_json::from_value(parse_json(&settings)?)
        .map_err(|e| StoreError::Corrupt(format!("tenant settings: {e}")))?;
    Ok(Tenant {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        settings,
        created: from_ms(row.try_get("created")?),
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
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("INSERT INTO tenants (id, slug, name, settings, created) VALUES (?, ?, ?, ?, ?)")
            .bind(tenant.id)
            .bind(slug)
            .bind(name)
            .bind(to_json(&tenant.settings)?)
            .bind(to_ms(tenant.created))
            .execute(&mut *tx)
            .await;
        match res {
            Err(e) if is_unique_violation(&e, "slug") => {
                return Err(StoreError::Conflict(format!("tenant slug \"{slug}\" is already taken")));
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(tenant)
    }

    pub(crate) async fn tenant_by_slug_impl(&self, slug: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query("SELECT id, slug, name, settings, created FROM tenants WHERE slug = ?")
            .bind(slug)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    pub(crate) async fn list_tenants_impl(&self) -> Result<Vec<Tenant>> {
        let rows = sqlx::query("SELECT id, slug, name, settings, created FROM tenants ORDER BY created, id")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(tenant_from_row).collect()
    }

    pub(crate) async fn update_tenant_settings_impl(&self, tenant: Uuid, settings: &TenantSettings) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE tenants SET settings = ? WHERE id = ?")
            .bind(to_json(settings)?)
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
