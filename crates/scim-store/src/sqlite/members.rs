//! Group membership (DESIGN §3): `group_members` rows, changed one member
//! at a time by primary-key statements so that adding a member to a group of
//! 100,000 costs what it costs for a group of 10; the batched reads of
//! members and groups for a page of resources.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::patch::MemberChange;
use scim_core::schema::{AttributeDef, GROUP_URN, SchemaRegistry};
use serde_json::{Map, Value, json};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{parse_kind, to_ms, uuid_literal};
use super::events::NewEvent;
use crate::{GroupRef, Member, ResourceKind, Result, StoreError};

/// Ids per `IN (…)` list.
const CHUNK: usize = 500;
/// Member ids listed in an audit entry; the counts are always complete.
const AUDIT_IDS: usize = 100;

/// The Group schema's `members` definition, for evaluating
/// `members[…]` filters on member rows.
pub(crate) fn members_attr() -> &'static AttributeDef {
    static DEF: OnceLock<AttributeDef> = OnceLock::new();
    DEF.get_or_init(|| {
        let registry = SchemaRegistry::standard();
        registry.schema(GROUP_URN).and_then(|s| s.attribute("members")).cloned().unwrap_or_else(|| {
            AttributeDef::complex(
                "members",
                vec![
                    AttributeDef::string("value"),
                    AttributeDef::reference("$ref", &["User", "Group"]),
                    AttributeDef::string("display"),
                    AttributeDef::string("type").canonical(&["User", "Group"]),
                ],
            )
            .multi()
        })
    })
}

/// The membership changes a write made, in order.
#[derive(Debug, Default)]
pub(crate) struct MemberDelta {
    /// (added?, member, its kind)
    changes: Vec<(bool, Uuid, ResourceKind)>,
}

impl MemberDelta {
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One `group.member_added|member_removed` event per change.
    pub(crate) fn events(&self, group: Uuid) -> impl Iterator<Item = NewEvent> + '_ {
        self.changes.iter().map(move |(added, member, kind)| {
            let t = if *added { "group.member_added" } else { "group.member_removed" };
            member_event(t, group, *member, *kind)
        })
    }

    /// Adds a `members` summary (and whether a password was set) to an
    /// audit detail.
    pub(crate) fn describe(&self, detail: &mut Value, password_changed: bool) {
        let Value::Object(map) = detail else { return };
        if password_changed {
            map.insert("passwordChanged".into(), Value::Bool(true));
        }
        if self.changes.is_empty() {
            return;
        }
        let pick = |added: bool| -> Vec<Value> {
            self.changes.iter().filter(|c| c.0 == added).map(|c| Value::String(c.1.to_string())).collect()
        };
        let (added, removed) = (pick(true), pick(false));
        let mut m = Map::new();
        m.insert("addedCount".into(), json!(added.len()));
        m.insert("removedCount".into(), json!(removed.len()));
        m.insert("added".into(), Value::Array(added.into_iter().take(AUDIT_IDS).collect()));
        m.insert("removed".into(), Value::Array(removed.into_iter().take(AUDIT_IDS).collect()));
        map.insert("members".into(), Value::Object(m));
    }
}

pub(crate) fn member_event(event_type: &'static str, group: Uuid, member: Uuid, kind: ResourceKind) -> NewEvent {
    NewEvent {
        event_type,
        resource_id: group,
        data: json!({ "groupId": group.to_string(), "member": { "value": member.to_string(), "type": kind.as_str() } }),
    }
}

/// The id a member object (or bare string) names, as written by the client.
fn member_value(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        other => other.get("value").and_then(Value::as_str),
    }
}

/// A member as requested: its id, the id as written, and the `display` the
/// client sent (kept as written; RFC 7643 §4.2).
type Wanted = (Uuid, String, Option<String>);

