//! The access log (DESIGN §8): one line per request at info level, target
//! `scimd::access` — method, route template, status, latency, tenant and
//! request id. Never the query string or a body (a filter can hold an email
//! address), never a header but the request id. Off with
//! `RUST_LOG=info,scimd::access=off`; costs nothing when not enabled.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

use crate::ops::audit::bounded;

/// The tenant a SCIM path names (bounded: a path is the client's).
fn tenant_of(path: &str) -> Option<String> {
    let slug = path.strip_prefix("/scim/v2/")?.split('/').next()?;
    Some(bounded(slug, 64))
}

/// Middleware: logs the request once it is answered (or dropped unanswered:
/// status `cancelled`).
pub async fn record(req: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "scimd::access", tracing::Level::INFO) {
        return next.run(req).await;
    }
    let mut line = Line {
        method: req.method().as_str().to_owned(),
        route: req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned()),
        tenant: tenant_of(req.uri().path()),
        request_id: req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
        started: Instant::now(),
        status: None,
    };
    let resp = next.run(req).await;
    line.status = Some(resp.status().as_u16());
    resp
}

/// A request's line, written when dropped.
struct Line {
    method: String,
    route: String,
    tenant: Option<String>,
    request_id: Option<String>,
    started: Instant,
    status: Option<u16>,
}

impl Drop for Line {
    fn drop(&mut self) {
        let status = self.status.map_or_else(|| "cancelled".to_owned(), |s| s.to_string());
        tracing::info!(
            target: "scimd::access",
            method = %self.method,
            route = %self.route,
            status = %status,
            latency_ms = self.started.elapsed().as_secs_f64() * 1000.0,
            tenant = self.tenant.as_deref().unwrap_or(""),
            request_id = self.request_id.as_deref().unwrap_or(""),
            "request"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_is_the_path_s_segment() {
        assert_eq!(tenant_of("/scim/v2/acme/Users").as_deref(), Some("acme"));
        assert_eq!(tenant_of("/healthz"), None);
        assert_eq!(tenant_of(&format!("/scim/v2/{}/Users", "x".repeat(500))).unwrap().len(), 64 + "…".len());
    }
}
