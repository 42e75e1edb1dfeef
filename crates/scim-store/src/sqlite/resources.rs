//! Reading and writing resources (DESIGN §2, §5). Each write is one
//! transaction: the resource row, its membership rows, the audit entry and
//! the outbox events, or nothing at all.

use serde_json::{Value, json};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::audit;
use super::convert::{etag, from_ms, is_unique_violation, now, parse_json, parse_kind, to_json, to_ms};
use super::derive::{Derived, derive};
use super::events::{self, NewEvent};
use super::members::{self, MemberDelta};
use crate::{
    AuditEntry, CreateResource, DeletePolicy, DeleteResource, GroupRef, ResourceKind, Result, StoreError,
    StoredResource, UpdateResource,
};

pub(crate) fn stored_from_row(row: &SqliteRow) -> Result<StoredResource> {
    let kind: String = row.try_get("kind")?;
    let doc: String = row.try_get("doc")?;
    Ok(StoredResource {
        id: row.try_get("id")?,
        kind: parse_kind(&kind)?,
        version: row.try_get("version")?,
        created: from_ms(row.try_get("created")?),
        last_modified: from_ms(row.try_get("last_modified")?),
        doc: parse_json(&doc)?,
    })
}

/// A select-list column with the groups of the user row `r` as a JSON array
/// of `[hex id, display]` pairs, answered from the (tenant, member) index:
/// reading a user with its derived `groups` stays one round trip.
pub(crate) const GROUPS_COLUMN: &str = "(SELECT json_group_array(json_array(hex(m.group_id), g.display)) \
     FROM group_members m JOIN resources g ON g.id = m.group_id \
     WHERE m.tenant = r.tenant AND m.member_id = r.id) AS groups";

