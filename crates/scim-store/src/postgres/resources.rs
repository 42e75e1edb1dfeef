//! Reading and writing resources on PostgreSQL (DESIGN §2, §5). Each write
//! is one transaction: the resource row, its membership rows, the audit
//! entry and the outbox events, or nothing at all. Writers of one resource
//! queue on its row (`FOR UPDATE`); uniqueness is the unique indexes', so
//! that nodes racing for one userName or group name cannot both win. The
//! rules of each write come from the backend-neutral modules.

use deadpool_postgres::{GenericClient, Transaction};
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::PgStore;
use super::convert::{from_ms, get, is_foreign_key_violation, now, opt_from_ms, parse_kind, to_ms, unique_violation};
use super::sql::{Param, exec, opt};
use super::{audit, events, group_names, members};
use crate::derive::{COLUMNS, Column, Derived, derive};
use crate::members::MemberDelta;
use crate::writes;
use crate::{
    CreateResource, DeletePolicy, DeleteResource, GroupRef, ResourceKind, Result, StoreError, StoredResource,
    UpdateResource,
};

/// The columns [`stored_from_row`] reads, first in every select list.
pub(crate) const RESOURCE_COLUMNS: &str = "r.id, r.kind, r.version, r.created, r.last_modified, r.doc, r.deleted_at";

/// The unique indexes whose violations are refusals of a name.
const USER_NAME_INDEX: &str = "resources_user_name_live";
const GROUP_NAME_INDEX: &str = "resources_group_name_live";

/// A resource from the columns of [`RESOURCE_COLUMNS`].
pub(crate) fn stored_from_row(row: &Row) -> Result<StoredResource> {
    Ok(StoredResource {
        id: get(row, "id")?,
        kind: parse_kind(&get::<String>(row, "kind")?)?,
        version: get(row, "version")?,
        created: from_ms(get(row, "created")?),
        last_modified: from_ms(get(row, "last_modified")?),
        doc: get(row, "doc")?,
        deleted: opt_from_ms(get(row, "deleted_at")?),
    })
}

/// A derived column's value as a bound parameter.
fn column_param(c: &Column<'_>) -> Param {
    match c {
        Column::Text(v) => Box::new(v.map(str::to_owned)),
        Column::Bool(v) => Box::new(*v),
    }
}

fn uniqueness_error(user_name: Option<&str>) -> StoreError {
    let name = user_name.unwrap_or_default();
    StoreError::Uniqueness(format!("userName \"{name}\" is already taken"))
}

/// A live resource; `lock`: for update, inside a write.
async fn current(
    c: &impl GenericClient,
    tenant: Uuid,
    kind: ResourceKind,
    id: Uuid,
    lock: bool,
) -> Result<Option<StoredResource>> {
    let sql = format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources r \
         WHERE r.id = $1 AND r.tenant = $2 AND r.kind = $3 AND r.deleted_at IS NULL{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    opt(c, &sql, &[&id, &tenant, &kind.as_str()]).await?.as_ref().map(stored_from_row).transpose()
}

/// The statement of [`PgStore::create_user_in_one_statement`], built once:
/// the derived columns' values, then the row's 8, the audit entry's 11 and
/// the events' 5 (their order in that function).
fn create_user_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let first = COLUMNS.len() + 1;
        let (audit_first, events_first) = (first + 8, first + 19);
        let n = |i: usize| format!("${i}");
        let list = |r: std::ops::Range<usize>| r.map(n).collect::<Vec<_>>().join(", ");
        let (f, e) = (|k: usize| n(first + k), |k: usize| n(events_first + k));
        format!(
            "WITH r AS (INSERT INTO resources ({}, id, tenant, kind, version, created, last_modified, doc, password_hash, \
               group_name_key) VALUES ({}, {}, {}, {}, 1, {}, {}, {}, {}, {}) RETURNING tenant), \
             a AS (INSERT INTO audit_log (tenant, at, token, admin_token, subject, remote_addr, method, path, request_id, \
               resource_kind, resource_id, status, detail) SELECT r.tenant, {}, {} FROM r), \
             e AS (INSERT INTO events (tenant, id, event_type, resource_id, at, actor, data) \
               SELECT r.tenant, u.id, u.t, u.r, {}, {}, u.d FROM r, \
               unnest({}::uuid[], {}::text[], {}::uuid[], {}::jsonb[]) WITH ORDINALITY AS u(id, t, r, d, n) \
               ORDER BY u.n) \
             SELECT 1 FROM r",
            COLUMNS.join(", "),
            list(1..first),
            f(0),
            f(1),
            f(2),
            f(3),
            f(4),
            f(5),
            f(6),
            f(7),
            f(3),
            list(audit_first..events_first),
            f(3),
            e(0),
            e(1),
            e(2),
            e(3),
            e(4),
        )
    })
}

