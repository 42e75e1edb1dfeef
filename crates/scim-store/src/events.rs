//! Which event a change emits (DESIGN §7): the closed catalogue of event
//! types, the rule that tells a deactivation and a reactivation from other
//! updates, and each event's payload. Backends only append what these
//! functions return, in the change's own transaction, numbering them per
//! tenant (gapless, in commit order) and globally (commit order).

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::members::MemberDelta;
use crate::{AuditContext, EventRecord, ResourceKind, StoredResource};

/// The closed catalogue of event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    UserCreated,
    UserUpdated,
    /// `active` turned false: the user stays, and should lose access.
    UserDeactivated,
    /// `active` turned true again.
    UserReactivated,
    UserDeleted,
    GroupCreated,
    GroupUpdated,
    GroupDeleted,
    /// One per member added.
    GroupMemberAdded,
    /// One per member removed (also when the member itself is deleted).
    GroupMemberRemoved,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::UserCreated,
        EventType::UserUpdated,
        EventType::UserDeactivated,
        EventType::UserReactivated,
        EventType::UserDeleted,
        EventType::GroupCreated,
        EventType::GroupUpdated,
        EventType::GroupDeleted,
        EventType::GroupMemberAdded,
        EventType::GroupMemberRemoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::UserDeactivated => "user.deactivated",
            EventType::UserReactivated => "user.reactivated",
            EventType::UserDeleted => "user.deleted",
            EventType::GroupCreated => "group.created",
            EventType::GroupUpdated => "group.updated",
            EventType::GroupDeleted => "group.deleted",
            EventType::GroupMemberAdded => "group.member_added",
            EventType::GroupMemberRemoved => "group.member_removed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// An event to append; the backend gives it its id, sequence numbers and
/// time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: EventType,
    /// The resource the event is about (the group, for member events).
    pub resource_id: Uuid,
    pub data: Value,
}

/// `data` of a resource event: the resource after the change (its last
/// state, for a delete) and the attribute paths that changed.
fn resource_event(event_type: EventType, r: &StoredResource, changed: Vec<String>) -> NewEvent {
    NewEvent { event_type, resource_id: r.id, data: json!({ "resource": r.composed(None), "changed": changed }) }
}

/// The event of a resource just created: every attribute it was given
/// counts as changed.
pub fn created(r: &StoredResource, password_set: bool) -> NewEvent {
    let t = match r.kind {
        ResourceKind::User => EventType::UserCreated,
        ResourceKind::Group => EventType::GroupCreated,
    };
    resource_event(t, r, changed_paths(&Value::Null, &r.doc, password_set))
}

/// The event of a resource whose document changed from `before` to
/// `after.doc` (or whose password was set): for a User whose `active`
/// turned false, `user.deactivated`; back to true, `user.reactivated` (an
/// absent `active` counts as active).
pub fn updated(before: &Value, after: &StoredResource, password_set: bool) -> NewEvent {
    let active = |doc: &Value| doc.get("active").and_then(Value::as_bool) != Some(false);
    let t = match (after.kind, active(before), active(&after.doc)) {
        (ResourceKind::User, true, false) => EventType::UserDeactivated,
        (ResourceKind::User, false, true) => EventType::UserReactivated,
        (ResourceKind::User, _, _) => EventType::UserUpdated,
        (ResourceKind::Group, _, _) => EventType::GroupUpdated,
    };
    resource_event(t, after, changed_paths(before, &after.doc, password_set))
}

/// The event of a resource deleted, with its last state.
pub fn deleted(r: &StoredResource) -> NewEvent {
    let t = match r.kind {
        ResourceKind::User => EventType::UserDeleted,
        ResourceKind::Group => EventType::GroupDeleted,
    };
    resource_event(t, r, Vec::new())
}

/// A group as a member event names it: its id and its displayName.
#[derive(Debug, Clone, Copy)]
pub struct GroupName<'a> {
    pub id: Uuid,
    pub display_name: Option<&'a str>,
}

impl<'a> GroupName<'a> {
    pub fn of(group: &'a StoredResource) -> Self {
        GroupName { id: group.id, display_name: group.doc.get("displayName").and_then(Value::as_str) }
    }
}

/// A member added to or removed from `group`.
pub fn member_changed(added: bool, group: GroupName<'_>, member: Uuid, kind: ResourceKind) -> NewEvent {
    NewEvent {
        event_type: if added { EventType::GroupMemberAdded } else { EventType::GroupMemberRemoved },
        resource_id: group.id,
        data: json!({
            "group": { "id": group.id.to_string(), "displayName": group.display_name },
            "member": { "value": member.to_string(), "type": kind.as_str() },
        }),
    }
}

