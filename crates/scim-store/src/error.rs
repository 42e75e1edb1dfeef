//! Store errors. The server maps each to an HTTP answer; none carries
//! secrets or SQL text meant for clients.

use scim_core::ScimError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such live resource / tenant / token.
    #[error("not found")]
    NotFound,
    /// `expected_version` did not match (HTTP 412 when the client sent
    /// If-Match; otherwise the server retries).
    #[error("version mismatch: current version is {current}")]
    VersionMismatch { current: i64 },
    /// A uniqueness constraint (userName among live users, tenant slug,
    /// domain…): HTTP 409 `uniqueness`. The message names the attribute.
    #[error("{0}")]
    Uniqueness(String),
    /// A group member that is not a live User or Group of the tenant:
    /// HTTP 400 `invalidValue`.
    #[error("member {0} is not a User or Group of this tenant")]
    UnknownMember(String),
    /// Other conflicts (a tenant slug already taken).
    #[error("{0}")]
    Conflict(String),
    /// A SCIM error raised while evaluating a query (bad filter …).
    #[error(transparent)]
    Scim(#[from] ScimError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    /// The database stayed locked by another connection or process for
    /// longer than the busy timeout (a long write from another process,
    /// WAL recovery after a crash): HTTP 503, worth a retry.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// The store itself failed (a commit that did not happen, the writer
    /// thread gone).
    #[error("internal store error: {0}")]
    Internal(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            // Not SQLITE_LOCKED: without shared cache it means a conflict
            // inside one connection, a bug, not something to retry.
            Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Busy(e.to_string()),
            _ => StoreError::Database(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_is_busy() {
        let err = |code: i32| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(matches!(StoreError::from(err(rusqlite::ffi::SQLITE_BUSY)), StoreError::Busy(_)));
        assert!(matches!(StoreError::from(err(rusqlite::ffi::SQLITE_LOCKED)), StoreError::Database(_)));
        assert!(matches!(StoreError::from(err(rusqlite::ffi::SQLITE_CORRUPT)), StoreError::Database(_)));
        assert!(matches!(StoreError::from(rusqlite::Error::QueryReturnedNoRows), StoreError::Database(_)));
    }
}