impl PgStore {
    /// The refusal of a write a unique index or a foreign key refused, or
    /// the driver error as it is. The transaction is aborted by then, so
    /// a group name's holder is looked up on another connection.
    async fn refusal(&self, e: tokio_postgres::Error, tenant: Uuid, d: &Derived) -> StoreError {
        match unique_violation(&e) {
            Some(USER_NAME_INDEX) => return uniqueness_error(d.user_name.as_deref()),
            Some(GROUP_NAME_INDEX) => {
                let (name, lower) = (d.display.as_deref().unwrap_or(""), d.display_name_lower.as_deref().unwrap_or(""));
                return match self.conn().await {
                    Ok(c) => group_names::violation(&c, tenant, name, lower).await,
                    Err(_) => StoreError::Uniqueness(format!("displayName \"{name}\" is already taken")),
                };
            }
            _ => {}
        }
        if is_foreign_key_violation(&e) { StoreError::NotFound } else { e.into() }
    }

    pub(crate) async fn get_resource_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>> {
        let c = self.conn().await?;
        current(&c, tenant, kind, id, false).await
    }

    pub(crate) async fn get_resource_with_deleted_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>> {
        let c = self.conn().await?;
        let sql =
            format!("SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.id = $1 AND r.tenant = $2 AND r.kind = $3");
        opt(&c, &sql, &[&id, &tenant, &kind.as_str()]).await?.as_ref().map(stored_from_row).transpose()
    }

