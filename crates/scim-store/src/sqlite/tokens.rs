//! API tokens on SQLite: only the SHA-256 of the secret and a visible
//! prefix are stored (DESIGN §6).

use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{
    from_ms, is_foreign_key_violation, is_unique_violation, now, opt_from_ms, parse_json, to_json, to_ms,
};
use super::credentials::{Credentials, expire, revoke, touch};
use super::sql::all;
use crate::{NewToken, Result, Revocation, StoreError, TokenInfo};

const COLUMNS: &str =
    "id, tenant, name, prefix, hash, scopes, created, expires, last_used, last_user_agent, revoked, replaces";

fn token_from_row(row: &Row<'_>) -> Result<TokenInfo> {
    let hash: Vec<u8> = row.get("hash")?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt("token hash is not 32 bytes".into()))?;
    let scopes: String = row.get("scopes")?;
    let scopes: Vec<String> =
        serde_json::from_value(parse_json(&scopes)?).map_err(|e| StoreError::Corrupt(format!("token scopes: {e}")))?;
    Ok(TokenInfo {
        id: row.get("id")?,
        tenant: row.get("tenant")?,
        name: row.get("name")?,
        prefix: row.get("prefix")?,
        hash,
        scopes,
        created: from_ms(row.get("created")?),
        expires: opt_from_ms(row.get("expires")?),
        last_used: opt_from_ms(row.get("last_used")?),
        last_user_agent: row.get("last_user_agent")?,
        revoked: opt_from_ms(row.get("revoked")?),
        replaces: row.get("replaces")?,
    })
}

impl SqliteStore {
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
        let row = info.clone();
        self.write(move |c| {
            let res = c
                .prepare_cached(
                    "INSERT INTO tokens (id, tenant, name, prefix, hash, scopes, created, expires, replaces) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![
                    row.id,
                    row.tenant,
                    row.name,
                    row.prefix,
                    &row.hash[..],
                    to_json(&row.scopes)?,
                    to_ms(row.created),
                    row.expires.map(to_ms),
                    row.replaces,
                ]);
            match res {
                Err(e) if is_unique_violation(&e, "hash") => {
                    Err(StoreError::Conflict("a token with this secret already exists".into()))
                }
                Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound),
                other => other.map(drop).map_err(Into::into),
            }
        })
        .await?;
        Ok(info)
    }

    pub(crate) fn token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>> {
        self.read_fresh(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?"))?;
            stmt.query_row([&hash[..]], |r| Ok(token_from_row(r))).optional()?.transpose()
        })
    }

    pub(crate) async fn list_tokens_impl(&self, tenant: Uuid) -> Result<Vec<TokenInfo>> {
        self.scan(tenant, move |c| {
            all(
                c,
                &format!("SELECT {COLUMNS} FROM tokens WHERE tenant = ? ORDER BY created, id"),
                [tenant],
                token_from_row,
            )
        })
        .await
    }

    pub(crate) async fn revoke_token_impl(&self, tenant: Uuid, token: Uuid) -> Result<Revocation> {
        self.write(move |c| revoke(c, Credentials::Tokens, token, Some(tenant))).await
    }

    pub(crate) async fn expire_token_impl(&self, tenant: Uuid, token: Uuid, at: OffsetDateTime) -> Result<()> {
        self.write(move |c| expire(c, Credentials::Tokens, token, Some(tenant), at)).await
    }

    pub(crate) async fn touch_token_impl(&self, token: Uuid, user_agent: Option<String>) -> Result<()> {
        let at = to_ms(now());
        self.write(move |c| touch(c, Credentials::Tokens, token, at, user_agent.as_deref())).await
    }
}
