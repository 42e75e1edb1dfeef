//! Tenants on SQLite: create, look up by slug or id, list, settings
//! replaced by compare-and-set on their version, and erasure in batches.

use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, is_unique_violation, now, parse_json, to_json, to_ms};
use super::sql::all;
use crate::{Erasure, Result, StoreError, Tenant, TenantSettings};

const SELECT: &str = "SELECT id, slug, name, settings, settings_version, created FROM tenants";

fn tenant_from_row(row: &Row<'_>) -> Result<Tenant> {
    let settings: String = row.get("settings")?;
    let settings: TenantSettings = serde_json::from_value(parse_json(&settings)?)
        .map_err(|e| StoreError::Corrupt(format!("tenant settings: {e}")))?;
    Ok(Tenant {
        id: row.get("id")?,
        slug: row.get("slug")?,
        name: row.get("name")?,
        settings,
        settings_version: row.get("settings_version")?,
        created: from_ms(row.get("created")?),
    })
}

pub(super) fn by_id(c: &Connection, id: Uuid) -> Result<Option<Tenant>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} WHERE id = ?"))?;
    stmt.query_row([id], |r| Ok(tenant_from_row(r))).optional()?.transpose()
}

impl SqliteStore {
    pub(crate) async fn create_tenant_impl(&self, slug: &str, name: &str) -> Result<Tenant> {
        let tenant = Tenant {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            settings: TenantSettings::default(),
            settings_version: 1,
            created: now(),
        };
        let row = tenant.clone();
        self.write(move |c| {
            let res = c
                .prepare_cached(
                    "INSERT INTO tenants (id, slug, name, settings, settings_version, created) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![
                    row.id,
                    row.slug,
                    row.name,
                    to_json(&row.settings)?,
                    row.settings_version,
                    to_ms(row.created)
                ]);
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

    pub(crate) fn tenant_by_id_impl(&self, id: Uuid) -> Result<Option<Tenant>> {
        self.read_fresh(|c| by_id(c, id))
    }

    pub(crate) async fn list_tenants_impl(&self) -> Result<Vec<Tenant>> {
        self.scan(Uuid::nil(), |c| all(c, &format!("{SELECT} ORDER BY created, id"), [], tenant_from_row)).await
    }

    pub(crate) async fn update_tenant_settings_impl(
        &self,
        tenant: Uuid,
        expected_version: i64,
        settings: &TenantSettings,
    ) -> Result<Tenant> {
        let settings = to_json(settings)?;
        self.write(move |c| {
            let done = c
                .prepare_cached(
                    "UPDATE tenants SET settings = ?, settings_version = settings_version + 1 \
                     WHERE id = ? AND settings_version = ?",
                )?
                .execute(params![settings, tenant, expected_version])?;
            let current = by_id(c, tenant)?.ok_or(StoreError::NotFound)?;
            if done == 0 {
                return Err(StoreError::VersionMismatch { current: current.settings_version });
            }
            Ok(current)
        })
        .await
    }

    pub(crate) async fn erase_tenant_impl(&self, tenant: Uuid) -> Result<Erasure> {
        // Rows per write: a batch holds the write lock for a few
        // milliseconds, so other tenants' writes interleave.
        const BATCH: i64 = 2_000;
        // First nobody can write any more: the tokens, OAuth clients and
        // setup links go,
        // and the tenant is suspended (its issuer's JWTs no longer write;
        // the caller also forgets its caches).
        let (tokens, oauth_clients) = self
            .write(move |c| {
                by_id(c, tenant)?.ok_or(StoreError::NotFound)?;
                let tokens = c.prepare_cached("DELETE FROM tokens WHERE tenant = ?")?.execute([tenant])? as u64;
                let clients = c.prepare_cached("DELETE FROM oauth_clients WHERE tenant = ?")?.execute([tenant])? as u64;
                c.prepare_cached("DELETE FROM setup_links WHERE tenant = ?")?.execute([tenant])?;
                c.prepare_cached(
                    "UPDATE tenants SET settings = json_set(settings, '$.suspended', json('true')), \
                     settings_version = settings_version + 1 WHERE id = ?",
                )?
                .execute([tenant])?;
                Ok((tokens, clients))
            })
            .await?;
        let mut erased = Erasure { tokens, oauth_clients, ..Erasure::default() };
        type Count = fn(&mut Erasure) -> &mut u64;
        let batches: [(&str, Count); 5] = [
            (
                "DELETE FROM group_members WHERE (tenant, group_id, member_id) IN \
                 (SELECT tenant, group_id, member_id FROM group_members WHERE tenant = ?1 LIMIT ?2)",
                |e| &mut e.memberships,
            ),
            ("DELETE FROM resources WHERE rowid IN (SELECT rowid FROM resources WHERE tenant = ?1 LIMIT ?2)", |e| {
                &mut e.resources
            }),
            (
                "DELETE FROM webhook_deliveries WHERE id IN \
                 (SELECT id FROM webhook_deliveries WHERE tenant = ?1 LIMIT ?2)",
                |e| &mut e.webhook_deliveries,
            ),
            // The newest event of all keeps its position (see events.rs:
            // positions are never handed out twice), emptied below.
            (
                "DELETE FROM events WHERE position IN (SELECT position FROM events WHERE tenant = ?1 \
                 AND position < (SELECT max(position) FROM events) LIMIT ?2)",
                |e| &mut e.events,
            ),
            ("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE tenant = ?1 LIMIT ?2)", |e| {
                &mut e.audit_entries
            }),
        ];
        for (sql, count) in batches {
            loop {
                let n = self.write(move |c| Ok(c.prepare_cached(sql)?.execute(params![tenant, BATCH])?)).await?;
                *count(&mut erased) += n as u64;
                if (n as i64) < BATCH {
                    break;
                }
            }
        }
        self.write(move |c| {
            // What a request already past authentication wrote meanwhile.
            c.prepare_cached("DELETE FROM group_members WHERE tenant = ?")?.execute([tenant])?;
            c.prepare_cached("DELETE FROM audit_log WHERE tenant = ?")?.execute([tenant])?;
            c.prepare_cached("DELETE FROM webhook_deliveries WHERE tenant = ?")?.execute([tenant])?;
            c.prepare_cached("DELETE FROM events WHERE tenant = ? AND position < (SELECT max(position) FROM events)")?
                .execute([tenant])?;
            // The kept newest event becomes a placeholder of no tenant that
            // says nothing (the feeds skip it); an older one goes.
            c.prepare_cached("DELETE FROM events WHERE tenant = ?1 AND position < (SELECT max(position) FROM events)")?
                .execute([Uuid::nil()])?;
            c.prepare_cached(
                "UPDATE events SET tenant = ?2, seq = -position, event_type = 'erased', resource_id = ?2, \
                 data = '{}' WHERE tenant = ?1",
            )?
            .execute(params![tenant, Uuid::nil()])?;
            c.prepare_cached("DELETE FROM tenants WHERE id = ?")?.execute([tenant])?;
            Ok(())
        })
        .await?;
        Ok(erased)
    }
}
