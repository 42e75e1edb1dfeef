//! Group membership operations split out of a PATCH (RFC 7644 §3.5.2 applied
//! to the Group `members` attribute, RFC 7643 §4.2). The store applies them
//! to its membership table, so a group of 100,000 members is never loaded or
//! rewritten as a JSON array.
//!
//! Shapes accepted: `path: "members"` (plain or Group-URN-qualified) with
//! add/replace/remove; remove with a `value` naming members (Entra, and
//! compatibility rule (a) of `multi.rs`: only those are removed);
//! `members[value eq "…"]` (also `or`-joined) and other member filters on
//! remove; no-path add/replace whose value object carries `members`.

use serde_json::{Map, Value};

use super::parse::member;
use super::{PatchOpKind, PatchOperation, PatchPath};
use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::schema::GROUP_URN;

/// One change to a group's membership, in request order.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Add these members (objects with a string `value`; `type`/`display`
    /// are hints). Adding an existing member is a no-op.
    Add(Vec<Value>),
    /// Remove the members with these ids (unknown ids are no-ops).
    Remove(Vec<String>),
    /// Remove the members matching a filter relative to a member
    /// (`members[type eq "Group"]`); the store evaluates it on member rows.
    RemoveMatching(Filter),
    /// Remove every member.
    RemoveAll,
    /// Replace the whole membership with these members.
    ReplaceAll(Vec<Value>),
}

/// Splits the operations that target `members` of a Group from the rest.
/// Operations without a path whose value object carries `members` are split
/// in two. Order within each list is kept.
///
/// Errors: add/replace through a member filter or a member sub-attribute is
/// `invalidPath` (the store keeps members, not their sub-attributes); a member
/// value that is neither a string nor an object with a string `value` is
/// `invalidValue`.
pub fn split_member_operations(
    ops: Vec<PatchOperation>,
) -> Result<(Vec<PatchOperation>, Vec<MemberChange>), ScimError> {
    let mut rest = Vec::with_capacity(ops.len());
    let mut changes = Vec::new();
    for (i, op) in ops.into_iter().enumerate() {
        match &op.path {
            Some(path) if names_members(path) => changes.push(member_path_op(i, &op, path)?),
            Some(path) if !names_group_schema(path) => rest.push(op),
            _ if op.op == PatchOpKind::Remove => rest.push(op),
            _ => split_value_object(i, op, &mut rest, &mut changes)?,
        }
    }
    Ok((rest, changes))
}

/// `members` or `urn:…:core:2.0:Group:members`, with or without a filter or
/// sub-attribute.
fn names_members(path: &PatchPath) -> bool {
    path.attr.attr.eq_ignore_ascii_case("members")
        && path.attr.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(GROUP_URN))
}

/// A path naming the whole core Group schema: its value is a value object.
fn names_group_schema(path: &PatchPath) -> bool {
    path.filter.is_none() && path.attr.as_schema_urn().is_some_and(|u| u.eq_ignore_ascii_case(GROUP_URN))
}

fn member_path_op(i: usize, op: &PatchOperation, path: &PatchPath) -> Result<MemberChange, ScimError> {
    let sub = path.attr.sub_attr.as_deref().or(path.sub_attr.as_deref());
    if let Some(sub) = sub {
        return Err(ScimError::invalid_path(format!(
            "operation {i}: members are added and removed whole; \"members…{sub}\" cannot be changed"
        )));
    }
    match (op.op, &path.filter) {
        (PatchOpKind::Remove, Some(filter)) => Ok(match ids_of_value_eq(filter) {
            Some(ids) => MemberChange::Remove(ids),
            None => MemberChange::RemoveMatching(filter.clone()),
        }),
        (_, Some(_)) => Err(ScimError::invalid_path(format!(
            "operation {i}: a member filter selects members to remove; add members with path \"members\""
        ))),
        (PatchOpKind::Remove, None) => match &op.value {
            None | Some(Value::Null) => Ok(MemberChange::RemoveAll),
            Some(v) => {
                let ids = member_values(i, v)?
                    .into_iter()
                    .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_owned))
                    .collect();
                Ok(MemberChange::Remove(ids))
            }
        },
        (PatchOpKind::Add, None) => Ok(MemberChange::Add(member_values(i, value_of(i, op)?)?)),
        (PatchOpKind::Replace, None) => Ok(MemberChange::ReplaceAll(member_values(i, value_of(i, op)?)?)),
    }
}

