//! Authenticating a SCIM request (DESIGN §6, RFC 6750) for the tenant its
//! URL names. The bearer credential is one of:
//! - a scimd token (`scimd_…`): SHA-256 → the token (cached, see
//!   [`crate::ops`]) → constant-time hash compare → not revoked, of this
//!   very tenant, not expired. Taken in the `token` and `both` modes.
//! - an access token scimd's token endpoint issued (a JWT signed by one of
//!   scimd's keys): valid on its tenant's URL whatever the mode, when its
//!   client is not revoked and it carries the tenant's required scope.
//! - a JWT of the tenant's issuer (`jwt` and `both` modes), validated by
//!   [`super::jwt`].
//!
//! A tenant path that names no tenant is answered exactly like a known
//! tenant with a wrong token — the same look-up, the same refusal — so that
//! nobody can list customers by guessing slugs. The refusal says what to
//! check, not which of the two was wrong. Invalid credentials are 401 with
//! `error="invalid_token"`, a valid one lacking a scope or group 403 with
//! `error="insufficient_scope"` (RFC 6750 §3.1).

use std::borrow::Cow;

use axum::http::{HeaderMap, header};
use scim_store::AuthMode;
use uuid::Uuid;

use super::bearer_token;
use super::jwt::{self, Policy, looks_like_jwt};
use crate::ops::oauth::issuer_of;
use crate::ops::tenant_auth::{JwtCaller, TenantJwt};
use crate::ops::user_agent;
use crate::ops::{OpError, Ops, TenantCtx};
use crate::secrets;

/// The refusal of a token that is not valid for the URL it was sent to
/// (unknown, revoked, another tenant's, or a URL naming no tenant).
pub const NOT_VALID_HERE: &str = "the token is not valid for this URL: check the URL and the token";

/// The refusal of a request without a bearer token.
pub const MISSING: &str = "missing bearer token";

/// The refusal of a token past its expiry.
pub const EXPIRED: &str = "the bearer token has expired";

/// Who a request authenticated as.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    /// A scimd token, by id.
    Token(Uuid),
    /// A JWT: of the tenant's issuer, or an access token of scimd's.
    Jwt(JwtCaller),
}

impl Principal {
    /// The token id, for the audit's `token` column.
    pub fn token(&self) -> Option<Uuid> {
        match self {
            Principal::Token(id) => Some(*id),
            _ => None,
        }
    }

    /// Who, when it was no scimd token, for the audit's `subject`.
    pub fn subject(&self) -> Option<String> {
        match self {
            Principal::Token(_) => None,
            Principal::Jwt(JwtCaller::Issuer(sub)) => Some(format!("jwt:{}", sub.as_deref().unwrap_or("(no sub)"))),
            Principal::Jwt(JwtCaller::Client(id)) => Some(format!("client:{id}")),
        }
    }
}

/// A refusal: its status, what it says, and the RFC 6750 error code.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// 401 or 403.
    pub status: u16,
    pub detail: Cow<'static, str>,
    /// `invalid_token` or `insufficient_scope`; none for a missing token.
    pub bearer_error: Option<&'static str>,
}

impl Refusal {
    pub fn missing() -> Refusal {
        Refusal { status: 401, detail: Cow::Borrowed(MISSING), bearer_error: None }
    }
    pub fn invalid(detail: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal { status: 401, detail: detail.into(), bearer_error: Some("invalid_token") }
    }
    pub fn insufficient(detail: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal { status: 403, detail: detail.into(), bearer_error: Some("insufficient_scope") }
    }
}

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum AuthError {
    Refused(Refusal),
    /// The look-up failed (the store is busy or broken).
    Failed(OpError),
}

impl From<OpError> for AuthError {
    fn from(e: OpError) -> Self {
        AuthError::Failed(e)
    }
}

fn refused<T>(r: Refusal) -> Result<T, AuthError> {
    Err(AuthError::Refused(r))
}

/// Who the request's `Authorization` header presents for `tenant`
/// (`None`: the path names no tenant). A scimd token's use is recorded
/// with the request's `User-Agent`.
pub async fn authenticate(ops: &Ops, headers: &HeaderMap, tenant: Option<&TenantCtx>) -> Result<Principal, AuthError> {
    let Some(header) = headers.get(header::AUTHORIZATION) else { return refused(Refusal::missing()) };
    let Ok(header) = header.to_str() else { return refused(Refusal::invalid(NOT_VALID_HERE)) };
    let Some(credential) = bearer_token(header) else { return refused(Refusal::missing()) };
    if let Some(ctx) = tenant
        && looks_like_jwt(credential)
    {
        return authenticate_jwt(ops, credential, ctx).await;
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| user_agent::kept(v.as_bytes()));
    authenticate_token(ops, credential, tenant, user_agent).await.map(Principal::Token)
}

