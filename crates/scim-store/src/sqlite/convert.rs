//! Conversions between Rust values and their SQLite column forms:
//! timestamps as INTEGER milliseconds, JSON as TEXT, derived columns, and
//! the mapping of SQLite's errors (busy, constraint violations) to
//! [`StoreError`]s. No rusqlite type leaves this backend.

use rusqlite::ToSql;
use rusqlite::types::ToSqlOutput;
use serde_json::Value;
use time::OffsetDateTime;

pub(crate) use crate::clock::{from_ms, now, to_ms};
use crate::derive::Column;
use crate::{ResourceKind, StoreError};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            // Not SQLITE_LOCKED: without shared cache it means a conflict
            // inside one connection, a bug, not something to retry.
            Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Busy(e.to_string()),
            _ => StoreError::Database(e.to_string()),
        }
    }
}

impl ToSql for Column<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Column::Text(v) => v.to_sql(),
            Column::Bool(v) => v.to_sql(),
        }
    }
}

pub(crate) fn opt_from_ms(ms: Option<i64>) -> Option<OffsetDateTime> {
    ms.map(from_ms)
}

pub(crate) fn parse_json(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored JSON does not parse: {e}")))
}

pub(crate) fn to_json(v: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("value does not serialise: {e}")))
}

pub(crate) fn parse_kind(s: &str) -> Result<ResourceKind, StoreError> {
    ResourceKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown resource kind {s:?}")))
}

/// True when `e` is a UNIQUE violation whose message names `needle` (a
/// column or index name).
pub(crate) fn is_unique_violation(e: &rusqlite::Error, needle: &str) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(err, Some(msg)) => {
            err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE && msg.contains(needle)
        }
        _ => false,
    }
}

/// True when `e` is a FOREIGN KEY violation (a row naming a tenant or
/// resource that does not exist).
pub(crate) fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(err, _) if err.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
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
