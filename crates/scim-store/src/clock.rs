//! The store's clock: instants truncated to the millisecond, the precision
//! SCIM prints, so a stored instant and its printed form compare the same
//! way in SQL and in the evaluator.

use time::OffsetDateTime;

/// Now, truncated to the millisecond.
pub(crate) fn now() -> OffsetDateTime {
    from_ms(to_ms(OffsetDateTime::now_utc()))
}

/// Milliseconds since the Unix epoch (how backends store instants).
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    let ns = t.unix_timestamp_nanos();
    // Milliseconds since the epoch fit an i64 for any year `time` accepts.
    i64::try_from(ns.div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
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
}