async fn authenticate_token(
    ops: &Ops,
    secret: &str,
    tenant: Option<&TenantCtx>,
    user_agent: Option<String>,
) -> Result<Uuid, AuthError> {
    let hash = secrets::hash(secret);
    let Some(info) = ops.token_by_hash(&hash).await? else { return refused(Refusal::invalid(NOT_VALID_HERE)) };
    // The look-up was by hash; comparing again in constant time keeps a
    // backend's index comparison from being the only check.
    let ours = tenant.is_some_and(|t| info.tenant == t.tenant.id);
    if !secrets::hashes_equal(&info.hash, &hash) || info.revoked.is_some() || !ours {
        return refused(Refusal::invalid(NOT_VALID_HERE));
    }
    if tenant.is_some_and(|t| t.tenant.settings.auth.mode == AuthMode::Jwt) {
        return refused(Refusal::invalid("this tenant takes JWTs only, not scimd tokens"));
    }
    if info.expires.is_some_and(|at| at <= time::OffsetDateTime::now_utc()) {
        return refused(Refusal::invalid(EXPIRED));
    }
    ops.touch_token(info.id, user_agent);
    Ok(info.id)
}

async fn authenticate_jwt(ops: &Ops, token: &str, ctx: &TenantCtx) -> Result<Principal, AuthError> {
    let hash = secrets::hash(token);
    let caller = match ops.validated_jwt(&hash, ctx.tenant.id) {
        // The client is looked at again (its own cache lives a second), so
        // that this cache does not add a second to a revocation's delay.
        Some(JwtCaller::Client(id)) => {
            check_client(ops, id, ctx).await?;
            JwtCaller::Client(id)
        }
        Some(caller) => caller,
        None => {
            let caller = validate_jwt(ops, token, ctx).await?;
            ops.remember_jwt(hash, ctx.tenant.id, caller.clone());
            caller
        }
    };
    Ok(Principal::Jwt(caller))
}

/// Validates a JWT for the tenant: scimd's own access token, or one of the
/// tenant's issuer.
async fn validate_jwt(ops: &Ops, token: &str, ctx: &TenantCtx) -> Result<JwtCaller, AuthError> {
    let required_scope = ctx.tenant.settings.auth.required_scope.as_deref().unwrap_or("admin");
    // scimd's own access tokens first: their kid names one of its keys.
    let ring = ops.key_ring().await?;
    let kid = jwt::kid_of(token);
    if kid.is_some() && ring.verifying.iter().any(|k| k.kid == kid) {
        let issuer = issuer_of(ops.public_base());
        let policy = Policy {
            issuer: &issuer,
            audience: &ctx.base_url,
            required_scope,
            required_group: "",
            group_claim: "groups",
            typ: Some("at+jwt"),
        };
        let verified = match jwt::validate(token, &ring.verifying, &policy) {
            Ok(v) => v,
            Err(r) => return refused(refusal_of(r)),
        };
        let client = verified.claims.get("client_id").and_then(|c| c.as_str()).and_then(|c| Uuid::parse_str(c).ok());
        let Some(client) = client else { return refused(Refusal::invalid("the token names no client")) };
        check_client(ops, client, ctx).await?;
        return Ok(JwtCaller::Client(client));
    }
    let Some(config) = ctx.jwt.as_deref() else {
        return refused(Refusal::invalid(NOT_VALID_HERE));
    };
    let verified = validate_tenant_jwt(ops, token, config).await?;
    Ok(JwtCaller::Issuer(verified.subject))
}

/// An access token's client must be live and the tenant's.
async fn check_client(ops: &Ops, client: Uuid, ctx: &TenantCtx) -> Result<(), AuthError> {
    let live = ops.oauth_client(client).await?;
    if !live.is_some_and(|c| c.revoked.is_none() && c.tenant == ctx.tenant.id) {
        return refused(Refusal::invalid("the token's client has been revoked"));
    }
    Ok(())
}

async fn validate_tenant_jwt(ops: &Ops, token: &str, config: &TenantJwt) -> Result<jwt::Verified, AuthError> {
    let policy = Policy {
        issuer: &config.issuer,
        audience: &config.audience,
        required_scope: &config.required_scope,
        required_group: &config.required_group,
        group_claim: &config.group_claim,
        typ: None,
    };
    let Some(url) = &config.jwks_url else {
        return jwt::validate(token, &config.keys, &policy).map_err(|r| AuthError::Refused(refusal_of(r)));
    };
    let keys = ops.issuer_keys(url, false).await.map_err(unavailable)?;
    match jwt::validate(token, &keys, &policy) {
        Err(jwt::Refusal::UnknownKey(_)) => {
            // Perhaps the issuer rotated its keys: fetch again (at most
            // once per 30 s per URL).
            let keys = ops.issuer_keys(url, true).await.map_err(unavailable)?;
            jwt::validate(token, &keys, &policy).map_err(|r| AuthError::Refused(refusal_of(r)))
        }
        other => other.map_err(|r| AuthError::Refused(refusal_of(r))),
    }
}

/// The answer to a JWT refusal. A token not shown to be meant for this
/// tenant is answered like any credential not valid here: its reason only
/// goes to the debug log.
fn refusal_of(r: jwt::Refusal) -> Refusal {
    match r {
        jwt::Refusal::NotHere(why) | jwt::Refusal::UnknownKey(why) => {
            tracing::debug!(why = %why, "JWT refused");
            Refusal::invalid(NOT_VALID_HERE)
        }
        jwt::Refusal::Invalid(m) => Refusal::invalid(m),
        jwt::Refusal::Insufficient(m) => Refusal::insufficient(m),
    }
}

/// The issuer's keys could not be had at all: the caller is refused like
/// any token not valid here (no detail of the issuer's side reaches it;
/// `jwks.rs` logs the failure).
fn unavailable(_: String) -> AuthError {
    AuthError::Refused(Refusal::invalid(NOT_VALID_HERE))
}
