//! Listing resources (RFC 7644 §3.4.2), for every backend: the plan (what
//! SQL can answer exactly, and what only the evaluator can), and the
//! fallback that evaluates candidates in memory.
//!
//! When the compiled filter is exact and the sort key is a column, a
//! backend counts, orders and pages in SQL. Otherwise it reads the
//! candidates (a superset) in the default order, [`BATCH`] at a time, and
//! hands them to a [`Sieve`]: completed into full documents, checked with
//! the reference evaluator, sorted with `compare_resources` (stable, so
//! ties keep the default order), keeping only the page. The default order is creation time, then
//! id (UUID v7, time-ordered): stable paging, and the keyset that cursors
//! (RFC 9865) resume from.

use std::cmp::Ordering;
use std::collections::HashMap;

use scim_core::schema::{ResourceType, SchemaRegistry};
use scim_core::{ScimError, ScimType};
use serde_json::Value;
use uuid::Uuid;

use crate::pushdown::{self, Ctx, Part};
use crate::{GroupRef, ListPage, ListQuery, Member, ResourceKind, Result, StoreError, StoredResource};

pub(crate) use crate::model::Visibility;

/// How a list is served.
pub(crate) struct Plan {
    /// The pushed-down condition.
    pub part: Part,
    /// `Some(sort)` when SQL answers the whole list (filter exact, order a
    /// column: `None` for the default order); `None` when the evaluator
    /// must decide.
    pub in_sql: Option<Option<&'static str>>,
}

/// The resource type of `kind` in a tenant's schemas.
pub(crate) fn resource_type(schemas: &SchemaRegistry, kind: ResourceKind) -> Result<&ResourceType> {
    schemas
        .resource_type(kind.as_str())
        .ok_or_else(|| StoreError::Config(format!("no resource type {} in the tenant's schemas", kind.as_str())))
}

/// Plans a list of `kind`.
pub(crate) fn plan(kind: ResourceKind, query: &ListQuery<'_>) -> Result<Plan> {
    let rt = resource_type(query.schemas, kind)?;
    let ctx = Ctx { schemas: query.schemas, rt, kind };
    let part = match query.filter {
        Some(f) => pushdown::compile(f, &ctx),
        None => Part { cond: None, exact: true, pinned: false },
    };
    let sort = match query.sort_by {
        None => Some(None),
        Some(path) => pushdown::sort_column(path, &ctx).map(Some),
    };
    let in_sql = if part.exact { sort } else { None };
    Ok(Plan { part, in_sql })
}

