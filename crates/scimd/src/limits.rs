//! Limits every request is served within, answered the SCIM way (RFC 7644
//! §3.12 error bodies) rather than with an empty status: a request that
//! runs past its time is `408`; a body declared larger than the limit is
//! refused with `413` before a byte of it is read (a client that declares
//! a huge body and then sends nothing used to hold its request open until
//! the timeout). And a client's `X-Request-Id`, which ends up in logs and
//! the audit log, is kept only when short and plain.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use scim_core::ScimError;

use crate::scim_api::error::ApiError;

/// Answers `408` with a SCIM body when `next` takes longer than `limit`
/// (the request's work is dropped; a write already handed to the store
/// still completes or rolls back whole).
pub async fn time_limit(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            let detail = format!("the request took longer than {} s; retry it", limit.as_secs());
            ApiError::from(ScimError::new(408, None, detail)).into_response()
        }
    }
}

/// Refuses at once a request whose `Content-Length` exceeds `max` bytes,
/// and closes the connection (the body is never read). `/Bulk` has its own,
/// larger limit and checks it itself.
pub async fn body_limit(max: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let bulk = req.uri().path().ends_with("/Bulk");
    match declared {
        Some(n) if n > max as u64 && !bulk => {
            let err = ScimError::new(413, None, format!("the request body exceeds the limit of {max} bytes"));
            let mut resp = ApiError::from(err).into_response();
            resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            resp
        }
        _ => next.run(req).await,
    }
}

/// The longest `X-Request-Id` kept from a client.
const MAX_REQUEST_ID: usize = 64;

/// Whether a client's request id is short and plain: letters, digits and
/// `-_.:` (UUIDs, ULIDs, trace ids), at most [`MAX_REQUEST_ID`] bytes.
fn plain_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Drops a client's `X-Request-Id` that is not short and plain, so that a
/// new one is made for the request (a 300 KB one once went into every log
/// line and audit row of its request).
pub async fn request_id_filter(mut req: Request, next: Next) -> Response {
    let odd = req.headers().get("x-request-id").is_some_and(|v| !plain_request_id(v.as_bytes()));
    if odd {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

/// `path` with each run of slashes made one (`/scim/v2/acme//Users` →
/// `/scim/v2/acme/Users`); `None` when there is none.
fn collapsed(path: &str) -> Option<String> {
    if !path.contains("//") {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    Some(out)
}

/// Before routing: collapses repeated slashes in the path, so that a SCIM
/// base URL pasted into an identity provider with a trailing slash still
/// works.
pub fn collapse_slashes<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    if let Some(path) = collapsed(req.uri().path()) {
        let rebuilt = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(pq) = axum::http::uri::PathAndQuery::try_from(rebuilt) {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_slashes_are_collapsed() {
        assert_eq!(collapsed("/scim/v2/acme//Users").as_deref(), Some("/scim/v2/acme/Users"));
        assert_eq!(collapsed("//scim///v2/a//Users/x").as_deref(), Some("/scim/v2/a/Users/x"));
        assert_eq!(collapsed("/scim/v2/acme/Users"), None);
    }

    #[test]
    fn request_ids_are_kept_when_short_and_plain() {
        assert!(plain_request_id(b"0190c5a8-0000-7000-8000-000000000000"));
        assert!(plain_request_id(b"trace:abc.def_1"));
        assert!(!plain_request_id(b""));
        assert!(!plain_request_id(&[b'a'; 65]));
        assert!(!plain_request_id(b"a b"));
        assert!(!plain_request_id(b"<script>"));
        assert!(!plain_request_id("é".as_bytes()));
    }
}
