//! bulkId cross-references (RFC 7644 §3.7.2) and the order operations run
//! in, including circular references (§3.7.1).
//!
//! A value `"bulkId:xyz"` anywhere in an operation's `data`, or as the id in
//! its `path`, stands for the id of the resource that the POST with bulkId
//! `xyz` creates. Every operation therefore runs after the POSTs it
//! references; otherwise request order is kept.
//!
//! §3.7.1: the service provider "MUST try to resolve circular
//! cross-references between resources in a single bulk job" and only MAY
//! give up with 409. A cycle can only run through POSTs (only they declare
//! bulkIds), so it is broken the way the RFC's Group A / Group B example
//! needs: one POST of the cycle is created without the values that point
//! into the cycle ([`Step::RunPartial`]), and those values are added by a
//! PATCH once their targets exist ([`Step::Complete`]).

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::parse::clip;
use super::{BULK_ID_PREFIX, BulkMethod, BulkOperation};
use crate::error::ScimError;
use crate::patch::PATCH_OP_URN;

/// One step of a bulk execution plan, see [`execution_order`]. Every
/// operation index appears in exactly one `Run`, `RunPartial` or `Fail`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run operation `index` as sent, after [`resolve_target`] and
    /// [`resolve_bulk_ids`] on its `target` and `data`.
    Run(usize),
    /// Run the POST `index` with `data` instead of its own `data`: the
    /// values that reference POSTs not yet run (a reference cycle) are left
    /// out. Resolve the remaining references as for `Run`. A
    /// [`Step::Complete`] for the same index follows later.
    RunPartial { index: usize, data: Value },
    /// Apply `patch`, a PatchOp request body (RFC 7644 §3.5.2) of `add`
    /// operations, to the resource the POST `index` created, after
    /// [`resolve_bulk_ids`] on it. Skip it when that POST failed; when the
    /// PATCH or the resolution fails, report the failure as operation
    /// `index`'s result (e.g. [`unresolved_bulk_id`]). Its targets have all
    /// run when this step comes.
    Complete { index: usize, patch: Value },
    /// Operation `index` cannot run: report `error` as its result (a bulkId
    /// that no POST in the request declares, or a repeated bulkId).
    Fail { index: usize, error: ScimError },
}

/// The bulkIds an operation references, from its `target` and anywhere in
/// its `data`, each once, in order of appearance.
pub fn references(op: &BulkOperation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(id) = op.target.as_deref().and_then(|t| t.strip_prefix(BULK_ID_PREFIX)) {
        out.push(id.to_owned());
    }
    if let Some(data) = &op.data {
        collect(data, &mut out);
    }
    out
}

fn collect(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX)
                && !out.iter().any(|o| o == id)
            {
                out.push(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect(i, out)),
        _ => {}
    }
}

/// The plan for running `ops` (as [`super::parse_bulk_request`] returns
/// them): every operation comes after the POSTs whose bulkIds it
/// references; among operations that are free to run, the one earliest in
/// the request goes first, so a request without references runs in request
/// order. Reference cycles are broken with [`Step::RunPartial`] +
/// [`Step::Complete`] (RFC 7644 §3.7.1). References to a bulkId that no
/// POST declares give a [`Step::Fail`] for that operation only
/// (`400 invalidValue`), at the place it would have run.
///
/// The server should report results in request order (sort by index):
/// clients match them by position and bulkId.
pub fn execution_order(ops: &[BulkOperation]) -> Vec<Step> {
    let n = ops.len();
    let mut failed: Vec<Option<ScimError>> = vec![None; n];
    // Which operation declares each bulkId: only a POST creates a resource
    // a bulkId can stand for.
    let mut declared: HashMap<&str, usize> = HashMap::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(id) = op.bulk_id.as_deref() else { continue };
        match seen.entry(id) {
            Entry::Vacant(e) => {
                e.insert(i);
                if op.method == BulkMethod::Post {
                    declared.insert(id, i);
                }
            }
            Entry::Occupied(e) => {
                failed[i] = Some(ScimError::invalid_value(format!(
                    "Operations[{}].bulkId \"{}\" is already used by Operations[{}]",
                    op.index,
                    clip(id),
                    ops[*e.get()].index
                )));
            }
        }
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, op) in ops.iter().enumerate() {
        for r in references(op) {
            match declared.get(r.as_str()) {
                Some(&j) if !deps[i].contains(&j) => {
                    deps[i].push(j);
                    dependents[j].push(i);
                }
                Some(_) => {}
                None if failed[i].is_none() => {
                    failed[i] = Some(ScimError::invalid_value(format!(
                        "Operations[{}] references \"{BULK_ID_PREFIX}{}\", but no POST operation in this request has that bulkId",
                        op.index,
                        clip(&r)
                    )));
                }
                None => {}
            }
        }
    }

    let mut plan = Planner {
        ops,
        declared,
        failed,
        waiting: deps.iter().map(Vec::len).collect(),
        dependents,
        done: vec![false; n],
        ready: BinaryHeap::new(),
        completions: Vec::new(),
        steps: Vec::with_capacity(n),
    };
    plan.ready.extend((0..n).filter(|&i| plan.waiting[i] == 0).map(Reverse));
    let mut remaining = n;
    while remaining > 0 {
        if let Some(Reverse(i)) = plan.ready.pop() {
            if !plan.done[i] {
                plan.emit(i, false);
                remaining -= 1;
            }
            continue;
        }
        // Nothing is free to run, so every remaining operation waits on a
        // remaining POST: following the first such wait from the earliest
        // remaining operation must come back on itself. Break that cycle
        // at its earliest operation.
        let Some(start) = (0..n).find(|&i| !plan.done[i]) else { break };
        let cycle = find_cycle(start, &deps, &plan.done);
        let pick = cycle.into_iter().min().unwrap_or(start);
        plan.emit(pick, true);
        remaining -= 1;
    }
    plan.steps
}