/// Where the evaluator gets the derived attributes a filter or sort may
/// name (a Group's `members`, a User's `groups`): the backend's membership
/// rows, read in the same snapshot as the candidates.
pub(crate) trait Membership {
    fn members_of(&self, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>>;
    fn groups_of(&self, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>>;
}

/// Membership read ahead for one batch (see [`Sieve::needs_membership`]).
#[derive(Default)]
pub(crate) struct Prefetched {
    pub members: HashMap<Uuid, Vec<Member>>,
    pub groups: HashMap<Uuid, Vec<GroupRef>>,
}

impl Membership for Prefetched {
    fn members_of(&self, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
        Ok(groups.iter().filter_map(|g| self.members.get(g).map(|m| (*g, m.clone()))).collect())
    }
    fn groups_of(&self, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
        Ok(users.iter().filter_map(|u| self.groups.get(u).map(|g| (*u, g.clone()))).collect())
    }
}

/// Candidates a backend reads and hands to a [`Sieve`] at a time: enough
/// to keep the statements few, few enough that their documents take little
/// memory.
pub(crate) const BATCH: usize = 256;

/// The evaluator's side of a list that SQL cannot answer alone. A backend
/// feeds it the candidates (a superset of the matches, in the default
/// order) batch by batch; it checks each with the reference evaluator,
/// counts every match (`totalResults`) and keeps only what the page needs:
/// at most `offset + count + 1` resources, never the tenant. A list that
/// would examine more than the budget is refused with `400 tooMany`
/// (RFC 7644 §3.12) rather than run on.
pub(crate) struct Sieve<'q> {
    query: &'q ListQuery<'q>,
    kind: ResourceKind,
    rt: &'q ResourceType,
    /// The pushed-down condition already decides (only sorting is left).
    exact: bool,
    needs_derived: bool,
    budget: u64,
    examined: u64,
    total: u64,
    /// Matches the page may show, with their documents when sorting.
    kept: Vec<(StoredResource, Option<Value>)>,
    /// Matches after the keyset position, skipped for the offset so far
    /// (default order only).
    skipped: u64,
    keep: usize,
}

impl<'q> Sieve<'q> {
    pub(crate) fn new(kind: ResourceKind, query: &'q ListQuery<'q>, part: &Part, budget: u64) -> Result<Self> {
        let rt = resource_type(query.schemas, kind)?;
        let derived = kind.derived_attr();
        let needs_derived = query.filter.is_some_and(|f| pushdown::mentions(f, derived))
            || query.sort_by.is_some_and(|p| p.attr.eq_ignore_ascii_case(derived));
        let offset = usize::try_from(query.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
        let count = usize::try_from(query.count).unwrap_or(usize::MAX);
        // With a sort, the best `offset + count` of all (and one more, to
        // know whether another page follows); without, `count + 1` after
        // the offset.
        let keep = match query.sort_by {
            Some(_) => offset.saturating_add(count).saturating_add(1),
            None => count.saturating_add(1),
        };
        Ok(Sieve {
            query,
            kind,
            rt,
            exact: part.exact,
            needs_derived,
            budget,
            examined: 0,
            total: 0,
            kept: Vec::new(),
            skipped: 0,
            keep,
        })
    }

    /// Whether the evaluator needs the candidates' membership (a filter or
    /// sort on `members` or `groups`): a backend that cannot answer
    /// [`Membership`] synchronously reads it for each batch first.
    pub(crate) fn needs_membership(&self) -> bool {
        self.needs_derived
    }

    /// Takes the next candidates, in the default order.
    pub(crate) fn feed(&mut self, batch: Vec<StoredResource>, membership: &impl Membership) -> Result<()> {
        self.examined += batch.len() as u64;
        if self.examined > self.budget {
            return Err(ScimError::bad_request(
                ScimType::TooMany,
                format!(
                    "the filter would examine more than {} resources: narrow it with an indexed attribute \
                     (id, externalId, userName, displayName, emails, active, meta.created, meta.lastModified, \
                     members, groups)",
                    self.budget
                ),
            )
            .into());
        }
        let q = self.query;
        let mut docs: Vec<(StoredResource, Value)> = batch
            .into_iter()
            .map(|r| {
                let d = r.composed(None);
                (r, d)
            })
            .collect();
        if self.needs_derived {
            add_derived(self.kind, &mut docs, membership)?;
        }
        let offset = q.start_index.saturating_sub(1);
        let after = q.after.filter(|_| q.sort_by.is_none()).map(|a| (a.created, a.id));
        for (r, doc) in docs {
            if let Some(f) = q.filter
                && !self.exact
                && !scim_core::filter::matches(f, &doc, q.schemas, self.rt)
            {
                continue;
            }
            self.total += 1;
            match q.sort_by {
                Some(by) => {
                    // Sorted insertion after equals keeps the default order
                    // among ties (a stable sort); the worst fall off.
                    let at = self.kept.partition_point(|(_, d)| {
                        let d = d.as_ref().unwrap_or(&Value::Null);
                        scim_core::sort::compare_resources(d, &doc, by, q.sort_order, q.schemas, self.rt)
                            != Ordering::Greater
                    });
                    if at < self.keep {
                        self.kept.insert(at, (r, Some(doc)));
                        self.kept.truncate(self.keep);
                    }
                }
                None => {
                    if after.is_some_and(|key| (r.created, r.id) <= key) {
                        continue;
                    }
                    if self.skipped < offset {
                        self.skipped += 1;
                    } else if self.kept.len() < self.keep {
                        self.kept.push((r, None));
                    }
                }
            }
        }
        Ok(())
    }

    /// The page.
    pub(crate) fn finish(self) -> ListPage {
        let q = self.query;
        let count = usize::try_from(q.count).unwrap_or(usize::MAX);
        let kept = self.kept.into_iter().map(|(r, _)| r);
        let page: Vec<StoredResource> = match q.sort_by {
            Some(_) => kept.skip(usize::try_from(q.start_index.saturating_sub(1)).unwrap_or(usize::MAX)).collect(),
            None => kept.collect(),
        };
        let more = page.len() > count;
        let resources = page.into_iter().take(count).collect();
        ListPage { total: self.total, resources, more, groups: None }
    }
}

/// Adds `members` (Groups) or `groups` (Users) to the documents, for
/// filters on them that SQL could not answer.
fn add_derived(kind: ResourceKind, docs: &mut [(StoredResource, Value)], membership: &impl Membership) -> Result<()> {
    let ids: Vec<Uuid> = docs.iter().map(|(r, _)| r.id).collect();
    let mut values: HashMap<Uuid, Vec<Value>> = match kind {
        ResourceKind::Group => membership
            .members_of(&ids)?
            .into_iter()
            .map(|(g, list)| (g, list.iter().map(|m| m.to_value(None)).collect()))
            .collect(),
        ResourceKind::User => membership
            .groups_of(&ids)?
            .into_iter()
            .map(|(u, list)| (u, list.iter().map(|g| g.to_value(None)).collect()))
            .collect(),
    };
    for (r, doc) in docs.iter_mut() {
        if let (Some(list), Value::Object(map)) = (values.remove(&r.id), doc)
            && !list.is_empty()
        {
            map.insert(kind.derived_attr().into(), Value::Array(list));
        }
    }
    Ok(())
}
