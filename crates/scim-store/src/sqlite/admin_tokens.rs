//! Admin API tokens on SQLite (DESIGN §3, §6): like SCIM tokens, only the
//! SHA-256 of the secret and a visible prefix are stored.

use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, is_unique_violation, now, opt_from_ms, parse_json, to_json, to_ms};
use super::credentials::{Credentials, expire, revoke, touch};
use super::sql::all;
use crate::{AdminTokenInfo, NewAdminToken, Result, Revocation, StoreError};

const COLUMNS: &str = "id, name, prefix, hash, scopes, tenants, created, expires, last_used, revoked, replaces";

fn json_list<T: serde::de::DeserializeOwned>(row: &Row<'_>, column: &str) -> Result<Vec<T>> {
    let text: String = row.get(column)?;
    serde_json::from_value(parse_json(&text)?).map_err(|e| StoreError::Corrupt(format!("admin token {column}: {e}")))
}

fn admin_token_from_row(row: &Row<'_>) -> Result<AdminTokenInfo> {
    let hash: Vec<u8> = row.get("hash")?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt("admin token hash is not 32 bytes".into()))?;
    Ok(AdminTokenInfo {
        id: row.get("id")?,
        name: row.get("name")?,
        prefix: row.get("prefix")?,
        hash,
        scopes: json_list(row, "scopes")?,
        tenants: json_list(row, "tenants")?,
        created: from_ms(row.get("created")?),
        expires: opt_from_ms(row.get("expires")?),
        last_used: opt_from_ms(row.get("last_used")?),
        revoked: opt_from_ms(row.get("revoked")?),
        replaces: row.get("replaces")?,
    })
}

impl SqliteStore {
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
        let row = info.clone();
        self.write(move |c| {
            let res = c
                .prepare_cached(
                    "INSERT INTO admin_tokens (id, name, prefix, hash, scopes, tenants, created, expires, replaces) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![
                    row.id,
                    row.name,
                    row.prefix,
                    &row.hash[..],
                    to_json(&row.scopes)?,
                    to_json(&row.tenants)?,
                    to_ms(row.created),
                    row.expires.map(to_ms),
                    row.replaces,
                ]);
            match res {
                Err(e) if is_unique_violation(&e, "hash") => {
                    Err(StoreError::Conflict("an admin token with this secret already exists".into()))
                }
                other => other.map(drop).map_err(Into::into),
            }
        })
        .await?;
        Ok(info)
    }

    pub(crate) fn admin_token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<AdminTokenInfo>> {
        self.read_fresh(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM admin_tokens WHERE hash = ?"))?;
            stmt.query_row([&hash[..]], |r| Ok(admin_token_from_row(r))).optional()?.transpose()
        })
    }

    pub(crate) fn list_admin_tokens_impl(&self) -> Result<Vec<AdminTokenInfo>> {
        self.read_fresh(|c| {
            all(c, &format!("SELECT {COLUMNS} FROM admin_tokens ORDER BY created, id"), [], admin_token_from_row)
        })
    }

    pub(crate) async fn revoke_admin_token_impl(&self, token: Uuid) -> Result<Revocation> {
        self.write(move |c| revoke(c, Credentials::AdminTokens, token, None)).await
    }

    pub(crate) async fn expire_admin_token_impl(&self, token: Uuid, at: OffsetDateTime) -> Result<()> {
        self.write(move |c| expire(c, Credentials::AdminTokens, token, None, at)).await
    }

    pub(crate) async fn touch_admin_token_impl(&self, token: Uuid) -> Result<()> {
        let at = to_ms(now());
        self.write(move |c| touch(c, Credentials::AdminTokens, token, at, None)).await
    }
}
