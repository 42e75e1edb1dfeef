//! When a failed delivery is tried again (issue 12): attempt 1 at once,
//! then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h
//! (about three days in all), each delay with ±10 % jitter so that the
//! retries of an outage do not arrive at once; after the tenth attempt the
//! event is dead-lettered. A `Retry-After` (RFC 9110 §10.2.3) on a 429 or
//! 503 replaces the schedule's delay, bounded to [1 s, 24 h].

use std::time::Duration;

use rand::Rng;

/// The delays after the 1st, 2nd, … failed attempt.
pub const SCHEDULE: [Duration; 9] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(20 * 3600),
    Duration::from_secs(24 * 3600),
];

/// Attempts in all before a dead letter.
pub const ATTEMPTS: u32 = SCHEDULE.len() as u32 + 1;

/// An endpoint whose every attempt has failed for this long is disabled.
pub const DISABLE_AFTER_FAILING: time::Duration = time::Duration::days(5);

const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The delay before the next attempt after `attempts_made` attempts
/// failed, or `None` when that was the last (dead letter).
pub fn next_delay(attempts_made: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Option<Duration> {
    if attempts_made == 0 || attempts_made >= ATTEMPTS {
        return None;
    }
    if let Some(after) = retry_after {
        return Some(after.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER));
    }
    let base = SCHEDULE[(attempts_made - 1) as usize];
    let jitter = rng.random_range(0.9..=1.1);
    Some(base.mul_f64(jitter))
}

/// A `Retry-After` value: delay-seconds or an HTTP-date (then counted from
/// `now`; a date in the past is no delay).
pub fn parse_retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(now.unix_timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_has_jitter_and_ends_in_a_dead_letter() {
        let mut rng = rand::rng();
        for (i, base) in SCHEDULE.iter().enumerate() {
            for _ in 0..50 {
                let d = next_delay(i as u32 + 1, None, &mut rng).unwrap();
                assert!(d >= base.mul_f64(0.9) && d <= base.mul_f64(1.1), "{i}: {d:?}");
            }
        }
        assert_eq!(next_delay(ATTEMPTS, None, &mut rng), None);
        assert_eq!(ATTEMPTS, 10);
        let total: Duration = SCHEDULE.iter().sum();
        assert!(total > Duration::from_secs(3 * 86400) && total < Duration::from_secs(4 * 86400), "{total:?}");
        // Jitter spreads the retries of one outage.
        let spread: std::collections::HashSet<u128> =
            (0..20).map(|_| next_delay(2, None, &mut rng).unwrap().as_millis()).collect();
        assert!(spread.len() > 5);
    }

    #[test]
    fn retry_after_replaces_the_delay_within_bounds() {
        let mut rng = rand::rng();
        let d = |s| next_delay(1, Some(Duration::from_secs(s)), &mut rand::rng());
        assert_eq!(d(120), Some(Duration::from_secs(120)));
        assert_eq!(d(0), Some(Duration::from_secs(1)));
        assert_eq!(d(10 * 86400), Some(Duration::from_secs(86400)));
        assert_eq!(next_delay(ATTEMPTS, Some(Duration::from_secs(5)), &mut rng), None, "the last attempt stays last");
        let now = time::macros::datetime!(2026-12-05 10:00:00 UTC);
        assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Sat, 05 Dec 2026 10:01:00 GMT", now), Some(Duration::from_secs(60)));
        assert_eq!(parse_retry_after("Sat, 05 Dec 2026 09:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
