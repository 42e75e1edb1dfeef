//! The scan threads: a fixed pool that runs the reads whose cost grows with
//! the data (pages, counts, member lists, in-memory filtering), so that
//! they never hold one of the runtime's workers.
//!
//! Why not `tokio::task::block_in_place` (the first design): each call hands
//! the worker's place to another thread, so under a stream of scans the
//! process churned through threads (21 for 32 clients of a deep page), each
//! with its own allocator heap: peak RSS went from 61 to 180 MB, and scans
//! ran a third slower. Why not `spawn_blocking`: its pool grows to hundreds
//! of threads, each holding a page cache; a fixed pool is the limit on
//! concurrent scans (32 deep pages at once once took 49 threads and
//! 570 MB). Queued scans wait for a free thread without holding anything.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use crate::{Result, StoreError};

type Job = Box<dyn FnOnce() + Send>;

pub(crate) struct Scans {
    jobs: mpsc::Sender<Job>,
}

impl Scans {
    /// Starts `threads` scan threads. They stop when the `Scans` is dropped
    /// (with the store).
    pub(crate) fn start(threads: usize) -> Result<Scans> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("scimd-scan-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take a job, not to run it.
                        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok(job) = job else { return };
                        // A panicking scan fails its request (its answer is
                        // dropped), not the thread.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .map_err(|e| StoreError::Internal(format!("cannot start a scan thread: {e}")))?;
        }
        Ok(Scans { jobs })
    }

    /// Runs `f` on a scan thread and waits, without blocking, for its result.
    pub(crate) async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| StoreError::Internal("the scan threads have stopped".into()))?;
        rx.await.map_err(|_| StoreError::Internal("a scan failed without an answer".into()))?
    }
}
