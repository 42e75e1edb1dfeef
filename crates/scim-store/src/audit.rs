//! The audit entry of a change (DESIGN §3): who asked (the
//! [`AuditContext`]), what it was about, the outcome, and a detail that
//! says what changed — the attributes that differ, the members added and
//! removed, whether a password was set — never the password itself, a
//! token, or a request body. Backends write the entry in the change's own
//! transaction; refused requests get theirs from the server, alone.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::members::MemberDelta;
use crate::{AuditContext, AuditEntry, DeletePolicy, ResourceKind};

/// Member ids listed in an audit entry; the counts are always complete.
const LISTED_MEMBERS: usize = 100;

fn is_secret(name: &str) -> bool {
    name.eq_ignore_ascii_case("password")
}

/// The top-level attributes that differ between `before` and `after`, as
/// `{"before": {attr: old}, "after": {attr: new}}` (an attribute absent on
/// one side is absent from that side's map). Never includes a password.
pub fn diff(before: &Value, after: &Value) -> Value {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let changed = |from: &Map<String, Value>, to: &Map<String, Value>| -> Map<String, Value> {
        from.iter()
            .filter(|(k, v)| !is_secret(k) && to.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    json!({ "before": changed(b, a), "after": changed(a, b) })
}

/// The detail of a create or update: the [`diff`], then the members
/// added and removed (counts, and the first ids of each) and whether a
/// password was set.
pub(crate) fn change_detail(before: &Value, after: &Value, delta: &MemberDelta, password_changed: bool) -> Value {
    let mut detail = diff(before, after);
    let Value::Object(map) = &mut detail else { return detail };
    if password_changed {
        map.insert("passwordChanged".into(), Value::Bool(true));
    }
    if !delta.is_empty() {
        let pick = |added: bool| -> Vec<Value> {
            delta.changes().iter().filter(|c| c.added == added).map(|c| Value::String(c.member.to_string())).collect()
        };
        let (added, removed) = (pick(true), pick(false));
        map.insert(
            "members".into(),
            json!({
                "addedCount": added.len(),
                "removedCount": removed.len(),
                "added": added.into_iter().take(LISTED_MEMBERS).collect::<Vec<_>>(),
                "removed": removed.into_iter().take(LISTED_MEMBERS).collect::<Vec<_>>(),
            }),
        );
    }
    detail
}

/// The detail of a delete: the policy it followed and the groups the
/// resource was removed from.
pub(crate) fn delete_detail(policy: DeletePolicy, removed_from: &[Uuid]) -> Value {
    let policy = match policy {
        DeletePolicy::Soft => "soft",
        DeletePolicy::Hard => "hard",
    };
    json!({ "policy": policy, "removedFromGroups": removed_from.iter().map(Uuid::to_string).collect::<Vec<_>>() })
}

/// The entry of a change to one resource.
pub(crate) fn entry(
    tenant: Uuid,
    kind: ResourceKind,
    id: Uuid,
    status: u16,
    context: AuditContext,
    detail: Value,
) -> AuditEntry {
    AuditEntry { tenant: Some(tenant), context, resource_kind: Some(kind), resource_id: Some(id), status, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_keeps_changed_attributes_only_and_drops_passwords() {
        let d = diff(
            &json!({"userName": "a", "title": "x", "nickName": "n"}),
            &json!({"userName": "a", "title": "y", "active": true, "password": "secret"}),
        );
        assert_eq!(d, json!({"before": {"title": "x", "nickName": "n"}, "after": {"title": "y", "active": true}}));
    }

    #[test]
    fn member_changes_are_counted_and_listed() {
        let mut delta = MemberDelta::default();
        let ids: Vec<Uuid> = (0..150).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            delta.added(*id, ResourceKind::User);
        }
        delta.removed(ids[0], ResourceKind::User);
        let d = change_detail(&json!({}), &json!({}), &delta, true);
        assert_eq!(d["passwordChanged"], true);
        assert_eq!(d["members"]["addedCount"], 150);
        assert_eq!(d["members"]["added"].as_array().unwrap().len(), LISTED_MEMBERS);
        assert_eq!(d["members"]["removed"], json!([ids[0].to_string()]));
        let plain = change_detail(&json!({"a": 1}), &json!({"a": 2}), &MemberDelta::default(), false);
        assert_eq!(plain, json!({"before": {"a": 1}, "after": {"a": 2}}));
    }
}
