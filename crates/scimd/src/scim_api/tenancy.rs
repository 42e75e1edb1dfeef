//! The tenant and authentication layers of the SCIM API (DESIGN §6,
//! RFC 7644 §2), its rate limits (DESIGN §8), and the audit of refused
//! requests (DESIGN §2, §3).
//!
//! [`resolve_tenant`] finds the tenant `/scim/v2/{tenant}/…` names, if any,
//! for every SCIM route. [`require_token`] guards the resource routes with
//! [`crate::auth::scim`]: a path that names no tenant is refused exactly
//! like a known tenant with a wrong token (no oracle of customer names).
//! Discovery ([`Discovery`]) needs no token and shows the standard schemas
//! for any tenant path; a tenant's own extensions only to its callers.
//!
//! Rate limits: requests with a valid token count against their tenant's
//! rate; requests without one against their source address's. Over the
//! limit is `429` with `Retry-After`. Refusals without a valid token and
//! `429`s are counted into the audit log (one entry per tenant, source and
//! window), not written one by one; other refused writes are written each.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use scim_core::schema::SchemaRegistry;
use scim_core::{ResourceKind, ScimError};
use scim_store::AuditContext;
use uuid::Uuid;

use super::error::{ApiError, ErrorNote};
use crate::auth::scim::{AuthError, Refusal, authenticate};
use crate::client_addr::ClientAddr;
use crate::ops::TenantCtx;
use crate::ops::audit::{MAX_TEXT, Target, bounded};
use crate::rate_limit::Rate;
use crate::state::AppState;

pub const SCIM_PREFIX: &str = "/scim/v2/";

/// The tenant a SCIM path names: its `{tenant}` segment, and the tenant if
/// there is one.
#[derive(Clone)]
pub struct Tenancy {
    pub slug: String,
    pub tenant: Option<Arc<TenantCtx>>,
}

/// An authenticated SCIM caller, for the handlers.
#[derive(Clone)]
pub struct Caller {
    pub tenant: Arc<TenantCtx>,
    /// Who asked (the token among it), for the store's audit entries.
    /// Filled in for writes only.
    pub audit: AuditContext,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Taken rather than cloned: each request has exactly one handler.
        parts.extensions.remove::<Caller>().ok_or_else(|| ApiError::internal("route is missing the auth layer"))
    }
}

/// What a discovery request (RFC 7644 §4) is shown: the tenant's schemas to
/// a caller with a valid token of the tenant, the standard ones to anyone
/// else, at the URL the path names.
pub struct Discovery {
    pub registry: Arc<SchemaRegistry>,
    /// `<public_url>/scim/v2/<slug>`.
    pub base_url: String,
}

/// The standard schemas, shared.
fn standard() -> Arc<SchemaRegistry> {
    static STANDARD: OnceLock<Arc<SchemaRegistry>> = OnceLock::new();
    Arc::clone(STANDARD.get_or_init(|| Arc::new(SchemaRegistry::standard())))
}

impl FromRequestParts<AppState> for Discovery {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(tenancy) = parts.extensions.get::<Tenancy>().cloned() else {
            return Err(ApiError::internal("route is missing the tenant layer").into_response());
        };
        let authorization = parts.headers.get(header::AUTHORIZATION);
        if let (Some(ctx), Some(_)) = (&tenancy.tenant, authorization)
            && authenticate(&state.ops, &parts.headers, Some(ctx)).await.is_ok()
        {
            return Ok(Discovery { registry: Arc::clone(&ctx.registry), base_url: ctx.base_url.clone() });
        }
        // Without a valid token: the source's rate applies.
        if let Err(wait) =
            state.rate_limits.sources.take(&source_ip(parts), state.rate_limits.source_rate, Instant::now())
        {
            return Err(too_many(wait));
        }
        Ok(Discovery { registry: standard(), base_url: state.ops.scim_url(&tenancy.slug) })
    }
}

/// The `{tenant}` segment of a SCIM path.
fn tenant_slug(path: &str) -> Option<&str> {
    path.strip_prefix(SCIM_PREFIX)?.split('/').next()
}

/// The address a request came from (see `client_addr.rs`).
fn source_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ClientAddr>().map(|c| c.ip)
}

/// The refusal of every SCIM resource request of a suspended tenant.
pub const SUSPENDED: &str =
    "provisioning is suspended for this tenant: the service provider's administrator must resume it";

/// Middleware: finds the tenant of the path, if it names one.
pub async fn resolve_tenant(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let slug = tenant_slug(req.uri().path()).unwrap_or("").to_owned();
    let tenant = match state.ops.tenant(&slug).await {
        Ok(ctx) => ctx,
        Err(e) => return ApiError::from(e).into_response(),
    };
    req.extensions_mut().insert(Tenancy { slug, tenant });
    next.run(req).await
}