/// Follows the first unfinished dependency from `start` until a node
/// repeats; returns the nodes of the loop it closes.
fn find_cycle(start: usize, deps: &[Vec<usize>], done: &[bool]) -> Vec<usize> {
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut path = Vec::new();
    let mut cur = start;
    loop {
        if let Some(&at) = seen.get(&cur) {
            return path.split_off(at);
        }
        seen.insert(cur, path.len());
        path.push(cur);
        match deps[cur].iter().copied().find(|&d| !done[d]) {
            Some(next) => cur = next,
            // Cannot happen in a stall; treat `start` as the cycle.
            None => return vec![start],
        }
    }
}

struct Planner<'a> {
    ops: &'a [BulkOperation],
    declared: HashMap<&'a str, usize>,
    failed: Vec<Option<ScimError>>,
    /// Per operation: how many of its dependencies have not run yet.
    waiting: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    done: Vec<bool>,
    ready: BinaryHeap<Reverse<usize>>,
    /// Deferred PATCHes: (operation, patch body, operations it waits for).
    completions: Vec<(usize, Value, Vec<usize>)>,
    steps: Vec<Step>,
}

impl Planner<'_> {
    /// Adds operation `i` to the plan; `breaking` when it still waits for
    /// POSTs of a cycle.
    fn emit(&mut self, i: usize, breaking: bool) {
        if let Some(error) = self.failed[i].take() {
            self.steps.push(Step::Fail { index: i, error });
        } else if breaking {
            let pending: HashSet<&str> =
                self.declared.iter().filter(|(_, j)| !self.done[**j]).map(|(id, _)| *id).collect();
            let data = self.ops[i].data.clone().unwrap_or(Value::Null);
            let (kept, adds) = defer(&data, &pending);
            let awaited: Vec<usize> = {
                let mut refs = Vec::new();
                adds.iter().for_each(|a| collect(a, &mut refs));
                refs.iter().filter_map(|r| self.declared.get(r.as_str()).copied()).collect()
            };
            if adds.is_empty() {
                // Only reachable with a cycle through `target`, which a
                // POST does not have: nothing to defer.
                self.steps.push(Step::Run(i));
            } else {
                self.steps.push(Step::RunPartial { index: i, data: kept });
                let patch = json!({ "schemas": [PATCH_OP_URN], "Operations": adds });
                self.completions.push((i, patch, awaited));
            }
        } else {
            self.steps.push(Step::Run(i));
        }
        self.done[i] = true;
        for k in 0..self.dependents[i].len() {
            let d = self.dependents[i][k];
            self.waiting[d] = self.waiting[d].saturating_sub(1);
            if self.waiting[d] == 0 && !self.done[d] {
                self.ready.push(Reverse(d));
            }
        }
        // A deferred PATCH goes right after the last POST it waits for.
        let mut k = 0;
        while k < self.completions.len() {
            if self.completions[k].2.iter().all(|&j| self.done[j]) {
                let (index, patch, _) = self.completions.remove(k);
                self.steps.push(Step::Complete { index, patch });
            } else {
                k += 1;
            }
        }
    }
}

