//! Listing resources (RFC 7644 §3.4.2), for every backend: the plan (what
//! SQL can answer exactly, and what only the evaluator can), and the
//! fallback that evaluates candidates in memory.
//!
//! When the compiled filter is exact and the sort key is a column, a
//! backend counts, orders and pages in SQL. Otherwise it reads the
//! candidates (a superset) in the default order and hands them to
//! [`evaluate`]: completed into full documents, checked with the reference
//! evaluator, sorted with `compare_resources` (a stable sort, so ties keep
//! the default order) and paged. The default order is creation time, then
//! id (UUID v7, time-ordered): stable paging, and the keyset that cursors
//! (RFC 9865) resume from.

use std::collections::HashMap;

use scim_core::schema::{ResourceType, SchemaRegistry};
use serde_json::Value;
use uuid::Uuid;

use crate::pushdown::{self, Ctx, Part};
use crate::{GroupRef, ListPage, ListQuery, Member, ResourceKind, Result, StoreError, StoredResource};

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

/// The page of `candidates` (a superset of the matches, in the default
/// order) that `query` asks for: filtered by the evaluator (unless `part`
/// is exact), sorted, after the keyset position, offset and counted.
pub(crate) fn evaluate(
    candidates: Vec<StoredResource>,
    kind: ResourceKind,
    query: &ListQuery<'_>,
    part: &Part,
    membership: &impl Membership,
) -> Result<ListPage> {
    let rt = resource_type(query.schemas, kind)?;
    let derived = kind.derived_attr();
    let needs_derived = query.filter.is_some_and(|f| pushdown::mentions(f, derived))
        || query.sort_by.is_some_and(|p| p.attr.eq_ignore_ascii_case(derived));
    let mut docs: Vec<(StoredResource, Value)> = candidates
        .into_iter()
        .map(|r| {
            let d = r.composed(None);
            (r, d)
        })
        .collect();
    if needs_derived {
        add_derived(kind, &mut docs, membership)?;
    }
    if let Some(f) = query.filter
        && !part.exact
    {
        docs.retain(|(_, d)| scim_core::filter::matches(f, d, query.schemas, rt));
    }
    if let Some(by) = query.sort_by {
        docs.sort_by(|a, b| scim_core::sort::compare_resources(&a.1, &b.1, by, query.sort_order, query.schemas, rt));
    }
    let total = docs.len() as u64;
    if let Some(after) = query.after.filter(|_| query.sort_by.is_none()) {
        // Still in the default order: skip up to the keyset position.
        let key = (after.created, after.id);
        docs.retain(|(r, _)| (r.created, r.id) > key);
    }
    let offset = usize::try_from(query.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
    let count = usize::try_from(query.count).unwrap_or(usize::MAX);
    let more = docs.len().saturating_sub(offset) > count;
    let resources = docs.into_iter().skip(offset).take(count).map(|(r, _)| r).collect();
    Ok(ListPage { total, resources, more, groups: None })
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
