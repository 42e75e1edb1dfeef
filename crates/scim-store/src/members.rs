//! Membership rules every backend shares (DESIGN §3): which members a
//! request names (parsed, checked, repeats dropped, `display` kept as sent),
//! which rows a change adds and removes, the record of what a write
//! changed (for its events and its audit entry), and which members a
//! `members[…]` filter removes. Backends keep the rows.

use std::collections::HashSet;
use std::sync::OnceLock;

use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::schema::{AttributeDef, GROUP_URN, SchemaRegistry};
use serde_json::Value;
use uuid::Uuid;

use crate::pushdown::uuid_literal;
use crate::{Member, ResourceKind, Result, StoreError};

/// One membership change a write made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Changed {
    pub added: bool,
    pub member: Uuid,
    pub kind: ResourceKind,
}

/// The membership changes a write made, in order.
#[derive(Debug, Default)]
pub(crate) struct MemberDelta {
    changes: Vec<Changed>,
}

impl MemberDelta {
    pub(crate) fn added(&mut self, member: Uuid, kind: ResourceKind) {
        self.changes.push(Changed { added: true, member, kind });
    }

    pub(crate) fn removed(&mut self, member: Uuid, kind: ResourceKind) {
        self.changes.push(Changed { added: false, member, kind });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub(crate) fn changes(&self) -> &[Changed] {
        &self.changes
    }
}

/// A member as a request names it: its id, the id as written (for the
/// error that names it), and the `display` the client sent (kept as written;
/// RFC 7643 §4.2).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wanted {
    pub id: Uuid,
    pub text: String,
    pub display: Option<String>,
}

/// Only a Group has members: a write that gives a User some is refused.
pub(crate) fn check_owner(kind: ResourceKind, has_members: bool) -> Result<()> {
    if kind == ResourceKind::User && has_members {
        return Err(scim_core::ScimError::invalid_value("a User has no members").into());
    }
    Ok(())
}

/// The id a member object (or bare string) names, as written by the client.
fn member_value(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        other => other.get("value").and_then(Value::as_str),
    }
}

/// Parses and checks member values: each must be a UUID other than the
/// group's own id. Keeps request order, dropping repeats. (Whether each is
/// a live User or Group of the tenant is the backend's look-up.)
pub(crate) fn parse(group: Uuid, values: &[Value]) -> Result<Vec<Wanted>> {
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
            out.push(Wanted { id, text: text.to_owned(), display });
        }
    }
    Ok(out)
}

/// The first wanted member that is not a live resource of the tenant, as
/// an error naming it as the client wrote it.
pub(crate) fn check_known(wanted: &[Wanted], known: impl Fn(&Uuid) -> bool) -> Result<()> {
    match wanted.iter().find(|w| !known(&w.id)) {
        Some(w) => Err(StoreError::UnknownMember(w.text.clone())),
        None => Ok(()),
    }
}

/// A `members` replacement (PUT, PATCH replace): the current members not
/// wanted any more, and the wanted ones not there yet (members already
/// present keep the display they were added with).
pub(crate) fn replacement(wanted: Vec<Wanted>, current: &[Member]) -> (Vec<Uuid>, Vec<Wanted>) {
    let keep: HashSet<Uuid> = wanted.iter().map(|w| w.id).collect();
    let present: HashSet<Uuid> = current.iter().map(|m| m.value).collect();
    let gone = current.iter().map(|m| m.value).filter(|id| !keep.contains(id)).collect();
    let new = wanted.into_iter().filter(|w| !present.contains(&w.id)).collect();
    (gone, new)
}

/// The Group schema's `members` definition, for evaluating `members[…]`
/// filters on member rows.
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

/// The member ids a `members[…]` filter names directly, when it is only
/// `value eq "<id>"` terms joined by `or` (the form IdPs use to remove one
/// member): those need no member rows read. `None` for any other filter.
pub(crate) fn named_by(filter: &Filter) -> Option<Vec<Uuid>> {
    let case_exact = members_attr().sub("value").is_some_and(|v| v.case_exact);
    let mut out = Vec::new();
    collect_named(filter, case_exact, &mut out).then_some(out)
}

fn collect_named(filter: &Filter, case_exact: bool, out: &mut Vec<Uuid>) -> bool {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value: CompValue::String(s) }
            if path.urn.is_none() && path.sub_attr.is_none() && path.attr.eq_ignore_ascii_case("value") =>
        {
            // A literal no id can equal removes nothing.
            out.extend(uuid_literal(s, case_exact));
            true
        }
        Filter::Or(a, b) => collect_named(a, case_exact, out) && collect_named(b, case_exact, out),
        _ => false,
    }
}

/// The members among `current` that `filter` (a `members[…]` filter)
/// selects, by the reference evaluator.
pub(crate) fn matching(filter: &Filter, current: &[Member]) -> Vec<Uuid> {
    let attr = members_attr();
    current
        .iter()
        .filter(|m| scim_core::filter::matches_element(filter, &m.to_value(None), attr))
        .map(|m| m.value)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parsing_keeps_order_drops_repeats_and_refuses_bad_ids() {
        let (g, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let values =
            [json!({"value": a.to_string(), "display": "A"}), json!(b.to_string()), json!({"value": a.to_string()})];
        let wanted = parse(g, &values).unwrap();
        assert_eq!(wanted.iter().map(|w| w.id).collect::<Vec<_>>(), [a, b]);
        assert_eq!(wanted[0].display.as_deref(), Some("A"));
        assert!(matches!(parse(g, &[json!({"value": "nope"})]), Err(StoreError::UnknownMember(t)) if t == "nope"));
        assert!(matches!(parse(g, &[json!({"value": g.to_string()})]), Err(StoreError::Scim(_))));
    }

    #[test]
    fn replacement_removes_the_unwanted_and_adds_the_new() {
        let (g, a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let current = [a, b].map(|value| Member { value, kind: ResourceKind::User, display: None });
        let wanted = parse(g, &[json!(b.to_string()), json!(c.to_string())]).unwrap();
        let (gone, new) = replacement(wanted, &current);
        assert_eq!(gone, [a]);
        assert_eq!(new.iter().map(|w| w.id).collect::<Vec<_>>(), [c]);
    }

    #[test]
    fn value_eq_filters_name_their_members() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let f = scim_core::filter::parse_filter(&format!("value eq \"{a}\" or value eq \"{b}\"")).unwrap();
        assert_eq!(named_by(&f), Some(vec![a, b]));
        let f = scim_core::filter::parse_filter("display eq \"x\"").unwrap();
        assert_eq!(named_by(&f), None);
        let members = [Member { value: a, kind: ResourceKind::User, display: Some("x".into()) }];
        assert_eq!(matching(&f, &members), [a]);
    }
}
