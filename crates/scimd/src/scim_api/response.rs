//! SCIM responses on the wire (RFC 7644 §3.1, §8.1): JSON bodies in
//! `application/scim+json`.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub const SCIM_JSON: &str = "application/scim+json";

/// A response with a JSON body in `application/scim+json`.
pub fn scim_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    scim_response_sized(status, body, 0)
}

/// [`scim_response`] for a body known to be at least `capacity` bytes (a
/// large group's members): written into a buffer of that size, not one
/// doubled over and over up to it.
pub fn scim_response_sized(status: StatusCode, body: &impl serde::Serialize, capacity: usize) -> Response {
    let mut bytes = Vec::with_capacity(capacity.saturating_add(4096));
    // Serialising our bodies cannot fail (`Value`s and raw JSON text: no
    // non-string keys, no I/O).
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
    }
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    resp
}