/// Parses and checks member values: each must be a UUID other than the
/// group's own id. Keeps request order, dropping repeats.
fn parse_members(group: Uuid, values: &[Value]) -> Result<Vec<Wanted>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let text = member_value(v).ok_or_else(|| StoreError::UnknownMember(v.to_string()))?;
        let id = Uuid::try_parse(text).map_err(|_| StoreError::UnknownMember(text.to_owned()))?;
        if id == group {
            return Err(
                scim_core::ScimError::invalid_value(format!("group {group} cannot be a member of itself")).into()
            );
        }
        if seen.insert(id) {
            let display = v.get("display").and_then(Value::as_str).map(str::to_owned);
            out.push((id, text.to_owned(), display));
        }
    }
    Ok(out)
}

/// The kinds of the live resources among `ids`.
async fn live_kinds(conn: &mut SqliteConnection, tenant: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, ResourceKind>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT id, kind FROM resources WHERE id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(") AND tenant = ").push_bind(tenant).push(" AND deleted_at IS NULL");
        for row in qb.build().fetch_all(&mut *conn).await? {
            let kind: String = row.try_get("kind")?;
            out.insert(row.try_get("id")?, parse_kind(&kind)?);
        }
    }
    Ok(out)
}

/// Adds members (validated: live Users or Groups of the tenant); existing
/// members are left alone.
pub(crate) async fn add(
    conn: &mut SqliteConnection,
    tenant: Uuid,
    group: Uuid,
    values: &[Value],
    delta: &mut MemberDelta,
) -> Result<()> {
    let wanted = parse_members(group, values)?;
    if let [(id, text, display)] = wanted.as_slice() {
        // The hot path (one PATCH add): check and insert in one statement.
        let kind: Option<String> = sqlx::query_scalar(
            "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_kind, display) \
             SELECT tenant, ?, id, kind, ? FROM resources WHERE id = ? AND tenant = ? AND deleted_at IS NULL \
             RETURNING member_kind",
        )
        .bind(group)
        .bind(display.as_deref())
        .bind(*id)
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?;
        match kind {
            Some(kind) => delta.changes.push((true, *id, parse_kind(&kind)?)),
            None => {
                if live_kinds(conn, tenant, &[*id]).await?.is_empty() {
                    return Err(StoreError::UnknownMember(text.clone()));
                }
            }
        }
        return Ok(());
    }
    let ids: Vec<Uuid> = wanted.iter().map(|(id, _, _)| *id).collect();
    let kinds = live_kinds(conn, tenant, &ids).await?;
    if let Some((_, text, _)) = wanted.iter().find(|(id, _, _)| !kinds.contains_key(id)) {
        return Err(StoreError::UnknownMember(text.clone()));
    }
    let rows = wanted.into_iter().filter_map(|(id, _, display)| Some((id, *kinds.get(&id)?, display))).collect();
    insert_rows(conn, tenant, group, rows, delta).await
}

/// INSERT OR IGNORE of known-valid rows; records the ones that were new.
async fn insert_rows(
    conn: &mut SqliteConnection,
    tenant: Uuid,
    group: Uuid,
    rows: Vec<(Uuid, ResourceKind, Option<String>)>,
    delta: &mut MemberDelta,
) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_kind, display) ",
        );
        qb.push_values(chunk, |mut b, (id, kind, display)| {
            b.push_bind(tenant).push_bind(group).push_bind(*id).push_bind(kind.as_str()).push_bind(display.clone());
        });
        qb.push(" RETURNING member_id");
        let inserted: HashSet<Uuid> =
            qb.build_query_scalar::<Uuid>().fetch_all(&mut *conn).await?.into_iter().collect();
        delta.changes.extend(chunk.iter().filter(|(id, _, _)| inserted.contains(id)).map(|(id, k, _)| (true, *id, *k)));
    }
    Ok(())
}

/// Deletes the given members; unknown ids are no-ops.
async fn remove_ids(
    conn: &mut SqliteConnection,
    tenant: Uuid,
    group: Uuid,
    ids: &[Uuid],
    delta: &mut MemberDelta,
) -> Result<()> {
    for chunk in ids.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("DELETE FROM group_members WHERE tenant = ");
        qb.push_bind(tenant).push(" AND group_id = ").push_bind(group).push(" AND member_id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(") RETURNING member_id, member_kind");
        let rows = qb.build().fetch_all(&mut *conn).await?;
        let mut removed = HashMap::new();
        for row in rows {
            let kind: String = row.try_get("member_kind")?;
            removed.insert(row.try_get::<Uuid, _>("member_id")?, parse_kind(&kind)?);
        }
        delta.changes.extend(chunk.iter().filter_map(|id| Some((false, *id, *removed.get(id)?))));
    }
    Ok(())
}