    /// A user and its groups in one statement: the groups aggregated
    /// beside the row (ids and names in group id order), which costs the
    /// database one statement where a second query would cost two.
    pub(crate) async fn get_user_with_groups_impl(
        &self,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<(StoredResource, Vec<GroupRef>)>> {
        let c = self.conn().await?;
        let sql = format!(
            "SELECT {RESOURCE_COLUMNS}, g.ids, g.names FROM resources r \
             LEFT JOIN LATERAL (SELECT array_agg(m.group_id ORDER BY m.group_id) AS ids, \
                 array_agg(x.display ORDER BY m.group_id) AS names \
               FROM group_members m LEFT JOIN resources x ON x.id = m.group_id \
               WHERE m.tenant = r.tenant AND m.member_id = r.id) g ON true \
             WHERE r.id = $1 AND r.tenant = $2 AND r.kind = 'User' AND r.deleted_at IS NULL"
        );
        let Some(row) = opt(&c, &sql, &[&id, &tenant]).await? else { return Ok(None) };
        let user = stored_from_row(&row)?;
        let ids: Option<Vec<Uuid>> = get(&row, "ids")?;
        let names: Option<Vec<Option<String>>> = get(&row, "names")?;
        let groups = ids
            .unwrap_or_default()
            .into_iter()
            .zip(names.unwrap_or_default())
            .map(|(value, display)| GroupRef { value, display })
            .collect();
        Ok(Some((user, groups)))
    }

    pub(crate) async fn create_resource_impl(&self, w: CreateResource) -> Result<StoredResource> {
        crate::members::check_owner(w.kind, !w.members.is_empty())?;
        let at = now();
        let creation = writes::creation(w.kind, w.doc, at);
        let stored = creation.stored.clone();
        let d = derive(w.kind, &stored.doc);
        let (id, tenant, kind) = (stored.id, w.tenant, w.kind);
        if kind == ResourceKind::User && w.members.is_empty() {
            let record = creation.record(tenant, w.audit, w.password_hash.is_some(), &MemberDelta::default());
            self.create_user_in_one_statement(tenant, &stored, &d, w.password_hash, at, record).await?;
            return Ok(stored);
        }
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let name_key = match kind {
            ResourceKind::Group => {
                group_names::key_for(&tx, tenant, id, d.display.as_deref(), d.display_name_lower.as_deref()).await?
            }
            ResourceKind::User => None,
        };
        let mut params: Vec<Param> = d.values().iter().map(column_param).collect();
        let ms = to_ms(at);
        params.extend::<[Param; 8]>([
            Box::new(id),
            Box::new(tenant),
            Box::new(kind.as_str()),
            Box::new(ms),
            Box::new(ms),
            Box::new(stored.doc.clone()),
            Box::new(w.password_hash.clone()),
            Box::new(name_key),
        ]);
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO resources ({}, id, tenant, kind, version, created, last_modified, doc, password_hash, \
                 group_name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $15, $16, $17)",
                COLUMNS.join(", ")
            ))
            .await?;
        if let Err(e) = tx.execute(&stmt, &refs).await {
            drop(tx);
            return Err(self.refusal(e, tenant, &d).await);
        }
        let mut delta = MemberDelta::default();
        if !w.members.is_empty() {
            members::add(&tx, tenant, id, &w.members, &mut delta).await?;
        }
        record(&tx, tenant, at, creation.record(tenant, w.audit, w.password_hash.is_some(), &delta)).await?;
        tx.commit().await?;
        self.wrote();
        Ok(stored)
    }

    /// A user without members (the identity providers' everyday create)
    /// in one statement: the row, its audit entry and its events inserted
    /// by one `INSERT … RETURNING` and two data-modifying CTEs fed by it,
    /// atomic on its own (no `BEGIN`/`COMMIT`), so one round trip and one
    /// statement for the database where the transaction took five. A
    /// unique violation refuses the whole statement: nothing is written.
    async fn create_user_in_one_statement(
        &self,
        tenant: Uuid,
        stored: &StoredResource,
        d: &Derived,
        password_hash: Option<String>,
        at: OffsetDateTime,
        record: writes::Record,
    ) -> Result<()> {
        let writes::Record { audit, events } = record;
        let actor = crate::events::actor(&audit.context);
        let ms = to_ms(at);
        let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        let resources: Vec<Uuid> = events.iter().map(|e| e.resource_id).collect();
        let mut params: Vec<Param> = d.values().iter().map(column_param).collect();
        params.extend::<[Param; 8]>([
            Box::new(stored.id),
            Box::new(tenant),
            Box::new(ResourceKind::User.as_str()),
            Box::new(ms),
            Box::new(ms),
            Box::new(stored.doc.clone()),
            Box::new(password_hash),
            Box::new(None::<String>),
        ]);
        let ctx = audit.context;
        params.extend::<[Param; 11]>([
            Box::new(ctx.token),
            Box::new(ctx.admin_token),
            Box::new(ctx.subject),
            Box::new(ctx.remote_addr),
            Box::new(ctx.method),
            Box::new(ctx.path),
            Box::new(ctx.request_id),
            Box::new(audit.resource_kind.map(ResourceKind::as_str)),
            Box::new(audit.resource_id),
            Box::new(i32::from(audit.status)),
            Box::new(audit.detail),
        ]);
        let data: Vec<serde_json::Value> = events.into_iter().map(|e| e.data).collect();
        params.extend::<[Param; 5]>([
            Box::new(actor),
            Box::new(ids),
            Box::new(types),
            Box::new(resources),
            Box::new(data),
        ]);
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let c = self.conn().await?;
        let stmt = c.prepare_cached(create_user_sql()).await?;
        if let Err(e) = c.query(&stmt, &refs).await {
            drop(c);
            return Err(self.refusal(e, tenant, d).await);
        }
        self.wrote();
        Ok(())
    }

    pub(crate) async fn update_resource_impl(&self, w: UpdateResource) -> Result<StoredResource> {
        crate::members::check_owner(w.kind, !w.member_changes.is_empty())?;
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let old = current(&tx, w.tenant, w.kind, w.id, true).await?.ok_or(StoreError::NotFound)?;
        writes::check_version(w.expected_version, old.version)?;
        let mut delta = MemberDelta::default();
        for change in &w.member_changes {
            members::apply(&tx, w.tenant, w.id, change, &mut delta).await?;
        }
        let (tenant, id, kind) = (w.tenant, w.id, w.kind);
        let password_hash = w.password_hash.clone();
        let at = now();
        let Some(updated) = writes::updated(&old, w, &delta, at) else {
            return Ok(old);
        };
        if updated.row_changed {
            let (before, after) = (derive(kind, &old.doc), derive(kind, &updated.stored.doc));
            // A group's name is checked when it changes (not its case
            // alone): one that shared its name before the rule keeps it.
            let renamed = kind == ResourceKind::Group && before.display_name_lower != after.display_name_lower;
            let name_key = if renamed {
                let (name, lower) = (after.display.as_deref(), after.display_name_lower.as_deref());
                Some(group_names::key_for(&tx, tenant, id, name, lower).await?)
            } else {
                None
            };
            if let Err(e) =
                write_doc(&tx, id, &updated.stored.doc, &after, name_key.as_ref(), password_hash.as_deref(), at).await
            {
                drop(tx);
                return Err(self.refusal(e, tenant, &after).await);
            }
        } else {
            exec(
                &tx,
                "UPDATE resources SET version = version + 1, last_modified = $1 WHERE id = $2",
                &[&to_ms(at), &id],
            )
            .await?;
        }
        record(&tx, tenant, at, updated.record).await?;
        tx.commit().await?;
        self.wrote();
        Ok(updated.stored)
    }

    pub(crate) async fn delete_resource_impl(&self, w: DeleteResource) -> Result<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let old = current(&tx, w.tenant, w.kind, w.id, true).await?.ok_or(StoreError::NotFound)?;
        writes::check_version(w.expected_version, old.version)?;
        let at = now();
        exec(&tx, "DELETE FROM group_members WHERE tenant = $1 AND group_id = $2", &[&w.tenant, &w.id]).await?;
        let groups = members::remove_from_all_groups(&tx, w.tenant, w.id, at).await?;
        match w.policy {
            DeletePolicy::Soft => {
                exec(
                    &tx,
                    "UPDATE resources SET deleted_at = $1, version = version + 1, last_modified = $1 WHERE id = $2",
                    &[&to_ms(at), &w.id],
                )
                .await?;
            }
            DeletePolicy::Hard => {
                exec(&tx, "DELETE FROM resources WHERE id = $1", &[&w.id]).await?;
            }
        }
        let tenant = w.tenant;
        record(&tx, tenant, at, writes::deleted(&old, w, &groups)).await?;
        tx.commit().await?;
        self.wrote();
        Ok(())
    }
}

