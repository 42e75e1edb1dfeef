//! A small time-bounded cache: entries are served for a time to live after
//! they were loaded ([`CACHE_TTL`] unless said otherwise), then loaded
//! again. Changes made through this process's operations drop the entry at
//! once; changes made elsewhere (the CLI on the same file, another node)
//! are seen within the TTL. Bounded: past [`MAX_ENTRIES`] live entries,
//! nothing more is cached (a flood of distinct keys cannot grow it).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long an entry is served without looking at the store again.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// Past this many entries, expired ones are swept on insert.
const SWEEP_AT: usize = 10_000;

/// Entries kept at most.
pub const MAX_ENTRIES: usize = 2 * SWEEP_AT;

pub struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, (Instant, Arc<V>)>>,
    ttl: Duration,
}

impl<K: Hash + Eq, V> Default for TtlCache<K, V> {
    fn default() -> Self {
        Self::with_ttl(CACHE_TTL)
    }
}

impl<K: Hash + Eq, V> TtlCache<K, V> {
    pub fn with_ttl(ttl: Duration) -> Self {
        TtlCache { entries: RwLock::default(), ttl }
    }

    /// A fresh entry. Synchronous, so no lock guard can live across an
    /// `.await` (which would make the request future `!Send`).
    pub fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.entries.read().ok()?;
        let (at, value) = map.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    pub fn insert(&self, key: K, value: Arc<V>) {
        let now = Instant::now();
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= SWEEP_AT {
                map.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
            }
            if map.len() < MAX_ENTRIES {
                map.insert(key, (now, value));
            }
        }
    }

    /// Drops the entries `stale` picks (after a change made here).
    pub fn invalidate(&self, stale: impl Fn(&K, &V) -> bool) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|k, (_, v)| !stale(k, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_until_invalidated() {
        let cache: TtlCache<String, u32> = TtlCache::default();
        assert!(cache.get("a").is_none());
        cache.insert("a".into(), Arc::new(1));
        cache.insert("b".into(), Arc::new(2));
        assert_eq!(cache.get("a").as_deref(), Some(&1));
        cache.invalidate(|_, v| *v == 1);
        assert!(cache.get("a").is_none());
        assert_eq!(cache.get("b").as_deref(), Some(&2));
    }

    #[test]
    fn stays_bounded_under_distinct_keys() {
        let cache: TtlCache<u32, ()> = TtlCache::with_ttl(Duration::from_secs(60));
        for k in 0..(MAX_ENTRIES as u32 + 500) {
            cache.insert(k, Arc::new(()));
        }
        assert_eq!(cache.entries.read().unwrap().len(), MAX_ENTRIES);
        assert!(cache.get(&0).is_some(), "early entries stay");
        assert!(cache.get(&(MAX_ENTRIES as u32 + 1)).is_none(), "late ones are not cached");
    }
}
