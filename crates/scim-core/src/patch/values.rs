//! Shaping PATCH values to their attribute (RFC 7644 §3.5.2, RFC 7643 §2.3,
//! §2.4): canonical sub-attribute names, a scalar given to a complex
//! attribute wrapped as `{"value": …}` (Entra sends the enterprise `manager`
//! as a plain id, or as a one-element array), `"True"`/`"False"` strings on
//! booleans (Entra again), and
//! the equality used to find duplicates and values to remove.
//!
//! Only the shape is checked here (object vs. array vs. scalar); types and
//! required attributes are checked afterwards by `resource::prepare`.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::site::OpSite;
use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, Mutability};
use crate::value::compare;

/// `v` as a whole value of `def`: an array for multi-valued attributes (a
/// single element is accepted and wrapped), otherwise one value. `null`
/// stays `null` (RFC 7643 §2.5: unassigned).
pub(super) fn normalize_attr(v: &Value, def: &AttributeDef, site: &OpSite) -> Result<Value, ScimError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if !def.multi_valued {
        return match v {
            // Entra ID's older client sends a single-valued complex
            // attribute (the enterprise `manager`) as a one-element array.
            Value::Array(items) if def.ty == AttrType::Complex => match items.as_slice() {
                [] => Ok(Value::Null),
                [one] => normalize_single(one, def, site),
                _ => Err(site.invalid_value(format!(
                    "\"{}\" is single-valued: {} values given, one accepted",
                    def.name,
                    items.len()
                ))),
            },
            _ => normalize_single(v, def, site),
        };
    }
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let n = normalize_single(item, def, site)?;
        if !n.is_null() {
            out.push(n);
        }
    }
    Ok(Value::Array(out))
}

/// `v` as one value of `def` (one element of a multi-valued attribute).
pub(super) fn normalize_single(v: &Value, def: &AttributeDef, site: &OpSite) -> Result<Value, ScimError> {
    if def.ty != AttrType::Complex {
        return normalize_scalar(v, def, site);
    }
    match v {
        Value::Null => Ok(Value::Null),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, sv) in m {
                let sub = def
                    .sub(k)
                    .ok_or_else(|| site.invalid_path(format!("\"{}\" has no sub-attribute \"{k}\"", def.name)))?;
                // Clients echo server-set sub-attributes (manager.displayName);
                // like PUT (RFC 7644 §3.5.1) they are ignored, not refused.
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                out.insert(sub.name.clone(), normalize_scalar(sv, sub, site)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(_) => Err(site.invalid_value(format!("\"{}\" takes an object, not an array", def.name))),
        scalar => match def.sub("value") {
            Some(value_def) => {
                let mut out = Map::new();
                out.insert(value_def.name.clone(), normalize_scalar(scalar, value_def, site)?);
                Ok(Value::Object(out))
            }
            None => Err(site.invalid_value(format!("\"{}\" takes an object of sub-attributes", def.name))),
        },
    }
}

/// `v` as a value of the simple attribute `def`.
pub(super) fn normalize_scalar(v: &Value, def: &AttributeDef, site: &OpSite) -> Result<Value, ScimError> {
    match v {
        Value::Object(_) | Value::Array(_) => {
            Err(site.invalid_value(format!("\"{}\" takes a single {} value", def.name, def.ty.as_str())))
        }
        // Entra sends booleans as "True"/"False" strings.
        Value::String(s) if def.ty == AttrType::Boolean && s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Value::String(s) if def.ty == AttrType::Boolean && s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        other => Ok(other.clone()),
    }
}

/// Equal as values of `def`: identical JSON, or equal under the attribute's
/// typed comparison (`caseExact`, dateTime instants).
pub(super) fn values_equal(a: &Value, b: &Value, def: &AttributeDef) -> bool {
    a == b || compare(a, b, def) == Some(Ordering::Equal)
}

/// Whether `element` (a value of the multi-valued `attr`) is the value
/// `given` names: by the `value` sub-attribute when both carry one, else as
/// whole values.
pub(super) fn same_value(element: &Value, given: &Value, attr: &AttributeDef) -> bool {
    match (element.get("value"), given.get("value"), attr.sub("value")) {
        (Some(e), Some(g), Some(def)) => values_equal(e, g, def),
        _ => values_equal(element, given, attr),
    }
}

/// The key of `map` spelling `name` in any case, exact spelling first.
pub(super) fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Removes `name` in any spelling from `map`, returning its value.
pub(super) fn take_key(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    find_key(map, name).and_then(|k| map.shift_remove(&k))
}

/// Sets the sub-attribute `sub` of `obj` to `v` (`null` removes it),
/// refusing to change an immutable sub-attribute that already has a value.
pub(super) fn set_sub(
    obj: &mut Map<String, Value>,
    sub: &AttributeDef,
    v: Value,
    site: &OpSite,
) -> Result<(), ScimError> {
    let old = take_key(obj, &sub.name);
    if sub.mutability == Mutability::Immutable
        && let Some(old) = &old
        && !old.is_null()
        && *old != v
    {
        return Err(site.mutability(format!("\"{}\" is immutable and already set", sub.name)));
    }
    if !v.is_null() {
        obj.insert(sub.name.clone(), v);
    }
    Ok(())
}

/// Merges the sub-attributes of `incoming` (already normalised for `def`)
/// into `obj` (RFC 7644 §3.5.2.1, §3.5.2.3: unspecified sub-attributes are
/// left unchanged; `null` unassigns one).
pub(super) fn merge(
    obj: &mut Map<String, Value>,
    incoming: Map<String, Value>,
    def: &AttributeDef,
    site: &OpSite,
) -> Result<(), ScimError> {
    for (k, v) in incoming {
        match def.sub(&k) {
            Some(sub) => set_sub(obj, sub, v, site)?,
            None => return Err(site.invalid_path(format!("\"{}\" has no sub-attribute \"{k}\"", def.name))),
        }
    }
    Ok(())
}

/// Replaces a whole element of `def`, refusing when that would change one of
/// its immutable sub-attributes (a Group member's `value`).
pub(super) fn replace_element(old: &mut Value, new: Value, def: &AttributeDef, site: &OpSite) -> Result<(), ScimError> {
    for sub in def.sub_attributes.iter().filter(|s| s.mutability == Mutability::Immutable) {
        if let Some(was) = old.get(&sub.name).filter(|v| !v.is_null())
            && new.get(&sub.name) != Some(was)
        {
            return Err(site.mutability(format!("\"{}.{}\" is immutable and already set", def.name, sub.name)));
        }
    }
    *old = strip_nulls(new);
    Ok(())
}

/// `v` without `null` sub-attributes: a new element carries only what is
/// assigned (Entra sends members as `{"$ref": null, "value": …}`).
pub(super) fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}
