//! The single writer with group commit (DESIGN §3).
//!
//! One thread owns the write connection. A write is a closure sent to it;
//! the thread takes every write waiting at that moment (up to
//! [`MAX_BATCH`]), runs them in one `BEGIN IMMEDIATE` transaction, each
//! inside its own `SAVEPOINT` so that a write that fails rolls back alone,
//! commits once, and only then answers each caller. A write is therefore
//! still all-or-nothing and acknowledged only when durable, while the cost
//! of a commit (and of writing shared index pages to the WAL) is paid once
//! per batch instead of once per request. With one write waiting, a batch
//! is that one write: nothing waits for a batch to fill.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::connection::Readers;
use crate::{Result, StoreError};

/// Writes per transaction at most: bounds the time a caller waits behind
/// others and the size of the transaction.
const MAX_BATCH: usize = 256;

/// Writes queued before senders wait.
const QUEUE: usize = 4096;

/// A write waiting for the writer thread.
trait Job: Send {
    /// Runs the write inside its savepoint; true when it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the transaction has ended: `committed` is
    /// the transaction's failure, if any.
    fn finish(self: Box<Self>, committed: std::result::Result<(), &Failure>);
}

/// Why a batch's transaction did not commit.
#[derive(Debug)]
struct Failure {
    why: String,
    /// The database stayed locked by another process past the busy timeout:
    /// worth a retry ([`StoreError::Busy`], HTTP 503).
    busy: bool,
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        let busy = e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy);
        Failure { why: e.to_string(), busy }
    }
}

impl Failure {
    fn to_error(&self, what: &str) -> StoreError {
        if self.busy {
            StoreError::Busy(self.why.clone())
        } else {
            StoreError::Internal(format!("{what}: {}", self.why))
        }
    }
}

struct Typed<T, F> {
    work: Option<F>,
    outcome: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for Typed<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else { return false };
        let outcome = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Internal("a write panicked; it was rolled back".into())));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, committed: std::result::Result<(), &Failure>) {
        let answer = match (self.outcome, committed) {
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)), Err(f)) => Err(f.to_error("the transaction did not commit")),
            (Some(Err(e)), _) => Err(e),
            // The batch failed before this write ran (BEGIN found the
            // database locked, or an earlier savepoint failed).
            (None, Err(f)) => Err(f.to_error("the write did not run")),
            (None, Ok(())) => Err(StoreError::Internal("the write did not run".into())),
        };
        // The caller may have gone away (client disconnected): the write
        // stands, nobody is told.
        let _ = self.reply.send(answer);
    }
}

/// The handle through which writes reach the writer thread. Dropping the
/// last handle ends the thread once the queue is drained.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer thread on `conn`. `commits` counts the
    /// transactions committed, bumped after each commit and before any
    /// caller hears of it (readers compare it with their snapshot). Savepoint journals are kept in
    /// memory (a temporary file per batch showed in perf), and the
    /// automatic checkpoint is only a backstop (see `checkpoint.rs`).
    /// `synchronous = FULL`: each COMMIT fsyncs the WAL, so an answered
    /// write survives a power cut, not only a crash; group commit pays that
    /// once per batch.
    pub(crate) fn start(
        conn: Connection,
        commits: Arc<AtomicU64>,
        signal: tokio::sync::watch::Sender<u64>,
        readers: Weak<Readers>,
    ) -> Result<Self> {
        conn.execute_batch("PRAGMA temp_store = MEMORY; PRAGMA synchronous = FULL")?;
        conn.pragma_update(None, "wal_autocheckpoint", super::checkpoint::BACKSTOP_PAGES)?;
        // After a burst the WAL file is cut back to this size when it restarts.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        let (jobs, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("scimd-sqlite-writer".into())
            .spawn(move || run(conn, rx, &commits, &signal, &readers))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { jobs })
    }

    /// Runs `work` in a write transaction (shared with other writes, see
    /// the module comment) and returns its result once committed. An error
    /// from `work` rolls back everything `work` wrote, and only that.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Typed { work: Some(work), outcome: None, reply });
        self.jobs.send(job).await.map_err(|_| StoreError::Internal("the writer thread has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Internal("the writer thread has stopped".into()))?
    }
}

fn run(
    conn: Connection,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    commits: &AtomicU64,
    signal: &tokio::sync::watch::Sender<u64>,
    readers: &Weak<Readers>,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Idle readers let go of their snapshots first: SQLite can start the
        // WAL over only when no reader holds a place in it (with readers
        // holding snapshots, it grew by 15 MB/s under POST load).
        if let Some(readers) = readers.upgrade() {
            readers.release_idle();
        }
        let started = std::time::Instant::now();
        let changes_before = conn.total_changes();
        let committed = run_batch(&conn, &mut batch);
        // Seen by operators on `/metrics` (scimd installs the recorder; a
        // no-op without one).
        metrics::histogram!("scimd_store_write_batch_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("scimd_store_write_batch_jobs").record(batch.len() as f64);
        if committed.is_ok() {
            commits.fetch_add(1, Ordering::Release);
        } else if !conn.is_autocommit() {
            // A ROLLBACK that failed (I/O error, out of memory) would leave
            // the transaction open and every later BEGIN failing.
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "the write connection is stuck in a transaction");
            }
        }
        if let Err(f) = &committed {
            tracing::warn!(error = %f.why, writes = batch.len(), "a write batch did not commit");
        }
        let committed = committed.as_ref().map(|_| ());
        for job in batch.drain(..) {
            job.finish(committed);
        }
        if committed.is_ok() && conn.total_changes() != changes_before {
            // After the callers: a woken feed reader finds the write's rows.
            // Not for a batch that changed nothing (a delivery worker's
            // empty claim would wake itself again and again).
            signal.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Runs one batch in one transaction; the transaction's failure, if any.
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> std::result::Result<(), Failure> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let rollback = |e: rusqlite::Error| {
        let _ = conn.execute_batch("ROLLBACK");
        Failure::from(e)
    };
    for job in batch.iter_mut() {
        conn.prepare_cached("SAVEPOINT write").and_then(|mut s| s.execute([])).map_err(rollback)?;
        let end = if job.run(conn) {
            conn.prepare_cached("RELEASE write").and_then(|mut s| s.execute([])).map(drop)
        } else {
            conn.execute_batch("ROLLBACK TO write; RELEASE write")
        };
        end.map_err(rollback)?;
    }
    conn.execute_batch("COMMIT").map_err(rollback)
}
