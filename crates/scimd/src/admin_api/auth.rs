//! Who calls the admin API (RFC 6750 bearer admin tokens): the [`Admin`]
//! extractor authenticates the `Authorization` header against the admin
//! tokens (401 without one or with a bad one), and each handler asks for
//! the scope it needs ([`Admin::require`], 403 without it).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use scim_store::AuditContext;

use super::problem::Problem;
use crate::auth::bearer_token;
use crate::client_addr::ClientAddr;
use crate::ops::admin_tokens::{AdminAuthRefusal, AdminPrincipal, Scope};
use crate::ops::audit::{MAX_TEXT, bounded};
use crate::ops::{Ops, TenantCtx};
use crate::state::AppState;

/// An authenticated admin API caller, with what its audit entries say of
/// the request.
pub struct Admin {
    pub principal: AdminPrincipal,
    pub audit: AuditContext,
}

impl Admin {
    /// 403 unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.principal.allows(scope) { Ok(()) } else { Err(Problem::insufficient_scope(scope.as_str())) }
    }

    /// The tenant named `slug` if the token may act on it; else 404, as if
    /// there were no such tenant (a token limited to some tenants learns
    /// nothing of the others).
    pub async fn tenant(&self, ops: &Ops, slug: &str) -> Result<Arc<TenantCtx>, Problem> {
        match ops.tenant(slug).await? {
            Some(ctx) if self.principal.may_act_on(&ctx.tenant) => Ok(ctx),
            _ => Err(Problem::not_found(format!("no tenant {:?}", bounded(slug, 64)))),
        }
    }
}

/// The admin token the request presents, or why there is none valid.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Result<AdminPrincipal, &'static str>, Problem> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(Err("missing bearer admin token"));
    };
    let Some(secret) = header.to_str().ok().and_then(bearer_token) else {
        return Ok(Err("the Authorization header is not a bearer token"));
    };
    Ok(match state.ops.authenticate_admin(secret).await? {
        Ok(p) => Ok(p),
        Err(AdminAuthRefusal::Invalid) => Err("the admin token is not valid"),
        Err(AdminAuthRefusal::Expired) => Err("the admin token has expired"),
    })
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let principal = match authenticate(parts, state).await? {
            Ok(p) => p,
            Err(why) => {
                if !guess_allowed(parts, state) {
                    return Err(Problem::new(
                        429,
                        "rate-limited",
                        "Too many requests",
                        "too many requests without a valid admin token from this address; retry later",
                    ));
                }
                return Err(Problem::unauthorized(why));
            }
        };
        Ok(Admin::of(principal, parts))
    }
}

impl Admin {
    /// The caller `principal`, with what its audit entries say of the
    /// request in `parts` (the admin API and the web admin alike).
    pub fn of(principal: AdminPrincipal, parts: &Parts) -> Admin {
        let audit = AuditContext {
            token: None,
            admin_token: Some(principal.token),
            subject: None,
            remote_addr: parts.extensions.get::<ClientAddr>().map(ClientAddr::to_string),
            method: parts.method.as_str().to_owned(),
            path: bounded(parts.uri.path(), MAX_TEXT),
            request_id: parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
        };
        Admin { principal, audit }
    }
}

/// Whether a request from `parts`' source without a valid credential
/// may be answered: the source's rate (shared with the SCIM API's
/// refusals) bounds guessing.
pub fn guess_allowed(parts: &Parts, state: &AppState) -> bool {
    let source = parts.extensions.get::<ClientAddr>().map(|c| c.ip);
    let limits = &state.rate_limits;
    limits.sources.take(&source, limits.source_rate, Instant::now()).is_ok()
}