/// The current members of `group` as (id, kind), in id order.
async fn current_members(conn: &mut SqliteConnection, tenant: Uuid, group: Uuid) -> Result<Vec<(Uuid, ResourceKind)>> {
    let rows = sqlx::query("SELECT member_id, member_kind FROM group_members WHERE tenant = ? AND group_id = ?")
        .bind(tenant)
        .bind(group)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("member_kind")?;
            Ok((row.try_get("member_id")?, parse_kind(&kind)?))
        })
        .collect()
}

/// The member ids a `members[…]` filter names directly, when it is only
/// `value eq "<id>"` terms joined by `or` (the form IdPs use to remove one
/// member): those need no member rows loaded.
fn filter_ids(filter: &Filter, case_exact: bool, out: &mut Vec<Uuid>) -> bool {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value: CompValue::String(s) }
            if path.urn.is_none() && path.sub_attr.is_none() && path.attr.eq_ignore_ascii_case("value") =>
        {
            // A literal no id can equal removes nothing.
            out.extend(uuid_literal(s, case_exact));
            true
        }
        Filter::Or(a, b) => filter_ids(a, case_exact, out) && filter_ids(b, case_exact, out),
        _ => false,
    }
}

/// Applies one membership change of a PATCH/PUT.
pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    tenant: Uuid,
    group: Uuid,
    change: &MemberChange,
    delta: &mut MemberDelta,
) -> Result<()> {
    match change {
        MemberChange::Add(values) => add(conn, tenant, group, values, delta).await,
        MemberChange::Remove(ids) => {
            let ids: Vec<Uuid> = ids.iter().filter_map(|s| Uuid::try_parse(s).ok()).collect();
            remove_ids(conn, tenant, group, &ids, delta).await
        }
        MemberChange::RemoveAll => {
            let rows = sqlx::query(
                "DELETE FROM group_members WHERE tenant = ? AND group_id = ? RETURNING member_id, member_kind",
            )
            .bind(tenant)
            .bind(group)
            .fetch_all(&mut *conn)
            .await?;
            let mut removed = Vec::with_capacity(rows.len());
            for row in rows {
                let kind: String = row.try_get("member_kind")?;
                removed.push((false, row.try_get::<Uuid, _>("member_id")?, parse_kind(&kind)?));
            }
            removed.sort_by_key(|c| c.1);
            delta.changes.extend(removed);
            Ok(())
        }
        MemberChange::ReplaceAll(values) => {
            let wanted = parse_members(group, values)?;
            let ids: Vec<Uuid> = wanted.iter().map(|(id, _, _)| *id).collect();
            let kinds = live_kinds(conn, tenant, &ids).await?;
            if let Some((_, text, _)) = wanted.iter().find(|(id, _, _)| !kinds.contains_key(id)) {
                return Err(StoreError::UnknownMember(text.clone()));
            }
            let keep: HashSet<Uuid> = ids.iter().copied().collect();
            let existing = current_members(conn, tenant, group).await?;
            let present: HashSet<Uuid> = existing.iter().map(|(id, _)| *id).collect();
            let gone: Vec<Uuid> = existing.iter().map(|(id, _)| *id).filter(|id| !keep.contains(id)).collect();
            remove_ids(conn, tenant, group, &gone, delta).await?;
            // Members already present keep the display they were added with.
            let new = wanted
                .into_iter()
                .filter(|(id, _, _)| !present.contains(id))
                .filter_map(|(id, _, display)| Some((id, *kinds.get(&id)?, display)))
                .collect();
            insert_rows(conn, tenant, group, new, delta).await
        }
        MemberChange::RemoveMatching(filter) => {
            let attr = members_attr();
            let case_exact = attr.sub("value").is_some_and(|v| v.case_exact);
            let mut ids = Vec::new();
            if !filter_ids(filter, case_exact, &mut ids) {
                ids.clear();
                let rows = sqlx::query(
                    "SELECT m.member_id, m.member_kind, m.display FROM group_members m \
                     WHERE m.tenant = ? AND m.group_id = ?",
                )
                .bind(tenant)
                .bind(group)
                .fetch_all(&mut *conn)
                .await?;
                for row in rows {
                    let id: Uuid = row.try_get("member_id")?;
                    let kind: String = row.try_get("member_kind")?;
                    let display: Option<String> = row.try_get("display")?;
                    let element = member_json(id, parse_kind(&kind)?, display);
                    if scim_core::filter::matches_element(filter, &element, attr) {
                        ids.push(id);
                    }
                }
            }
            remove_ids(conn, tenant, group, &ids, delta).await
        }
    }
}

