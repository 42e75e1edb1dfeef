//! What each write records (DESIGN §2, §5), for every backend: the checks
//! and decisions between reading the current row and writing the new one
//! — the version a write expects, whether an update changed anything at
//! all (nothing: no new version, no audit entry, no event), the new
//! version, and the audit entry and events of each outcome. Pure: a
//! backend reads and writes the rows in its own transaction and asks here
//! what to write.

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::{self, NewEvent};
use crate::members::MemberDelta;
use crate::{
    AuditContext, AuditEntry, DeleteResource, ResourceKind, Result, StoreError, StoredResource, UpdateResource,
};

/// What a write leaves on record, in its own transaction.
pub(crate) struct Record {
    pub audit: AuditEntry,
    pub events: Vec<NewEvent>,
}

/// A create, planned before its transaction: what needs no lock (the new
/// row's identity, its `created` event) is done outside it, so that the
/// one writer spends its time on writing.
pub(crate) struct Creation {
    pub stored: StoredResource,
}

/// Plans the create of a resource of `kind` with `doc` at `at`.
pub(crate) fn creation(kind: ResourceKind, doc: Value, at: OffsetDateTime) -> Creation {
    let stored =
        StoredResource { id: Uuid::now_v7(), kind, version: 1, created: at, last_modified: at, doc, deleted: None };
    Creation { stored }
}

impl Creation {
    /// The record of the create, once its initial members are in.
    pub(crate) fn record(self, tenant: Uuid, context: AuditContext, password_set: bool, delta: &MemberDelta) -> Record {
        let stored = &self.stored;
        let detail = crate::audit::change_detail(&Value::Null, &stored.doc, delta, password_set);
        let mut evs = vec![events::created(stored, password_set)];
        evs.extend(events::membership(events::GroupName::of(stored), delta));
        Record { audit: crate::audit::entry(tenant, stored.kind, stored.id, 201, context, detail), events: evs }
    }
}

/// The refusal of a group name another live group of the tenant holds:
/// its id lets an admin link the existing group instead (Okta shows it).
pub(crate) fn group_name_taken(name: &str, holder: Uuid) -> StoreError {
    StoreError::Uniqueness(format!("displayName \"{name}\" is already taken by group {holder}"))
}

/// A write computed from (or pinned to) version `expected` finds `current`.
pub(crate) fn check_version(expected: Option<i64>, current: i64) -> Result<()> {
    match expected {
        Some(v) if v != current => Err(StoreError::VersionMismatch { current }),
        _ => Ok(()),
    }
}

/// An update that changed something.
pub(crate) struct Updated {
    /// The resource as it is now: the next version, at `at`.
    pub stored: StoredResource,
    /// The document or the password changed: their row must be written
    /// (otherwise only the version and time move, for membership changes).
    pub row_changed: bool,
    pub record: Record,
}

/// What update `w` of `old`, whose membership changes made `delta`, writes
/// at `at`; `None` when it changes nothing.
pub(crate) fn updated(
    old: &StoredResource,
    w: UpdateResource,
    delta: &MemberDelta,
    at: OffsetDateTime,
) -> Option<Updated> {
    let password_set = w.password_hash.is_some();
    let doc = w.doc.filter(|doc| *doc != old.doc);
    let row_changed = doc.is_some() || password_set;
    if !row_changed && delta.is_empty() {
        return None;
    }
    let stored = StoredResource {
        version: old.version + 1,
        last_modified: at,
        doc: doc.unwrap_or_else(|| old.doc.clone()),
        ..old.clone()
    };
    let detail = crate::audit::change_detail(&old.doc, &stored.doc, delta, password_set);
    let mut evs: Vec<NewEvent> =
        row_changed.then(|| events::updated(&old.doc, &stored, password_set)).into_iter().collect();
    evs.extend(events::membership(events::GroupName::of(&stored), delta));
    let audit = crate::audit::entry(w.tenant, w.kind, w.id, 200, w.audit, detail);
    Some(Updated { stored, row_changed, record: Record { audit, events: evs } })
}

/// The record of delete `w` of `old`, which removed it from the groups
/// `removed_from` (each a member event; its own members go silently with
/// a deleted group).
pub(crate) fn deleted(old: &StoredResource, w: DeleteResource, removed_from: &[(Uuid, Option<String>)]) -> Record {
    let mut evs: Vec<NewEvent> = removed_from
        .iter()
        .map(|(id, name)| {
            events::member_changed(
                false,
                events::GroupName { id: *id, display_name: name.as_deref() },
                old.id,
                old.kind,
            )
        })
        .collect();
    evs.push(events::deleted(old));
    let ids: Vec<Uuid> = removed_from.iter().map(|(id, _)| *id).collect();
    let detail = crate::audit::delete_detail(w.policy, &ids);
    Record { audit: crate::audit::entry(w.tenant, w.kind, w.id, 204, w.audit, detail), events: evs }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::EventType;

    fn update(doc: Option<Value>, password: bool) -> UpdateResource {
        UpdateResource {
            tenant: Uuid::nil(),
            kind: ResourceKind::User,
            id: Uuid::nil(),
            expected_version: None,
            doc,
            password_hash: password.then(|| "h".to_owned()),
            member_changes: vec![],
            audit: AuditContext::default(),
        }
    }

    #[test]
    fn an_update_that_changes_nothing_writes_nothing() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let old = creation(ResourceKind::User, json!({"userName": "a"}), at).stored;
        let none = MemberDelta::default();
        assert!(updated(&old, update(Some(old.doc.clone()), false), &none, at).is_none());
        assert!(updated(&old, update(None, false), &none, at).is_none());
        let pw = updated(&old, update(None, true), &none, at).unwrap();
        assert!(pw.row_changed);
        assert_eq!(pw.stored.version, 2);
        assert_eq!(pw.record.events[0].event_type, EventType::UserUpdated);
        let mut delta = MemberDelta::default();
        delta.added(Uuid::now_v7(), ResourceKind::User);
        let members = updated(&old, update(None, false), &delta, at).unwrap();
        assert!(!members.row_changed);
        assert_eq!(members.record.events.len(), 1);
        assert_eq!(members.record.events[0].event_type, EventType::GroupMemberAdded);
    }

    #[test]
    fn versions_are_checked_only_when_expected() {
        assert!(check_version(None, 3).is_ok());
        assert!(check_version(Some(3), 3).is_ok());
        assert!(matches!(check_version(Some(2), 3), Err(StoreError::VersionMismatch { current: 3 })));
    }
}
