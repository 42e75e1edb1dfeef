//! SCIM bearer tokens (DESIGN §6): `Authorization: Bearer <secret>` →
//! SHA-256 → the token (cached, see [`crate::ops`]) → constant-time hash
//! compare → not revoked, of this very tenant, not expired.
//!
//! A tenant path that names no tenant is answered exactly like a known
//! tenant with a wrong token — the same look-up, the same refusal — so that
//! nobody can list customers by guessing slugs. The refusal says what to
//! check, not which of the two was wrong.

use axum::http::HeaderValue;
use uuid::Uuid;

use super::bearer_token;
use crate::ops::{OpError, Ops, TenantCtx};
use crate::secrets;

/// The refusal of a token that is not valid for the URL it was sent to
/// (unknown, revoked, another tenant's, or a URL naming no tenant).
pub const NOT_VALID_HERE: &str = "the token is not valid for this URL: check the URL and the token";

/// The refusal of a request without a bearer token.
pub const MISSING: &str = "missing bearer token";

/// The refusal of a token past its expiry.
pub const EXPIRED: &str = "the bearer token has expired";

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

/// The id of the token an `Authorization` header presents for `tenant`
/// (`None`: the path names no tenant).
pub async fn authenticate(
    ops: &Ops,
    authorization: Option<&HeaderValue>,
    tenant: Option<&TenantCtx>,
) -> Result<Uuid, AuthError> {
    let header = authorization.ok_or(AuthError::Refused(MISSING))?;
    let header = header.to_str().map_err(|_| AuthError::Refused(NOT_VALID_HERE))?;
    let secret = bearer_token(header).ok_or(AuthError::Refused(MISSING))?;
    let hash = secrets::hash(secret);
    let info = ops.token_by_hash(&hash).await?.ok_or(AuthError::Refused(NOT_VALID_HERE))?;
    // The look-up was by hash; comparing again in constant time keeps a
    // backend's index comparison from being the only check.
    let ours = tenant.is_some_and(|t| info.tenant == t.tenant.id);
    if !secrets::hashes_equal(&info.hash, &hash) || info.revoked.is_some() || !ours {
        return Err(AuthError::Refused(NOT_VALID_HERE));
    }
    if info.expires.is_some_and(|at| at <= time::OffsetDateTime::now_utc()) {
        return Err(AuthError::Refused(EXPIRED));
    }
    ops.touch_token(info.id);
    Ok(info.id)
}
