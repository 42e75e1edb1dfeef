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
//!
//! Fair between tenants: each scan names its tenant, queued scans are
//! taken round-robin across tenants, and one tenant runs at most
//! `per_owner` scans at once while the pool has more threads than that.
//! Sixteen full scans of one tenant used to take every tenant's plain page
//! from 0.9 ms to 2.7 s; now the other tenants always find a thread.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use uuid::Uuid;

use crate::{Result, StoreError};

type Job = Box<dyn FnOnce() + Send>;

/// The queues: per owner (a tenant; nil for scans of no tenant), and the
/// owners with queued work in turn order.
#[derive(Default)]
struct Queues {
    jobs: HashMap<Uuid, VecDeque<Job>>,
    turns: VecDeque<Uuid>,
    running: HashMap<Uuid, usize>,
    stopped: bool,
}

impl Queues {
    /// The next job whose owner is below `per_owner` running scans, in
    /// turn order; its owner goes to the back of the line.
    fn next(&mut self, per_owner: usize) -> Option<(Uuid, Job)> {
        let at = self.turns.iter().position(|o| self.running.get(o).copied().unwrap_or(0) < per_owner)?;
        let owner = self.turns.remove(at)?;
        let queue = self.jobs.get_mut(&owner)?;
        let job = queue.pop_front()?;
        if queue.is_empty() {
            self.jobs.remove(&owner);
        } else {
            self.turns.push_back(owner);
        }
        *self.running.entry(owner).or_default() += 1;
        Some((owner, job))
    }

    fn done(&mut self, owner: Uuid) {
        if let Some(n) = self.running.get_mut(&owner) {
            *n -= 1;
            if *n == 0 {
                self.running.remove(&owner);
            }
        }
    }
}

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
    per_owner: usize,
}

pub(crate) struct Scans {
    shared: Arc<Shared>,
}

impl Drop for Scans {
    fn drop(&mut self) {
        self.shared.queues.lock().unwrap_or_else(PoisonError::into_inner).stopped = true;
        self.shared.ready.notify_all();
    }
}

impl Scans {
    /// Starts `threads` scan threads, of which one owner may use
    /// `per_owner` at once. They stop when the `Scans` is dropped (with
    /// the store).
    pub(crate) fn start(threads: usize, per_owner: usize) -> Result<Scans> {
        let shared = Arc::new(Shared { queues: Mutex::default(), ready: Condvar::new(), per_owner: per_owner.max(1) });
        for n in 0..threads.max(1) {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("scimd-scan-{n}"))
                .spawn(move || work(&shared))
                .map_err(|e| StoreError::Internal(format!("cannot start a scan thread: {e}")))?;
        }
        Ok(Scans { shared })
    }

    /// Runs `f` for `owner` on a scan thread and waits, without blocking,
    /// for its result.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        owner: Uuid,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // Whoever asked has gone (the request timed out or its
            // client left): the scan would only delay the ones behind.
            if !tx.is_closed() {
                let _ = tx.send(f());
            }
        });
        {
            let mut queues = self.shared.queues.lock().unwrap_or_else(PoisonError::into_inner);
            if queues.stopped {
                return Err(StoreError::Internal("the scan threads have stopped".into()));
            }
            let queue = queues.jobs.entry(owner).or_default();
            queue.push_back(job);
            if queue.len() == 1 {
                queues.turns.push_back(owner);
            }
        }
        self.shared.ready.notify_one();
        rx.await.map_err(|_| StoreError::Internal("a scan failed without an answer".into()))?
    }
}

/// A scan thread: takes the next job it may run, runs it, gives its turn
/// back.
fn work(shared: &Shared) {
    loop {
        let (owner, job) = {
            let mut queues = shared.queues.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if queues.stopped {
                    return;
                }
                if let Some(next) = queues.next(shared.per_owner) {
                    break next;
                }
                queues = shared.ready.wait(queues).unwrap_or_else(PoisonError::into_inner);
            }
        };
        // A panicking scan fails its request (its answer is dropped), not
        // the thread.
        let _ = catch_unwind(AssertUnwindSafe(job));
        shared.queues.lock().unwrap_or_else(PoisonError::into_inner).done(owner);
        // The owner may have work it could not run while at its limit.
        shared.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn a_scan_nobody_waits_for_is_skipped_and_a_panic_keeps_the_thread() {
        let scans = Arc::new(Scans::start(1, 1).unwrap());
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let ran = Arc::new(AtomicUsize::new(0));
        // The only thread is busy until `release`.
        let pool = Arc::clone(&scans);
        let busy = tokio::spawn(async move {
            pool.run(Uuid::nil(), move || {
                blocked.recv().ok();
                Ok(())
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // A scan queued behind it whose caller gives up.
        let counted = Arc::clone(&ran);
        let abandoned = scans.run(Uuid::nil(), move || {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        assert!(tokio::time::timeout(Duration::from_millis(20), abandoned).await.is_err());
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        let panicking = scans.run(Uuid::nil(), || -> Result<()> { panic!("a scan panics") }).await;
        assert!(matches!(panicking, Err(StoreError::Internal(_))));
        assert_eq!(scans.run(Uuid::nil(), || Ok(7)).await.unwrap(), 7, "the thread survived the panic");
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the abandoned scan ran");
    }

    /// One owner's long scans never take every thread: another owner's
    /// scan runs while they do, and owners take turns.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_owner_cannot_take_every_thread() {
        let scans = Arc::new(Scans::start(2, 1).unwrap());
        let (busy, noisy) = (Uuid::now_v7(), Uuid::now_v7());
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let blocked = Arc::new(Mutex::new(blocked));
        let mut long = Vec::new();
        for _ in 0..4 {
            let pool = Arc::clone(&scans);
            let blocked = Arc::clone(&blocked);
            long.push(tokio::spawn(async move {
                pool.run(busy, move || {
                    blocked.lock().unwrap().recv().ok();
                    Ok(())
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The busy owner holds one thread, waiting; the other owner's scan
        // runs on the other thread at once.
        let quick = tokio::time::timeout(Duration::from_secs(5), scans.run(noisy, || Ok(1))).await;
        assert_eq!(quick.expect("the other owner found no thread").unwrap(), 1);
        for _ in 0..4 {
            release.send(()).unwrap();
        }
        for t in long {
            t.await.unwrap().unwrap();
        }
    }
}
