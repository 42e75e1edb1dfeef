//! Limits every request is served within, answered the SCIM way (RFC 7644
//! §3.12 error bodies) rather than with an empty status: a request that
//! runs past its time is `408`; a body declared larger than the limit is
//! refused with `413` before a byte of it is read (a client that declares
//! a huge body and then sends nothing used to hold its request open until
//! the timeout).

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
