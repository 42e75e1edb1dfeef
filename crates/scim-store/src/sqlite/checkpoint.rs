//! WAL checkpoints off the write path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the
//! threshold, on the writer thread: every thousand pages or so one batch of
//! writes waited for pages to be copied into the database file and fsynced
//! (perf: a fifth of the writer's time under PATCH load). A thread of its
//! own does it instead, in `PASSIVE` mode, which never blocks the writer or
//! readers: it copies what no reader still needs and leaves the rest for
//! next time. The writer keeps an automatic checkpoint at a much higher
//! threshold as a backstop, should this thread fall behind.

use std::path::Path;
use std::sync::Weak;
use std::time::Duration;

use super::connection::{self, Readers};
use crate::{Result, StoreError};

/// How often the thread looks for commits not yet checkpointed.
const INTERVAL: Duration = Duration::from_millis(100);

/// The writer's own automatic checkpoint threshold, in pages (64 MiB of
/// WAL with 4 KiB pages): reached only if this thread falls behind.
pub(crate) const BACKSTOP_PAGES: i64 = 1_000;

/// Starts the checkpoint thread. Each round it first has idle readers give
/// back stale snapshots (they would keep the checkpoint from copying what
/// they still see). The thread ends when the store is dropped.
pub(crate) fn start(path: &Path, readers: Weak<Readers>) -> Result<()> {
    let conn = connection::open(path, connection::CHECKPOINT_CACHE_KIB)?;
    std::thread::Builder::new()
        .name("scimd-sqlite-checkpoint".into())
        .spawn(move || {
            let mut checkpointed = 0;
            loop {
                std::thread::sleep(INTERVAL);
                let Some(readers) = readers.upgrade() else { break };
                readers.release_stale();
                let now = readers.commits();
                if now == checkpointed {
                    continue;
                }
                // (busy, frames in the WAL, frames copied): only a complete
                // checkpoint counts; a reader's snapshot may have held part
                // of it back, and the next round copies the rest.
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                });
                match done {
                    Ok((0, log, copied)) if copied >= log => checkpointed = now,
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "WAL checkpoint did not run"),
                }
            }
        })
        .map_err(|e| StoreError::Internal(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(())
}
