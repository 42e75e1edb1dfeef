//! The scan threads: a fixed pool that runs the reads whose cost grows with
//! the data (pages, filtered counts, member lists, in-memory filtering), so that
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
                // Whoever asked has gone (the request timed out or its
                // client left): the scan would only delay the ones behind.
                if !tx.is_closed() {
                    let _ = tx.send(f());
                }
            }))
            .map_err(|_| StoreError::Internal("the scan threads have stopped".into()))?;
        rx.await.map_err(|_| StoreError::Internal("a scan failed without an answer".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_scan_nobody_waits_for_is_skipped_and_a_panic_keeps_the_thread() {
        let scans = Arc::new(Scans::start(1).unwrap());
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let ran = Arc::new(AtomicUsize::new(0));
        // The only thread is busy until `release`.
        let pool = Arc::clone(&scans);
        let busy = tokio::spawn(async move {
            pool.run(move || {
                blocked.recv().ok();
                Ok(())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A scan queued behind it whose caller gives up.
        let counted = Arc::clone(&ran);
        let abandoned = scans.run(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        assert!(tokio::time::timeout(Duration::from_millis(20), abandoned).await.is_err());
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        let panicking = scans.run(|| -> Result<()> { panic!("a scan panics") }).await;
        assert!(matches!(panicking, Err(StoreError::Internal(_))));
        assert_eq!(scans.run(|| Ok(7)).await.unwrap(), 7, "the thread survived the panic");
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the abandoned scan ran");
    }
}
