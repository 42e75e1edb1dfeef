//! OAuth 2.0 clients and scimd's signing keys on PostgreSQL (issue 11): of
//! a client secret only its SHA-256 and a visible prefix; a signing key's
//! private half only sealed (the caller seals it). Every change but
//! `touch` is announced to the other nodes.

use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_jsonb, from_ms, get, is_foreign_key_violation, now, opt_from_ms, to_jsonb, to_ms};
use super::credentials::{Credentials, revoke, touch};
use super::sql::{all, exec, opt};
use super::tokens::hash_of;
use crate::{NewOAuthClient, OAuthClient, Result, Revocation, SigningKey, StoreError};

const CLIENT_COLUMNS: &str = "id, tenant, name, prefix, hash, scopes, created, last_used, revoked";

fn client_from_row(row: &Row) -> Result<OAuthClient> {
    Ok(OAuthClient {
        id: get(row, "id")?,
        tenant: get(row, "tenant")?,
        name: get(row, "name")?,
        prefix: get(row, "prefix")?,
        hash: hash_of(row)?,
        scopes: from_jsonb(get(row, "scopes")?, "oauth client scopes")?,
        created: from_ms(get(row, "created")?),
        last_used: opt_from_ms(get(row, "last_used")?),
        revoked: opt_from_ms(get(row, "revoked")?),
    })
}

fn key_from_row(row: &Row) -> Result<SigningKey> {
    let jwk: String = get(row, "public_jwk")?;
    Ok(SigningKey {
        kid: get(row, "kid")?,
        alg: get(row, "alg")?,
        private_key: get(row, "private_key")?,
        public_jwk: serde_json::from_str(&jwk)
            .map_err(|e| StoreError::Corrupt(format!("signing key public JWK: {e}")))?,
        created: from_ms(get(row, "created")?),
        retired: opt_from_ms(get(row, "retired")?),
    })
}

impl PgStore {
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
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO oauth_clients (id, tenant, name, prefix, hash, scopes, created) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await?;
        let done = c
            .execute(
                &stmt,
                &[
                    &client.id,
                    &client.tenant,
                    &client.name,
                    &client.prefix,
                    &&client.hash[..],
                    &to_jsonb(&client.scopes)?,
                    &to_ms(client.created),
                ],
            )
            .await;
        match done {
            Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
            other => other?,
        };
        self.announce_change(&c).await;
        Ok(client)
    }

    pub(crate) async fn oauth_client_impl(&self, id: Uuid) -> Result<Option<OAuthClient>> {
        let c = self.conn().await?;
        opt(&c, &format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1"), &[&id])
            .await?
            .as_ref()
            .map(client_from_row)
            .transpose()
    }

    pub(crate) async fn list_oauth_clients_impl(&self, tenant: Uuid) -> Result<Vec<OAuthClient>> {
        let c = self.conn().await?;
        all(
            &c,
            &format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE tenant = $1 ORDER BY created, id"),
            &[&tenant],
        )
        .await?
        .iter()
        .map(client_from_row)
        .collect()
    }

    pub(crate) async fn revoke_oauth_client_impl(&self, tenant: Uuid, id: Uuid) -> Result<Revocation> {
        let c = self.conn().await?;
        let done = revoke(&c, Credentials::OAuthClients, id, Some(tenant)).await?;
        if done == Revocation::Revoked {
            self.announce_change(&c).await;
        }
        Ok(done)
    }

    pub(crate) async fn touch_oauth_client_impl(&self, id: Uuid) -> Result<()> {
        let c = self.conn().await?;
        touch(&c, Credentials::OAuthClients, id, None).await
    }

    /// Under a table lock, so that two nodes adding keys at once still
    /// leave exactly one in use.
    pub(crate) async fn add_signing_key_impl(&self, key: SigningKey) -> Result<()> {
        let jwk = serde_json::to_string(&key.public_jwk)
            .map_err(|e| StoreError::Corrupt(format!("signing key public JWK: {e}")))?;
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        tx.batch_execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE").await?;
        exec(&tx, "UPDATE signing_keys SET retired = $1 WHERE retired IS NULL", &[&to_ms(key.created)]).await?;
        exec(
            &tx,
            "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created) VALUES ($1, $2, $3, $4, $5)",
            &[&key.kid, &key.alg, &key.private_key, &jwk, &to_ms(key.created)],
        )
        .await?;
        tx.commit().await?;
        self.announce_change(&c).await;
        Ok(())
    }

    pub(crate) async fn signing_keys_impl(&self) -> Result<Vec<SigningKey>> {
        let c = self.conn().await?;
        all(
            &c,
            "SELECT kid, alg, private_key, public_jwk, created, retired FROM signing_keys \
             ORDER BY created DESC, kid COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(key_from_row)
        .collect()
    }

    pub(crate) async fn drop_signing_keys_impl(&self, before: OffsetDateTime) -> Result<u64> {
        let c = self.conn().await?;
        let n =
            exec(&c, "DELETE FROM signing_keys WHERE retired IS NOT NULL AND retired < $1", &[&to_ms(before)]).await?;
        if n > 0 {
            self.announce_change(&c).await;
        }
        Ok(n)
    }
}
