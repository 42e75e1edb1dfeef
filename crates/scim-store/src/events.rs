//! Which event a change emits (DESIGN §7): the closed catalogue of event
//! types, the rule that tells a deactivation and a reactivation from other
//! updates, and each event's payload. Backends only append what these
//! functions return, in the change's own transaction, numbering them per
//! tenant (gapless, in commit order) and globally (commit order).

use serde_json::{Value, json};
use uuid::Uuid;

use crate::members::MemberDelta;
use crate::{ResourceKind, StoredResource};

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
/// state, for a delete).
fn resource_event(event_type: EventType, r: &StoredResource) -> NewEvent {
    NewEvent { event_type, resource_id: r.id, data: json!({ "resource": r.composed(None) }) }
}

/// The event of a resource just created.
pub fn created(r: &StoredResource) -> NewEvent {
    let t = match r.kind {
        ResourceKind::User => EventType::UserCreated,
        ResourceKind::Group => EventType::GroupCreated,
    };
    resource_event(t, r)
}

/// The event of a resource whose document changed from `before` to
/// `after.doc`: for a User whose `active` turned false, `user.deactivated`;
/// back to true, `user.reactivated` (an absent `active` counts as active).
pub fn updated(before: &serde_json::Value, after: &StoredResource) -> NewEvent {
    let active = |doc: &Value| doc.get("active").and_then(Value::as_bool) != Some(false);
    let t = match (after.kind, active(before), active(&after.doc)) {
        (ResourceKind::User, true, false) => EventType::UserDeactivated,
        (ResourceKind::User, false, true) => EventType::UserReactivated,
        (ResourceKind::User, _, _) => EventType::UserUpdated,
        (ResourceKind::Group, _, _) => EventType::GroupUpdated,
    };
    resource_event(t, after)
}

/// The event of a resource deleted, with its last state.
pub fn deleted(r: &StoredResource) -> NewEvent {
    let t = match r.kind {
        ResourceKind::User => EventType::UserDeleted,
        ResourceKind::Group => EventType::GroupDeleted,
    };
    resource_event(t, r)
}

/// A member added to or removed from `group`.
pub fn member_changed(added: bool, group: Uuid, member: Uuid, kind: ResourceKind) -> NewEvent {
    NewEvent {
        event_type: if added { EventType::GroupMemberAdded } else { EventType::GroupMemberRemoved },
        resource_id: group,
        data: json!({ "groupId": group.to_string(), "member": { "value": member.to_string(), "type": kind.as_str() } }),
    }
}

/// One member event per change of `delta`, in order.
pub(crate) fn membership(group: Uuid, delta: &MemberDelta) -> impl Iterator<Item = NewEvent> + '_ {
    delta.changes().iter().map(move |c| member_changed(c.added, group, c.member, c.kind))
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
        let t = |before: Value, after: Value| updated(&before, &user(after)).event_type;
        assert_eq!(t(json!({"active": true}), json!({"active": false})), EventType::UserDeactivated);
        assert_eq!(t(json!({}), json!({"active": false})), EventType::UserDeactivated);
        assert_eq!(t(json!({"active": false}), json!({"active": true})), EventType::UserReactivated);
        assert_eq!(t(json!({"active": false}), json!({})), EventType::UserReactivated);
        assert_eq!(t(json!({"active": false}), json!({"active": false, "title": "x"})), EventType::UserUpdated);
        assert_eq!(t(json!({}), json!({"title": "x"})), EventType::UserUpdated);
        let e = updated(&json!({}), &user(json!({"userName": "u"})));
        assert_eq!(e.data["resource"]["userName"], "u");
        assert_eq!(e.data["resource"]["meta"]["version"], "W/\"2\"");
    }

    #[test]
    fn member_events_name_group_and_member() {
        let (g, m) = (Uuid::now_v7(), Uuid::now_v7());
        let e = member_changed(false, g, m, ResourceKind::Group);
        assert_eq!(e.event_type, EventType::GroupMemberRemoved);
        assert_eq!(e.resource_id, g);
        assert_eq!(e.data, json!({"groupId": g.to_string(), "member": {"value": m.to_string(), "type": "Group"}}));
    }
}