fn value_of(i: usize, op: &PatchOperation) -> Result<&Value, ScimError> {
    op.value.as_ref().ok_or_else(|| ScimError::invalid_value(format!("operation {i}: members need a \"value\"")))
}

/// A no-path add/replace: its `members` key becomes a membership change, the
/// other keys stay a no-path operation (dropped when none remain).
fn split_value_object(
    i: usize,
    mut op: PatchOperation,
    rest: &mut Vec<PatchOperation>,
    changes: &mut Vec<MemberChange>,
) -> Result<(), ScimError> {
    let Some(Value::Object(obj)) = &mut op.value else {
        rest.push(op);
        return Ok(());
    };
    let qualified = format!("{GROUP_URN}:members");
    let keys: Vec<String> = obj
        .keys()
        .filter(|k| k.eq_ignore_ascii_case("members") || k.eq_ignore_ascii_case(&qualified))
        .cloned()
        .collect();
    if keys.is_empty() {
        rest.push(op);
        return Ok(());
    }
    for key in keys {
        let Some(v) = obj.shift_remove(&key) else { continue };
        let values = member_values(i, &v)?;
        changes.push(match op.op {
            PatchOpKind::Replace => MemberChange::ReplaceAll(values),
            _ => MemberChange::Add(values),
        });
    }
    if !obj.is_empty() {
        // A no-path op on the Group URN path becomes a plain no-path op.
        op.path = None;
        rest.push(op);
    }
    Ok(())
}

/// The ids of `value eq "x"` or `value eq "x" or value eq "y" …`.
fn ids_of_value_eq(filter: &Filter) -> Option<Vec<String>> {
    match filter {
        Filter::Or(a, b) => {
            let mut ids = ids_of_value_eq(a)?;
            ids.extend(ids_of_value_eq(b)?);
            Some(ids)
        }
        Filter::Compare { path, op: CompareOp::Eq, value: CompValue::String(id) }
            if path.attr.eq_ignore_ascii_case("value") && path.urn.is_none() && path.sub_attr.is_none() =>
        {
            Some(vec![id.clone()])
        }
        _ => None,
    }
}

/// Member values: an array or a single one; each an object with a string
/// `value` (names canonicalised) or a bare id string.
fn member_values(i: usize, v: &Value) -> Result<Vec<Value>, ScimError> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    items.into_iter().map(|m| member_value(i, m)).collect()
}

fn member_value(i: usize, m: &Value) -> Result<Value, ScimError> {
    let bad = || ScimError::invalid_value(format!("operation {i}: a member must be an object with a string \"value\""));
    match m {
        Value::String(id) if !id.is_empty() => {
            let mut out = Map::new();
            out.insert("value".to_owned(), Value::String(id.clone()));
            Ok(Value::Object(out))
        }
        Value::Object(obj) => {
            match member(obj, "value") {
                Some(Value::String(id)) if !id.is_empty() => {}
                _ => return Err(bad()),
            }
            let mut out = Map::new();
            for (k, v) in obj.iter().filter(|(_, v)| !v.is_null()) {
                let canonical = ["value", "display", "type", "$ref"]
                    .into_iter()
                    .find(|c| c.eq_ignore_ascii_case(k))
                    .map_or_else(|| k.clone(), str::to_owned);
                out.insert(canonical, v.clone());
            }
            Ok(Value::Object(out))
        }
        _ => Err(bad()),
    }
}
