//! Self-serve setup links on SQLite (issue 14): of a link's secret only
//! its SHA-256 and a visible prefix.

use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, now, opt_from_ms, parse_json, to_json, to_ms};
use super::credentials::{Credentials, revoke, touch};
use super::sql::all;
use crate::{NewSetupLink, Result, Revocation, SetupLink, StoreError};

const COLUMNS: &str = "id, tenant, prefix, hash, allow, created, expires, last_used, revoked, created_by";

fn link_from_row(row: &Row<'_>) -> Result<SetupLink> {
    let hash: Vec<u8> = row.get("hash")?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt("setup link hash is not 32 bytes".into()))?;
    let allow: String = row.get("allow")?;
    let allow = serde_json::from_value(parse_json(&allow)?)
        .map_err(|e| StoreError::Corrupt(format!("setup link allow: {e}")))?;
    Ok(SetupLink {
        id: row.get("id")?,
        tenant: row.get("tenant")?,
        prefix: row.get("prefix")?,
        hash,
        allow,
        created: from_ms(row.get("created")?),
        expires: from_ms(row.get("expires")?),
        last_used: opt_from_ms(row.get("last_used")?),
        revoked: opt_from_ms(row.get("revoked")?),
        created_by: row.get("created_by")?,
    })
}

impl SqliteStore {
    pub(crate) async fn create_setup_link_impl(&self, new: NewSetupLink) -> Result<SetupLink> {
        let link = new.stored();
        let row = link.clone();
        self.write(move |c| {
            super::tenants::by_id(c, row.tenant)?.ok_or(StoreError::NotFound)?;
            c.prepare_cached(
                "INSERT INTO setup_links (id, tenant, prefix, hash, allow, created, expires, created_by) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                row.id,
                row.tenant,
                row.prefix,
                &row.hash[..],
                to_json(&row.allow)?,
                to_ms(row.created),
                to_ms(row.expires),
                row.created_by
            ])?;
            Ok(())
        })
        .await?;
        Ok(link)
    }

    pub(crate) fn setup_link_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<SetupLink>> {
        self.read_fresh(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM setup_links WHERE hash = ?"))?;
            stmt.query_row([&hash[..]], |r| Ok(link_from_row(r))).optional()?.transpose()
        })
    }

    pub(crate) async fn list_setup_links_impl(&self, tenant: Uuid) -> Result<Vec<SetupLink>> {
        self.scan(tenant, move |c| {
            all(
                c,
                &format!("SELECT {COLUMNS} FROM setup_links WHERE tenant = ? ORDER BY created, id"),
                [tenant],
                link_from_row,
            )
        })
        .await
    }

    pub(crate) async fn revoke_setup_link_impl(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        self.write(move |c| revoke(c, Credentials::SetupLinks, id, Some(tenant))).await
    }

    pub(crate) async fn touch_setup_link_impl(&self, id: Uuid) -> Result<()> {
        let at = to_ms(now());
        self.write(move |c| touch(c, Credentials::SetupLinks, id, at, None)).await
    }
}
