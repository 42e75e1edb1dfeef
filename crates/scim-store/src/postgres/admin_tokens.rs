//! Admin API tokens on PostgreSQL (DESIGN §3, §6): like SCIM tokens, only
//! the SHA-256 of the secret and a visible prefix are stored. Every change
//! but `touch` is announced to the other nodes.

use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_jsonb, from_ms, get, now, opt_from_ms, to_jsonb, to_ms, unique_violation};
use super::credentials::{Credentials, expire, revoke, touch};
use super::sql::{all, opt};
use super::tokens::hash_of;
use crate::{AdminTokenInfo, NewAdminToken, Result, Revocation, StoreError};

const COLUMNS: &str = "id, name, prefix, hash, scopes, tenants, created, expires, last_used, revoked, replaces";

fn admin_token_from_row(row: &Row) -> Result<AdminTokenInfo> {
    Ok(AdminTokenInfo {
        id: get(row, "id")?,
        name: get(row, "name")?,
        prefix: get(row, "prefix")?,
        hash: hash_of(row)?,
        scopes: from_jsonb(get(row, "scopes")?, "admin token scopes")?,
        tenants: from_jsonb(get(row, "tenants")?, "admin token tenants")?,
        created: from_ms(get(row, "created")?),
        expires: opt_from_ms(get(row, "expires")?),
        last_used: opt_from_ms(get(row, "last_used")?),
        revoked: opt_from_ms(get(row, "revoked")?),
        replaces: get(row, "replaces")?,
    })
}

impl PgStore {
    pub(crate) async fn create_admin_token_impl(&self, token: NewAdminToken) -> Result<AdminTokenInfo> {
        let info = AdminTokenInfo {
            id: Uuid::now_v7(),
            name: token.name,
            prefix: token.prefix,
            hash: token.hash,
            scopes: token.scopes,
            tenants: token.tenants,
            created: now(),
            expires: token.expires,
            last_used: None,
            revoked: None,
            replaces: token.replaces,
        };
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO admin_tokens (id, name, prefix, hash, scopes, tenants, created, expires, replaces) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await?;
        let done = c
            .execute(
                &stmt,
                &[
                    &info.id,
                    &info.name,
                    &info.prefix,
                    &&info.hash[..],
                    &to_jsonb(&info.scopes)?,
                    &to_jsonb(&info.tenants)?,
                    &to_ms(info.created),
                    &info.expires.map(to_ms),
                    &info.replaces,
                ],
            )
            .await;
        match done {
            Err(e) if unique_violation(&e) == Some("admin_tokens_hash") => {
                return Err(StoreError::Conflict("an admin token with this secret already exists".into()));
            }
            other => other?,
        };
        self.announce_change(&c).await;
        Ok(info)
    }

    pub(crate) async fn admin_token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<AdminTokenInfo>> {
        let c = self.conn().await?;
        opt(&c, &format!("SELECT {COLUMNS} FROM admin_tokens WHERE hash = $1"), &[&&hash[..]])
            .await?
            .as_ref()
            .map(admin_token_from_row)
            .transpose()
    }

    pub(crate) async fn list_admin_tokens_impl(&self) -> Result<Vec<AdminTokenInfo>> {
        let c = self.conn().await?;
        all(&c, &format!("SELECT {COLUMNS} FROM admin_tokens ORDER BY created, id"), &[])
            .await?
            .iter()
            .map(admin_token_from_row)
            .collect()
    }

    pub(crate) async fn revoke_admin_token_impl(&self, token: Uuid) -> Result<Revocation> {
        let c = self.conn().await?;
        let done = revoke(&c, Credentials::AdminTokens, token, None).await?;
        if done == Revocation::Revoked {
            self.announce_change(&c).await;
        }
        Ok(done)
    }

    pub(crate) async fn expire_admin_token_impl(&self, token: Uuid, at: OffsetDateTime) -> Result<()> {
        let c = self.conn().await?;
        expire(&c, Credentials::AdminTokens, token, None, at).await?;
        self.announce_change(&c).await;
        Ok(())
    }

    pub(crate) async fn touch_admin_token_impl(&self, token: Uuid) -> Result<()> {
        let c = self.conn().await?;
        touch(&c, Credentials::AdminTokens, token, None).await
    }
}
