//! Reading and writing resources on SQLite (DESIGN §2, §5). Each write is
//! one transaction: the resource row, its membership rows, the audit entry
//! and the outbox events, or nothing at all. The rules of each — the
//! derived columns, which events, what the audit says — come from the
//! backend-neutral modules.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::convert::{
    from_ms, is_foreign_key_violation, is_unique_violation, now, opt_from_ms, parse_json, parse_kind, to_json, to_ms,
};
use super::{audit, events, group_names, members};
use crate::derive::{COLUMNS, Derived, derive};
use crate::members::MemberDelta;
use crate::writes;
use crate::{
    CreateResource, DeletePolicy, DeleteResource, GroupRef, ResourceKind, Result, StoreError, StoredResource,
    UpdateResource,
};

/// The columns [`stored_from_row`] reads, first in every select list.
pub(crate) const RESOURCE_COLUMNS: &str = "r.id, r.kind, r.version, r.created, r.last_modified, r.doc, r.deleted_at";

/// A resource from the first seven columns of a row ([`RESOURCE_COLUMNS`]).
pub(crate) fn stored_from_row(row: &Row<'_>) -> Result<StoredResource> {
    let kind = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
    let doc = row.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?;
    Ok(StoredResource {
        id: row.get(0)?,
        kind: parse_kind(kind)?,
        version: row.get(2)?,
        created: from_ms(row.get(3)?),
        last_modified: from_ms(row.get(4)?),
        doc: parse_json(doc)?,
        deleted: opt_from_ms(row.get(6)?),
    })
}

/// A resource, live or soft-deleted (the admin views).
pub(crate) fn get_with_deleted(
    conn: &Connection,
    tenant: Uuid,
    kind: ResourceKind,
    id: Uuid,
) -> Result<Option<StoredResource>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.id = ? AND r.tenant = ? AND r.kind = ?"
    ))?;
    let row = stmt.query_row(params![id, tenant, kind.as_str()], |r| Ok(stored_from_row(r))).optional()?;
    row.transpose()
}

fn uniqueness_error(user_name: Option<&str>) -> StoreError {
    let name = user_name.unwrap_or_default();
    StoreError::Uniqueness(format!("userName \"{name}\" is already taken"))
}

/// The live row of a resource, read inside a write transaction.
fn current(conn: &Connection, tenant: Uuid, kind: ResourceKind, id: Uuid) -> Result<StoredResource> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources r \
         WHERE r.id = ? AND r.tenant = ? AND r.kind = ? AND r.deleted_at IS NULL"
    ))?;
    let row = stmt.query_row(params![id, tenant, kind.as_str()], |r| Ok(stored_from_row(r))).optional()?;
    row.transpose()?.ok_or(StoreError::NotFound)
}

/// Writes `doc` into the row `id`, bumping the version, with only the
/// derived columns that changed from `before`: SQLite updates an index
/// whenever the statement assigns one of its columns, even to the same
/// value, and a rename should not rewrite the userName and email indexes.
/// `before` is derived from the stored document, which equals the stored
/// columns as long as `derive` does not change; a release that changes it
/// must recompute the columns in a migration.
/// Maps a userName collision to `Uniqueness`.
/// `name_key`: the group's new name key, when its name changed.
fn write_doc(
    conn: &Connection,
    (tenant, id): (Uuid, Uuid),
    doc: &Value,
    (before, after): (&Derived, &Derived),
    name_key: Option<&Option<String>>,
    password_hash: Option<&str>,
    at: OffsetDateTime,
) -> Result<()> {
    let mut sql = String::from("UPDATE resources SET ");
    let mut params: Vec<&dyn ToSql> = Vec::with_capacity(14);
    let (after_values, before_values) = (after.values(), before.values());
    for ((column, new), old) in COLUMNS.iter().zip(&after_values).zip(&before_values) {
        if new != old {
            sql.push_str(column);
            sql.push_str(" = ?, ");
            params.push(new);
        }
    }
    if let Some(key) = name_key {
        sql.push_str("group_name_key = ?, ");
        params.push(key);
    }
    sql.push_str(
        "doc = ?, password_hash = COALESCE(?, password_hash), version = version + 1, last_modified = ? WHERE id = ?",
    );
    let doc = to_json(doc)?;
    let at = to_ms(at);
    params.extend([&doc as &dyn ToSql, &password_hash, &at, &id]);
    match conn.prepare_cached(&sql)?.execute(params.as_slice()) {
        Err(e) if is_unique_violation(&e, "user_name_lower") => Err(uniqueness_error(after.user_name.as_deref())),
        Err(e) if is_unique_violation(&e, "group_name_key") => {
            let (name, lower) =
                (after.display.as_deref().unwrap_or(""), after.display_name_lower.as_deref().unwrap_or(""));
            Err(group_names::violation(conn, tenant, name, lower))
        }
        other => other.map(drop).map_err(Into::into),
    }
}