/// Splits a POST body into what can be created now and the PATCH `add`
/// operations that set the rest later: values mentioning a `pending` bulkId
/// are taken out. In a multi-valued attribute only the values that mention
/// one move (`members`); any other attribute moves whole (`manager`).
/// Extension attributes are handled one level down, under their URN.
fn defer(data: &Value, pending: &HashSet<&str>) -> (Value, Vec<Value>) {
    let Value::Object(obj) = data else { return (data.clone(), Vec::new()) };
    let mut kept = Map::new();
    let mut adds = Vec::new();
    for (key, value) in obj {
        let is_extension = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        match value {
            Value::Object(ext) if is_extension => {
                let mut inner = Map::new();
                for (k, v) in ext {
                    if let Some(v) = split(&format!("{key}:{k}"), v, pending, &mut adds) {
                        inner.insert(k.clone(), v);
                    }
                }
                if !inner.is_empty() {
                    kept.insert(key.clone(), Value::Object(inner));
                }
            }
            _ => {
                if let Some(v) = split(key, value, pending, &mut adds) {
                    kept.insert(key.clone(), v);
                }
            }
        }
    }
    (Value::Object(kept), adds)
}

/// What of `value` stays in the POST; pushes the `add` for the rest.
fn split(path: &str, value: &Value, pending: &HashSet<&str>, adds: &mut Vec<Value>) -> Option<Value> {
    if !mentions(value, pending) {
        return Some(value.clone());
    }
    match value {
        Value::Array(items) => {
            let (moved, stay): (Vec<Value>, Vec<Value>) = items.iter().cloned().partition(|v| mentions(v, pending));
            adds.push(json!({ "op": "add", "path": path, "value": moved }));
            (!stay.is_empty()).then_some(Value::Array(stay))
        }
        _ => {
            adds.push(json!({ "op": "add", "path": path, "value": value }));
            None
        }
    }
}

fn mentions(v: &Value, pending: &HashSet<&str>) -> bool {
    match v {
        Value::String(s) => s.strip_prefix(BULK_ID_PREFIX).is_some_and(|id| pending.contains(id)),
        Value::Array(items) => items.iter().any(|i| mentions(i, pending)),
        Value::Object(m) => m.values().any(|i| mentions(i, pending)),
        _ => false,
    }
}

/// Replaces every string `"bulkId:xyz"` in `data` with `resolved["xyz"]`,
/// the id the POST with bulkId `xyz` created (RFC 7644 §3.7.2). Returns the
/// first bulkId that has no entry; `data` is then partly rewritten and must
/// not be used (report [`unresolved_bulk_id`] for the operation).
pub fn resolve_bulk_ids(data: &mut Value, resolved: &HashMap<String, String>) -> Result<(), String> {
    match data {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                let real = resolved.get(id).ok_or_else(|| id.to_owned())?;
                *s = real.clone();
            }
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|i| resolve_bulk_ids(i, resolved)),
        Value::Object(m) => m.values_mut().try_for_each(|i| resolve_bulk_ids(i, resolved)),
        _ => Ok(()),
    }
}

/// The real id for an operation's `target`: itself, or the id created for
/// `bulkId:xyz`. `Err` holds the unresolved bulkId.
pub fn resolve_target(target: &str, resolved: &HashMap<String, String>) -> Result<String, String> {
    match target.strip_prefix(BULK_ID_PREFIX) {
        Some(id) => resolved.get(id).cloned().ok_or_else(|| id.to_owned()),
        None => Ok(target.to_owned()),
    }
}

/// The result of an operation whose bulkId reference cannot be resolved
/// while running: the POST that declares it failed or was not run. 409, as
/// RFC 7644 §3.7.1 answers references it cannot resolve.
pub fn unresolved_bulk_id(operation_index: usize, bulk_id: &str) -> ScimError {
    ScimError::new(
        409,
        None,
        format!(
            "Operations[{operation_index}] references \"{BULK_ID_PREFIX}{}\", but the operation with that bulkId did not create a resource",
            clip(bulk_id)
        ),
    )
}