/// One member event per change of `delta`, in order.
pub(crate) fn membership<'a>(group: GroupName<'a>, delta: &'a MemberDelta) -> impl Iterator<Item = NewEvent> + 'a {
    delta.changes().iter().map(move |c| member_changed(c.added, group, c.member, c.kind))
}

/// The attribute paths that differ between two documents, in the SCIM
/// attribute-path notation (RFC 7644 §3.10): `title`, a complex
/// attribute's sub-attributes as `name.givenName`, a multi-valued
/// attribute as a whole (`emails`), an extension's attributes under its
/// URN (`urn:…:enterprise:2.0:User:department`,
/// `urn:…:User:manager.value`). A password set is `password` (never its
/// value). Sorted.
pub fn changed_paths(before: &Value, after: &Value, password_set: bool) -> Vec<String> {
    let empty = Map::new();
    let (b, a) = (before.as_object().unwrap_or(&empty), after.as_object().unwrap_or(&empty));
    let mut out = Vec::new();
    for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
        if key.eq_ignore_ascii_case("password") || matches!(key.as_str(), "meta" | "id" | "schemas") {
            continue;
        }
        let (old, new) = (b.get(key), a.get(key));
        if old == new {
            continue;
        }
        if key.starts_with("urn:") && is_object_or_absent(old) && is_object_or_absent(new) {
            let prefix = format!("{key}:");
            for sub in complex_paths(old, new) {
                out.push(format!("{prefix}{sub}"));
            }
        } else if is_object_or_absent(old) && is_object_or_absent(new) {
            for sub in complex_paths(old, new) {
                out.push(format!("{key}.{sub}"));
            }
        } else {
            out.push(key.clone());
        }
    }
    if password_set {
        out.push("password".to_owned());
    }
    out.sort();
    out.dedup();
    out
}

fn is_object_or_absent(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Object(_)))
}

/// The sub-attributes that differ between two complex values (either may
/// be absent); one level deeper for an extension's complex attributes.
fn complex_paths(old: Option<&Value>, new: Option<&Value>) -> Vec<String> {
    let empty = Map::new();
    let o = old.and_then(Value::as_object).unwrap_or(&empty);
    let n = new.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Vec::new();
    for key in n.keys().chain(o.keys().filter(|k| !n.contains_key(*k))) {
        let (ov, nv) = (o.get(key), n.get(key));
        if ov == nv {
            continue;
        }
        match (ov, nv) {
            (Some(Value::Object(_)) | None, Some(Value::Object(_))) | (Some(Value::Object(_)), None) => {
                let (oi, ni) =
                    (ov.and_then(Value::as_object).unwrap_or(&empty), nv.and_then(Value::as_object).unwrap_or(&empty));
                for sub in ni.keys().chain(oi.keys().filter(|k| !ni.contains_key(*k))) {
                    if oi.get(sub) != ni.get(sub) {
                        out.push(format!("{key}.{sub}"));
                    }
                }
            }
            _ => out.push(key.clone()),
        }
    }
    out
}

/// Who made a change, as an event names them: the audit context's caller.
pub fn actor(context: &AuditContext) -> Value {
    if let Some(token) = context.token {
        return json!({ "type": "scim_token", "id": token.to_string() });
    }
    if let Some(subject) = &context.subject {
        if let Some(sub) = subject.strip_prefix("jwt:") {
            return json!({ "type": "jwt", "subject": sub });
        }
        if let Some(client) = subject.strip_prefix("client:") {
            return json!({ "type": "oauth_client", "id": client });
        }
    }
    if let Some(admin) = context.admin_token {
        return json!({ "type": "admin_token", "id": admin.to_string() });
    }
    match context.method.as_str() {
        "CLI" => json!({ "type": "cli" }),
        _ => json!({ "type": "system" }),
    }
}

