//! ETag headers (RFC 7644 §3.14, RFC 9110 §8.8.3, §13.1): every resource
//! version goes out as the weak tag `W/"<version>"`; `If-Match` and
//! `If-None-Match` come in as [`Precondition`]s.

use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use scim_core::ScimError;
use scim_core::resource::etag;

use crate::ops::Precondition;

fn header_precondition(headers: &HeaderMap, name: &HeaderName) -> Result<Option<Precondition>, ScimError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => {
            let s = v.to_str().map_err(|_| ScimError::invalid_syntax(format!("malformed {name} header")))?;
            Precondition::parse(s).map(Some)
        }
    }
}

pub fn if_match(headers: &HeaderMap) -> Result<Option<Precondition>, ScimError> {
    header_precondition(headers, &IF_MATCH)
}

pub fn if_none_match(headers: &HeaderMap) -> Result<Option<Precondition>, ScimError> {
    header_precondition(headers, &IF_NONE_MATCH)
}

/// Sets the `ETag` of a response to `version`.
pub fn set_etag(resp: &mut Response, version: i64) {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        resp.headers_mut().insert(ETAG, v);
    }
}
