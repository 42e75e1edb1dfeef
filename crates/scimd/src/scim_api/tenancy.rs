//! The tenant and authentication layers of the SCIM API (DESIGN §6,
//! RFC 7644 §2), and the audit of refused or failed writes (DESIGN §2).
//!
//! [`resolve_tenant`] maps `/scim/v2/{tenant}/…` to the tenant (404 when
//! unknown) for every SCIM route, discovery included. [`require_token`]
//! guards the resource routes with [`crate::auth::scim`]: anything but a
//! valid token of this very tenant is 401.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use scim_core::{ResourceKind, ScimError};
use scim_store::AuditContext;
use uuid::Uuid;

use super::error::{ApiError, ErrorNote};
use crate::auth::scim::{AuthError, authenticate};
use crate::ops::TenantCtx;
use crate::ops::audit::Target;
use crate::state::AppState;

pub const SCIM_PREFIX: &str = "/scim/v2/";

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
    let ctx = match tenant_slug(req.uri().path()) {
        None => None,
        Some(slug) => match state.ops.tenant(slug).await {
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
    let mut audit = if is_write { audit_context(&req) } else { AuditContext::default() };
    match authenticate(&state.ops, req.headers().get(header::AUTHORIZATION), &tenant).await {
        Ok(token) => audit.token = Some(token),
        Err(e) => {
            let resp = match e {
                AuthError::Refused(why) => ApiError::Unauthorized(why),
                AuthError::Failed(e) => ApiError::Op(e),
            }
            .into_response();
            if is_write {
                let error = error_of(&resp);
                record_refusal(&state, &tenant, audit, error).await;
            }
            return resp;
        }
    }
    let audit_copy = is_write.then(|| audit.clone());
    req.extensions_mut().insert(Caller { tenant: tenant.clone(), audit });
    let resp = next.run(req).await;
    if let Some(audit) = audit_copy
        && (resp.status().is_client_error() || resp.status().is_server_error())
    {
        let error = error_of(&resp);
        if error.status == 503 {
            // The database is locked: this entry would wait for the same
            // lock, and the client should not wait for it. It is written
            // once the lock is gone (or logged if it cannot be).
            tokio::spawn(async move { record_refusal(&state, &tenant, audit, error).await });
        } else {
            record_refusal(&state, &tenant, audit, error).await;
        }
    }
    resp
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
