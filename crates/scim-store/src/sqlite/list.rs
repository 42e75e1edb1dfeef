//! Listing resources on SQLite (RFC 7644 §3.4.2): the plan of
//! [`crate::list`] carried out in SQL — counted, ordered and paged there
//! when the plan allows, else the candidates read in the default order and
//! handed to [`crate::list::evaluate`].

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use super::SqliteStore;
use super::members;
use super::resources::{RESOURCE_COLUMNS, stored_from_row};
use super::sql::Sql;
use crate::list::{self, Membership, Plan, Visibility};
use crate::list_sql;
use crate::pushdown::Part;
use crate::{After, GroupRef, ListPage, ListQuery, Member, ResourceKind, Result, StoredResource};

/// `SELECT {select} FROM resources r WHERE …` ([`list_sql::from_where`]).
fn base_query(select: &str, tenant: Uuid, kind: ResourceKind, part: &Part, seen: Visibility) -> Sql {
    let mut sql = Sql::new(select);
    list_sql::from_where(&mut sql, tenant, kind, part, seen);
    sql
}

/// The number of matches: without a filter, the count the triggers of
/// migration 0003 keep; else `COUNT(*)`.
fn count(c: &Connection, tenant: Uuid, kind: ResourceKind, part: &Part) -> Result<u64> {
    let n = match &part.cond {
        None => {
            let mut stmt = c.prepare_cached("SELECT live FROM resource_counts WHERE tenant = ? AND kind = ?")?;
            stmt.query_row(rusqlite::params![tenant, kind.as_str()], |r| r.get(0)).optional()?.unwrap_or(0)
        }
        Some(_) => base_query("SELECT COUNT(*)", tenant, kind, part, Visibility::Live).scalar(c)?,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

fn fetch(c: &Connection, sql: &Sql) -> Result<Vec<StoredResource>> {
    sql.rows(c, stored_from_row)
}

/// The membership rows of one tenant, on the list's connection (the same
/// snapshot as the candidates).
struct Rows<'c> {
    conn: &'c Connection,
    tenant: Uuid,
}

impl Membership for Rows<'_> {
    fn members_of(&self, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
        members::members_of(self.conn, self.tenant, groups)
    }
    fn groups_of(&self, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
        members::groups_of(self.conn, self.tenant, users)
    }
}

impl SqliteStore {
    /// A list pinned to a few rows by an index runs on this thread like a
    /// point read; any other may walk the tenant and is a [`Self::scan`].
    /// With deleted rows, no index is partial to them and the list is
    /// always a scan.
    pub(crate) async fn list_resources_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        query: &ListQuery<'_>,
        seen: Visibility,
    ) -> Result<ListPage> {
        let plan = list::plan(kind, query)?;
        let budget = self.options.scan_budget;
        if plan.part.pinned && seen == Visibility::Live {
            return self.read(|c| run(c, (tenant, kind, seen), query, &plan, budget));
        }
        // A scan runs on another thread: it takes its own copy of the query.
        let (filter, sort_by, schemas) = (query.filter.cloned(), query.sort_by.cloned(), Arc::clone(query.schemas));
        let (sort_order, start_index, count, after, with_groups) =
            (query.sort_order, query.start_index, query.count, query.after, query.with_groups);
        self.scan(tenant, move |c| {
            let query = ListQuery {
                filter: filter.as_ref(),
                sort_by: sort_by.as_ref(),
                sort_order,
                start_index,
                count,
                after,
                schemas: &schemas,
                with_groups,
            };
            run(c, (tenant, kind, seen), &query, &plan, budget)
        })
        .await
    }
}

/// The candidates of a list the evaluator decides, [`list::BATCH`] at a
/// time in the default order (a range of the `resources_created` index
/// each), through a [`list::Sieve`]: the tenant is never in memory at once.
fn sieve(
    c: &Connection,
    (tenant, kind, seen): (Uuid, ResourceKind, Visibility),
    query: &ListQuery<'_>,
    part: &Part,
    budget: u64,
) -> Result<ListPage> {
    let mut sieve = list::Sieve::new(kind, query, part, budget)?;
    let rows = Rows { conn: c, tenant };
    let mut from = None;
    loop {
        let mut sql = base_query(&format!("SELECT {RESOURCE_COLUMNS}"), tenant, kind, part, seen);
        list_sql::batch(&mut sql, from);
        let batch = fetch(c, &sql)?;
        let full = batch.len() == list::BATCH;
        from = batch.last().map(After::of);
        sieve.feed(batch, &rows)?;
        if !full {
            return Ok(sieve.finish());
        }
    }
}

/// The list, on one read connection: in SQL when the plan allows, else
/// through the evaluator.
fn run(
    c: &Connection,
    (tenant, kind, seen): (Uuid, ResourceKind, Visibility),
    query: &ListQuery<'_>,
    plan: &Plan,
    budget: u64,
) -> Result<ListPage> {
    let part = &plan.part;
    let Some(sort_col) = plan.in_sql else {
        return sieve(c, (tenant, kind, seen), query, part, budget);
    };
    let offset = query.start_index.saturating_sub(1);
    if query.count == 0 {
        let total = count(c, tenant, kind, part)?;
        return Ok(ListPage { total, resources: Vec::new(), more: offset < total, groups: None });
    }
    let with_groups = query.with_groups && kind == ResourceKind::User;
    let mut sql = base_query(&format!("SELECT {RESOURCE_COLUMNS}"), tenant, kind, part, seen);
    let after = query.after.filter(|_| sort_col.is_none());
    if let Some(place) = after {
        list_sql::after(&mut sql, place);
    }
    list_sql::order_by(&mut sql, sort_col, query.sort_order);
    list_sql::page(&mut sql, query);
    let mut resources = fetch(c, &sql)?;
    let read = list_sql::finish(&mut resources, query, after.is_some(), seen);
    let groups = if with_groups {
        let ids: Vec<Uuid> = resources.iter().map(|r| r.id).collect();
        Some(members::groups_of(c, tenant, &ids)?)
    } else {
        None
    };
    let total = match read.total {
        Some(total) => total,
        None => count(c, tenant, kind, part)?,
    };
    Ok(ListPage { total, resources, more: read.more, groups })
}
