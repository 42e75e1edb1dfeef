//! OAuth 2.0 client credentials (RFC 6749 §4.4, RFC 9068; issue 11): a
//! tenant's clients (the secret shown once, only its hash kept), and the
//! access tokens the token endpoint issues them — JWTs signed by scimd
//! (`typ: at+jwt`), valid on that tenant's SCIM URL whatever its auth mode,
//! carrying the granted scopes and no group.
//!
//! A client is read at most once a second (a cache like the tokens'), so
//! that revoking it refuses its live access tokens within a second on
//! every process.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, Header};
use scim_core::ScimError;
use scim_store::{NewOAuthClient, OAuthClient, Revocation, Tenant};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use super::signing_keys::ACCESS_TOKEN_TTL;
use crate::secrets;

/// A client just registered, with its secret to show once.
pub struct RegisteredClient {
    pub client: OAuthClient,
    pub secret: String,
}

/// The scope a client gets when none is named.
pub const DEFAULT_SCOPE: &str = "admin";

/// An access token issued.
#[derive(Debug)]
pub struct AccessToken {
    pub token: String,
    pub expires_in: u64,
    pub scope: String,
}

/// Why the token endpoint refuses (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq)]
pub enum GrantError {
    InvalidClient,
    InvalidScope(String),
    /// No key to sign with (the server has not made one yet).
    Unavailable,
}

/// Whether `s` is a scope token (RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E).
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// The issuer of scimd's access tokens: its public base URL.
pub fn issuer_of(public_base: &str) -> String {
    public_base.to_owned()
}

impl Ops {
    /// Registers a client of `tenant` with `scopes` (default: `admin`).
    pub async fn register_oauth_client(
        &self,
        tenant: &Tenant,
        name: &str,
        scopes: &[String],
    ) -> OpResult<RegisteredClient> {
        let mut scopes: Vec<String> = if scopes.is_empty() { vec![DEFAULT_SCOPE.to_owned()] } else { scopes.to_vec() };
        let mut seen = std::collections::HashSet::new();
        scopes.retain(|s| seen.insert(s.clone()));
        if let Some(bad) = scopes.iter().find(|s| !is_scope_token(s)) {
            return Err(OpError::Refused(ScimError::invalid_value(format!(
                "{bad:?} is not a scope (printable ASCII without spaces, quotes or backslashes)"
            ))));
        }
        if name.trim().is_empty() || name.len() > 200 {
            return Err(OpError::Refused(ScimError::invalid_value("a client's name is 1 to 200 characters")));
        }
        let generated = secrets::generate();
        let client = self
            .store
            .create_oauth_client(NewOAuthClient {
                tenant: tenant.id,
                name: name.to_owned(),
                prefix: generated.prefix,
                hash: generated.hash,
                scopes,
            })
            .await?;
        Ok(RegisteredClient { client, secret: generated.secret })
    }

    /// A tenant's clients, oldest first (never their secrets).
    pub async fn list_oauth_clients(&self, tenant: &Tenant) -> OpResult<Vec<OAuthClient>> {
        Ok(self.store.list_oauth_clients(tenant.id).await?)
    }

    /// Revokes a client of `tenant` (404 for another tenant's); its access
    /// tokens are refused within a second.
    pub async fn revoke_oauth_client(&self, tenant: &Tenant, id: Uuid) -> OpResult<Revocation> {
        let outcome = self.store.revoke_oauth_client(tenant.id, id).await?;
        if outcome == Revocation::NotFound {
            return Err(OpError::Refused(ScimError::not_found(format!(
                "no OAuth client {id} in tenant {:?}",
                tenant.slug
            ))));
        }
        self.clients.invalidate(|k, _| *k == id);
        self.validated_jwts.invalidate(|_, (_, caller)| *caller == super::tenant_auth::JwtCaller::Client(id));
        Ok(outcome)
    }

    /// The client with this id, from a cache that lives a second.
    pub async fn oauth_client(&self, id: Uuid) -> OpResult<Option<Arc<OAuthClient>>> {
        if let Some(c) = self.clients.get(&id) {
            return Ok(Some(c));
        }
        let Some(client) = self.store.oauth_client(id).await? else { return Ok(None) };
        let client = Arc::new(client);
        self.clients.insert(id, Arc::clone(&client));
        Ok(Some(client))
    }

    /// The client-credentials grant: authenticates the client, narrows the
    /// scopes to those asked (all of the client's when none), and signs an
    /// access token for the client's tenant.
    pub async fn grant_client_credentials(
        &self,
        client_id: &str,
        secret: &str,
        scope: Option<&str>,
    ) -> OpResult<Result<AccessToken, GrantError>> {
        let Ok(id) = Uuid::parse_str(client_id) else { return Ok(Err(GrantError::InvalidClient)) };
        // Read fresh: a just-revoked client must not get a token.
        let Some(client) = self.store.oauth_client(id).await? else { return Ok(Err(GrantError::InvalidClient)) };
        if !secrets::hashes_equal(&client.hash, &secrets::hash(secret)) || client.revoked.is_some() {
            return Ok(Err(GrantError::InvalidClient));
        }
        let Some(tenant) = self.store.tenant_by_id(client.tenant).await? else {
            return Ok(Err(GrantError::InvalidClient));
        };
        let granted: Vec<String> = match scope.map(str::split_whitespace) {
            None => client.scopes.clone(),
            Some(asked) => {
                let asked: Vec<&str> = asked.collect();
                if asked.is_empty() {
                    client.scopes.clone()
                } else if let Some(extra) = asked.iter().find(|s| !client.scopes.iter().any(|c| c == *s)) {
                    return Ok(Err(GrantError::InvalidScope(format!("the client may not have the scope {extra}"))));
                } else {
                    asked.into_iter().map(str::to_owned).collect()
                }
            }
        };
        let ring = self.key_ring().await?;
        let Some((kid, key)) = &ring.current else { return Ok(Err(GrantError::Unavailable)) };
        let key = match key {
            Ok(key) => key,
            Err(why) => {
                tracing::error!(error = %why, "cannot issue access tokens");
                return Ok(Err(GrantError::Unavailable));
            }
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let ttl = ACCESS_TOKEN_TTL.as_secs();
        let scope = granted.join(" ");
        // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti (+ scope).
        let claims = json!({
            "iss": issuer_of(&self.public_base),
            "sub": client.id.to_string(),
            "aud": self.scim_url(&tenant.slug),
            "client_id": client.id.to_string(),
            "exp": now + i64::try_from(ttl).unwrap_or(3600),
            "iat": now,
            "jti": Uuid::new_v4().to_string(),
            "scope": scope,
        });
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, key).map_err(OpError::internal)?;
        if let Err(e) = self.store.touch_oauth_client(client.id).await {
            tracing::debug!(error = %e, "could not record a client's use");
        }
        Ok(Ok(AccessToken { token, expires_in: ttl, scope }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens() {
        assert!(is_scope_token("admin") && is_scope_token("scim:read") && is_scope_token("a!#[]~"));
        for bad in ["", "a b", "a\"b", "a\\b", "é", &"x".repeat(129)] {
            assert!(!is_scope_token(bad), "{bad}");
        }
    }
}
