//! PATCH on multi-valued attributes (RFC 7644 §3.5.2.1–3): appending without
//! duplicates, removing given values, value-selection filters
//! (`emails[type eq "work"].value`, `members[value eq "…"]`), and the
//! `primary` rule (§3.5.2: setting one value's `primary` to true sets the
//! others' to false).
//!
//! Two deliberate compatibility rules, each beside the strict rule it refines:
//! - `remove` with a `value` removes only the elements it names (matched by
//!   their `value` sub-attribute, else as whole values), never all of them.
//! - `add`/`replace` through a filter made only of `eq` tests joined by `and`
//!   that matches nothing creates the element those tests describe (Entra
//!   sends `emails[type eq "work"].value` for a user with no work email). Any
//!   other unmatched filter on add/replace is `noTarget` (§3.5.2.3).
//!
//! `remove` through a filter that matches nothing succeeds and changes
//! nothing: identity providers re-send removals they are unsure about.

use serde_json::{Map, Value};

use super::PatchOpKind;
use super::site::OpSite;
use super::values::{
    find_key, merge, normalize_attr, normalize_single, replace_element, same_value, set_sub, strip_nulls,
};
use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter, matches_element};
use crate::schema::{AttributeDef, Mutability};

/// Appends `items` to `list`, skipping values already present; returns the
/// indices of the appended elements.
pub(super) fn append(list: &mut Vec<Value>, items: Vec<Value>) -> Vec<usize> {
    let mut touched = Vec::new();
    for item in items.into_iter().map(strip_nulls) {
        if !list.contains(&item) {
            list.push(item);
            touched.push(list.len() - 1);
        }
    }
    touched
}

/// When one of the `touched` elements is now primary, the others are not.
pub(super) fn enforce_primary(list: &mut [Value], touched: &[usize]) {
    let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
    let Some(&winner) = touched.iter().rev().find(|&&i| list.get(i).is_some_and(is_primary)) else {
        return;
    };
    for (i, e) in list.iter_mut().enumerate() {
        if i != winner
            && is_primary(e)
            && let Value::Object(m) = e
        {
            m.insert("primary".to_owned(), Value::Bool(false));
        }
    }
}

/// Removes from the multi-valued `attr` in `container` the elements `given`
/// names (compatibility rule (a)); drops the attribute when none remain.
pub(super) fn remove_given(
    container: &mut Map<String, Value>,
    attr: &AttributeDef,
    given: &Value,
    site: &OpSite,
) -> Result<(), ScimError> {
    let Value::Array(given) = normalize_attr(given, attr, site)? else {
        return Ok(());
    };
    let Some(key) = find_key(container, &attr.name) else {
        return Ok(());
    };
    if let Some(Value::Array(list)) = container.get_mut(&key) {
        list.retain(|e| !given.iter().any(|g| same_value(e, g, attr)));
        if list.is_empty() {
            container.shift_remove(&key);
        }
    }
    Ok(())
}

/// Applies an operation whose path carries a value filter: `attr[filter]`
/// or `attr[filter].sub`.
pub(super) fn apply_filtered(
    container: &mut Map<String, Value>,
    attr: &AttributeDef,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    kind: PatchOpKind,
    value: Option<&Value>,
    site: &OpSite,
) -> Result<(), ScimError> {
    let key = find_key(container, &attr.name).unwrap_or_else(|| attr.name.clone());
    let hits: Vec<usize> = match container.get(&key) {
        Some(Value::Array(list)) => {
            list.iter().enumerate().filter(|(_, e)| matches_element(filter, e, attr)).map(|(i, _)| i).collect()
        }
        _ => Vec::new(),
    };
    if kind == PatchOpKind::Remove {
        return remove_filtered(container, &key, attr, &hits, sub, site);
    }
    let value = value.ok_or_else(|| site.invalid_value("add and replace require a \"value\""))?;
    let new = match sub {
        Some(s) => normalize_single(value, s, site)?,
        None => normalize_single(value, attr, site)?,
    };
    if hits.is_empty() {
        return create_from_filter(container, &key, attr, filter, sub, new, site);
    }
    let Some(Value::Array(list)) = container.get_mut(&key) else {
        return Ok(());
    };
    for &i in &hits {
        let Some(element) = list.get_mut(i) else { continue };
        match (sub, element) {
            (Some(s), Value::Object(obj)) => set_sub(obj, s, new.clone(), site)?,
            (Some(s), _) => return Err(site.invalid_path(format!("\"{}\" values have no \"{}\"", attr.name, s.name))),
            (None, Value::Object(obj)) if kind == PatchOpKind::Add && new.is_object() => {
                if let Value::Object(m) = &new {
                    merge(obj, m.clone(), attr, site)?;
                }
            }
            (None, element) => replace_element(element, new.clone(), attr, site)?,
        }
    }
    // `null` as the new value unassigns: drop elements left with nothing.
    list.retain(|e| !e.is_null() && e.as_object().is_none_or(|m| !m.is_empty()));
    enforce_primary(list, &hits);
    if list.is_empty() {
        container.shift_remove(&key);
    }
    Ok(())
}

