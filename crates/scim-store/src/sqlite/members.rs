//! Group membership (DESIGN §3): `group_members` rows, changed one member
//! at a time by primary-key statements so that adding a member to a group of
//! 100,000 costs what it costs for a group of 10; the batched reads of
//! members and groups for a page of resources.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use rusqlite::{Connection, OptionalExtension, params};
use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::patch::MemberChange;
use scim_core::schema::{AttributeDef, GROUP_URN, SchemaRegistry};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{parse_kind, to_ms, uuid_literal};
use super::events::NewEvent;
use super::sql::all;
use crate::{GroupRef, Member, ResourceKind, Result, StoreError};

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
fn live_kinds(conn: &Connection, tenant: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, ResourceKind>> {
    let mut stmt =
        conn.prepare_cached("SELECT kind FROM resources WHERE id = ? AND tenant = ? AND deleted_at IS NULL")?;
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        if let Some(kind) = stmt.query_row(params![id, tenant], |r| r.get::<_, String>(0)).optional()? {
            out.insert(*id, parse_kind(&kind)?);
        }
    }
    Ok(out)
}

/// Adds members (validated: live Users or Groups of the tenant); existing
/// members are left alone.
pub(crate) fn add(
    conn: &Connection,
    tenant: Uuid,
    group: Uuid,
    values: &[Value],
    delta: &mut MemberDelta,
) -> Result<()> {
    let wanted = parse_members(group, values)?;
    if let [(id, text, display)] = wanted.as_slice() {
        // The hot path (one PATCH add): check and insert in one statement.
        let kind: Option<String> = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_kind, display) \
                 SELECT tenant, ?, id, kind, ? FROM resources WHERE id = ? AND tenant = ? AND deleted_at IS NULL \
                 RETURNING member_kind",
            )?
            .query_row(params![group, display.as_deref(), id, tenant], |r| r.get(0))
            .optional()?;
        match kind {
            Some(kind) => delta.changes.push((true, *id, parse_kind(&kind)?)),
            None => {
                if live_kinds(conn, tenant, &[*id])?.is_empty() {
                    return Err(StoreError::UnknownMember(text.clone()));
                }
            }
        }
        return Ok(());
    }
    let ids: Vec<Uuid> = wanted.iter().map(|(id, _, _)| *id).collect();
    let kinds = live_kinds(conn, tenant, &ids)?;
    if let Some((_, text, _)) = wanted.iter().find(|(id, _, _)| !kinds.contains_key(id)) {
        return Err(StoreError::UnknownMember(text.clone()));
    }
    let rows: Vec<_> =
        wanted.into_iter().filter_map(|(id, _, display)| Some((id, *kinds.get(&id)?, display))).collect();
    insert_rows(conn, tenant, group, rows, delta)
}

/// INSERT OR IGNORE of known-valid rows; records the ones that were new.
fn insert_rows(
    conn: &Connection,
    tenant: Uuid,
    group: Uuid,
    rows: Vec<(Uuid, ResourceKind, Option<String>)>,
    delta: &mut MemberDelta,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_kind, display) VALUES (?, ?, ?, ?, ?)",
    )?;
    for (id, kind, display) in rows {
        if stmt.execute(params![tenant, group, id, kind.as_str(), display])? > 0 {
            delta.changes.push((true, id, kind));
        }
    }
    Ok(())
}

/// Deletes the given members; unknown ids are no-ops.
fn remove_ids(conn: &Connection, tenant: Uuid, group: Uuid, ids: &[Uuid], delta: &mut MemberDelta) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "DELETE FROM group_members WHERE tenant = ? AND group_id = ? AND member_id = ? RETURNING member_kind",
    )?;
    for id in ids {
        if let Some(kind) = stmt.query_row(params![tenant, group, id], |r| r.get::<_, String>(0)).optional()? {
            delta.changes.push((false, *id, parse_kind(&kind)?));
        }
    }
    Ok(())
}

