//! Where a filter or sort path points: its attribute definition (via
//! [`SchemaRegistry::resolve`], plus the `schemas` attribute every resource
//! carries, RFC 7643 §3) and the JSON values it reaches in a full document
//! (core and common attributes at the top level, extension attributes under
//! their schema URN, RFC 7643 §3.3). Shared by validation, evaluation and
//! sorting so all three agree on what a path means.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceType, SchemaRegistry};

/// A resolved path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The extension URN the attribute lives under, for extension attributes.
    pub ext_urn: Option<&'a str>,
    pub attr: &'a AttributeDef,
    pub sub: Option<&'a AttributeDef>,
}

impl<'a> Target<'a> {
    pub fn def(&self) -> &'a AttributeDef {
        self.sub.unwrap_or(self.attr)
    }
}

/// `schemas` (RFC 7643 §3): multi-valued URIs on every resource. It is in no
/// schema's attribute list, yet RFC 7644 §3.4.2.2 filters on it
/// (`schemas eq "urn:…:enterprise:2.0:User"`). URNs compare
/// case-insensitively, as the registry compares them.
fn schemas_attribute() -> &'static AttributeDef {
    static DEF: OnceLock<AttributeDef> = OnceLock::new();
    DEF.get_or_init(|| AttributeDef::reference("schemas", &["uri"]).multi().required())
}

/// Resolves `path` against `rt`; `None` when it names nothing there.
pub(crate) fn resolve<'a>(schemas: &'a SchemaRegistry, rt: &'a ResourceType, path: &AttrPath) -> Option<Target<'a>> {
    let plain_schemas = path.sub_attr.is_none()
        && path.attr.eq_ignore_ascii_case("schemas")
        && path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(&rt.schema));
    if plain_schemas {
        return Some(Target { ext_urn: None, attr: schemas_attribute(), sub: None });
    }
    let r = schemas.resolve(rt, path)?;
    Some(Target { ext_urn: r.is_extension.then_some(r.schema_urn), attr: r.attr, sub: r.sub })
}

/// Resolves a path inside `attr[...]`: a bare sub-attribute name. For a
/// multi-valued simple attribute, `value` names the element itself
/// (RFC 7644 §3.5.2 uses `value` that way in PATCH filters).
pub(crate) fn resolve_in<'a>(attr: &'a AttributeDef, path: &AttrPath) -> Option<&'a AttributeDef> {
    if path.urn.is_some() || path.sub_attr.is_some() {
        return None;
    }
    if attr.ty == AttrType::Complex {
        attr.sub(&path.attr)
    } else if path.attr.eq_ignore_ascii_case("value") {
        Some(attr)
    } else {
        None
    }
}

/// The member `name` of `obj`: the exact key first, then case-insensitively
/// (RFC 7643 §2.1 names are case-insensitive; documents should be canonical).
pub(crate) fn get_ci<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// The value of the attribute itself (an array for multi-valued ones).
pub(crate) fn attr_value<'v>(doc: &'v Value, t: &Target<'_>) -> Option<&'v Value> {
    let mut obj = doc.as_object()?;
    if let Some(urn) = t.ext_urn {
        obj = get_ci(obj, urn)?.as_object()?;
    }
    get_ci(obj, &t.attr.name)
}

/// Pushes `v`, or its elements when it is an array, onto `out`.
fn push_flat<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => out.extend(items.iter()),
        other => out.push(other),
    }
}

/// Every value the path reaches: the attribute's values, or the named
/// sub-attribute of each of them. Arrays are flattened one level.
pub(crate) fn leaves<'v>(doc: &'v Value, t: &Target<'_>) -> Vec<&'v Value> {
    let mut out = Vec::new();
    let Some(v) = attr_value(doc, t) else { return out };
    match t.sub {
        None => push_flat(v, &mut out),
        Some(sub) => {
            let mut elems = Vec::new();
            push_flat(v, &mut elems);
            for e in elems {
                if let Some(s) = e.as_object().and_then(|o| get_ci(o, &sub.name)) {
                    push_flat(s, &mut out);
                }
            }
        }
    }
    out
}

/// For a comparison on a complex attribute with a `value` sub-attribute
/// (`emails co "@x"`, `members eq "id"`), the `value` of each element and its
/// definition; otherwise the values unchanged.
pub(crate) fn through_value<'v, 'a>(
    values: Vec<&'v Value>,
    def: &'a AttributeDef,
) -> (Vec<&'v Value>, &'a AttributeDef) {
    match (def.ty, def.sub("value")) {
        (AttrType::Complex, Some(value_def)) => {
            let mut out = Vec::new();
            for v in values {
                if let Some(x) = v.as_object().and_then(|o| get_ci(o, &value_def.name)) {
                    push_flat(x, &mut out);
                }
            }
            (out, value_def)
        }
        _ => (values, def),
    }
}
