//! Numbering events in commit order across nodes (DESIGN §7).
//!
//! PostgreSQL commits transactions concurrently, so neither number can be
//! drawn inside the write: a sequence hands out values at insert, and a
//! reader could see 7 before a late-committing 6 and skip it forever; a
//! counter row locked by the write would serialise every writer of a
//! tenant (or of the whole database, for the global position) for the
//! length of its commit.
//!
//! Instead a write inserts its events without numbers, and a pass, run by
//! whichever node holds the advisory lock [`LOCK`], numbers the committed,
//! unnumbered events in the order they were written (`written`): the
//! tenant's next `seq` and the next global `position`, from
//! `event_counters`, in one statement. A pass only sees committed rows, and
//! passes run one at a time, so a number is visible only once every
//! smaller one is: a reader resuming after n misses nothing. Events of one
//! resource keep their order: its writers queue on its row lock, so the
//! later one commits (and is numbered) after the earlier.
//!
//! A node runs a pass after each of its own commits that wrote events
//! ([`Sequencer::wake`]), every second as a safety net (a node that died
//! between its commit and its pass), and before a feed read
//! ([`Sequencer::catch_up`]). After a pass that numbered anything it
//! bumps the local watch and NOTIFYs the other nodes.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::{Notify, watch};

use super::EVENTS_CHANNEL;
use super::sql::exec;
use crate::Result;

/// The advisory lock of the sequencer: one per schema, so that databases
/// holding several scimd schemas (the tests') do not wait on each other.
/// A node that stops answering mid-pass loses the lock after 10 s.
const LOCK: &str = "SET LOCAL idle_in_transaction_session_timeout = '10s'; \
     SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.scimd.sequencer'))";

/// Events numbered per statement.
const BATCH: i64 = 5_000;

const NUMBER: &str = "WITH batch AS ( \
       SELECT written, tenant, row_number() OVER (ORDER BY written) AS g, \
              row_number() OVER (PARTITION BY tenant ORDER BY written) AS t \
       FROM (SELECT written, tenant FROM events WHERE position IS NULL ORDER BY written LIMIT $1) b \
     ), counts AS ( \
       SELECT tenant, count(*) AS n FROM batch GROUP BY tenant \
       UNION ALL SELECT '00000000-0000-0000-0000-000000000000'::uuid, count(*) FROM batch HAVING count(*) > 0 \
     ), bumped AS ( \
       INSERT INTO event_counters AS c (tenant, last) SELECT tenant, n FROM counts \
       ON CONFLICT (tenant) DO UPDATE SET last = c.last + excluded.last \
       RETURNING c.tenant, c.last \
     ), global AS ( \
       SELECT b.last - n.n AS base FROM bumped b JOIN counts n ON n.tenant = b.tenant \
       WHERE b.tenant = '00000000-0000-0000-0000-000000000000'::uuid \
     ) \
     UPDATE events e SET seq = tb.last - tc.n + b.t, position = global.base + b.g \
     FROM batch b JOIN bumped tb ON tb.tenant = b.tenant JOIN counts tc ON tc.tenant = b.tenant, global \
     WHERE e.written = b.written";

pub(crate) struct Sequencer {
    pool: Pool,
    wake: Arc<Notify>,
    signal: Arc<watch::Sender<u64>>,
}

impl Sequencer {
    /// Starts this node's sequencer task.
    pub(crate) fn start(pool: Pool, signal: Arc<watch::Sender<u64>>) -> Arc<Self> {
        let me = Arc::new(Sequencer { pool, wake: Arc::new(Notify::new()), signal });
        let weak = Arc::downgrade(&me);
        tokio::spawn(async move {
            loop {
                let Some(me) = weak.upgrade() else { return };
                if let Err(e) = me.catch_up().await {
                    tracing::debug!(error = %e, "numbering events");
                }
                let wake = Arc::clone(&me.wake);
                drop(me);
                let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
            }
        });
        me
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Numbers every event committed before the call.
    pub(crate) async fn catch_up(&self) -> Result<()> {
        let mut numbered = 0;
        loop {
            let n = self.pass().await?;
            numbered += n;
            if n < BATCH as u64 {
                break;
            }
        }
        if numbered > 0 {
            self.signal.send_modify(|n| *n += 1);
        }
        Ok(())
    }

    /// One statement's worth, under the lock; how many it numbered.
    async fn pass(&self) -> Result<u64> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.batch_execute(LOCK).await?;
        let n = exec(&tx, NUMBER, &[&BATCH]).await?;
        if n > 0 {
            exec(&tx, &format!("NOTIFY {EVENTS_CHANNEL}"), &[]).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}