fn remove_filtered(
    container: &mut Map<String, Value>,
    key: &str,
    attr: &AttributeDef,
    hits: &[usize],
    sub: Option<&AttributeDef>,
    site: &OpSite,
) -> Result<(), ScimError> {
    let Some(Value::Array(list)) = container.get_mut(key) else {
        return Ok(());
    };
    match sub {
        None => {
            let mut i = 0;
            list.retain(|_| {
                i += 1;
                !hits.contains(&(i - 1))
            });
        }
        Some(s) => {
            for &i in hits {
                if let Some(Value::Object(obj)) = list.get_mut(i) {
                    if s.mutability == Mutability::Immutable && obj.get(&s.name).is_some_and(|v| !v.is_null()) {
                        return Err(site.mutability(format!("\"{}.{}\" is immutable", attr.name, s.name)));
                    }
                    obj.shift_remove(&s.name);
                }
            }
            list.retain(|e| e.as_object().is_none_or(|m| !m.is_empty()));
        }
    }
    if list.is_empty() {
        container.shift_remove(key);
    }
    Ok(())
}

/// Compatibility rule (b): creates the element an `eq`-only filter describes.
fn create_from_filter(
    container: &mut Map<String, Value>,
    key: &str,
    attr: &AttributeDef,
    filter: &Filter,
    sub: Option<&AttributeDef>,
    new: Value,
    site: &OpSite,
) -> Result<(), ScimError> {
    let mut element = Map::new();
    if !eq_template(filter, attr, &mut element) {
        return Err(site.no_target(format!("no value of \"{}\" matches the filter", attr.name)));
    }
    match (sub, new) {
        (_, Value::Null) => return Ok(()),
        (Some(s), v) => {
            element.insert(s.name.clone(), v);
        }
        (None, Value::Object(m)) => element.extend(m.into_iter().filter(|(_, v)| !v.is_null())),
        (None, _) => return Err(site.invalid_value(format!("\"{}\" values are objects", attr.name))),
    }
    let slot = container.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    if let Value::Array(list) = slot {
        list.push(Value::Object(element));
        let last = list.len() - 1;
        enforce_primary(list, &[last]);
    }
    Ok(())
}

/// Fills `out` with the sub-attribute values an `eq`/`and` filter requires;
/// false when the filter is anything else or contradicts itself.
fn eq_template(filter: &Filter, attr: &AttributeDef, out: &mut Map<String, Value>) -> bool {
    match filter {
        Filter::And(a, b) => eq_template(a, attr, out) && eq_template(b, attr, out),
        Filter::Compare { path, op: CompareOp::Eq, value } if path.urn.is_none() && path.sub_attr.is_none() => {
            let Some(sub) = attr.sub(&path.attr) else { return false };
            let v = match value {
                CompValue::Null => return false,
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::String(s) => Value::String(s.clone()),
            };
            match out.get(&sub.name) {
                Some(existing) => *existing == v,
                None => {
                    out.insert(sub.name.clone(), v);
                    true
                }
            }
        }
        _ => false,
    }
}
