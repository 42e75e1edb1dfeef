//! Conversions between Rust values and their SQLite column forms:
//! timestamps as INTEGER milliseconds, JSON as TEXT, and the mapping of
//! constraint violations to [`StoreError`]s.

use serde_json::Value;
use time::OffsetDateTime;

use uuid::Uuid;

use crate::{ResourceKind, StoreError};

/// Now, truncated to the millisecond: the precision SCIM prints, so a
/// stored instant and its printed form compare the same way.
pub(crate) fn now() -> OffsetDateTime {
    from_ms(to_ms(OffsetDateTime::now_utc()))
}

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    let ns = t.unix_timestamp_nanos();
    // Milliseconds since the epoch fit an i64 for any year `time` accepts.
    i64::try_from(ns.div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
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

/// Case folding as `scim_core::value::compare_str` does it: Unicode
/// lower-casing char by char. Every `*_lower` column and every literal
/// compared with one is folded by this one function.
pub(crate) fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// The UUID a filter literal equals, when compared with an id printed in
/// its canonical form (lower-case, hyphenated): `None` when no id can equal
/// the literal under the attribute's case rule.
pub(crate) fn uuid_literal(lit: &str, case_exact: bool) -> Option<Uuid> {
    let folded;
    let text = if case_exact {
        lit
    } else {
        folded = fold(lit);
        folded.as_str()
    };
    let id = Uuid::try_parse(text).ok()?;
    (id.hyphenated().to_string() == text).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_round_trip_and_truncate() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(to_ms(t), 1_700_000_000_123);
        assert_eq!(to_ms(from_ms(1_700_000_000_123)), 1_700_000_000_123);
        let before = OffsetDateTime::from_unix_timestamp_nanos(-1_500_000).unwrap();
        assert_eq!(to_ms(before), -2);
        assert_eq!(now().nanosecond() % 1_000_000, 0);
    }

    #[test]
    fn uuid_literals_follow_case_rules() {
        let id = Uuid::now_v7();
        let text = id.to_string();
        assert_eq!(uuid_literal(&text, true), Some(id));
        assert_eq!(uuid_literal(&text.to_uppercase(), true), None);
        assert_eq!(uuid_literal(&text.to_uppercase(), false), Some(id));
        assert_eq!(uuid_literal(&id.simple().to_string(), false), None);
        assert_eq!(uuid_literal("nope", false), None);
    }
}
