//! Self-serve setup links on PostgreSQL (issue 14): of a link's secret
//! only its SHA-256 and a visible prefix. Revocations are announced to the
//! other nodes.

use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_jsonb, from_ms, get, is_foreign_key_violation, opt_from_ms, to_jsonb, to_ms};
use super::credentials::{Credentials, revoke, touch};
use super::sql::{all, opt};
use super::tokens::hash_of;
use crate::{NewSetupLink, Result, Revocation, SetupLink, StoreError};

const COLUMNS: &str = "id, tenant, prefix, hash, allow, created, expires, last_used, revoked, created_by";

fn link_from_row(row: &Row) -> Result<SetupLink> {
    Ok(SetupLink {
        id: get(row, "id")?,
        tenant: get(row, "tenant")?,
        prefix: get(row, "prefix")?,
        hash: hash_of(row)?,
        allow: from_jsonb(get(row, "allow")?, "setup link allow")?,
        created: from_ms(get(row, "created")?),
        expires: from_ms(get(row, "expires")?),
        last_used: opt_from_ms(get(row, "last_used")?),
        revoked: opt_from_ms(get(row, "revoked")?),
        created_by: get(row, "created_by")?,
    })
}

impl PgStore {
    pub(crate) async fn create_setup_link_impl(&self, new: NewSetupLink) -> Result<SetupLink> {
        let link = new.stored();
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO setup_links (id, tenant, prefix, hash, allow, created, expires, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .await?;
        let done = c
            .execute(
                &stmt,
                &[
                    &link.id,
                    &link.tenant,
                    &link.prefix,
                    &&link.hash[..],
                    &to_jsonb(&link.allow)?,
                    &to_ms(link.created),
                    &to_ms(link.expires),
                    &link.created_by,
                ],
            )
            .await;
        match done {
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
            other => other?,
        };
        Ok(link)
    }

    pub(crate) async fn setup_link_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<SetupLink>> {
        let c = self.conn().await?;
        opt(&c, &format!("SELECT {COLUMNS} FROM setup_links WHERE hash = $1"), &[&&hash[..]])
            .await?
            .as_ref()
            .map(link_from_row)
            .transpose()
    }

    pub(crate) async fn list_setup_links_impl(&self, tenant: Uuid) -> Result<Vec<SetupLink>> {
        let c = self.conn().await?;
        all(&c, &format!("SELECT {COLUMNS} FROM setup_links WHERE tenant = $1 ORDER BY created, id"), &[&tenant])
            .await?
            .iter()
            .map(link_from_row)
            .collect()
    }

    pub(crate) async fn revoke_setup_link_impl(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        let c = self.conn().await?;
        let done = revoke(&c, Credentials::SetupLinks, id, Some(tenant)).await?;
        if done == Revocation::Revoked {
            self.announce_change(&c).await;
        }
        Ok(done)
    }

    pub(crate) async fn touch_setup_link_impl(&self, id: Uuid) -> Result<()> {
        let c = self.conn().await?;
        touch(&c, Credentials::SetupLinks, id, None).await
    }
}
