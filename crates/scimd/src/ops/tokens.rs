//! SCIM bearer tokens of a tenant (DESIGN §3, §6): issuing one (the secret
//! is returned once and never stored), listing, revoking, finding one by
//! the hash of a presented secret (cached), and recording its use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scim_core::ScimError;
use scim_store::{NewToken, Revocation, Tenant, TokenInfo};
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use crate::secrets;

/// `last_used` is written at most this often per token, so authenticating
/// a request never costs a write.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Past this many tokens remembered, those not used within the interval
/// are forgotten.
const TOUCHED_SWEEP_AT: usize = 10_000;

/// A token just issued: what is stored, and the secret, to show once.
pub struct IssuedToken {
    pub info: TokenInfo,
    pub secret: String,
}

impl Ops {
    /// Issues a token for `tenant`, labelled `name`.
    pub async fn issue_token(&self, tenant: &Tenant, name: &str) -> OpResult<IssuedToken> {
        let generated = secrets::generate();
        let info = self
            .store
            .create_token(NewToken {
                tenant: tenant.id,
                name: name.to_owned(),
                prefix: generated.prefix,
                hash: generated.hash,
                scopes: Vec::new(),
                expires: None,
            })
            .await?;
        Ok(IssuedToken { info, secret: generated.secret })
    }

    /// A tenant's tokens (never their secrets), oldest first.
    pub async fn list_tokens(&self, tenant: &Tenant) -> OpResult<Vec<TokenInfo>> {
        Ok(self.store.list_tokens(tenant.id).await?)
    }

    /// Revokes one of `tenant`'s tokens (404 for another tenant's):
    /// [`Revocation::Revoked`], or [`Revocation::AlreadyRevoked`] with the
    /// time it was, which stays. This process refuses the token at once;
    /// others within the cache's lifetime.
    pub async fn revoke_token(&self, tenant: &Tenant, token: Uuid) -> OpResult<Revocation> {
        let outcome = self.store.revoke_token(tenant.id, token).await?;
        if outcome == Revocation::NotFound {
            return Err(OpError::Refused(ScimError::not_found(format!(
                "no token {token} in tenant {:?}",
                tenant.slug
            ))));
        }
        self.tokens.invalidate(|_, info| info.id == token);
        Ok(outcome)
    }

    /// The token whose secret hashes to `hash`, from the cache or the store
    /// (revoked or not: the caller checks).
    pub async fn token_by_hash(&self, hash: &[u8; 32]) -> OpResult<Option<Arc<TokenInfo>>> {
        if let Some(info) = self.tokens.get(hash) {
            return Ok(Some(info));
        }
        // Misses are not cached: a flood of random tokens must not evict the
        // real ones, and it costs an indexed look-up each.
        let Some(info) = self.store.token_by_hash(hash).await? else {
            return Ok(None);
        };
        let info = Arc::new(info);
        self.tokens.insert(*hash, info.clone());
        Ok(Some(info))
    }

    /// Records the token's use in the background, at most once a minute.
    pub fn touch_token(&self, token: Uuid) {
        if self.touch_due(token) {
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_token(token).await {
                    tracing::warn!(error = %e, %token, "could not record token use");
                }
            });
        }
    }

    /// Whether the use of token `id` (a SCIM or an admin token) is to be
    /// recorded now: not within the last [`TOUCH_INTERVAL`].
    pub(super) fn touch_due(&self, id: Uuid) -> bool {
        let now = Instant::now();
        match self.touched.lock() {
            Ok(mut map) => {
                let due = map.get(&id).is_none_or(|at| now.duration_since(*at) >= TOUCH_INTERVAL);
                if due {
                    if map.len() >= TOUCHED_SWEEP_AT {
                        map.retain(|_, at| now.duration_since(*at) < TOUCH_INTERVAL);
                    }
                    map.insert(id, now);
                }
                due
            }
            Err(_) => false,
        }
    }
}