/// `429` with `Retry-After` (whole seconds, at least one).
fn too_many(wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    metrics::counter!("scimd_rate_limited_total").increment(1);
    let err = ScimError::new(429, None, format!("too many requests: retry in {secs} s"));
    let mut resp = ApiError::from(err).into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// A tenant's rate: its own setting, else the server's.
fn tenant_rate(state: &AppState, ctx: &TenantCtx) -> Rate {
    match ctx.tenant.settings.rate_limit {
        Some(per_second) => Rate::new(per_second, per_second.saturating_mul(2)),
        None => state.rate_limits.tenant_rate,
    }
}

/// Middleware: authenticates the bearer token for the tenant, applies the
/// rate limits, and audits refused requests.
pub async fn require_token(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(tenancy) = req.extensions().get::<Tenancy>().cloned() else {
        return ApiError::internal("route is missing the tenant layer").into_response();
    };
    let (parts, body) = req.into_parts();
    let source = source_ip(&parts);
    let now = Instant::now();
    let authenticated = authenticate(&state.ops, &parts.headers, tenancy.tenant.as_deref()).await;
    let refused = match (authenticated, &tenancy.tenant) {
        (Ok(token), Some(ctx)) => Ok((Arc::clone(ctx), token)),
        (Err(AuthError::Failed(e)), _) => return ApiError::Op(e).into_response(),
        (Err(AuthError::Refused(why)), _) => Err(why),
        // (`authenticate` accepts no token without a tenant.)
        (Ok(_), None) => Err(Refusal::invalid(crate::auth::scim::NOT_VALID_HERE)),
    };
    let (ctx, token) = match refused {
        Ok(found) => found,
        Err(why) => {
            if tenancy.tenant.is_none() {
                tracing::info!(slug = %bounded(&tenancy.slug, 64), "request for a tenant that does not exist");
            }
            let resp = match state.rate_limits.sources.take(&source, state.rate_limits.source_rate, now) {
                Ok(()) => ApiError::Unauthorized(why).into_response(),
                Err(wait) => too_many(wait),
            };
            if let Some(ctx) = &tenancy.tenant {
                let error = error_of(&resp);
                let path = parts.uri.path();
                state.ops.tally_refusal(
                    ctx.tenant.id,
                    source,
                    parts.method.as_str(),
                    path,
                    error.status,
                    &error.detail,
                );
            }
            return resp;
        }
    };
    if let Err(wait) = state.rate_limits.tenants.take(&ctx.tenant.id, tenant_rate(&state, &ctx), now) {
        let resp = too_many(wait);
        let error = error_of(&resp);
        state.ops.tally_refusal(ctx.tenant.id, source, parts.method.as_str(), parts.uri.path(), 429, &error.detail);
        return resp;
    }
    // After authentication: suspension tells nothing to a caller without a
    // valid token. Refusals are counted into the audit log like others.
    if ctx.tenant.settings.suspended {
        let resp = ApiError::from(ScimError::new(403, None, SUSPENDED)).into_response();
        state.ops.tally_refusal(ctx.tenant.id, source, parts.method.as_str(), parts.uri.path(), 403, SUSPENDED);
        return resp;
    }
    let is_write = matches!(parts.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
        && !parts.uri.path().ends_with("/.search");
    let mut audit = if is_write { audit_context(&parts) } else { AuditContext::default() };
    audit.token = token.token();
    audit.subject = token.subject();
    let audit_copy = is_write.then(|| audit.clone());
    req = Request::from_parts(parts, body);
    req.extensions_mut().insert(Caller { tenant: Arc::clone(&ctx), audit });
    let resp = next.run(req).await;
    if let Some(audit) = audit_copy
        && (resp.status().is_client_error() || resp.status().is_server_error())
    {
        let error = error_of(&resp);
        if error.status == 503 {
            // The database is locked: this entry would wait for the same
            // lock, and the client should not wait for it. It is written
            // once the lock is gone (or logged if it cannot be).
            tokio::spawn(async move { record_refusal(&state, &ctx, audit, error).await });
        } else {
            record_refusal(&state, &ctx, audit, error).await;
        }
    }
    resp
}

fn audit_context(parts: &Parts) -> AuditContext {
    AuditContext {
        token: None,
        admin_token: None,
        subject: None,
        remote_addr: parts.extensions.get::<ClientAddr>().map(ClientAddr::to_string),
        method: parts.method.as_str().to_owned(),
        path: bounded(parts.uri.path(), MAX_TEXT),
        request_id: request_id(&parts.headers),
    }
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The resource a SCIM path names: `/scim/v2/{t}/Users/{id}`.
fn resource_of(path: &str) -> (Option<ResourceKind>, Option<Uuid>) {
    let mut segs = path.strip_prefix(SCIM_PREFIX).unwrap_or("").split('/').skip(1);
    let kind = segs.next().and_then(ResourceKind::from_endpoint);
    let id = segs.next().and_then(|s| Uuid::parse_str(s).ok());
    (kind, id)
}

/// Writes the audit entry of a refused write, in a transaction of its own
/// after the request's rollback.
async fn record_refusal(state: &AppState, tenant: &TenantCtx, audit: AuditContext, error: ScimError) {
    let (kind, id) = resource_of(&audit.path);
    let target = Target { kind, id, bulk_operation: None };
    state.ops.record_refusal(tenant.tenant.id, audit, target, &error).await;
}

/// The error a refusal answered: its note, or for an answer made without
/// one (a 405 from the router) the bare status. Taken before any `.await`:
/// a `&Response` is not `Send`.
fn error_of(resp: &Response) -> ScimError {
    match resp.extensions().get::<ErrorNote>() {
        Some(note) => note.0.clone(),
        None => ScimError::new(resp.status().as_u16(), None, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(tenant_slug("/scim/v2/acme/Users"), Some("acme"));
        assert_eq!(tenant_slug("/scim/v2/acme"), Some("acme"));
        assert_eq!(tenant_slug("/other"), None);
        let id = Uuid::now_v7();
        assert_eq!(resource_of(&format!("/scim/v2/a/Groups/{id}")), (Some(ResourceKind::Group), Some(id)));
        assert_eq!(resource_of("/scim/v2/a/Users"), (Some(ResourceKind::User), None));
        assert_eq!(resource_of("/scim/v2/a/Bulk"), (None, None));
    }
}
