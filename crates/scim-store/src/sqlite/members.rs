//! Group membership on SQLite (DESIGN §3): `group_members` rows, changed
//! one member at a time by primary-key statements so that adding a member
//! to a group of 100,000 costs what it costs for a group of 10; the batched
//! reads of members and groups for a page of resources. Which rows a change
//! adds or removes is decided by [`crate::members`].

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use scim_core::patch::MemberChange;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{parse_kind, to_ms};
use super::sql::all;
use crate::members::{self, MemberDelta, Wanted};
use crate::{GroupRef, Member, ResourceKind, Result, StoreError};

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

/// The wanted members with their kinds, once each is known to be a live
/// User or Group of the tenant.
fn with_kinds(conn: &Connection, tenant: Uuid, wanted: Vec<Wanted>) -> Result<Vec<(Wanted, ResourceKind)>> {
    let ids: Vec<Uuid> = wanted.iter().map(|w| w.id).collect();
    let kinds = live_kinds(conn, tenant, &ids)?;
    members::check_known(&wanted, |id| kinds.contains_key(id))?;
    Ok(wanted.into_iter().filter_map(|w| kinds.get(&w.id).copied().map(|k| (w, k))).collect())
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
    let wanted = members::parse(group, values)?;
    if let [one] = wanted.as_slice() {
        // The hot path (one PATCH add): check and insert in one statement.
        let kind: Option<String> = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_kind, display) \
                 SELECT tenant, ?, id, kind, ? FROM resources WHERE id = ? AND tenant = ? AND deleted_at IS NULL \
                 RETURNING member_kind",
            )?
            .query_row(params![group, one.display.as_deref(), one.id, tenant], |r| r.get(0))
            .optional()?;
        return match kind {
            Some(kind) => {
                delta.added(one.id, parse_kind(&kind)?);
                Ok(())
            }
            // Already a member, or no such resource.
            None if live_kinds(conn, tenant, &[one.id])?.is_empty() => Err(StoreError::UnknownMember(one.text.clone())),
            None => Ok(()),
        };
    }
    let rows = with_kinds(conn, tenant, wanted)?;
    insert_rows(conn, tenant, group, rows, delta)
}

/// INSERT OR IGNORE of known-valid rows; records the ones that were new.
fn insert_rows(
    conn: &Connection,
    tenant: Uuid,
    group: Uuid,
    rows: Vec<(Wanted, ResourceKind)>,
    delta: &mut MemberDelta,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_kind, display) VALUES (?, ?, ?, ?, ?)",
    )?;
    for (w, kind) in rows {
        if stmt.execute(params![tenant, group, w.id, kind.as_str(), w.display])? > 0 {
            delta.added(w.id, kind);
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
            delta.removed(*id, parse_kind(&kind)?);
        }
    }
    Ok(())
}

/// The current members of `group`, in id order, each with the `display`
/// the client sent, else its current name (looked up only for those).
fn current_members(conn: &Connection, tenant: Uuid, group: Uuid) -> Result<Vec<Member>> {
    all(
        conn,
        "SELECT m.member_id, m.member_kind, \
         coalesce(m.display, (SELECT r.display FROM resources r WHERE r.id = m.member_id)) \
         FROM group_members m WHERE m.tenant = ? AND m.group_id = ? ORDER BY m.member_id",
        params![tenant, group],
        |row| {
            let kind = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            Ok(Member { value: row.get(0)?, kind: parse_kind(kind)?, display: row.get(2)? })
        },
    )
}

/// One page of a group's members in member id order, after `after`: a
/// range of the primary key `(tenant, group_id, member_id)`, never the
/// whole group.
pub(crate) fn page(
    conn: &Connection,
    tenant: Uuid,
    group: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> Result<Vec<Member>> {
    const SELECT: &str = "SELECT m.member_id, m.member_kind, \
         coalesce(m.display, (SELECT r.display FROM resources r WHERE r.id = m.member_id)) \
         FROM group_members m WHERE m.tenant = ? AND m.group_id = ?";
    let map = |row: &rusqlite::Row<'_>| {
        let kind = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        Ok(Member { value: row.get(0)?, kind: parse_kind(kind)?, display: row.get(2)? })
    };
    // The limit in the text, as sqlite/list.rs explains.
    match after {
        None => all(conn, &format!("{SELECT} ORDER BY m.member_id LIMIT {limit}"), params![tenant, group], map),
        Some(after) => all(
            conn,
            &format!("{SELECT} AND m.member_id > ? ORDER BY m.member_id LIMIT {limit}"),
            params![tenant, group, after],
            map,
        ),
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
            for m in existing {
                delta.removed(m.value, m.kind);
            }
            Ok(())
        }
        MemberChange::ReplaceAll(values) => {
            let wanted = with_kinds(conn, tenant, members::parse(group, values)?)?;
            let kinds: HashMap<Uuid, ResourceKind> = wanted.iter().map(|(w, k)| (w.id, *k)).collect();
            let current = current_members(conn, tenant, group)?;
            let (gone, new) = members::replacement(wanted.into_iter().map(|(w, _)| w).collect(), &current);
            remove_ids(conn, tenant, group, &gone, delta)?;
            let rows = new.into_iter().filter_map(|w| kinds.get(&w.id).copied().map(|k| (w, k))).collect();
            insert_rows(conn, tenant, group, rows, delta)
        }
        MemberChange::RemoveMatching(filter) => {
            let ids = match members::named_by(filter) {
                Some(ids) => ids,
                None => members::matching(filter, &current_members(conn, tenant, group)?),
            };
            remove_ids(conn, tenant, group, &ids, delta)
        }
    }
}

/// Removes `member` from every group it belongs to, giving each such group
/// a new version; returns those groups with their displayName, in id
/// order.
pub(crate) fn remove_from_all_groups(
    conn: &Connection,
    tenant: Uuid,
    member: Uuid,
    at: OffsetDateTime,
) -> Result<Vec<(Uuid, Option<String>)>> {
    let mut groups: Vec<Uuid> = {
        let mut stmt =
            conn.prepare_cached("DELETE FROM group_members WHERE tenant = ? AND member_id = ? RETURNING group_id")?;
        let rows = stmt.query_map(params![tenant, member], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    groups.sort();
    let mut bump = conn.prepare_cached(
        "UPDATE resources SET version = version + 1, last_modified = ? WHERE id = ? RETURNING display",
    )?;
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        let display: Option<String> = bump.query_row(params![to_ms(at), group], |r| r.get(0))?;
        out.push((group, display));
    }
    Ok(out)
}

/// Members of each group, by member id, with the display the client sent.
pub(crate) fn members_of(conn: &Connection, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
    let mut out: HashMap<Uuid, Vec<Member>> = HashMap::with_capacity(groups.len());
    for group in groups {
        let members = current_members(conn, tenant, *group)?;
        if !members.is_empty() {
            out.insert(*group, members);
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
