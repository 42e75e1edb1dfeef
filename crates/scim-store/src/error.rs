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
    /// The database named does not exist, and the caller asked not to
    /// create it ([`crate::StoreOptions::create`]).
    #[error("there is no database at {0}")]
    NoDatabase(String),
    /// The database driver failed (its message; driver types stay in the
    /// backend).
    #[error("database error: {0}")]
    Database(String),
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
