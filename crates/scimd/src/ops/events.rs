//! The event feed (issue 12, DESIGN §7): a tenant's events in their
//! per-tenant order (the cursor is a sequence number), or every tenant's in
//! commit order (the cursor is a global position), filtered by type, with
//! a long poll that answers as soon as a matching event commits.
//!
//! A cursor is the place of the last event a reader has seen. Readers never
//! miss an event that committed late: both orders are commit orders
//! (scim-store `sqlite/events.rs`). Below the horizon retention has deleted
//! events, so a cursor there is refused with the oldest one to resume from.

use std::time::Duration;

use scim_store::{EventRecord, EventType, Tenant};
use tokio::time::Instant;

use super::Ops;
use super::error::OpResult;

/// At most this many events are examined per read (a `types` filter may
/// match few of them): the cursor moves past what was examined, so a
/// reader of a rare type pages through quickly and every read costs the
/// same.
const SCAN_WINDOW: usize = 10_000;
/// Rows read from the store at once.
const BATCH: u32 = 1_000;
/// A waiting reader looks again this often even without a commit of this
/// process (a commit of the CLI or another node is not signalled).
const POLL: Duration = Duration::from_millis(100);

/// The longest `wait` a reader may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// The most events per read.
pub const MAX_LIMIT: u32 = 1_000;

/// Which feed.
#[derive(Debug, Clone, Copy)]
pub enum FeedScope<'a> {
    Tenant(&'a Tenant),
    All,
}

/// A read of the feed.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    /// The cursor to resume after; `None` starts at the oldest retained
    /// event.
    pub after: Option<i64>,
    pub limit: u32,
    /// Only these types; empty for every type.
    pub types: Vec<EventType>,
    /// How long to wait for a first matching event when there is none yet.
    pub wait: Duration,
}

/// What a read returns.
#[derive(Debug)]
pub enum FeedRead {
    Page {
        events: Vec<EventRecord>,
        /// Where to resume: past every event returned and examined.
        next_cursor: i64,
    },
    /// `after` is below the horizon: events after it were deleted by
    /// retention. Resume from `oldest_cursor` (having missed some).
    Gone { oldest_cursor: i64 },
}

impl FeedScope<'_> {
    fn key(&self, e: &EventRecord) -> i64 {
        match self {
            FeedScope::Tenant(_) => e.seq,
            FeedScope::All => e.position,
        }
    }
}

impl Ops {
    /// Reads the feed: the events after the cursor that match, at most
    /// `limit`; when none is there yet, waits up to `wait` for one.
    pub async fn read_feed(&self, scope: FeedScope<'_>, q: &FeedQuery) -> OpResult<FeedRead> {
        let tenant = match scope {
            FeedScope::Tenant(t) => Some(t.id),
            FeedScope::All => None,
        };
        let mut after = match q.after {
            Some(after) => {
                let horizon = self.store.event_horizon(tenant).await?;
                if after < horizon {
                    return Ok(FeedRead::Gone { oldest_cursor: horizon });
                }
                after
            }
            None => 0,
        };
        let deadline = Instant::now() + q.wait.min(MAX_WAIT);
        let mut commits = self.store.commits();
        loop {
            commits.borrow_and_update();
            let (events, next_cursor) = self.scan_feed(scope, after, q).await?;
            if !events.is_empty() || Instant::now() >= deadline {
                return Ok(FeedRead::Page { events, next_cursor });
            }
            after = next_cursor;
            let nap = POLL.min(deadline.saturating_duration_since(Instant::now()));
            tokio::select! {
                _ = commits.changed() => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    /// A tenant's newest `limit` events, newest first: where a live tail
    /// starts.
    pub async fn latest_events(&self, tenant: &Tenant, limit: u32) -> OpResult<Vec<EventRecord>> {
        Ok(self.store.latest_events(tenant.id, limit.min(MAX_LIMIT)).await?)
    }

    /// One read without waiting: the matches after `after` (at most
    /// `q.limit`, within [`SCAN_WINDOW`] events examined) and the cursor
    /// past them.
    async fn scan_feed(
        &self,
        scope: FeedScope<'_>,
        mut after: i64,
        q: &FeedQuery,
    ) -> OpResult<(Vec<EventRecord>, i64)> {
        let mut out = Vec::new();
        let mut examined = 0;
        // Without a filter every row read is returned: read no more.
        let batch_size = if q.types.is_empty() { q.limit.min(BATCH) } else { BATCH };
        while examined < SCAN_WINDOW {
            let batch = match scope {
                FeedScope::Tenant(t) => self.store.list_events(t.id, after, batch_size).await?,
                FeedScope::All => self.store.list_all_events(after, batch_size).await?,
            };
            let full = batch.len() == batch_size as usize;
            for e in batch {
                examined += 1;
                after = scope.key(&e);
                if q.types.is_empty() || q.types.contains(&e.event_type) {
                    out.push(e);
                    if out.len() == q.limit as usize {
                        return Ok((out, after));
                    }
                }
            }
            if !full {
                break;
            }
        }
        Ok((out, after))
    }

    /// Deletes events older than `keep`, in batches; how many.
    pub async fn prune_events(&self, keep: Duration) -> OpResult<u64> {
        const PRUNE_BATCH: u32 = 2_000;
        let before = time::OffsetDateTime::now_utc() - keep;
        let mut total = 0;
        loop {
            let n = self.store.prune_events(before, PRUNE_BATCH).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }
}
