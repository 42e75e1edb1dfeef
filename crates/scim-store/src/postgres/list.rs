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
use scim_core::sort::SortOrder;
use uuid::Uuid;

use super::PgStore;
use super::convert::to_ms;
use super::members;
use super::resources::{RESOURCE_COLUMNS, stored_from_row};
use super::sql::Sql;
use crate::list::{self, Plan, Prefetched, Visibility};
use crate::pushdown::Part;
use crate::{ListPage, ListQuery, ResourceKind, Result, StoredResource};

/// `SELECT … FROM resources r WHERE <tenant, kind, live> AND <cond>`. The
/// kind is spelled as a literal so the planner can use the partial indexes.
fn base_query(select: &str, tenant: Uuid, kind: ResourceKind, part: &Part, seen: Visibility) -> Sql {
    let mut sql = Sql::new(select);
    sql.push(" FROM resources r WHERE r.tenant = ").bind_id(tenant);
    sql.push(&format!(" AND r.kind = '{}'", kind.as_str()));
    if seen == Visibility::Live {
        sql.push(" AND r.deleted_at IS NULL");
    }
    if let Some(cond) = &part.cond {
        sql.push(" AND ");
        cond.render(&mut sql);
    }
    sql
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn count(c: &impl GenericClient, tenant: Uuid, kind: ResourceKind, part: &Part) -> Result<u64> {
    let n = base_query("SELECT COUNT(*)", tenant, kind, part, Visibility::Live).scalar(c).await?;
    Ok(u64::try_from(n).unwrap_or(0))
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

    pub(crate) async fn list_resources_with_deleted_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        query: &ListQuery<'_>,
    ) -> Result<ListPage> {
        self.list(tenant, kind, query, Visibility::WithDeleted).await
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
        run(&c, (tenant, kind, seen), query, &plan, self.options.scan_budget).await
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
        if let Some((created, id)) = from {
            sql.push(" AND (r.created, r.id) > (").bind(created).push(", ").bind_id(id).push(")");
        }
        sql.push(&format!(" ORDER BY r.created, r.id LIMIT {}", list::BATCH));
        let batch = fetch(c, &sql).await?;
        let full = batch.len() == list::BATCH;
        from = batch.last().map(|r| (to_ms(r.created), r.id));
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
        let total = count(c, tenant, kind, part).await?;
        return Ok(ListPage { total, resources: Vec::new(), more: offset < total, groups: None });
    }
    let with_groups = query.with_groups && kind == ResourceKind::User;
    let mut sql = base_query(&format!("SELECT {RESOURCE_COLUMNS}"), tenant, kind, part, seen);
    let after = query.after.filter(|_| sort_col.is_none());
    if let Some(after) = after {
        // A range of the `resources_created` index.
        sql.push(" AND (r.created, r.id) > (").bind(to_ms(after.created)).push(", ").bind_id(after.id).push(")");
    }
    match sort_col {
        None => sql.push(" ORDER BY r.created, r.id"),
        Some(col) => {
            let dir = if query.sort_order == SortOrder::Descending { "DESC" } else { "ASC" };
            if matches!(col, "r.id" | "r.created" | "r.last_modified") {
                // Never empty: no `nullif` (which would compare with text).
                sql.push(&format!(" ORDER BY {col} {dir}, r.created, r.id"))
            } else {
                // Resources without a value (RFC 7643 §2.5: "" is none)
                // sort last in either order.
                sql.push(&format!(" ORDER BY nullif({col}, '') IS NULL, nullif({col}, '') {dir}, r.created, r.id"))
            }
        }
    };
    // One row more than asked tells whether another page follows.
    sql.push(" LIMIT ").bind(clamp(query.count.saturating_add(1))).push(" OFFSET ").bind(clamp(offset));
    let mut resources = fetch(c, &sql).await?;
    let more = resources.len() as u64 > query.count;
    resources.truncate(usize::try_from(query.count).unwrap_or(usize::MAX));
    let groups = if with_groups {
        let ids: Vec<Uuid> = resources.iter().map(|r| r.id).collect();
        Some(members::groups_of(c, tenant, &ids).await?)
    } else {
        None
    };
    // A short first page (or one past the end) tells the total without
    // counting; after a keyset position, what came before is unknown.
    let short = !more && (!resources.is_empty() || offset == 0) && after.is_none();
    let total = match seen {
        Visibility::WithDeleted => 0,
        Visibility::Live if short => offset + resources.len() as u64,
        Visibility::Live => count(c, tenant, kind, part).await?,
    };
    Ok(ListPage { total, resources, more, groups })
}
