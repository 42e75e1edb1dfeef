//! The one error type of the SCIM API and its response: every error is an
//! RFC 7644 §3.12 body in `application/scim+json`. Internal details are
//! logged, never returned (a generic 500 body).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::ScimError;

use super::response::scim_response;
use crate::auth::scim::Refusal;
use crate::ops::OpError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What an operation (or the request's own parsing) refused or failed.
    #[error(transparent)]
    Op(#[from] OpError),
    /// 401 with `WWW-Authenticate` (RFC 6750 §3); the detail is generic so
    /// it says nothing about which tokens exist.
    #[error("unauthorized: {}", .0.detail)]
    Unauthorized(Refusal),
}

/// What went wrong, left on the response for the audit of refused writes.
#[derive(Debug, Clone)]
pub struct ErrorNote(pub ScimError);

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError::Op(OpError::Refused(e))
    }
}

impl ApiError {
    pub fn not_found(what: impl Into<String>) -> Self {
        ScimError::not_found(what).into()
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Op(OpError::internal(e))
    }

    /// The error as the client sees it (internal errors logged here).
    pub fn into_scim(self) -> ScimError {
        match self {
            ApiError::Op(e) => e.into_scim(),
            ApiError::Unauthorized(r) => ScimError::new(r.status, None, r.detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let www_auth = match &self {
            ApiError::Unauthorized(r) => Some(match r.bearer_error {
                Some(code) => format!("Bearer realm=\"scimd\", error=\"{code}\""),
                None => "Bearer realm=\"scimd\"".to_owned(),
            }),
            _ => None,
        };
        let err = self.into_scim();
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = scim_response(status, &err.to_json());
        if let Some(value) = www_auth.and_then(|v| HeaderValue::from_str(&v).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // IdPs retry 5xx; this says when.
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp.extensions_mut().insert(ErrorNote(err));
        resp
    }
}

#[cfg(test)]
mod tests {
    use scim_store::StoreError;

    use super::*;

    #[test]
    fn busy_is_503_with_retry_after() {
        let resp = ApiError::from(OpError::from(StoreError::Busy("database is locked".into()))).into_response();
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn unauthorized_has_www_authenticate() {
        let r = ApiError::Unauthorized(Refusal::missing()).into_response();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"scimd\"");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/scim+json");
        let r = ApiError::Unauthorized(Refusal::invalid("expired")).into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"scimd\", error=\"invalid_token\"");
        let r = ApiError::Unauthorized(Refusal::insufficient("no scope")).into_response();
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer realm=\"scimd\", error=\"insufficient_scope\"");
    }

    #[test]
    fn internal_errors_say_nothing_of_themselves() {
        let r = ApiError::internal("/var/lib/scimd.db is corrupt").into_response();
        assert_eq!(r.status(), 500);
        let note = r.extensions().get::<ErrorNote>().unwrap();
        assert_eq!(note.0.detail, "internal server error");
    }
}
