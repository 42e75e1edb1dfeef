//! The one error type of the HTTP layer and its response: every error is an
//! RFC 7644 §3.12 body with `application/scim+json`. Internal details are
//! logged, never returned (a generic 500 body).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::{ScimError, ScimType};
use scim_store::StoreError;

use crate::scim_api::json::scim_response;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A protocol error (4xx) to return as is.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// 401 with `WWW-Authenticate` (RFC 6750 §3); the detail is generic so
    /// it says nothing about which tokens exist.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Anything else: logged, answered with a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What went wrong, left on the response for the audit of refused writes.
#[derive(Debug, Clone)]
pub struct ErrorNote {
    pub detail: String,
    pub scim_type: Option<ScimType>,
}

impl ApiError {
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::Scim(ScimError::not_found(what))
    }

    /// 412 for an `If-Match` that does not match (RFC 7644 §3.14).
    pub fn precondition_failed(current: i64) -> Self {
        ApiError::Scim(ScimError::new(
            412,
            None,
            format!("If-Match does not match the current version W/\"{current}\""),
        ))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("resource not found"),
            StoreError::VersionMismatch { current } => ApiError::precondition_failed(current),
            StoreError::Uniqueness(msg) => ApiError::Scim(ScimError::uniqueness(msg)),
            StoreError::UnknownMember(m) => {
                ApiError::Scim(ScimError::invalid_value(format!("member {m} is not a User or Group of this tenant")))
            }
            StoreError::Conflict(msg) => ApiError::Scim(ScimError::new(409, None, msg)),
            StoreError::Scim(e) => ApiError::Scim(e),
            StoreError::Busy(e) => {
                tracing::warn!(error = %e, "the database is busy");
                ApiError::Scim(ScimError::new(503, None, "the database is busy: retry shortly"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Internal(format!("{e:#}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (err, www_auth) = match self {
            ApiError::Scim(e) => (e, false),
            ApiError::Unauthorized(detail) => (ScimError::new(401, None, detail), true),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (ScimError::new(500, None, "internal server error"), false)
            }
        };
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = scim_response(status, &err.to_json());
        if www_auth {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scimd\""));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // IdPs retry 5xx; this says when.
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp.extensions_mut().insert(ErrorNote { detail: err.detail, scim_type: err.scim_type });
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_scim_statuses() {
        let status = |e: StoreError| ApiError::from(e).into_response().status().as_u16();
        assert_eq!(status(StoreError::NotFound), 404);
        assert_eq!(status(StoreError::VersionMismatch { current: 3 }), 412);
        assert_eq!(status(StoreError::Uniqueness("userName".into())), 409);
        assert_eq!(status(StoreError::UnknownMember("x".into())), 400);
        assert_eq!(status(StoreError::Corrupt("x".into())), 500);
        let resp = ApiError::from(StoreError::Busy("database is locked".into())).into_response();
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn unauthorized_has_www_authenticate() {
        let r = ApiError::Unauthorized("missing token").into_response();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"scimd\"");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/scim+json");
    }
}
