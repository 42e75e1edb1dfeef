//! Sorting a request body's keys by schema (RFC 7643 §3, §3.3): core and
//! common attributes at the top level or under the core URN, extension
//! attributes under their URN or as fully-qualified `urn:…:attr` keys.
//! Names match case-insensitively (RFC 7643 §2.1) and come out in the
//! schema's canonical spelling; values are not checked here.

use serde_json::{Map, Value};

use super::validate::quote;
use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceType, Schema, SchemaRegistry, common_attributes};

/// The body's attributes, by schema, still unvalidated.
#[derive(Debug, Default)]
pub struct Collected<'r> {
    /// Common and core attributes, by canonical name.
    pub core: Map<String, Value>,
    /// Extension attributes by canonical name, per extension schema named in
    /// the body (also when its object is null or empty).
    pub extensions: Vec<(&'r Schema, Map<String, Value>)>,
}

impl Collected<'_> {
    /// The attributes given for the extension `urn`, if the body named it.
    pub fn extension(&self, urn: &str) -> Option<&Map<String, Value>> {
        self.extensions.iter().find(|(s, _)| s.id == urn).map(|(_, m)| m)
    }
}

/// The common attribute or core attribute `name` of a resource with schema `core`.
pub fn core_attribute<'a>(core: &'a Schema, name: &str) -> Option<&'a AttributeDef> {
    common_attributes().iter().find(|a| a.name.eq_ignore_ascii_case(name)).or_else(|| core.attribute(name))
}

/// Sorts the keys of `obj` (a resource body) into a [`Collected`]. Unknown
/// attributes are refused with `invalidSyntax`, unknown schema URNs with
/// `invalidValue`, an attribute given twice (in two spellings or places)
/// with `invalidSyntax`.
pub fn collect<'r>(
    obj: &Map<String, Value>,
    core: &'r Schema,
    rt: &ResourceType,
    reg: &'r SchemaRegistry,
) -> Result<Collected<'r>, ScimError> {
    let mut c = Collected::default();
    let mut unknown = Vec::new();
    let core_lookup = |n: &str| core_attribute(core, n);
    for (key, v) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if !is_urn(key) {
            add(&core_lookup, &mut c.core, key, None, v, "", &mut unknown)?;
            continue;
        }
        if key.eq_ignore_ascii_case(&rt.schema) {
            // The core URN as a key: its attributes belong at the top level.
            for (k, v) in object_of(key, v)?.into_iter().flatten() {
                add(&core_lookup, &mut c.core, k, None, v, "", &mut unknown)?;
            }
            continue;
        }
        if let Some(ext) = reg.extension_of(rt, key) {
            let prefix = format!("{}:", ext.id);
            let map = extension_map(&mut c, ext);
            for (k, v) in object_of(key, v)?.into_iter().flatten() {
                add(&|n: &str| ext.attribute(n), map, k, None, v, &prefix, &mut unknown)?;
            }
            continue;
        }
        // A fully-qualified name such as
        // `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
        let path = AttrPath::parse(key).ok().filter(|p| p.urn.is_some());
        let Some(AttrPath { urn: Some(urn), attr, sub_attr }) = path else {
            return Err(unknown_urn(key, rt, reg));
        };
        if urn.eq_ignore_ascii_case(&rt.schema) {
            add(&core_lookup, &mut c.core, &attr, sub_attr.as_deref(), v, "", &mut unknown)?;
        } else if let Some(ext) = reg.extension_of(rt, &urn) {
            let prefix = format!("{}:", ext.id);
            let map = extension_map(&mut c, ext);
            add(&|n: &str| ext.attribute(n), map, &attr, sub_attr.as_deref(), v, &prefix, &mut unknown)?;
        } else {
            return Err(unknown_urn(key, rt, reg));
        }
    }
    if !unknown.is_empty() {
        return Err(ScimError::invalid_syntax(format!(
            "unknown attribute{} for resource type {}: {}",
            if unknown.len() == 1 { "" } else { "s" },
            rt.name,
            unknown.join(", ")
        )));
    }
    Ok(c)
}

fn is_urn(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// The members of an object found under a URN key; null means no members.
fn object_of<'v>(key: &str, v: &'v Value) -> Result<Option<&'v Map<String, Value>>, ScimError> {
    match v {
        Value::Object(m) => Ok(Some(m)),
        Value::Null => Ok(None),
        _ => Err(ScimError::invalid_value(format!("{} must be a JSON object holding its attributes", quote(key)))),
    }
}

fn extension_map<'c, 'r>(c: &'c mut Collected<'r>, ext: &'r Schema) -> &'c mut Map<String, Value> {
    let i = match c.extensions.iter().position(|(s, _)| s.id == ext.id) {
        Some(i) => i,
        None => {
            c.extensions.push((ext, Map::new()));
            c.extensions.len() - 1
        }
    };
    &mut c.extensions[i].1
}

fn unknown_urn(key: &str, rt: &ResourceType, reg: &SchemaRegistry) -> ScimError {
    let allowed: Vec<&str> =
        rt.extensions.iter().filter_map(|e| reg.schema(&e.schema)).map(|s| s.id.as_str()).collect();
    ScimError::invalid_value(format!(
        "{} is not a schema extension of resource type {} (its extensions: {})",
        quote(key),
        rt.name,
        if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") }
    ))
}

fn duplicate(prefix: &str, name: &str) -> ScimError {
    ScimError::invalid_syntax(format!("{prefix}{name} is given more than once (attribute names are case-insensitive)"))
}

/// Files `v` under the canonical name of attribute `name` (and sub-attribute
/// `sub`, for `urn:…:name.sub` keys) in `map`.
fn add<'d>(
    lookup: &dyn Fn(&str) -> Option<&'d AttributeDef>,
    map: &mut Map<String, Value>,
    name: &str,
    sub: Option<&str>,
    v: &Value,
    prefix: &str,
    unknown: &mut Vec<String>,
) -> Result<(), ScimError> {
    let Some(def) = lookup(name) else {
        unknown.push(quote(&format!("{prefix}{name}")));
        return Ok(());
    };
    let Some(sub) = sub else {
        if map.contains_key(&def.name) {
            return Err(duplicate(prefix, &def.name));
        }
        map.insert(def.name.clone(), v.clone());
        return Ok(());
    };
    if def.ty != AttrType::Complex || def.multi_valued {
        return Err(ScimError::invalid_syntax(format!(
            "{prefix}{}.{}: only sub-attributes of a single-valued complex attribute can be given this way",
            def.name,
            quote(sub)
        )));
    }
    // Unknown sub-attributes are dropped, as inside complex values.
    let Some(sd) = def.sub(sub) else { return Ok(()) };
    let entry = map.entry(def.name.clone()).or_insert_with(|| Value::Object(Map::new()));
    match entry {
        Value::Object(o) if !o.keys().any(|k| k.eq_ignore_ascii_case(&sd.name)) => {
            o.insert(sd.name.clone(), v.clone());
            Ok(())
        }
        _ => Err(duplicate(prefix, &format!("{}.{}", def.name, sd.name))),
    }
}
