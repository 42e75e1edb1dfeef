//! Group membership on PostgreSQL (DESIGN §3): `group_members` rows,
//! changed one member at a time by primary-key statements so that adding a
//! member to a group of 100,000 costs what it costs for a group of 10; the
//! batched reads of members and groups for a page of resources. Which rows
//! a change adds or removes is decided by [`crate::members`].

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use scim_core::patch::MemberChange;
use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::convert::{at, get, parse_kind, to_ms};
use super::sql::{all, exec, one, opt};
use crate::members::{self, MemberDelta, Wanted};
use crate::{GroupRef, Member, ResourceKind, Result, StoreError};

/// The kinds of the live resources among `ids` (one statement).
async fn live_kinds(c: &impl GenericClient, tenant: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, ResourceKind>> {
    let rows = all(
        c,
        "SELECT id, kind FROM resources WHERE id = ANY($1) AND tenant = $2 AND deleted_at IS NULL",
        &[&ids, &tenant],
    )
    .await?;
    rows.iter().map(|r| Ok((get(r, "id")?, parse_kind(&get::<String>(r, "kind")?)?))).collect()
}

/// The wanted members with their kinds, once each is known to be a live
/// User or Group of the tenant.
async fn with_kinds(c: &impl GenericClient, tenant: Uuid, wanted: Vec<Wanted>) -> Result<Vec<(Wanted, ResourceKind)>> {
    let ids: Vec<Uuid> = wanted.iter().map(|w| w.id).collect();
    let kinds = live_kinds(c, tenant, &ids).await?;
    members::check_known(&wanted, |id| kinds.contains_key(id))?;
    Ok(wanted.into_iter().filter_map(|w| kinds.get(&w.id).copied().map(|k| (w, k))).collect())
}

/// Adds members (validated: live Users or Groups of the tenant); existing
/// members are left alone.
pub(crate) async fn add(
    c: &impl GenericClient,
    tenant: Uuid,
    group: Uuid,
    values: &[Value],
    delta: &mut MemberDelta,
) -> Result<()> {
    let wanted = members::parse(group, values)?;
    if let [one] = wanted.as_slice() {
        // The hot path (one PATCH add): check and insert in one statement.
        let row = opt(
            c,
            "INSERT INTO group_members (tenant, group_id, member_id, member_kind, display) \
             SELECT tenant, $1, id, kind, $2 FROM resources WHERE id = $3 AND tenant = $4 AND deleted_at IS NULL \
             ON CONFLICT DO NOTHING RETURNING member_kind",
            &[&group, &one.display, &one.id, &tenant],
        )
        .await?;
        return match row {
            Some(row) => {
                delta.added(one.id, parse_kind(&at::<String>(&row, 0)?)?);
                Ok(())
            }
            // Already a member, or no such resource.
            None if live_kinds(c, tenant, &[one.id]).await?.is_empty() => {
                Err(StoreError::UnknownMember(one.text.clone()))
            }
            None => Ok(()),
        };
    }
    let rows = with_kinds(c, tenant, wanted).await?;
    insert_rows(c, tenant, group, rows, delta).await
}

/// Inserts known-valid rows in one statement, leaving existing members;
/// records the ones that were new.
async fn insert_rows(
    c: &impl GenericClient,
    tenant: Uuid,
    group: Uuid,
    rows: Vec<(Wanted, ResourceKind)>,
    delta: &mut MemberDelta,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = rows.iter().map(|(w, _)| w.id).collect();
    let kinds: Vec<&str> = rows.iter().map(|(_, k)| k.as_str()).collect();
    let displays: Vec<Option<&str>> = rows.iter().map(|(w, _)| w.display.as_deref()).collect();
    let added = all(
        c,
        "INSERT INTO group_members (tenant, group_id, member_id, member_kind, display) \
         SELECT $1, $2, u.id, u.kind, u.display FROM unnest($3::uuid[], $4::text[], $5::text[]) AS u(id, kind, display) \
         ON CONFLICT DO NOTHING RETURNING member_id, member_kind",
        &[&tenant, &group, &ids, &kinds, &displays],
    )
    .await?;
    let mut new: HashMap<Uuid, ResourceKind> = HashMap::with_capacity(added.len());
    for row in &added {
        new.insert(get(row, "member_id")?, parse_kind(&get::<String>(row, "member_kind")?)?);
    }
    // In the order asked for, as SQLite records them.
    for (w, _) in rows {
        if let Some(kind) = new.remove(&w.id) {
            delta.added(w.id, kind);
        }
    }
    Ok(())
}

/// Deletes the given members; unknown ids are no-ops.
async fn remove_ids(
    c: &impl GenericClient,
    tenant: Uuid,
    group: Uuid,
    ids: &[Uuid],
    delta: &mut MemberDelta,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let gone = all(
        c,
        "DELETE FROM group_members WHERE tenant = $1 AND group_id = $2 AND member_id = ANY($3) \
         RETURNING member_id, member_kind",
        &[&tenant, &group, &ids],
    )
    .await?;
    let mut removed: HashMap<Uuid, ResourceKind> = HashMap::with_capacity(gone.len());
    for row in &gone {
        removed.insert(get(row, "member_id")?, parse_kind(&get::<String>(row, "member_kind")?)?);
    }
    for id in ids {
        if let Some(kind) = removed.remove(id) {
            delta.removed(*id, kind);
        }
    }
    Ok(())
}

const MEMBER_SELECT: &str = "SELECT m.member_id, m.member_kind, \
     coalesce(m.display, (SELECT r.display FROM resources r WHERE r.id = m.member_id)) AS display \
     FROM group_members m WHERE m.tenant = $1 AND m.group_id = $2";

fn member_from_row(row: &Row) -> Result<Member> {
    Ok(Member {
        value: get(row, "member_id")?,
        kind: parse_kind(&get::<String>(row, "member_kind")?)?,
        display: get(row, "display")?,
    })
}

/// The current members of `group`, in id order, each with the `display`
/// the client sent, else its current name.
async fn current_members(c: &impl GenericClient, tenant: Uuid, group: Uuid) -> Result<Vec<Member>> {
    let rows = all(c, &format!("{MEMBER_SELECT} ORDER BY m.member_id"), &[&tenant, &group]).await?;
    rows.iter().map(member_from_row).collect()
}

/// Applies one membership change of a PATCH/PUT.
pub(crate) async fn apply(
    c: &impl GenericClient,
    tenant: Uuid,
    group: Uuid,
    change: &MemberChange,
    delta: &mut MemberDelta,
) -> Result<()> {
    match change {
        MemberChange::Add(values) => add(c, tenant, group, values, delta).await,
        MemberChange::Remove(ids) => {
            let ids: Vec<Uuid> = ids.iter().filter_map(|s| Uuid::try_parse(s).ok()).collect();
            remove_ids(c, tenant, group, &ids, delta).await
        }
        MemberChange::RemoveAll => {
            let existing = current_members(c, tenant, group).await?;
            exec(c, "DELETE FROM group_members WHERE tenant = $1 AND group_id = $2", &[&tenant, &group]).await?;
            for m in existing {
                delta.removed(m.value, m.kind);
            }
            Ok(())
        }
        MemberChange::ReplaceAll(values) => {
            let wanted = with_kinds(c, tenant, members::parse(group, values)?).await?;
            let kinds: HashMap<Uuid, ResourceKind> = wanted.iter().map(|(w, k)| (w.id, *k)).collect();
            let current = current_members(c, tenant, group).await?;
            let (gone, new) = members::replacement(wanted.into_iter().map(|(w, _)| w).collect(), &current);
            remove_ids(c, tenant, group, &gone, delta).await?;
            let rows = new.into_iter().filter_map(|w| kinds.get(&w.id).copied().map(|k| (w, k))).collect();
            insert_rows(c, tenant, group, rows, delta).await
        }
        MemberChange::RemoveMatching(filter) => {
            let ids = match members::named_by(filter) {
                Some(ids) => ids,
                None => members::matching(filter, &current_members(c, tenant, group).await?),
            };
            remove_ids(c, tenant, group, &ids, delta).await
        }
    }
}

/// Removes `member` from every group it belongs to, giving each such group
/// a new version; returns those groups with their displayName, in id
/// order.
pub(crate) async fn remove_from_all_groups(
    c: &impl GenericClient,
    tenant: Uuid,
    member: Uuid,
    at_time: OffsetDateTime,
) -> Result<Vec<(Uuid, Option<String>)>> {
    let rows = all(
        c,
        "DELETE FROM group_members WHERE tenant = $1 AND member_id = $2 RETURNING group_id",
        &[&tenant, &member],
    )
    .await?;
    let mut groups: Vec<Uuid> = rows.iter().map(|r| at(r, 0)).collect::<Result<_>>()?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    groups.sort();
    let bumped = all(
        c,
        "UPDATE resources SET version = version + 1, last_modified = $1 WHERE id = ANY($2) RETURNING id, display",
        &[&to_ms(at_time), &groups],
    )
    .await?;
    let mut names: HashMap<Uuid, Option<String>> = HashMap::with_capacity(bumped.len());
    for row in &bumped {
        names.insert(get(row, "id")?, get(row, "display")?);
    }
    Ok(groups.into_iter().map(|g| (g, names.remove(&g).flatten())).collect())
}

/// Members of each group, by member id, with the display the client sent.
pub(crate) async fn members_of(
    c: &impl GenericClient,
    tenant: Uuid,
    groups: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Member>>> {
    let mut out: HashMap<Uuid, Vec<Member>> = HashMap::with_capacity(groups.len());
    for group in groups {
        let members = current_members(c, tenant, *group).await?;
        if !members.is_empty() {
            out.insert(*group, members);
        }
    }
    Ok(out)
}

/// Groups each resource directly belongs to, in group id order; display
/// from the group's current displayName. One statement for the page.
pub(crate) async fn groups_of(
    c: &impl GenericClient,
    tenant: Uuid,
    users: &[Uuid],
) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = all(
        c,
        "SELECT m.member_id, m.group_id, r.display FROM group_members m LEFT JOIN resources r ON r.id = m.group_id \
         WHERE m.tenant = $1 AND m.member_id = ANY($2) ORDER BY m.member_id, m.group_id",
        &[&tenant, &users],
    )
    .await?;
    let mut out: HashMap<Uuid, Vec<GroupRef>> = HashMap::with_capacity(users.len());
    for row in &rows {
        out.entry(get(row, "member_id")?)
            .or_default()
            .push(GroupRef { value: get(row, "group_id")?, display: get(row, "display")? });
    }
    Ok(out)
}

impl PgStore {
    pub(crate) async fn members_of_impl(&self, tenant: Uuid, groups: &[Uuid]) -> Result<HashMap<Uuid, Vec<Member>>> {
        let c = self.conn().await?;
        members_of(&c, tenant, groups).await
    }

    /// Members of `groups` together, counted up to `at_most`.
    pub(crate) async fn count_members_impl(&self, tenant: Uuid, groups: &[Uuid], at_most: u64) -> Result<u64> {
        let c = self.conn().await?;
        let mut total = 0u64;
        for group in groups {
            if total >= at_most {
                break;
            }
            let limit = i64::try_from(at_most - total).unwrap_or(i64::MAX);
            let row = one(
                &c,
                "SELECT COUNT(*) FROM (SELECT 1 FROM group_members WHERE tenant = $1 AND group_id = $2 LIMIT $3) s",
                &[&tenant, group, &limit],
            )
            .await?;
            total += u64::try_from(at::<i64>(&row, 0)?).unwrap_or(0);
        }
        Ok(total)
    }

    pub(crate) async fn groups_of_impl(&self, tenant: Uuid, users: &[Uuid]) -> Result<HashMap<Uuid, Vec<GroupRef>>> {
        let c = self.conn().await?;
        groups_of(&c, tenant, users).await
    }

    /// One page of a group's members in member id order, after `after`: a
    /// range of the primary key, never the whole group.
    pub(crate) async fn list_members_impl(
        &self,
        tenant: Uuid,
        group: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<Member>> {
        let c = self.conn().await?;
        let limit = i64::from(limit);
        let rows = match after {
            None => {
                all(&c, &format!("{MEMBER_SELECT} ORDER BY m.member_id LIMIT $3"), &[&tenant, &group, &limit]).await?
            }
            Some(after) => {
                all(
                    &c,
                    &format!("{MEMBER_SELECT} AND m.member_id > $3 ORDER BY m.member_id LIMIT $4"),
                    &[&tenant, &group, &after, &limit],
                )
                .await?
            }
        };
        rows.iter().map(member_from_row).collect()
    }
}
