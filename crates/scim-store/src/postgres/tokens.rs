//! API tokens on PostgreSQL: only the SHA-256 of the secret and a visible
//! prefix are stored (DESIGN §6). Every change but `touch` is announced to
//! the other nodes.

use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{
    from_jsonb, from_ms, get, is_foreign_key_violation, now, opt_from_ms, to_jsonb, to_ms, unique_violation,
};
use super::credentials::{Credentials, expire, revoke, touch};
use super::sql::{all, opt};
use crate::{NewToken, Result, Revocation, StoreError, TokenInfo};

const COLUMNS: &str =
    "id, tenant, name, prefix, hash, scopes, created, expires, last_used, last_user_agent, revoked, replaces";

/// The `hash` column: a credential's 32-byte SHA-256 (tokens, admin
/// tokens, OAuth clients).
pub(super) fn hash_of(row: &Row) -> Result<[u8; 32]> {
    let hash: Vec<u8> = get(row, "hash")?;
    hash.try_into().map_err(|_| StoreError::Corrupt("a credential hash is not 32 bytes".into()))
}

fn token_from_row(row: &Row) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: get(row, "id")?,
        tenant: get(row, "tenant")?,
        name: get(row, "name")?,
        prefix: get(row, "prefix")?,
        hash: hash_of(row)?,
        scopes: from_jsonb(get(row, "scopes")?, "token scopes")?,
        created: from_ms(get(row, "created")?),
        expires: opt_from_ms(get(row, "expires")?),
        last_used: opt_from_ms(get(row, "last_used")?),
        last_user_agent: get(row, "last_user_agent")?,
        revoked: opt_from_ms(get(row, "revoked")?),
        replaces: get(row, "replaces")?,
    })
}

impl PgStore {
    pub(crate) async fn create_token_impl(&self, token: NewToken) -> Result<TokenInfo> {
        let info = TokenInfo {
            id: Uuid::now_v7(),
            tenant: token.tenant,
            name: token.name,
            prefix: token.prefix,
            hash: token.hash,
            scopes: token.scopes,
            created: now(),
            expires: token.expires,
            last_used: None,
            last_user_agent: None,
            revoked: None,
            replaces: token.replaces,
        };
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO tokens (id, tenant, name, prefix, hash, scopes, created, expires, replaces) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .await?;
        let done = c
            .execute(
                &stmt,
                &[
                    &info.id,
                    &info.tenant,
                    &info.name,
                    &info.prefix,
                    &&info.hash[..],
                    &to_jsonb(&info.scopes)?,
                    &to_ms(info.created),
                    &info.expires.map(to_ms),
                    &info.replaces,
                ],
            )
            .await;
        match done {
            Err(e) if unique_violation(&e) == Some("tokens_hash") => {
                return Err(StoreError::Conflict("a token with this secret already exists".into()));
            }
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
            other => other?,
        };
        self.announce_change(&c).await;
        Ok(info)
    }

    pub(crate) async fn token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>> {
        let c = self.conn().await?;
        opt(&c, &format!("SELECT {COLUMNS} FROM tokens WHERE hash = $1"), &[&&hash[..]])
            .await?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    pub(crate) async fn list_tokens_impl(&self, tenant: Uuid) -> Result<Vec<TokenInfo>> {
        let c = self.conn().await?;
        all(&c, &format!("SELECT {COLUMNS} FROM tokens WHERE tenant = $1 ORDER BY created, id"), &[&tenant])
            .await?
            .iter()
            .map(token_from_row)
            .collect()
    }

    pub(crate) async fn revoke_token_impl(&self, tenant: Uuid, token: Uuid) -> Result<Revocation> {
        let c = self.conn().await?;
        let done = revoke(&c, Credentials::Tokens, token, Some(tenant)).await?;
        if done == Revocation::Revoked {
            self.announce_change(&c).await;
        }
        Ok(done)
    }

    pub(crate) async fn expire_token_impl(&self, tenant: Uuid, token: Uuid, at: OffsetDateTime) -> Result<()> {
        let c = self.conn().await?;
        expire(&c, Credentials::Tokens, token, Some(tenant), at).await?;
        self.announce_change(&c).await;
        Ok(())
    }

    pub(crate) async fn touch_token_impl(&self, token: Uuid, user_agent: Option<String>) -> Result<()> {
        let c = self.conn().await?;
        touch(&c, Credentials::Tokens, token, user_agent.as_deref()).await
    }
}
