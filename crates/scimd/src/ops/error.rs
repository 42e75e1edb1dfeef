//! The one error of the operations layer. Every surface maps it to its own
//! answer: the SCIM API to an RFC 7644 §3.12 error body, the CLI to a
//! message, the admin API to RFC 9457 problem+json.
//!
//! A refusal carries a [`ScimError`] (an HTTP status, SCIM's `scimType`
//! where one applies, and a detail meant for the client); anything else is
//! internal: logged by the surface, never shown.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use scim_core::{ResourceKind, ScimError};
use scim_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The request is refused: its status and detail are for the caller.
    #[error("{}", .0.detail)]
    Refused(ScimError),
    /// The store or the process failed: logged, answered with a generic 500.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type OpResult<T> = Result<T, OpError>;

impl OpError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        OpError::Internal(e.to_string())
    }

    /// 404 for a resource of `kind` that does not exist (or is deleted).
    pub fn no_such(kind: ResourceKind) -> Self {
        OpError::Refused(ScimError::not_found(format!("no such {}", kind.as_str())))
    }

    /// 412 for an `If-Match` that does not match (RFC 7644 §3.14).
    pub fn precondition_failed(current: i64) -> Self {
        OpError::Refused(ScimError::new(
            412,
            None,
            format!("If-Match does not match the current version W/\"{current}\""),
        ))
    }

    /// The error as a client sees it: refusals as they are, internal
    /// errors logged here and answered with a generic 500 (their text may
    /// name files, SQL or other internals).
    pub fn into_scim(self) -> ScimError {
        match self {
            OpError::Refused(e) => e,
            OpError::Internal(detail) => {
                log_internal(&detail);
                ScimError::new(500, None, "internal server error")
            }
        }
    }
}

/// How often one internal error is logged at most; its repeats in between
/// are counted into the next line.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Distinct internal errors remembered for throttling.
const MAX_KINDS: usize = 1_000;

/// Logs an internal error at ERROR, the same one at most once per
/// [`LOG_EVERY`] (a failing disk must not write a line per request).
fn log_internal(detail: &str) {
    static SEEN: OnceLock<Mutex<HashMap<String, (Instant, u64)>>> = OnceLock::new();
    let mut seen = SEEN.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = Instant::now();
    let repeats = match seen.get_mut(detail) {
        Some((at, suppressed)) if now.duration_since(*at) < LOG_EVERY => {
            *suppressed += 1;
            return;
        }
        Some((at, suppressed)) => {
            *at = now;
            std::mem::take(suppressed)
        }
        None => {
            if seen.len() >= MAX_KINDS {
                seen.retain(|_, (at, _)| now.duration_since(*at) < LOG_EVERY);
            }
            if seen.len() < MAX_KINDS {
                seen.insert(detail.to_owned(), (now, 0));
            }
            0
        }
    };
    tracing::error!(error = %detail, repeated_since_last = repeats, "internal error");
}

impl From<ScimError> for OpError {
    fn from(e: ScimError) -> Self {
        OpError::Refused(e)
    }
}

/// What each store error means to a caller. Callers that know better (the
/// kind of a missing resource, a version mismatch to retry) match before
/// converting.
impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => OpError::Refused(ScimError::not_found("resource not found")),
            StoreError::VersionMismatch { current } => OpError::precondition_failed(current),
            StoreError::Uniqueness(msg) => OpError::Refused(ScimError::uniqueness(msg)),
            StoreError::UnknownMember(m) => {
                OpError::Refused(ScimError::invalid_value(format!("member {m} is not a User or Group of this tenant")))
            }
            StoreError::Conflict(msg) => OpError::Refused(ScimError::new(409, None, msg)),
            StoreError::Scim(e) => OpError::Refused(e),
            StoreError::Busy(e) => {
                tracing::warn!(error = %e, "the database is busy");
                OpError::Refused(ScimError::new(503, None, "the database is busy: retry shortly"))
            }
            other => OpError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_statuses() {
        let status = |e: StoreError| OpError::from(e).into_scim().status;
        assert_eq!(status(StoreError::NotFound), 404);
        assert_eq!(status(StoreError::VersionMismatch { current: 3 }), 412);
        assert_eq!(status(StoreError::Uniqueness("userName".into())), 409);
        assert_eq!(status(StoreError::UnknownMember("x".into())), 400);
        assert_eq!(status(StoreError::Conflict("x".into())), 409);
        assert_eq!(status(StoreError::Busy("locked".into())), 503);
        let internal = OpError::from(StoreError::Corrupt("secret path".into())).into_scim();
        assert_eq!(internal.status, 500);
        assert!(!internal.detail.contains("secret"), "{}", internal.detail);
    }
}
