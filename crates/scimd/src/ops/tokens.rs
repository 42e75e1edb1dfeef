//! SCIM bearer tokens of a tenant (DESIGN §3, §6): issuing one (the secret
//! is returned once and never stored), listing, revoking, finding one by
//! the hash of a presented secret (cached), and recording its use.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scim_core::ScimError;
use scim_store::{NewToken, Revocation, Tenant, TokenInfo};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Ops;
use super::error::{OpError, OpResult};
use crate::secrets;

/// `last_used` is written at most this often per token, so authenticating
/// a request never costs a write.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A token used by another client than the one last recorded is recorded
/// again after this long, not at once: a caller cycling User-Agents cannot
/// turn its requests into writes.
const AGENT_CHANGE_INTERVAL: Duration = Duration::from_secs(5);

/// Past this many tokens remembered, those not used within the interval
/// are forgotten.
const TOUCHED_SWEEP_AT: usize = 10_000;

/// A token just issued: what is stored, and the secret, to show once.
pub struct IssuedToken {
    pub info: TokenInfo,
    pub secret: String,
}

impl Ops {
    /// Issues a token for `tenant`, labelled `name`, expiring after
    /// `expires_in` if given.
    pub async fn issue_token(
        &self,
        tenant: &Tenant,
        name: &str,
        expires_in: Option<Duration>,
    ) -> OpResult<IssuedToken> {
        let expires = expires_in.map(expiry_after).transpose()?;
        self.store_token(tenant, name, expires, None).await
    }

    async fn store_token(
        &self,
        tenant: &Tenant,
        name: &str,
        expires: Option<OffsetDateTime>,
        replaces: Option<Uuid>,
    ) -> OpResult<IssuedToken> {
        let generated = secrets::generate();
        let info = self
            .store
            .create_token(NewToken {
                tenant: tenant.id,
                name: name.to_owned(),
                prefix: generated.prefix,
                hash: generated.hash,
                scopes: Vec::new(),
                expires,
                replaces,
            })
            .await?;
        Ok(IssuedToken { info, secret: generated.secret })
    }

    /// Issues a new secret in place of one of `tenant`'s tokens (same name
    /// and expiry); the old secret keeps working for `overlap` (zero: it
    /// stops at once), then stops, so an identity provider can be switched
    /// over without a failed sync. A revoked or expired token is 409.
    pub async fn rotate_token(&self, tenant: &Tenant, token: Uuid, overlap: Duration) -> OpResult<IssuedToken> {
        let old = self.store.list_tokens(tenant.id).await?.into_iter().find(|t| t.id == token);
        let old = old.ok_or_else(|| no_such_token(tenant, token))?;
        if old.revoked.is_some() || old.expires.is_some_and(|at| at <= OffsetDateTime::now_utc()) {
            return Err(OpError::Refused(ScimError::new(
                409,
                None,
                format!("token {token} is revoked or expired; create a new one"),
            )));
        }
        let issued = self.store_token(tenant, &old.name, old.expires, Some(old.id)).await?;
        self.store.expire_token(tenant.id, old.id, expiry_after(overlap)?).await?;
        self.tokens.invalidate(|_, info| info.id == token);
        Ok(issued)
    }

    /// A tenant's tokens (never their secrets), oldest first.
    pub async fn list_tokens(&self, tenant: &Tenant) -> OpResult<Vec<TokenInfo>> {
        Ok(self.store.list_tokens(tenant.id).await?)
    }

    /// Revokes one of `tenant`'s tokens (404 for another tenant's):
    /// [`Revocation::Revoked`], or [`Revocation::AlreadyRevoked`] with the
    /// time it was, which stays. This process refuses the token at once;
    /// others within the token cache's lifetime (a second).
    pub async fn revoke_token(&self, tenant: &Tenant, token: Uuid) -> OpResult<Revocation> {
        let outcome = self.store.revoke_token(tenant.id, token).await?;
        if outcome == Revocation::NotFound {
            return Err(no_such_token(tenant, token));
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

    /// Records the token's use in the background, with the request's
    /// User-Agent (as [`super::user_agent::kept`] leaves it): at most once
    /// a minute, or once in 5 seconds when the User-Agent is not the one
    /// last recorded (another client has the token).
    pub fn touch_token(&self, token: Uuid, user_agent: Option<String>) {
        if self.touch_due(token, agent_key(user_agent.as_deref())) {
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_token(token, user_agent).await {
                    tracing::warn!(error = %e, %token, "could not record token use");
                }
            });
        }
    }

    /// Whether the use of token `id` (a SCIM or an admin token) is to be
    /// recorded now: not within the last [`TOUCH_INTERVAL`], or by a
    /// client other than the last recorded (`agent`: a key of its
    /// User-Agent, 0 where none is kept) and not within the last
    /// [`AGENT_CHANGE_INTERVAL`].
    pub(super) fn touch_due(&self, id: Uuid, agent: u64) -> bool {
        let now = Instant::now();
        match self.touched.lock() {
            Ok(mut map) => {
                let due = map.get(&id).is_none_or(|(at, last)| {
                    let since = now.duration_since(*at);
                    since >= TOUCH_INTERVAL || (*last != agent && since >= AGENT_CHANGE_INTERVAL)
                });
                if due {
                    if map.len() >= TOUCHED_SWEEP_AT {
                        map.retain(|_, (at, _)| now.duration_since(*at) < TOUCH_INTERVAL);
                    }
                    map.insert(id, (now, agent));
                }
                due
            }
            Err(_) => false,
        }
    }
}

/// A key of a User-Agent, to tell whether it changed without keeping it.
fn agent_key(user_agent: Option<&str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    user_agent.hash(&mut h);
    h.finish()
}

fn no_such_token(tenant: &Tenant, token: Uuid) -> OpError {
    OpError::Refused(ScimError::not_found(format!("no token {token} in tenant {:?}", tenant.slug)))
}

/// Now plus `d`; `400 invalidValue` past what a date can hold.
pub(super) fn expiry_after(d: Duration) -> OpResult<OffsetDateTime> {
    let d = time::Duration::try_from(d).ok();
    d.and_then(|d| OffsetDateTime::now_utc().checked_add(d))
        .ok_or_else(|| OpError::Refused(ScimError::invalid_value("the expiry is too far in the future")))
}
