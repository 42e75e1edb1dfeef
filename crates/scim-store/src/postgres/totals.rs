//! Unfiltered live totals, kept for a second.
//!
//! PostgreSQL has no count table (a row per tenant kept by triggers would
//! serialise the tenant's writers), so an unfiltered total is a
//! `COUNT(*)`: tens to hundreds of milliseconds for a tenant of 100,000
//! users. A walk through the tenant by cursor asks for the same total on
//! every page: 490 ms a page, measured. Totals are therefore kept per
//! (tenant, kind) for [`TTL`], and forgotten at once when this node
//! writes; another node's write shows within [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::ResourceKind;

/// How long a total is used.
const TTL: Duration = Duration::from_secs(1);
/// Past this many kept totals, all are dropped (tenants × kinds).
const MAX_KEPT: usize = 10_000;

#[derive(Default)]
pub(crate) struct Totals {
    /// Bumped by every write of this node.
    generation: AtomicU64,
    kept: Mutex<HashMap<(Uuid, ResourceKind), Kept>>,
}

struct Kept {
    n: u64,
    at: Instant,
    generation: u64,
}

impl Totals {
    /// This node wrote: every kept total may be wrong.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// What to pass to [`Self::keep`] for a count started now.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The kept total, if fresh and no write of this node came since.
    pub(crate) fn get(&self, tenant: Uuid, kind: ResourceKind) -> Option<u64> {
        let kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let k = kept.get(&(tenant, kind))?;
        (k.at.elapsed() < TTL && k.generation == self.generation()).then_some(k.n)
    }

    /// Keeps `n`, counted from `generation` on.
    pub(crate) fn keep(&self, tenant: Uuid, kind: ResourceKind, n: u64, generation: u64) {
        let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.insert((tenant, kind), Kept { n, at: Instant::now(), generation });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_is_forgotten_when_this_node_writes_even_one_counted_before() {
        let totals = Totals::default();
        let t = Uuid::now_v7();
        assert_eq!(totals.get(t, ResourceKind::User), None);
        let g = totals.generation();
        totals.keep(t, ResourceKind::User, 7, g);
        assert_eq!(totals.get(t, ResourceKind::User), Some(7));
        assert_eq!(totals.get(t, ResourceKind::Group), None);
        totals.changed();
        assert_eq!(totals.get(t, ResourceKind::User), None);
        // Counted before a write, kept after it: not used.
        let before = totals.generation();
        totals.changed();
        totals.keep(t, ResourceKind::User, 8, before);
        assert_eq!(totals.get(t, ResourceKind::User), None);
    }
}
