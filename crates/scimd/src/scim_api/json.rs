//! SCIM's JSON on the wire (RFC 7644 §3.1, §8.1): request bodies in
//! `application/scim+json` or `application/json`, responses always in
//! `application/scim+json`.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use scim_core::ScimError;
use serde_json::Value;

use crate::error::ApiError;

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

/// A parsed JSON request body. Refuses other media types (415), bodies over
/// the configured limit (413, via axum's `DefaultBodyLimit`) and invalid
/// JSON (400 `invalidSyntax`).
pub struct ScimBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_media_type(req.headers())?;
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Scim(ScimError::new(413, None, "request body exceeds the maximum payload size"))
            } else {
                ApiError::Scim(ScimError::invalid_syntax(format!("cannot read request body: {rej}")))
            }
        })?;
        parse_body(&bytes).map(ScimBody)
    }
}

/// Refuses a request body declared as anything but JSON (415). A missing
/// `Content-Type` is accepted: some clients omit it.
pub fn check_media_type(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get(header::CONTENT_TYPE) {
        Some(ct) if !is_json_media_type(ct.as_bytes()) => Err(ApiError::Scim(ScimError::new(
            415,
            None,
            "request bodies must be application/scim+json or application/json",
        ))),
        _ => Ok(()),
    }
}

pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Scim(ScimError::invalid_syntax("the request body is empty")));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Scim(ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}"))))
}

/// `application/scim+json`, `application/json`, any `+json` type, with or
/// without parameters (`; charset=utf-8`).
fn is_json_media_type(ct: &[u8]) -> bool {
    let Ok(ct) = std::str::from_utf8(ct) else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert!(is_json_media_type(b"application/scim+json"));
        assert!(is_json_media_type(b"application/json; charset=utf-8"));
        assert!(is_json_media_type(b"Application/SCIM+JSON"));
        assert!(!is_json_media_type(b"text/plain"));
        assert!(!is_json_media_type(b"application/xml"));
    }

    #[test]
    fn invalid_json_is_invalid_syntax() {
        let err = parse_body(b"{nope").err().unwrap();
        let ApiError::Scim(e) = err else { panic!() };
        assert_eq!((e.status, e.scim_type), (400, Some(scim_core::ScimType::InvalidSyntax)));
        assert!(parse_body(b"  ").is_err());
        assert_eq!(parse_body(b"{\"a\":1}").unwrap()["a"], 1);
    }
}
