//! Token-bucket rate limits (DESIGN §8): each key (a tenant, a source
//! address) has a bucket of `burst` tokens, refilled at `per_second`; a
//! request takes one, and a request that finds the bucket empty is refused
//! (`429` with `Retry-After`) until a token is back. The defaults sit far
//! above any identity provider's sync rate, so only floods meet them.
//!
//! Memory is bounded: a bucket that has refilled is the same as no bucket,
//! so full ones are dropped when the map grows; past [`MAX_KEYS`] keys that
//! are all busy, a new key is refused rather than remembered.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys remembered at most per limiter.
pub const MAX_KEYS: usize = 65_536;

/// A rate: `per_second` tokens a second, up to `burst` at once. A rate of
/// 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub fn new(per_second: u32, burst: u32) -> Rate {
        Rate { per_second: f64::from(per_second), burst: f64::from(burst.max(1)) }
    }

    pub fn is_unlimited(&self) -> bool {
        self.per_second <= 0.0
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// The bucket's tokens at `now`.
    fn level(&self, rate: Rate, now: Instant) -> f64 {
        (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * rate.per_second).min(rate.burst)
    }
}

/// The buckets of one kind of key.
pub struct Limiter<K> {
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> Default for Limiter<K> {
    fn default() -> Self {
        Limiter { buckets: Mutex::default() }
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// Takes a token from `key`'s bucket at `rate`; `Err(wait)` when it is
    /// empty, with how long until a token is back.
    pub fn take(&self, key: &K, rate: Rate, now: Instant) -> Result<(), Duration> {
        if rate.is_unlimited() {
            return Ok(());
        }
        // A poisoned lock only means a panic elsewhere mid-update of one
        // bucket; the map is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tokens = match buckets.get(key) {
            Some(b) => b.level(rate, now),
            None => {
                if buckets.len() >= MAX_KEYS {
                    // Full buckets are as good as none.
                    buckets.retain(|_, b| b.level(rate, now) < rate.burst);
                    if buckets.len() >= MAX_KEYS {
                        return Err(Duration::from_secs(1));
                    }
                }
                rate.burst
            }
        };
        if tokens < 1.0 {
            buckets.insert(key.clone(), Bucket { tokens, at: now });
            return Err(Duration::from_secs_f64((1.0 - tokens) / rate.per_second));
        }
        buckets.insert(key.clone(), Bucket { tokens: tokens - 1.0, at: now });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = Limiter::default();
        let rate = Rate::new(10, 5);
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.take(&"a", rate, t0).unwrap();
        }
        let wait = limiter.take(&"a", rate, t0).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100), "{wait:?}");
        // Other keys have their own bucket.
        limiter.take(&"b", rate, t0).unwrap();
        // A tenth of a second later, one token is back, and only one.
        let t1 = t0 + Duration::from_millis(100);
        limiter.take(&"a", rate, t1).unwrap();
        assert!(limiter.take(&"a", rate, t1).is_err());
        // Idle for long, the bucket is full again, never more than the burst.
        let t2 = t0 + Duration::from_secs(60);
        for _ in 0..5 {
            limiter.take(&"a", rate, t2).unwrap();
        }
        assert!(limiter.take(&"a", rate, t2).is_err());
    }

    #[test]
    fn zero_is_no_limit() {
        let limiter = Limiter::default();
        let t = Instant::now();
        for _ in 0..10_000 {
            limiter.take(&1, Rate::new(0, 0), t).unwrap();
        }
        assert!(limiter.buckets.lock().unwrap().is_empty());
    }

    #[test]
    fn stays_bounded_and_forgets_full_buckets() {
        let limiter = Limiter::default();
        let rate = Rate::new(1, 2);
        let t0 = Instant::now();
        for k in 0..MAX_KEYS {
            limiter.take(&k, rate, t0).unwrap();
        }
        // All busy (each took a token just now): a new key is refused.
        assert!(limiter.take(&MAX_KEYS, rate, t0).is_err());
        // Later, all have refilled: they are forgotten and the new key fits.
        let later = t0 + Duration::from_secs(10);
        limiter.take(&MAX_KEYS, rate, later).unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
