//! SCIM request bodies (RFC 7644 §3.1, §8.1): JSON in
//! `application/scim+json` or `application/json`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use scim_core::ScimError;
use serde_json::Value;

use super::error::ApiError;

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
                ScimError::new(413, None, "request body exceeds the maximum payload size")
            } else {
                ScimError::invalid_syntax(format!("cannot read request body: {rej}"))
            }
        })?;
        Ok(ScimBody(parse_body(&bytes)?))
    }
}

/// Refuses a request body declared as anything but JSON (415). A missing
/// `Content-Type` is accepted: some clients omit it.
pub fn check_media_type(headers: &HeaderMap) -> Result<(), ScimError> {
    match headers.get(header::CONTENT_TYPE) {
        Some(ct) if !is_json_media_type(ct.as_bytes()) => {
            Err(ScimError::new(415, None, "request bodies must be application/scim+json or application/json"))
        }
        _ => Ok(()),
    }
}

pub fn parse_body(bytes: &[u8]) -> Result<Value, ScimError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax("the request body is empty"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}")))
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
        let e = parse_body(b"{nope").err().unwrap();
        assert_eq!((e.status, e.scim_type), (400, Some(scim_core::ScimType::InvalidSyntax)));
        assert!(parse_body(b"  ").is_err());
        assert_eq!(parse_body(b"{\"a\":1}").unwrap()["a"], 1);
    }
}
