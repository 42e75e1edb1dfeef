//! Listing resources on PostgreSQL (RFC 7644 §3.4.2): the plan of
//! [`crate::list`] carried out in SQL — counted, ordered and paged there
//! when the plan allows, else the candidates read in the default order,
//! a batch at a time, and handed to a [`list::Sieve`] (with their
//! membership read ahead when the filter or sort needs it).
//!
//! No count table: on SQLite triggers keep live counts per tenant, which
//! its one writer updates for free; here that row would serialise every
//! writer of a tenant, so an unfiltered total is a `COUNT(*)` over the
//! `resources_created` index (and a short page needs none).

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::PgStore;
use super::members;
use super::resources::{RESOURCE_COLUMNS, stored_from_row};
use super::sql::Sql;
use super::totals::Totals;
use crate::list::{self, Plan, Prefetched, Visibility};
use crate::list_sql;
use crate::pushdown::Part;
use crate::{After, ListPage, ListQuery, ResourceKind, Result, StoredResource};

/// `SELECT {select} FROM resources r WHERE …` ([`list_sql::from_where`]).
/// Planned with its values each run unless an index pins it to a few rows
/// (whose plan is the same whatever the values): see
/// [`Sql::plan_each_run`].
fn base_query(select: &str, tenant: Uuid, kind: ResourceKind, part: &Part, seen: Visibility) -> Sql {
    let mut sql = Sql::new(select);
    list_sql::from_where(&mut sql, tenant, kind, part, seen);
    if !part.pinned {
        sql.plan_each_run();
    }
    sql
}

/// The number of live matches: unfiltered, as [`Totals`] keeps it (or
/// counted and kept); filtered, counted.
async fn count(c: &impl GenericClient, totals: &Totals, tenant: Uuid, kind: ResourceKind, part: &Part) -> Result<u64> {
    let unfiltered = part.cond.is_none();
    if unfiltered && let Some(n) = totals.get(tenant, kind) {
        return Ok(n);
    }
    let generation = totals.generation();
    let n = base_query("SELECT COUNT(*)", tenant, kind, part, Visibility::Live).scalar(c).await?;
    let n = u64::try_from(n).unwrap_or(0);
    if unfiltered {
        totals.keep(tenant, kind, n, generation);
    }
    Ok(n)
}

async fn fetch(c: &impl GenericClient, sql: &Sql) -> Result<Vec<StoredResource>> {
    sql.rows(c).await?.iter().map(stored_from_row).collect()
}

impl PgStore {
    pub(crate) async fn list_resources_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        query: &ListQuery<'_>,
    ) -> Result<ListPage> {
        self.list(tenant, kind, query, Visibility::Live).await
    }

    pub(crate) async fn list_resources_seen_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        seen: Visibility,
        query: &ListQuery<'_>,
    ) -> Result<ListPage> {
        self.list(tenant, kind, query, seen).await
    }

    async fn list(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        query: &ListQuery<'_>,
        seen: Visibility,
    ) -> Result<ListPage> {
        let plan = list::plan(kind, query)?;
        let c = self.conn().await?;
        run(&c, &self.totals, (tenant, kind, seen), query, &plan, self.options.scan_budget).await
    }
}

/// The candidates of a list the evaluator decides, [`list::BATCH`] at a
/// time in the default order (a range of the `resources_created` index
/// each), through a [`list::Sieve`]: the tenant is never in memory at once.
async fn sieve(
    c: &impl GenericClient,
    (tenant, kind, seen): (Uuid, ResourceKind, Visibility),
    query: &ListQuery<'_>,
    part: &Part,
    budget: u64,
) -> Result<ListPage> {
    let mut sieve = list::Sieve::new(kind, query, part, budget)?;
    let mut from = None;
    loop {
        let mut sql = base_query(&format!("SELECT {RESOURCE_COLUMNS}"), tenant, kind, part, seen);
        list_sql::batch(&mut sql, from);
        let batch = fetch(c, &sql).await?;
        let full = batch.len() == list::BATCH;
        from = batch.last().map(After::of);
        let mut membership = Prefetched::default();
        if sieve.needs_membership() {
            let ids: Vec<Uuid> = batch.iter().map(|r| r.id).collect();
            match kind {
                ResourceKind::Group => membership.members = members::members_of(c, tenant, &ids).await?,
                ResourceKind::User => membership.groups = members::groups_of(c, tenant, &ids).await?,
            }
        }
        sieve.feed(batch, &membership)?;
        if !full {
            return Ok(sieve.finish());
        }
    }
}

/// The list: in SQL when the plan allows, else through the evaluator.
async fn run(
    c: &impl GenericClient,
    totals: &Totals,
    (tenant, kind, seen): (Uuid, ResourceKind, Visibility),
    query: &ListQuery<'_>,
    plan: &Plan,
    budget: u64,
) -> Result<ListPage> {
    let part = &plan.part;
    let Some(sort_col) = plan.in_sql else {
        return sieve(c, (tenant, kind, seen), query, part, budget).await;
    };
    let offset = query.start_index.saturating_sub(1);
    if query.count == 0 {
        let total = count(c, totals, tenant, kind, part).await?;
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
    let mut resources = fetch(c, &sql).await?;
    let read = list_sql::finish(&mut resources, query, after.is_some(), seen);
    let groups = if with_groups {
        let ids: Vec<Uuid> = resources.iter().map(|r| r.id).collect();
        Some(members::groups_of(c, tenant, &ids).await?)
    } else {
        None
    };
    let total = match read.total {
        Some(total) => total,
        None => count(c, totals, tenant, kind, part).await?,
    };
    Ok(ListPage { total, resources, more: read.more, groups })
}