/// The groups read through [`GROUPS_COLUMN`], in id order (as `groups_of`).
pub(crate) fn groups_from_row(row: &SqliteRow) -> Result<Vec<GroupRef>> {
    let raw: Option<String> = row.try_get("groups")?;
    let pairs: Vec<(String, Option<String>)> = match raw {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("groups column: {e}")))?,
        None => Vec::new(),
    };
    let mut groups = pairs
        .into_iter()
        .map(|(hex, display)| {
            Uuid::parse_str(&hex)
                .map(|value| GroupRef { value, display })
                .map_err(|e| StoreError::Corrupt(format!("group id {hex}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    groups.sort_by_key(|g| g.value);
    Ok(groups)
}

/// The full document of a stored resource (id and meta added), as events
/// carry it and as the filter evaluator sees it.
pub(crate) fn composed(r: &StoredResource) -> Value {
    let meta = scim_core::resource::Meta {
        resource_type: r.kind.as_str().to_owned(),
        created: r.created,
        last_modified: r.last_modified,
        location: None,
        version: etag(r.version),
    };
    scim_core::resource::compose(&r.doc, &r.id.to_string(), &meta)
}

fn uniqueness_error(doc: &Value) -> StoreError {
    let name = doc.get("userName").and_then(Value::as_str).unwrap_or_default();
    StoreError::Uniqueness(format!("userName \"{name}\" is already taken"))
}

/// The live row of a resource, read inside a write transaction.
async fn current(conn: &mut SqliteConnection, tenant: Uuid, kind: ResourceKind, id: Uuid) -> Result<StoredResource> {
    let row = sqlx::query(
        "SELECT id, kind, version, created, last_modified, doc FROM resources \
         WHERE id = ? AND tenant = ? AND kind = ? AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(tenant)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(stored_from_row).transpose()?.ok_or(StoreError::NotFound)
}

/// Writes `doc` and its derived columns into the row `id`, bumping the
/// version. Maps a userName collision to `Uniqueness`.
async fn write_doc(
    conn: &mut SqliteConnection,
    id: Uuid,
    doc: &Value,
    d: &Derived,
    password_hash: Option<&str>,
    at: OffsetDateTime,
) -> Result<()> {
    let query = sqlx::query(
        "UPDATE resources SET display = ?, user_name = ?, user_name_lower = ?, display_name_lower = ?, \
         external_id = ?, email_lower = ?, emails_all = ?, active = ?, manager_id = ?, doc = ?, \
         password_hash = COALESCE(?, password_hash), version = version + 1, last_modified = ? WHERE id = ?",
    );
    let res = d.bind(query).bind(to_json(doc)?).bind(password_hash).bind(to_ms(at)).bind(id).execute(conn).await;
    match res {
        Err(e) if is_unique_violation(&e, "user_name_lower") => Err(uniqueness_error(doc)),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

fn event(kind: ResourceKind, what: &str, r: &StoredResource) -> NewEvent {
    let event_type = match (kind, what) {
        (ResourceKind::User, "created") => "user.created",
        (ResourceKind::User, "deleted") => "user.deleted",
        (ResourceKind::User, "deactivated") => "user.deactivated",
        (ResourceKind::User, "reactivated") => "user.reactivated",
        (ResourceKind::User, _) => "user.updated",
        (ResourceKind::Group, "created") => "group.created",
        (ResourceKind::Group, "deleted") => "group.deleted",
        (ResourceKind::Group, _) => "group.updated",
    };
    NewEvent { event_type, resource_id: r.id, data: json!({ "resource": composed(r) }) }
}

/// `user.deactivated` / `user.reactivated` when `active` turned false / back;
/// an absent `active` counts as active.
fn user_change(before: &Value, after: &Value) -> &'static str {
    let was = before.get("active").and_then(Value::as_bool) != Some(false);
    let is = after.get("active").and_then(Value::as_bool) != Some(false);
    match (was, is) {
        (true, false) => "deactivated",
        (false, true) => "reactivated",
        _ => "updated",
    }
}

fn audit_entry(
    tenant: Uuid,
    kind: ResourceKind,
    id: Uuid,
    status: u16,
    ctx: crate::AuditContext,
    detail: Value,
) -> AuditEntry {
    AuditEntry { tenant: Some(tenant), context: ctx, resource_kind: Some(kind), resource_id: Some(id), status, detail }
}

impl SqliteStore {
    /// One statement: the user row plus its groups ([`GROUPS_COLUMN`]), so
    /// a `GET /Users/{id}` costs one round trip to the database.
    pub(crate) async fn get_user_with_groups_impl(
        &self,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<(StoredResource, Vec<GroupRef>)>> {
        let sql = format!(
            "SELECT r.id, r.kind, r.version, r.created, r.last_modified, r.doc, {GROUPS_COLUMN} FROM resources r \
             WHERE r.id = ? AND r.tenant = ? AND r.kind = 'User' AND r.deleted_at IS NULL"
        );
        // Built only from constants: nothing from the request is in the text.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(tenant).fetch_optional(&self.read).await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((stored_from_row(&row)?, groups_from_row(&row)?)))
    }

    pub(crate) async fn get_resource_impl(
        &self,
        tenant: Uuid,
        kind: ResourceKind,
        id: Uuid,
    ) -> Result<Option<StoredResource>> {
        let row = sqlx::query(
            "SELECT id, kind, version, created, last_modified, doc FROM resources \
             WHERE id = ? AND tenant = ? AND kind = ? AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(tenant)
        .bind(kind.as_str())
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(stored_from_row).transpose()
    }

    pub(crate) async fn create_resource_impl(&self, w: CreateResource) -> Result<StoredResource> {
        if w.kind == ResourceKind::User && !w.members.is_empty() {
            return Err(scim_core::ScimError::invalid_value("a User has no members").into());
        }
        let at = now();
        let stored =
            StoredResource { id: Uuid::now_v7(), kind: w.kind, version: 1, created: at, last_modified: at, doc: w.doc };
        let d = derive(w.kind, &stored.doc);
        let mut tx = self.begin_write().await?;
        let query = sqlx::query(
            "INSERT INTO resources (display, user_name, user_name_lower, display_name_lower, external_id, \
             email_lower, emails_all, active, manager_id, id, tenant, kind, version, created, last_modified, doc, \
             password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        );
        let res = d
            .bind(query)
            .bind(stored.id)
            .bind(w.tenant)
            .bind(w.kind.as_str())
            .bind(to_ms(at))
            .bind(to_ms(at))
            .bind(to_json(&stored.doc)?)
            .bind(w.password_hash.as_deref())
            .execute(&mut *tx)
            .await;
        match res {
            Err(e) if is_unique_violation(&e, "user_name_lower") => return Err(uniqueness_error(&stored.doc)),
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => return Err(StoreError::NotFound),
            other => other?,
        };
        let mut delta = MemberDelta::default();
        if !w.members.is_empty() {
            members::add(&mut tx, w.tenant, stored.id, &w.members, &mut delta).await?;
        }
        let mut evs = vec![event(w.kind, "created", &stored)];
        evs.extend(delta.events(stored.id));
        let mut detail = audit::diff(&Value::Null, &stored.doc);
        delta.describe(&mut detail, w.password_hash.is_some());
        let entry = audit_entry(w.tenant, w.kind, stored.id, 201, w.audit, detail);
        audit::insert(&mut tx, &entry, at).await?;
        events::insert(&mut tx, w.tenant, at, evs).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub(crate) async fn update_resource_impl(&self, w: UpdateResource) -> Result<StoredResource> {
        if w.kind == ResourceKind::User && !w.member_changes.is_empty() {
            return Err(scim_core::ScimError::invalid_value("a User has no members").into());
        }
        let mut tx = self.begin_write().await?;
        let old = current(&mut tx, w.tenant, w.kind, w.id).await?;
        if w.expected_version.is_some_and(|v| v != old.version) {
            return Err(StoreError::VersionMismatch { current: old.version });
        }
        let doc_changed = matches!(&w.doc, Some(doc) if *doc != old.doc);
        let mut delta = MemberDelta::default();
        for change in &w.member_changes {
            members::apply(&mut tx, w.tenant, w.id, change, &mut delta).await?;
        }
        if !doc_changed && w.password_hash.is_none() && delta.is_empty() {
            // Nothing changed: no new version, no audit, no event.
            return Ok(old);
        }
        let at = now();
        let new_doc = match w.doc {
            Some(doc) if doc_changed => doc,
            _ => old.doc.clone(),
        };
        if doc_changed || w.password_hash.is_some() {
            let d = derive(w.kind, &new_doc);
            write_doc(&mut tx, w.id, &new_doc, &d, w.password_hash.as_deref(), at).await?;
        } else {
            sqlx::query("UPDATE resources SET version = version + 1, last_modified = ? WHERE id = ?")
                .bind(to_ms(at))
                .bind(w.id)
                .execute(&mut *tx)
                .await?;
        }
        let stored = StoredResource { version: old.version + 1, last_modified: at, doc: new_doc, ..old.clone() };
        let mut evs = Vec::new();
        if doc_changed || w.password_hash.is_some() {
            let what = if w.kind == ResourceKind::User { user_change(&old.doc, &stored.doc) } else { "updated" };
            evs.push(event(w.kind, what, &stored));
        }
        evs.extend(delta.events(stored.id));
        let mut detail = audit::diff(&old.doc, &stored.doc);
        delta.describe(&mut detail, w.password_hash.is_some());
        let entry = audit_entry(w.tenant, w.kind, w.id, 200, w.audit, detail);
        audit::insert(&mut tx, &entry, at).await?;
        events::insert(&mut tx, w.tenant, at, evs).await?;
        tx.commit().await?;
        Ok(stored)
    }

    pub(crate) async fn delete_resource_impl(&self, w: DeleteResource) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let old = current(&mut tx, w.tenant, w.kind, w.id).await?;
        if let Some(expected) = w.expected_version
            && expected != old.version
        {
            return Err(StoreError::VersionMismatch { current: old.version });
        }
        let at = now();
        // Its own members go silently with the group; the groups it was a
        // member of change, so they get a new version and an event each.
        sqlx::query("DELETE FROM group_members WHERE tenant = ? AND group_id = ?")
            .bind(w.tenant)
            .bind(w.id)
            .execute(&mut *tx)
            .await?;
        let groups = members::remove_from_all_groups(&mut tx, w.tenant, w.id, at).await?;
        match w.policy {
            DeletePolicy::Soft => {
                sqlx::query(
                    "UPDATE resources SET deleted_at = ?1, version = version + 1, last_modified = ?1 WHERE id = ?2",
                )
                .bind(to_ms(at))
                .bind(w.id)
                .execute(&mut *tx)
                .await?;
            }
            DeletePolicy::Hard => {
                sqlx::query("DELETE FROM resources WHERE id = ?").bind(w.id).execute(&mut *tx).await?;
            }
        }
        let mut evs: Vec<NewEvent> =
            groups.iter().map(|g| members::member_event("group.member_removed", *g, w.id, w.kind)).collect();
        evs.push(event(w.kind, "deleted", &old));
        let policy = match w.policy {
            DeletePolicy::Soft => "soft",
            DeletePolicy::Hard => "hard",
        };
        let detail = json!({
            "policy": policy,
            "removedFromGroups": groups.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        });
        let entry = audit_entry(w.tenant, w.kind, w.id, 204, w.audit, detail);
        audit::insert(&mut tx, &entry, at).await?;
        events::insert(&mut tx, w.tenant, at, evs).await?;
        tx.commit().await?;
        Ok(())
    }
}
