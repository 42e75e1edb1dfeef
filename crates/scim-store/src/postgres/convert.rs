//! Conversions between Rust values and their PostgreSQL forms (instants
//! as bigint milliseconds, documents as jsonb), reading row columns without
//! panicking, and the mapping of PostgreSQL's errors to [`StoreError`]s.
//! No tokio-postgres type leaves this backend.

use deadpool_postgres::PoolError;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::FromSql;

pub(crate) use crate::clock::{from_ms, now, to_ms};
use crate::{ResourceKind, StoreError};

/// The store's error for a driver error: what is worth a retry (the
/// database restarting, failing over, out of connections, a deadlock or a
/// serialization failure) is `Busy` (503 with Retry-After); the rest a
/// database error.
pub(crate) fn error(e: tokio_postgres::Error) -> StoreError {
    let busy = [
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::READ_ONLY_SQL_TRANSACTION,
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::QUERY_CANCELED,
    ];
    match e.code() {
        Some(code) if busy.contains(code) => StoreError::Busy(e.to_string()),
        Some(_) => StoreError::Database(db_message(&e)),
        // No SQL state: the connection broke or could not be made.
        None if e.is_closed() || e.as_db_error().is_none() => StoreError::Busy(format!("database unreachable: {e}")),
        None => StoreError::Database(e.to_string()),
    }
}

fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        error(e)
    }
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => error(e),
            other => StoreError::Busy(format!("no database connection: {other}")),
        }
    }
}

/// The name of the unique constraint or index `e` violated, if it is a
/// unique violation.
pub(crate) fn unique_violation(e: &tokio_postgres::Error) -> Option<&str> {
    let db = e.as_db_error()?;
    (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint().unwrap_or(""))
}

/// True when `e` is a foreign key violation (a row naming a tenant or
/// resource that does not exist).
pub(crate) fn is_foreign_key_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION)
}

/// Column `col` of `row`, or a `Corrupt` error naming it (never a panic).
pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, col: &str) -> Result<T, StoreError> {
    row.try_get(col).map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

/// Column number `i` of `row` (see [`get`]).
pub(crate) fn at<'a, T: FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
}

pub(crate) fn opt_from_ms(ms: Option<i64>) -> Option<time::OffsetDateTime> {
    ms.map(from_ms)
}

pub(crate) fn parse_kind(s: &str) -> Result<ResourceKind, StoreError> {
    ResourceKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown resource kind {s:?}")))
}

/// A value as jsonb.
pub(crate) fn to_jsonb(v: &impl serde::Serialize) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Corrupt(format!("value does not serialise: {e}")))
}

/// A jsonb value as `T`.
pub(crate) fn from_jsonb<T: serde::de::DeserializeOwned>(v: serde_json::Value, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