/// A member as a `members` value, for the filter evaluator.
pub(crate) fn member_json(id: Uuid, kind: ResourceKind, display: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), Value::String(id.to_string()));
    if let Some(d) = display {
        m.insert("display".into(), Value::String(d));
    }
    m.insert("type".into(), Value::String(kind.as_str().to_owned()));
    Value::Object(m)
}

/// Removes `member` from every group it belongs to, giving each such group
/// a new version; returns those groups.
pub(crate) async fn remove_from_all_groups(
    conn: &mut SqliteConnection,
    tenant: Uuid,
    member: Uuid,
    at: OffsetDateTime,
) -> Result<Vec<Uuid>> {
    let mut groups: Vec<Uuid> =
        sqlx::query_scalar("DELETE FROM group_members WHERE tenant = ? AND member_id = ? RETURNING group_id")
            .bind(tenant)
            .bind(member)
            .fetch_all(&mut *conn)
            .await?;
    groups.sort();
    for chunk in groups.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("UPDATE resources SET version = version + 1, last_modified = ");
        qb.push_bind(to_ms(at)).push(" WHERE id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(groups)
}

/// Members of each group, by member id, with the display the client sent.
/// One query per chunk of groups.
pub(crate) async fn members_of(pool: &SqlitePool, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
    let mut out: HashMap<Uuid, Vec<Member>> = HashMap::with_capacity(groups.len());
    for chunk in groups.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT m.group_id, m.member_id, m.member_kind, m.display FROM group_members m WHERE m.tenant = ",
        );
        qb.push_bind(tenant).push(" AND m.group_id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY m.group_id, m.member_id");
        for row in qb.build().fetch_all(pool).await? {
            let kind: String = row.try_get("member_kind")?;
            let member =
                Member { value: row.try_get("member_id")?, kind: parse_kind(&kind)?, display: row.try_get("display")? };
            out.entry(row.try_get("group_id")?).or_default().push(member);
        }
    }
    Ok(out)
}

/// Groups each resource directly belongs to; display from the group's
/// current displayName. One query per chunk of resources.
pub(crate) async fn groups_of(pool: &SqlitePool, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
    let mut out: HashMap<Uuid, Vec<GroupRef>> = HashMap::with_capacity(users.len());
    for chunk in users.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT m.member_id, m.group_id, r.display FROM group_members m \
             LEFT JOIN resources r ON r.id = m.group_id WHERE m.tenant = ",
        );
        qb.push_bind(tenant).push(" AND m.member_id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(") ORDER BY m.member_id, m.group_id");
        for row in qb.build().fetch_all(pool).await? {
            let group = GroupRef { value: row.try_get("group_id")?, display: row.try_get("display")? };
            out.entry(row.try_get("member_id")?).or_default().push(group);
        }
    }
    Ok(out)
}

/// The derived `groups` value of a user, for the filter evaluator.
pub(crate) fn group_json(g: &GroupRef) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), Value::String(g.value.to_string()));
    if let Some(d) = &g.display {
        m.insert("display".into(), Value::String(d.clone()));
    }
    m.insert("type".into(), Value::String("direct".into()));
    Value::Object(m)
}