/// Writes `doc` and its derived columns into the row `id`, bumping the
/// version (`name_key`: the group's new name key, when its name changed).
/// PostgreSQL writes a new row version whatever changed, so every column
/// is assigned; the driver's error is returned as it is, for
/// [`PgStore::refusal`].
async fn write_doc(
    tx: &Transaction<'_>,
    id: Uuid,
    doc: &serde_json::Value,
    after: &Derived,
    name_key: Option<&Option<String>>,
    password_hash: Option<&str>,
    at: OffsetDateTime,
) -> std::result::Result<(), tokio_postgres::Error> {
    let mut sql = String::from("UPDATE resources SET ");
    let mut params: Vec<Param> = Vec::with_capacity(14);
    for (column, value) in COLUMNS.iter().zip(after.values().iter()) {
        params.push(column_param(value));
        sql.push_str(&format!("{column} = ${}, ", params.len()));
    }
    if let Some(key) = name_key {
        params.push(Box::new(key.clone()));
        sql.push_str(&format!("group_name_key = ${}, ", params.len()));
    }
    let n = params.len();
    sql.push_str(&format!(
        "doc = ${}, password_hash = COALESCE(${}, password_hash), version = version + 1, last_modified = ${} \
         WHERE id = ${}",
        n + 1,
        n + 2,
        n + 3,
        n + 4
    ));
    params.extend::<[Param; 4]>([
        Box::new(doc.clone()),
        Box::new(password_hash.map(str::to_owned)),
        Box::new(to_ms(at)),
        Box::new(id),
    ]);
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
    let stmt = tx.prepare_cached(&sql).await?;
    tx.execute(&stmt, &refs).await.map(drop)
}

/// Writes what a write leaves on record: its audit entry and its events.
async fn record(tx: &Transaction<'_>, tenant: Uuid, at: OffsetDateTime, record: writes::Record) -> Result<()> {
    let actor = crate::events::actor(&record.audit.context);
    // Both at once on the connection (pipelined: one round trip).
    tokio::try_join!(audit::insert(tx, &record.audit, at), events::insert(tx, tenant, at, &actor, record.events))?;
    Ok(())
}