impl SqliteStore {
    /// The user and its groups, from one snapshot. (Two statements: with
    /// no thread hop per statement, a second indexed statement costs less
    /// than aggregating the groups into JSON inside the first one did.)
    pub(crate) fn get_user_with_groups_impl(
        &self,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<(StoredResource, Vec<GroupRef>)>> {
        self.read(|c| {
            let user = match current(c, tenant, ResourceKind::User, id) {
                Err(StoreError::NotFound) => return Ok(None),
                other => other?,
            };
            let groups = members::groups_of(c, tenant, &[id])?.remove(&id).unwrap_or_default();
            Ok(Some((user, groups)))
        })
    }

    pub(crate) fn get_resource_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>> {
        self.read(|c| match current(c, tenant, kind, id) {
            Err(StoreError::NotFound) => Ok(None),
            other => other.map(Some),
        })
    }

    pub(crate) async fn create_resource_impl(&self, w: CreateResource) -> Result<StoredResource> {
        crate::members::check_owner(w.kind, !w.members.is_empty())?;
        let at = now();
        let creation = writes::creation(w.kind, w.doc, at);
        let stored = creation.stored.clone();
        let d = derive(w.kind, &stored.doc);
        let doc_json = to_json(&stored.doc)?;
        let (id, tenant, kind) = (stored.id, w.tenant, w.kind);
        let (members, password_hash, ctx) = (w.members, w.password_hash, w.audit);
        self.write(move |c| {
            let name_key = match kind {
                ResourceKind::Group => {
                    group_names::key_for(c, tenant, id, d.display.as_deref(), d.display_name_lower.as_deref())?
                }
                ResourceKind::User => None,
            };
            let mut stmt = c.prepare_cached(
                "INSERT INTO resources (display, user_name, user_name_lower, display_name_lower, external_id, \
                 email_lower, emails_all, active, manager_id, id, tenant, kind, version, created, last_modified, doc, \
                 password_hash, group_name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
            )?;
            let ms = to_ms(at);
            let rest: [&dyn ToSql; 8] = [&id, &tenant, &kind.as_str(), &ms, &ms, &doc_json, &password_hash, &name_key];
            let values = d.values();
            let all: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).chain(rest).collect();
            match stmt.execute(all.as_slice()) {
                Err(e) if is_unique_violation(&e, "user_name_lower") => {
                    return Err(uniqueness_error(d.user_name.as_deref()));
                }
                Err(e) if is_unique_violation(&e, "group_name_key") => {
                    let (name, lower) =
                        (d.display.as_deref().unwrap_or(""), d.display_name_lower.as_deref().unwrap_or(""));
                    return Err(group_names::violation(c, tenant, name, lower));
                }
                Err(e) if is_foreign_key_violation(&e) => return Err(StoreError::NotFound),
                other => other?,
            };
            let mut delta = MemberDelta::default();
            if !members.is_empty() {
                members::add(c, tenant, id, &members, &mut delta)?;
            }
            record(c, tenant, at, creation.record(tenant, ctx, password_hash.is_some(), &delta))
        })
        .await?;
        Ok(stored)
    }

    pub(crate) async fn update_resource_impl(&self, w: UpdateResource) -> Result<StoredResource> {
        crate::members::check_owner(w.kind, !w.member_changes.is_empty())?;
        self.write(move |c| update(c, w)).await
    }

    pub(crate) async fn delete_resource_impl(&self, w: DeleteResource) -> Result<()> {
        self.write(move |c| delete(c, w)).await
    }
}

/// Writes what a write leaves on record: its audit entry and its events.
fn record(c: &Connection, tenant: Uuid, at: OffsetDateTime, record: writes::Record) -> Result<()> {
    audit::insert(c, &record.audit, at)?;
    let actor = crate::events::actor(&record.audit.context);
    events::insert(c, tenant, at, &actor, record.events)
}

/// An update, inside the writer's transaction.
fn update(c: &Connection, w: UpdateResource) -> Result<StoredResource> {
    let old = current(c, w.tenant, w.kind, w.id)?;
    writes::check_version(w.expected_version, old.version)?;
    let mut delta = MemberDelta::default();
    for change in &w.member_changes {
        members::apply(c, w.tenant, w.id, change, &mut delta)?;
    }
    let (tenant, id, kind) = (w.tenant, w.id, w.kind);
    let password_hash = w.password_hash.clone();
    let at = now();
    let Some(updated) = writes::updated(&old, w, &delta, at) else {
        return Ok(old);
    };
    if updated.row_changed {
        let (before, after) = (derive(kind, &old.doc), derive(kind, &updated.stored.doc));
        // A group's name is checked when it changes (not its case alone):
        // one that shared its name before the rule keeps it.
        let renamed = kind == ResourceKind::Group && before.display_name_lower != after.display_name_lower;
        let name_key = if renamed {
            let (name, lower) = (after.display.as_deref(), after.display_name_lower.as_deref());
            Some(group_names::key_for(c, tenant, id, name, lower)?)
        } else {
            None
        };
        write_doc(
            c,
            (tenant, id),
            &updated.stored.doc,
            (&before, &after),
            name_key.as_ref(),
            password_hash.as_deref(),
            at,
        )?;
    } else {
        c.prepare_cached("UPDATE resources SET version = version + 1, last_modified = ? WHERE id = ?")?
            .execute(params![to_ms(at), id])?;
    }
    record(c, tenant, at, updated.record)?;
    Ok(updated.stored)
}

/// A delete, inside the writer's transaction: the resource's memberships
/// go both ways (its own members silently with a group; the groups it was
/// a member of get a new version), then the row per the policy.
fn delete(c: &Connection, w: DeleteResource) -> Result<()> {
    let old = current(c, w.tenant, w.kind, w.id)?;
    writes::check_version(w.expected_version, old.version)?;
    let at = now();
    c.prepare_cached("DELETE FROM group_members WHERE tenant = ? AND group_id = ?")?
        .execute(params![w.tenant, w.id])?;
    let groups = members::remove_from_all_groups(c, w.tenant, w.id, at)?;
    match w.policy {
        DeletePolicy::Soft => {
            c.prepare_cached(
                "UPDATE resources SET deleted_at = ?1, version = version + 1, last_modified = ?1 WHERE id = ?2",
            )?
            .execute(params![to_ms(at), w.id])?;
        }
        DeletePolicy::Hard => {
            c.prepare_cached("DELETE FROM resources WHERE id = ?")?.execute([w.id])?;
        }
    }
    let tenant = w.tenant;
    record(c, tenant, at, writes::deleted(&old, w, &groups))
}
