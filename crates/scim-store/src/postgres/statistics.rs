//! Planner statistics kept fresh by scimd itself.
//!
//! PostgreSQL plans from statistics that autovacuum refreshes after a
//! tenth of a table has changed, and at most once a minute (or never, where
//! autovacuum is off). An identity provider's first sync loads thousands of
//! users and a large group in seconds and then filters on them at once
//! (`groups.value eq …`): planned on the statistics of a nearly empty
//! table, that semi-join became a nested loop over both sides (8 s for
//! 10,000 members, measured; quadratic in the group's size), against 5 ms
//! once analyzed. So each node checks every few seconds (and soon after
//! its own writes) which of the tables lists and deliveries read have
//! changed much since their last analysis, and analyzes those, one node at
//! a time (an advisory lock per schema).

use std::sync::{Arc, Weak};
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::Notify;

use super::convert::at;
use super::sql::all;
use crate::Result;

/// The tables whose plans depend on their size and shape.
const TABLES: [&str; 5] = ["resources", "group_members", "events", "audit_log", "webhook_deliveries"];

/// Stale: more rows changed since the last analysis than this many plus
/// this share of the table (autovacuum's defaults are 50 and 10 %).
const MIN_CHANGED: i64 = 1_000;
const SHARE_CHANGED: f64 = 0.1;

/// How often a node looks, at most and at least: during a bulk load a
/// table is analyzed at most every other second (an analysis samples at
/// most 30,000 rows: tens of milliseconds).
const QUIET: Duration = Duration::from_secs(2);
const EVERY: Duration = Duration::from_secs(5);

const STALE: &str = "SELECT relname::text FROM pg_stat_user_tables \
     WHERE schemaname = current_schema() AND relname = ANY($1) \
     AND n_mod_since_analyze > $2::bigint + $3::float8 * n_live_tup";

const LOCK: &str = "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || '.scimd.analyze'))";

pub(crate) struct Statistics {
    pool: Pool,
    wake: Notify,
}

impl Statistics {
    /// Starts this node's task; it ends when the returned value is dropped.
    pub(crate) fn start(pool: Pool) -> Arc<Self> {
        let me = Arc::new(Statistics { pool, wake: Notify::new() });
        let weak: Weak<Statistics> = Arc::downgrade(&me);
        tokio::spawn(async move {
            loop {
                let Some(me) = weak.upgrade() else { return };
                if let Err(e) = me.refresh().await {
                    tracing::debug!(error = %e, "refreshing planner statistics");
                }
                tokio::time::sleep(QUIET).await;
                let _ = tokio::time::timeout(EVERY - QUIET, me.wake.notified()).await;
            }
        });
        me
    }

    /// After a write: look soon (at most every other second).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Analyzes the stale tables, unless another node is at it.
    async fn refresh(&self) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tables: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
        let stale: Vec<String> = all(&c, STALE, &[&tables, &MIN_CHANGED, &SHARE_CHANGED])
            .await?
            .iter()
            .map(|row| at(row, 0))
            .collect::<Result<_>>()?;
        if stale.is_empty() {
            return Ok(());
        }
        let tx = c.transaction().await?;
        let locked: bool = at(&tx.query_one(LOCK, &[]).await?, 0)?;
        if locked {
            // Names from TABLES only, never input.
            tx.batch_execute(&format!("ANALYZE {}", stale.join(", "))).await?;
            tracing::debug!(tables = ?stale, "analyzed");
        }
        tx.commit().await?;
        Ok(())
    }
}
