//! API tokens: only the SHA-256 of the secret and a visible prefix are
//! stored (DESIGN §6). `touch_token` is debounced so that authenticating a
//! request does not cost a write transaction each time.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, is_unique_violation, now, opt_from_ms, parse_json, to_json, to_ms};
use crate::{NewToken, Result, StoreError, TokenInfo};

/// How stale `last_used` may get: a token used continuously is written at
/// most once per this many milliseconds (per process).
const TOUCH_INTERVAL_MS: i64 = 60_000;

const COLUMNS: &str = "id, tenant, name, prefix, hash, scopes, created, expires, last_used, revoked";

fn token_from_row(row: &SqliteRow) -> Result<TokenInfo> {
    let hash: Vec<u8> = row.try_get("hash")?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt("token hash is not 32 bytes".into()))?;
    let scopes: String = row.try_get("scopes")?;
    let scopes: Vec<String> =
        serde_json::from_value(parse_json(&scopes)?).map_err(|e| StoreError::Corrupt(format!("token scopes: {e}")))?;
    Ok(TokenInfo {
        id: row.try_get("id")?,
        tenant: row.try_get("tenant")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        hash,
        scopes,
        created: from_ms(row.try_get("created")?),
        expires: opt_from_ms(row.try_get("expires")?),
        last_used: opt_from_ms(row.try_get("last_used")?),
        revoked: opt_from_ms(row.try_get("revoked")?),
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
            revoked: None,
        };
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "INSERT INTO tokens (id, tenant, name, prefix, hash, scopes, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(info.id)
        .bind(info.tenant)
        .bind(&info.name)
        .bind(&info.prefix)
        .bind(&info.hash[..])
        .bind(to_json(&info.scopes)?)
        .bind(to_ms(info.created))
        .bind(info.expires.map(to_ms))
        .execute(&mut *tx)
        .await;
        match res {
            Err(e) if is_unique_violation(&e, "hash") => {
                return Err(StoreError::Conflict("a token with this secret already exists".into()));
            }
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => return Err(StoreError::NotFound),
            other => other?,
        };
        tx.commit().await?;
        Ok(info)
    }

    pub(crate) async fn token_by_hash_impl(&self, hash: &[u8; 32]) -> Result<Option<TokenInfo>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM tokens WHERE hash = ?")))
            .bind(&hash[..])
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    pub(crate) async fn list_tokens_impl(&self, tenant: Uuid) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tokens WHERE tenant = ? ORDER BY created, id"
        )))
        .bind(tenant)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    pub(crate) async fn revoke_token_impl(&self, tenant: Uuid, token: Uuid) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE tokens SET revoked = COALESCE(revoked, ?) WHERE id = ? AND tenant = ?")
            .bind(to_ms(now()))
            .bind(token)
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn touch_token_impl(&self, token: Uuid) -> Result<()> {
        let at = to_ms(now());
        {
            // A poisoned lock only means another task panicked mid-update of
            // a cache entry; the map is still usable.
            let mut touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match touched.get(&token) {
                Some(last) if at - *last < TOUCH_INTERVAL_MS => return Ok(()),
                _ => {
                    touched.insert(token, at);
                }
            }
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE tokens SET last_used = ? WHERE id = ?").bind(at).bind(token).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
