//! OAuth 2.0 clients and scimd's signing keys on SQLite (issue 11): of a
//! client secret only its SHA-256 and a visible prefix; a signing key's
//! private half only sealed (the caller seals it).

use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{from_ms, now, opt_from_ms, parse_json, to_json, to_ms};
use super::credentials::{Credentials, revoke, touch};
use super::sql::all;
use crate::{NewOAuthClient, OAuthClient, Result, Revocation, SigningKey, StoreError};

const CLIENT_COLUMNS: &str = "id, tenant, name, prefix, hash, scopes, created, last_used, revoked";

fn client_from_row(row: &Row<'_>) -> Result<OAuthClient> {
    let hash: Vec<u8> = row.get("hash")?;
    let hash: [u8; 32] =
        hash.try_into().map_err(|_| StoreError::Corrupt("client secret hash is not 32 bytes".into()))?;
    let scopes: String = row.get("scopes")?;
    let scopes = serde_json::from_value(parse_json(&scopes)?)
        .map_err(|e| StoreError::Corrupt(format!("oauth client scopes: {e}")))?;
    Ok(OAuthClient {
        id: row.get("id")?,
        tenant: row.get("tenant")?,
        name: row.get("name")?,
        prefix: row.get("prefix")?,
        hash,
        scopes,
        created: from_ms(row.get("created")?),
        last_used: opt_from_ms(row.get("last_used")?),
        revoked: opt_from_ms(row.get("revoked")?),
    })
}

fn key_from_row(row: &Row<'_>) -> Result<SigningKey> {
    let jwk: String = row.get("public_jwk")?;
    Ok(SigningKey {
        kid: row.get("kid")?,
        alg: row.get("alg")?,
        private_key: row.get("private_key")?,
        public_jwk: parse_json(&jwk)?,
        created: from_ms(row.get("created")?),
        retired: opt_from_ms(row.get("retired")?),
    })
}

impl SqliteStore {
    pub(crate) async fn create_oauth_client_impl(&self, new: NewOAuthClient) -> Result<OAuthClient> {
        let client = OAuthClient {
            id: Uuid::now_v7(),
            tenant: new.tenant,
            name: new.name,
            prefix: new.prefix,
            hash: new.hash,
            scopes: new.scopes,
            created: now(),
            last_used: None,
            revoked: None,
        };
        let row = client.clone();
        self.write(move |c| {
            super::tenants::by_id(c, row.tenant)?.ok_or(StoreError::NotFound)?;
            c.prepare_cached(
                "INSERT INTO oauth_clients (id, tenant, name, prefix, hash, scopes, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                row.id,
                row.tenant,
                row.name,
                row.prefix,
                &row.hash[..],
                to_json(&row.scopes)?,
                to_ms(row.created)
            ])?;
            Ok(())
        })
        .await?;
        Ok(client)
    }

    pub(crate) fn oauth_client_impl(&self, id: Uuid) -> Result<Option<OAuthClient>> {
        self.read_fresh(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = ?"))?;
            stmt.query_row([id], |r| Ok(client_from_row(r))).optional()?.transpose()
        })
    }

    pub(crate) async fn list_oauth_clients_impl(&self, tenant: Uuid) -> Result<Vec<OAuthClient>> {
        self.scan(tenant, move |c| {
            all(
                c,
                &format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE tenant = ? ORDER BY created, id"),
                [tenant],
                client_from_row,
            )
        })
        .await
    }

    pub(crate) async fn revoke_oauth_client_impl(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        self.write(move |c| revoke(c, Credentials::OAuthClients, id, Some(tenant))).await
    }

    pub(crate) async fn touch_oauth_client_impl(&self, id: Uuid) -> Result<()> {
        let at = to_ms(now());
        self.write(move |c| touch(c, Credentials::OAuthClients, id, at, None)).await
    }

    pub(crate) async fn add_signing_key_impl(&self, key: SigningKey) -> Result<()> {
        self.write(move |c| {
            c.prepare_cached("UPDATE signing_keys SET retired = ? WHERE retired IS NULL")?
                .execute([to_ms(key.created)])?;
            c.prepare_cached(
                "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created) VALUES (?, ?, ?, ?, ?)",
            )?
            .execute(params![
                key.kid,
                key.alg,
                key.private_key,
                to_json(&key.public_jwk)?,
                to_ms(key.created)
            ])?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn signing_keys_impl(&self) -> Result<Vec<SigningKey>> {
        self.scan(Uuid::nil(), |c| {
            all(
                c,
                "SELECT kid, alg, private_key, public_jwk, created, retired FROM signing_keys \
                 ORDER BY created DESC, kid",
                [],
                key_from_row,
            )
        })
        .await
    }

    pub(crate) async fn drop_signing_keys_impl(&self, before: OffsetDateTime) -> Result<u64> {
        let before = to_ms(before);
        self.write(move |c| {
            Ok(c.prepare_cached("DELETE FROM signing_keys WHERE retired IS NOT NULL AND retired < ?")?
                .execute([before])? as u64)
        })
        .await
    }
}
