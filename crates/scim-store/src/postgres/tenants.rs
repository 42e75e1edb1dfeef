//! Tenants on PostgreSQL: create, look up by slug or id, list, settings
//! replaced by compare-and-set on their version, and erasure in batches.
//! Every change is announced to the other nodes (their caches).

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_jsonb, from_ms, get, now, to_jsonb, to_ms, unique_violation};
use super::sql::{all, exec, opt};
use crate::{Erasure, Result, StoreError, Tenant, TenantSettings};

const SELECT: &str = "SELECT id, slug, name, settings, settings_version, created FROM tenants";

fn tenant_from_row(row: &Row) -> Result<Tenant> {
    Ok(Tenant {
        id: get(row, "id")?,
        slug: get(row, "slug")?,
        name: get(row, "name")?,
        settings: from_jsonb::<TenantSettings>(get(row, "settings")?, "tenant settings")?,
        settings_version: get(row, "settings_version")?,
        created: from_ms(get(row, "created")?),
    })
}

pub(super) async fn by_id(c: &impl GenericClient, id: Uuid) -> Result<Option<Tenant>> {
    opt(c, &format!("{SELECT} WHERE id = $1"), &[&id]).await?.as_ref().map(tenant_from_row).transpose()
}

impl PgStore {
    pub(crate) async fn create_tenant_impl(&self, slug: &str, name: &str) -> Result<Tenant> {
        let tenant = Tenant {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            settings: TenantSettings::default(),
            settings_version: 1,
            created: now(),
        };
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO tenants (id, slug, name, settings, settings_version, created) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await?;
        let settings = to_jsonb(&tenant.settings)?;
        let done = c
            .execute(
                &stmt,
                &[&tenant.id, &tenant.slug, &tenant.name, &settings, &tenant.settings_version, &to_ms(tenant.created)],
            )
            .await;
        match done {
            Err(e) if unique_violation(&e).is_some() => {
                return Err(StoreError::Conflict(format!("tenant slug \"{}\" is already taken", tenant.slug)));
            }
            other => other?,
        };
        self.announce_change(&c).await;
        Ok(tenant)
    }

    pub(crate) async fn tenant_by_slug_impl(&self, slug: &str) -> Result<Option<Tenant>> {
        let c = self.conn().await?;
        opt(&c, &format!("{SELECT} WHERE slug = $1"), &[&slug]).await?.as_ref().map(tenant_from_row).transpose()
    }

    pub(crate) async fn tenant_by_id_impl(&self, id: Uuid) -> Result<Option<Tenant>> {
        let c = self.conn().await?;
        by_id(&c, id).await
    }

    pub(crate) async fn list_tenants_impl(&self) -> Result<Vec<Tenant>> {
        let c = self.conn().await?;
        all(&c, &format!("{SELECT} ORDER BY created, id"), &[]).await?.iter().map(tenant_from_row).collect()
    }

    pub(crate) async fn update_tenant_settings_impl(
        &self,
        tenant: Uuid,
        expected_version: i64,
        settings: &TenantSettings,
    ) -> Result<Tenant> {
        let settings = to_jsonb(settings)?;
        let c = self.conn().await?;
        let done = exec(
            &c,
            "UPDATE tenants SET settings = $1, settings_version = settings_version + 1 \
             WHERE id = $2 AND settings_version = $3",
            &[&settings, &tenant, &expected_version],
        )
        .await?;
        let current = by_id(&c, tenant).await?.ok_or(StoreError::NotFound)?;
        if done == 0 {
            return Err(StoreError::VersionMismatch { current: current.settings_version });
        }
        self.announce_change(&c).await;
        Ok(current)
    }

    pub(crate) async fn erase_tenant_impl(&self, tenant: Uuid) -> Result<Erasure> {
        // Rows per statement: each batch is a short transaction of its own,
        // so other tenants' writes are not held up.
        const BATCH: i64 = 2_000;
        let mut c = self.conn().await?;
        // First nobody can write any more: the tokens and OAuth clients go,
        // and the tenant is suspended.
        let (tokens, oauth_clients) = {
            let tx = c.transaction().await?;
            if by_id(&tx, tenant).await?.is_none() {
                tx.rollback().await?;
                return Err(StoreError::NotFound);
            }
            let tokens = exec(&tx, "DELETE FROM tokens WHERE tenant = $1", &[&tenant]).await?;
            let clients = exec(&tx, "DELETE FROM oauth_clients WHERE tenant = $1", &[&tenant]).await?;
            exec(&tx, "DELETE FROM setup_links WHERE tenant = $1", &[&tenant]).await?;
            exec(
                &tx,
                "UPDATE tenants SET settings = jsonb_set(settings, '{suspended}', 'true'::jsonb), \
                 settings_version = settings_version + 1 WHERE id = $1",
                &[&tenant],
            )
            .await?;
            tx.commit().await?;
            (tokens, clients)
        };
        self.announce_change(&c).await;
        let mut erased = Erasure { tokens, oauth_clients, ..Erasure::default() };
        type Count = fn(&mut Erasure) -> &mut u64;
        let batches: [(&str, Count); 5] = [
            (
                "DELETE FROM group_members WHERE (tenant, group_id, member_id) IN \
                 (SELECT tenant, group_id, member_id FROM group_members WHERE tenant = $1 LIMIT $2)",
                |e| &mut e.memberships,
            ),
            ("DELETE FROM resources WHERE id IN (SELECT id FROM resources WHERE tenant = $1 LIMIT $2)", |e| {
                &mut e.resources
            }),
            (
                "DELETE FROM webhook_deliveries WHERE id IN \
                 (SELECT id FROM webhook_deliveries WHERE tenant = $1 LIMIT $2)",
                |e| &mut e.webhook_deliveries,
            ),
            ("DELETE FROM events WHERE written IN (SELECT written FROM events WHERE tenant = $1 LIMIT $2)", |e| {
                &mut e.events
            }),
            ("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE tenant = $1 LIMIT $2)", |e| {
                &mut e.audit_entries
            }),
        ];
        for (sql, count) in batches {
            loop {
                let n = exec(&c, sql, &[&tenant, &BATCH]).await?;
                *count(&mut erased) += n;
                if n < BATCH as u64 {
                    break;
                }
            }
        }
        // What a request already past authentication wrote meanwhile, and
        // the tenant itself.
        let tx = c.transaction().await?;
        for sql in [
            "DELETE FROM group_members WHERE tenant = $1",
            "DELETE FROM audit_log WHERE tenant = $1",
            "DELETE FROM webhook_deliveries WHERE tenant = $1",
            "DELETE FROM events WHERE tenant = $1",
            "DELETE FROM event_counters WHERE tenant = $1",
            "DELETE FROM tenants WHERE id = $1",
        ] {
            exec(&tx, sql, &[&tenant]).await?;
        }
        tx.commit().await?;
        self.announce_change(&c).await;
        Ok(erased)
    }
}