impl EventRecord {
    /// The event as the host application receives it, the same in the
    /// feed, in every webhook attempt and in every replay (DESIGN §7):
    /// `id`, `type`, `tenant`, `sequence`, `occurred_at` (RFC 3339, UTC,
    /// milliseconds), `actor`, `data`.
    pub fn envelope(&self) -> Value {
        let occurred_at = scim_core::resource::format_datetime(self.at);
        json!({
            "id": self.id.to_string(),
            "type": self.event_type.as_str(),
            "tenant": { "id": self.tenant.to_string(), "slug": self.tenant_slug },
            "sequence": self.seq,
            "occurred_at": occurred_at,
            "actor": self.actor,
            "data": self.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(doc: Value) -> StoredResource {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        StoredResource {
            id: Uuid::nil(),
            kind: ResourceKind::User,
            version: 2,
            created: at,
            last_modified: at,
            doc,
            deleted: None,
        }
    }

    #[test]
    fn names_are_the_catalogue() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert!(!t.as_str().contains(char::is_uppercase));
        }
        assert_eq!(EventType::parse("user.renamed"), None);
    }

    #[test]
    fn deactivation_and_reactivation_are_told_apart() {
        let t = |before: Value, after: Value| updated(&before, &user(after), false).event_type;
        assert_eq!(t(json!({"active": true}), json!({"active": false})), EventType::UserDeactivated);
        assert_eq!(t(json!({}), json!({"active": false})), EventType::UserDeactivated);
        assert_eq!(t(json!({"active": false}), json!({"active": true})), EventType::UserReactivated);
        assert_eq!(t(json!({"active": false}), json!({})), EventType::UserReactivated);
        assert_eq!(t(json!({"active": false}), json!({"active": false, "title": "x"})), EventType::UserUpdated);
        assert_eq!(t(json!({}), json!({"title": "x"})), EventType::UserUpdated);
        let e = updated(&json!({}), &user(json!({"userName": "u"})), false);
        assert_eq!(e.data["resource"]["userName"], "u");
        assert_eq!(e.data["changed"], json!(["userName"]));
        assert_eq!(e.data["resource"]["meta"]["version"], "W/\"2\"");
    }

    #[test]
    fn member_events_name_group_and_member() {
        let (g, m) = (Uuid::now_v7(), Uuid::now_v7());
        let e = member_changed(false, GroupName { id: g, display_name: Some("Ops") }, m, ResourceKind::Group);
        assert_eq!(e.event_type, EventType::GroupMemberRemoved);
        assert_eq!(e.resource_id, g);
        assert_eq!(
            e.data,
            json!({"group": {"id": g.to_string(), "displayName": "Ops"}, "member": {"value": m.to_string(), "type": "Group"}})
        );
    }

    #[test]
    fn changed_paths_name_sub_attributes_and_extension_attributes() {
        const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let before = json!({
            "userName": "a", "name": {"givenName": "A", "familyName": "F"},
            "emails": [{"value": "a@x.test"}], "active": true,
            ENT: {"department": "D", "manager": {"value": "m1"}},
        });
        let after = json!({
            "userName": "a", "name": {"givenName": "B", "familyName": "F", "formatted": "B F"},
            "emails": [{"value": "b@x.test"}],
            ENT: {"department": "E", "manager": {"value": "m2"}}, "title": "T",
        });
        assert_eq!(
            changed_paths(&before, &after, true),
            [
                "active",
                "emails",
                "name.formatted",
                "name.givenName",
                "password",
                "title",
                &format!("{ENT}:department"),
                &format!("{ENT}:manager.value"),
            ]
        );
        assert!(changed_paths(&before, &before, false).is_empty());
        let created = changed_paths(&Value::Null, &json!({"userName": "u", "name": {"givenName": "G"}}), false);
        assert_eq!(created, ["name.givenName", "userName"]);
        // A password never appears as a value, and only as a path when set.
        let p = changed_paths(&json!({}), &json!({"password": "secret"}), false);
        assert!(p.is_empty());
    }

    #[test]
    fn actors_name_the_caller() {
        let id = Uuid::now_v7();
        let mut c = AuditContext { token: Some(id), ..AuditContext::default() };
        assert_eq!(actor(&c), json!({"type": "scim_token", "id": id.to_string()}));
        c.token = None;
        c.subject = Some("jwt:alice".into());
        assert_eq!(actor(&c), json!({"type": "jwt", "subject": "alice"}));
        c.subject = Some("client:abc".into());
        assert_eq!(actor(&c), json!({"type": "oauth_client", "id": "abc"}));
        c.subject = None;
        c.admin_token = Some(id);
        assert_eq!(actor(&c), json!({"type": "admin_token", "id": id.to_string()}));
        c.admin_token = None;
        c.method = "CLI".into();
        assert_eq!(actor(&c), json!({"type": "cli"}));
    }

    #[test]
    fn the_envelope_carries_every_field() {
        let at = time::macros::datetime!(2026-12-05 01:02:03.456 UTC);
        let e = EventRecord {
            id: Uuid::now_v7(),
            tenant: Uuid::now_v7(),
            tenant_slug: Some("acme".into()),
            seq: 7,
            position: 99,
            event_type: EventType::UserUpdated,
            resource_id: Uuid::nil(),
            at,
            actor: json!({"type": "cli"}),
            data: json!({"resource": {}, "changed": []}),
        };
        let v = e.envelope();
        assert_eq!(v["id"], e.id.to_string());
        assert!(!v["id"].as_str().unwrap().contains('.'));
        assert_eq!(v["type"], "user.updated");
        assert_eq!(v["tenant"], json!({"id": e.tenant.to_string(), "slug": "acme"}));
        assert_eq!(v["sequence"], 7);
        assert_eq!(v["occurred_at"], "2026-12-05T01:02:03.456Z");
        assert_eq!(v["actor"], json!({"type": "cli"}));
        assert!(v.get("position").is_none());
    }
}
