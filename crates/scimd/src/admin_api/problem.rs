//! Errors of the admin API as RFC 9457 `application/problem+json`: a
//! stable `type` URI per kind of error (clients branch on it, never on the
//! words), the HTTP status, a short `title` and a `detail` for people.
//! Internal errors are logged by the operations layer and answered with a
//! generic 500, like every surface's.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_core::{ScimError, ScimType};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ops::OpError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `type` URIs, one per kind of error. `urn:scimd:problem:` names
/// are stable across versions.
const TYPE_BASE: &str = "urn:scimd:problem:";

/// The refusals every authenticated admin route can answer, documented once
/// for the OpenAPI description (`responses(…, AuthRefusals)`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its OpenAPI description is used.
pub enum AuthRefusals {
    /// No admin token, or not a valid one.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The token lacks the scope the call needs (see its security), or is
    /// limited to other tenants.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Too many requests without a valid token from one address.
    #[response(status = 429, content_type = "application/problem+json")]
    RateLimited(Problem),
}

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of error, e.g. `urn:scimd:problem:not-found`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of error.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, for a person.
    pub detail: String,
    /// For `insufficient-scope`: the scope the call needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scope: Option<&'static str>,
    /// For `cursor-expired` (410): the oldest cursor the feed can resume
    /// from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_cursor: Option<String>,
}

impl Problem {
    pub fn new(status: u16, name: &str, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("{TYPE_BASE}{name}"),
            title,
            status,
            detail: detail.into(),
            required_scope: None,
            oldest_cursor: None,
        }
    }

    /// 401: no admin token, or one that is not valid.
    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(401, "unauthorized", "Not authenticated", detail)
    }

    /// 403: a valid token without the scope the call needs.
    pub fn insufficient_scope(scope: &'static str) -> Problem {
        let mut p = Problem::new(
            403,
            "insufficient-scope",
            "Insufficient scope",
            format!("this call needs an admin token with the scope {scope} (or admin)"),
        );
        p.required_scope = Some(scope);
        p
    }

    /// 403: a token limited to some tenants, asked to act beyond them.
    pub fn tenant_not_allowed(detail: impl Into<String>) -> Problem {
        Problem::new(403, "tenant-not-allowed", "Not allowed for this token", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(404, "not-found", "Not found", detail)
    }

    /// 400: a body that is not JSON, or not the JSON the call takes.
    pub fn invalid_body(detail: impl Into<String>) -> Problem {
        Problem::new(400, "invalid-body", "Invalid request body", detail)
    }

    /// 415: a body sent as something other than JSON.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Problem {
        Problem::new(415, "unsupported-media-type", "Unsupported media type", detail)
    }

    /// 405: the route exists, the method does not.
    pub fn method_not_allowed() -> Problem {
        Problem::new(405, "method-not-allowed", "Method not allowed", "this route does not take this method")
    }
}

/// An operation's refusal or failure as a problem.
impl From<OpError> for Problem {
    fn from(e: OpError) -> Problem {
        Problem::from(e.into_scim())
    }
}

impl From<ScimError> for Problem {
    fn from(e: ScimError) -> Problem {
        let (name, title) = match (e.status, e.scim_type) {
            (400, Some(ScimType::InvalidValue)) => {
                return Problem::new(422, "invalid-value", "Invalid value", e.detail);
            }
            // Well-formed requests with a value the call cannot take: 422,
            // like the admin API's own checks.
            (400, Some(ScimType::InvalidCursor)) => {
                return Problem::new(422, "invalid-cursor", "Invalid cursor", e.detail);
            }
            (400, Some(ScimType::InvalidFilter)) => {
                return Problem::new(422, "invalid-filter", "Invalid filter", e.detail);
            }
            (400, _) => ("invalid-request", "Invalid request"),
            (404, _) => ("not-found", "Not found"),
            (409, _) => ("conflict", "Conflict"),
            (412, _) => ("precondition-failed", "Precondition failed"),
            (413, _) => ("payload-too-large", "Payload too large"),
            (429, _) => ("rate-limited", "Too many requests"),
            (503, _) => ("unavailable", "Service unavailable"),
            (408, _) => ("timeout", "Request timeout"),
            (status, _) if status >= 500 => ("internal", "Internal server error"),
            _ => ("error", "Error"),
        };
        Problem::new(e.status, name, title, e.detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"scimd-admin\""));
        }
        if status == StatusCode::FORBIDDEN && self.required_scope.is_some() {
            let value = format!(
                "Bearer realm=\"scimd-admin\", error=\"insufficient_scope\", scope=\"{}\"",
                self.required_scope.unwrap_or_default()
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_stable_types() {
        let p = Problem::from(ScimError::invalid_value("slug"));
        assert_eq!((p.status, p.kind.as_str()), (422, "urn:scimd:problem:invalid-value"));
        let p = Problem::from(ScimError::not_found("x"));
        assert_eq!((p.status, p.kind.as_str()), (404, "urn:scimd:problem:not-found"));
        let p = Problem::from(OpError::Internal("disk on fire".into()));
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("disk"), "internals are not shown: {}", p.detail);
        let resp = Problem::unauthorized("no token").into_response();
        assert_eq!(resp.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert!(resp.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
