//! The tenant and authentication layers of the SCIM API (DESIGN §6,
//! RFC 7644 §2, RFC 6750), and the audit of refused or failed writes
//! (DESIGN §2).
//!
//! `resolve_tenant` maps `/scim/v2/{tenant}/…` to the tenant (404 when
//! unknown) for every SCIM route, discovery included. `require_token` guards
//! the resource routes: `Authorization: Bearer <token>` → SHA-256 → token
//! (cached, see [`crate::state`]) → constant-time hash compare → not revoked,
//! not expired, of this very tenant; anything else is 401.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use scim_store::{AuditContext, AuditEntry, ResourceKind};
use serde_json::json;
use uuid::Uuid;

use crate::error::{ApiError, ErrorNote};
use crate::state::{AppState, TenantCtx};
use crate::tokens;

pub const SCIM_PREFIX: &str = "/scim/v2/";

/// An authenticated SCIM caller, for the handlers.
#[derive(Clone)]
pub struct Caller {
    pub tenant: Arc<TenantCtx>,
    pub token: Uuid,
    /// Who asked, for the store's audit entry (built for writes only).
    pub audit: AuditContext,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Taken rather than cloned: each request has exactly one handler.
        parts.extensions.remove::<Caller>().ok_or_else(|| ApiError::internal("route is missing the auth layer"))
    }
}

/// The tenant of a discovery request (no token needed).
pub struct TenantOf(pub Arc<TenantCtx>);

impl<S: Send + Sync> FromRequestParts<S> for TenantOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<TenantCtx>>()
            .cloned()
            .map(TenantOf)
            .ok_or_else(|| ApiError::internal("route is missing the tenant layer"))
    }
}

/// The `{tenant}` segment of a SCIM path.
fn tenant_slug(path: &str) -> Option<&str> {
    path.strip_prefix(SCIM_PREFIX)?.split('/').next()
}

/// Middleware: resolves the tenant of the path or answers 404.
pub async fn resolve_tenant(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let slug = tenant_slug(req.uri().path()).filter(|s| crate::slug::is_valid(s));
    let ctx = match slug {
        None => None,
        Some(slug) => match state.tenant(slug).await {
            Ok(ctx) => ctx,
            Err(e) => return ApiError::from(e).into_response(),
        },
    };
    let Some(ctx) = ctx else {
        return ApiError::not_found("no such tenant").into_response();
    };
    req.extensions_mut().insert(ctx);
    next.run(req).await
}

/// Middleware: authenticates the bearer token for the tenant, and audits
/// refused or failed writes.
pub async fn require_token(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(tenant) = req.extensions().get::<Arc<TenantCtx>>().cloned() else {
        return ApiError::internal("route is missing the tenant layer").into_response();
    };
    let is_write = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
        && !req.uri().path().ends_with("/.search");
    let audit = if is_write { audit_context(&req) } else { AuditContext::default() };
    let token = match authenticate(&state, req.headers(), &tenant).await {
        Ok(token) => token,
        Err(e) => {
            let resp = e.into_response();
            if is_write {
                let (status, detail) = failure_of(&resp);
                write_failure(&state, &tenant, None, audit, status, detail).await;
            }
            return resp;
        }
    };
    let audit_copy = is_write.then(|| audit.clone());
    req.extensions_mut().insert(Caller { tenant: tenant.clone(), token, audit });
    let resp = next.run(req).await;
    if let Some(audit) = audit_copy
        && (resp.status().is_client_error() || resp.status().is_server_error())
    {
        let (status, detail) = failure_of(&resp);
        if status == 503 {
            // The database is locked: this entry would wait for the same
            // lock, and the client should not wait for it. It is written
            // once the lock is gone (or logged if it cannot be).
            tokio::spawn(async move { write_failure(&state, &tenant, Some(token), audit, status, detail).await });
        } else {
            write_failure(&state, &tenant, Some(token), audit, status, detail).await;
        }
    }
    resp
}

async fn authenticate(state: &AppState, headers: &HeaderMap, tenant: &TenantCtx) -> Result<Uuid, ApiError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized("missing bearer token"))?
        .to_str()
        .map_err(|_| ApiError::Unauthorized("invalid bearer token"))?;
    let secret = tokens::bearer_token(header).ok_or(ApiError::Unauthorized("missing bearer token"))?;
    let hash = tokens::hash(secret);
    let info = state.token(&hash).await?.ok_or(ApiError::Unauthorized("invalid bearer token"))?;
    // The look-up was by hash; comparing again in constant time keeps a
    // backend's index comparison from being the only check.
    if !tokens::hashes_equal(&info.hash, &hash) {
        return Err(ApiError::Unauthorized("invalid bearer token"));
    }
    if info.revoked.is_some() {
        return Err(ApiError::Unauthorized("invalid bearer token"));
    }
    if info.expires.is_some_and(|at| at <= time::OffsetDateTime::now_utc()) {
        return Err(ApiError::Unauthorized("the bearer token has expired"));
    }
    if info.tenant != tenant.tenant.id {
        return Err(ApiError::Unauthorized("invalid bearer token"));
    }
    state.touch_token(info.id);
    Ok(info.id)
}

fn audit_context(req: &Request) -> AuditContext {
    AuditContext {
        token: None,
        remote_addr: req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.to_string()),
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        request_id: req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

/// The resource a SCIM path names: `/scim/v2/{t}/Users/{id}`.
fn resource_of(path: &str) -> (Option<ResourceKind>, Option<Uuid>) {
    let mut segs = path.strip_prefix(SCIM_PREFIX).unwrap_or("").split('/').skip(1);
    let kind = match segs.next() {
        Some("Users") => Some(ResourceKind::User),
        Some("Groups") => Some(ResourceKind::Group),
        _ => None,
    };
    let id = segs.next().and_then(|s| Uuid::parse_str(s).ok());
    (kind, id)
}

/// Writes the audit entry of a refused or failed write, in a transaction of
/// its own after the request's rollback. Never bodies or tokens.
/// The status and error detail of a refused request, for its audit entry.
/// Taken apart before any `.await`: a `&Response` is not `Send`.
fn failure_of(resp: &Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let note = resp.extensions().get::<ErrorNote>();
    let detail = json!({
        "error": note.map(|n| n.detail.as_str()).unwrap_or(""),
        "scimType": note.and_then(|n| n.scim_type).map(|t| t.as_str()),
    });
    (status, detail)
}

async fn write_failure(
    state: &AppState,
    tenant: &TenantCtx,
    token: Option<Uuid>,
    mut ctx: AuditContext,
    status: u16,
    detail: serde_json::Value,
) {
    ctx.token = token;
    let (resource_kind, resource_id) = resource_of(&ctx.path);
    let entry = AuditEntry { tenant: Some(tenant.tenant.id), context: ctx, resource_kind, resource_id, status, detail };
    if let Err(e) = state.store.write_audit(entry).await {
        tracing::error!(error = %e, "could not write the audit entry of a refused request");
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