/// The current members of `group` as (id, kind, display), in id order.
fn current_members(conn: &Connection, tenant: Uuid, group: Uuid) -> Result<Vec<(Uuid, ResourceKind, Option<String>)>> {
    all(
        conn,
        "SELECT member_id, member_kind, display FROM group_members WHERE tenant = ? AND group_id = ? \
         ORDER BY member_id",
        params![tenant, group],
        |row| {
            let kind = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            Ok((row.get(0)?, parse_kind(kind)?, row.get(2)?))
        },
    )
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
pub(crate) fn apply(
    conn: &Connection,
    tenant: Uuid,
    group: Uuid,
    change: &MemberChange,
    delta: &mut MemberDelta,
) -> Result<()> {
    match change {
        MemberChange::Add(values) => add(conn, tenant, group, values, delta),
        MemberChange::Remove(ids) => {
            let ids: Vec<Uuid> = ids.iter().filter_map(|s| Uuid::try_parse(s).ok()).collect();
            remove_ids(conn, tenant, group, &ids, delta)
        }
        MemberChange::RemoveAll => {
            let existing = current_members(conn, tenant, group)?;
            conn.prepare_cached("DELETE FROM group_members WHERE tenant = ? AND group_id = ?")?
                .execute(params![tenant, group])?;
            delta.changes.extend(existing.into_iter().map(|(id, kind, _)| (false, id, kind)));
            Ok(())
        }
        MemberChange::ReplaceAll(values) => {
            let wanted = parse_members(group, values)?;
            let ids: Vec<Uuid> = wanted.iter().map(|(id, _, _)| *id).collect();
            let kinds = live_kinds(conn, tenant, &ids)?;
            if let Some((_, text, _)) = wanted.iter().find(|(id, _, _)| !kinds.contains_key(id)) {
                return Err(StoreError::UnknownMember(text.clone()));
            }
            let keep: HashSet<Uuid> = ids.iter().copied().collect();
            let existing = current_members(conn, tenant, group)?;
            let present: HashSet<Uuid> = existing.iter().map(|(id, _, _)| *id).collect();
            let gone: Vec<Uuid> = existing.iter().map(|(id, _, _)| *id).filter(|id| !keep.contains(id)).collect();
            remove_ids(conn, tenant, group, &gone, delta)?;
            // Members already present keep the display they were added with.
            let new = wanted
                .into_iter()
                .filter(|(id, _, _)| !present.contains(id))
                .filter_map(|(id, _, display)| Some((id, *kinds.get(&id)?, display)))
                .collect();
            insert_rows(conn, tenant, group, new, delta)
        }
        MemberChange::RemoveMatching(filter) => {
            let attr = members_attr();
            let case_exact = attr.sub("value").is_some_and(|v| v.case_exact);
            let mut ids = Vec::new();
            if !filter_ids(filter, case_exact, &mut ids) {
                ids.clear();
                for (id, kind, display) in current_members(conn, tenant, group)? {
                    let element = member_json(id, kind, display);
                    if scim_core::filter::matches_element(filter, &element, attr) {
                        ids.push(id);
                    }
                }
            }
            remove_ids(conn, tenant, group, &ids, delta)
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
/// a new version; returns those groups, in id order.
pub(crate) fn remove_from_all_groups(
    conn: &Connection,
    tenant: Uuid,
    member: Uuid,
    at: OffsetDateTime,
) -> Result<Vec<Uuid>> {
    let mut groups: Vec<Uuid> = {
        let mut stmt =
            conn.prepare_cached("DELETE FROM group_members WHERE tenant = ? AND member_id = ? RETURNING group_id")?;
        let rows = stmt.query_map(params![tenant, member], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    groups.sort();
    let mut bump = conn.prepare_cached("UPDATE resources SET version = version + 1, last_modified = ? WHERE id = ?")?;
    for group in &groups {
        bump.execute(params![to_ms(at), group])?;
    }
    Ok(groups)
}

/// Members of each group, by member id, with the display the client sent.
pub(crate) fn members_of(conn: &Connection, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
    let mut out: HashMap<Uuid, Vec<Member>> = HashMap::with_capacity(groups.len());
    for group in groups {
        let members = current_members(conn, tenant, *group)?;
        if !members.is_empty() {
            let members = members.into_iter().map(|(value, kind, display)| Member { value, kind, display });
            out.insert(*group, members.collect());
        }
    }
    Ok(out)
}

/// Members of `groups` together, counted up to `at_most`.
pub(crate) fn count_members(conn: &Connection, tenant: Uuid, groups: &[Uuid], at_most: u64) -> Result<u64> {
    let mut stmt = conn.prepare_cached(
        "SELECT COUNT(*) FROM (SELECT 1 FROM group_members WHERE tenant = ? AND group_id = ? LIMIT ?)",
    )?;
    let mut total = 0u64;
    for group in groups {
        if total >= at_most {
            break;
        }
        let limit = i64::try_from(at_most - total).unwrap_or(i64::MAX);
        let n: i64 = stmt.query_row(params![tenant, group, limit], |r| r.get(0))?;
        total += u64::try_from(n).unwrap_or(0);
    }
    Ok(total)
}

/// Groups each resource directly belongs to, in group id order; display
/// from the group's current displayName. One index lookup per resource
/// (a page of them at most), so callers treat it as a point read.
pub(crate) fn groups_of(conn: &Connection, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.group_id, r.display FROM group_members m LEFT JOIN resources r ON r.id = m.group_id \
         WHERE m.tenant = ? AND m.member_id = ? ORDER BY m.group_id",
    )?;
    let mut out: HashMap<Uuid, Vec<GroupRef>> = HashMap::with_capacity(users.len());
    for user in users {
        let rows = stmt.query_map(params![tenant, user], |r| Ok(GroupRef { value: r.get(0)?, display: r.get(1)? }))?;
        let groups = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        if !groups.is_empty() {
            out.insert(*user, groups);
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
