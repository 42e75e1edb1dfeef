//! How much computation a write may take, and where it runs (DESIGN §8).
//! A PATCH of 10,000 operations on a user with 12,000 emails once took
//! 9.7 s of one runtime worker, and two at once stalled even `/healthz`.
//!
//! A write's work is estimated in units before it is computed: for a
//! PATCH, its operations times the largest list of values of the resource
//! (what each operation may examine), plus the values the request carries;
//! for a create or replace, the values the body carries. Past
//! [`Ops::max_work`](super::Ops) it is refused (`400 invalidValue`, naming
//! the limit); past [`OFF_WORKER`] it runs off the runtime's workers
//! (`block_in_place`: the worker's other tasks move to another thread), at
//! most one per CPU at once. Small writes — nearly all — run in place: the
//! hand-off would cost more than they do.

use std::sync::OnceLock;

use serde_json::Value;
use tokio::sync::Semaphore;

/// Units from which a computation leaves the runtime's workers.
pub const OFF_WORKER: u64 = 20_000;

/// The default of the most units one write may take: far above what
/// identity providers send (tens of operations on a few values each).
pub const DEFAULT_MAX_WORK: u64 = 1_000_000;

/// The values held in lists anywhere in `v`, looking `depth` levels down
/// (a body's attributes, an extension's, a PATCH's operations and their
/// values): a cheap measure of how much there is to examine.
pub fn values(v: &Value, depth: u8) -> u64 {
    match v {
        Value::Array(items) => {
            let inner: u64 = if depth == 0 { 0 } else { items.iter().map(|i| values(i, depth - 1)).sum() };
            items.len() as u64 + inner
        }
        Value::Object(map) if depth > 0 => map.values().map(|x| values(x, depth - 1)).sum(),
        _ => 0,
    }
}

/// The longest list of values a stored document holds (its own attributes
/// and its extensions').
pub fn largest_list(doc: &Value) -> u64 {
    let Value::Object(map) = doc else { return 0 };
    map.values()
        .map(|v| match v {
            Value::Array(items) => items.len() as u64,
            Value::Object(ext) => ext.values().filter_map(Value::as_array).map(|a| a.len() as u64).max().unwrap_or(0),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// The units of a PATCH of `operations` on `doc` with request `body`.
pub fn of_patch(operations: usize, doc: &Value, body: &Value) -> u64 {
    (operations as u64).saturating_mul(1 + largest_list(doc)).saturating_add(values(body, 4))
}

/// The units of a create or replace with request `body`.
pub fn of_body(body: &Value) -> u64 {
    values(body, 3)
}

/// Heavy computations running at once, process-wide: one per CPU.
fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from)))
}

/// Runs `f`, of `units` of work: in place when small, else off the
/// runtime's workers once a slot is free.
pub async fn run<T>(units: u64, f: impl FnOnce() -> T) -> T {
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if units < OFF_WORKER || !multi_thread {
        return f();
    }
    // A closed semaphore cannot happen (it is never closed); run anyway.
    let _slot = slots().acquire().await.ok();
    tokio::task::block_in_place(f)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn units_follow_operations_and_values() {
        let doc = json!({"userName": "u", "emails": [1, 2, 3], "urn:x": {"badges": [1, 2, 3, 4, 5]}});
        assert_eq!(largest_list(&doc), 5);
        let body = json!({"Operations": [{"op": "add", "value": [{"value": "a"}, {"value": "b"}]}, {"op": "remove"}]});
        // 2 operations, each up to 6 values to look at, plus 2 + 2 listed.
        assert_eq!(of_patch(2, &doc, &body), 12 + 4);
        assert_eq!(of_body(&json!({"emails": [{}, {}], "urn:x": {"a": [1]}})), 3);
        assert_eq!(values(&json!("x"), 3), 0);
    }

    /// One worker: had the heavy work held it, the other task could not
    /// run before the work ended.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn heavy_work_runs_off_the_worker() {
        let here = std::thread::current().id();
        assert_eq!(run(1, || std::thread::current().id()).await, here, "small work stays");
        // `block_in_place` runs on this thread but hands the worker's tasks
        // to another: the runtime stays responsive meanwhile.
        let ticker = tokio::spawn(async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            std::time::Instant::now()
        });
        let ended = run(OFF_WORKER, || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            std::time::Instant::now()
        })
        .await;
        let ticked = ticker.await.unwrap();
        assert!(ticked < ended, "another task ran while the heavy work did");
    }
}
