//! SCIM bearer tokens (DESIGN §6): `Authorization: Bearer <secret>` →
//! SHA-256 → the token (cached, see [`crate::ops`]) → constant-time hash
//! compare → not revoked, not expired, of this very tenant. Anything else
//! is refused with a generic reason that says nothing about which tokens
//! exist.

use axum::http::HeaderValue;
use uuid::Uuid;

use super::bearer_token;
use crate::ops::{OpError, Ops, TenantCtx};
use crate::secrets;

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum AuthError {
    /// 401, with this reason.
    Refused(&'static str),
    /// The look-up failed (the store is busy or broken).
    Failed(OpError),
}

impl From<OpError> for AuthError {
    fn from(e: OpError) -> Self {
        AuthError::Failed(e)
    }
}

/// The id of the token an `Authorization` header presents for `tenant`.
pub async fn authenticate(
    ops: &Ops,
    authorization: Option<&HeaderValue>,
    tenant: &TenantCtx,
) -> Result<Uuid, AuthError> {
    const INVALID: AuthError = AuthError::Refused("invalid bearer token");
    let header = authorization.ok_or(AuthError::Refused("missing bearer token"))?.to_str().map_err(|_| INVALID)?;
    let secret = bearer_token(header).ok_or(AuthError::Refused("missing bearer token"))?;
    let hash = secrets::hash(secret);
    let info = ops.token_by_hash(&hash).await?.ok_or(INVALID)?;
    // The look-up was by hash; comparing again in constant time keeps a
    // backend's index comparison from being the only check.
    if !secrets::hashes_equal(&info.hash, &hash) || info.revoked.is_some() || info.tenant != tenant.tenant.id {
        return Err(INVALID);
    }
    if info.expires.is_some_and(|at| at <= time::OffsetDateTime::now_utc()) {
        return Err(AuthError::Refused("the bearer token has expired"));
    }
    ops.touch_token(info.id);
    Ok(info.id)
}
