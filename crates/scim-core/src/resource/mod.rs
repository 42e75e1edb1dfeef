//! Parsing and validating resource documents for POST (RFC 7644 §3.3), PUT
//! (§3.5.1) and after PATCH (§3.5.2): the `schemas` attribute and extensions
//! (RFC 7643 §3, §3.3), attribute names and types (§2.1, §2.3), multi-valued
//! attributes (§2.4), unassigned values (§2.5) and mutability (§7).
//!
//! Extension URNs the resource type does not declare are refused (`400
//! invalidValue`) unless the tenant's registry says
//! [`UnknownExtensions::Keep`](crate::schema::UnknownExtensions): then the
//! extension object is stored verbatim, listed in `schemas`, and returned
//! as stored.
//!
//! `collect.rs` sorts a body's keys by schema, `validate.rs` checks values,
//! `members.rs` handles Group membership, `compose.rs` builds the full
//! representation of a stored resource.

mod collect;
mod compose;
mod members;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use serde_json::{Map, Value};

pub use compose::{Meta, compose, etag, format_datetime};
pub use validate::MAX_STRING_BYTES;

use crate::error::ScimError;
use crate::schema::{AttributeDef, GROUP_URN, Mutability, ResourceType, SchemaRegistry, common_attributes};
use validate::{is_never_stored, is_read_only, quote};

/// A validated, normalised document ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Canonical attribute names; `schemas` set; no read-only attributes
    /// (`id`, `meta`, `groups`, and for Group: `members`, which are returned
    /// separately), no `returned: never` attributes (`password`).
    pub doc: Value,
    /// `members` of a Group, validated (each has a string `value`), when the
    /// input carried the attribute (`Some(vec![])` for an explicit empty list).
    pub members: Option<Vec<Value>>,
    /// The password the input carried, if any: the caller hashes it and
    /// must never store, log or return it.
    pub password: Option<String>,
}

/// What the document is for: each mode has its own mutability rules.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// POST: readOnly attributes are ignored.
    Create,
    /// PUT: `existing` is the stored full document; `immutable` attributes
    /// must not change; a read-only `id` equal to the current one is accepted.
    Replace { existing: &'a Value },
    /// The output of PATCH, re-validated as a whole.
    Patched { existing: &'a Value },
}

impl<'a> Mode<'a> {
    fn existing(self) -> Option<&'a Value> {
        match self {
            Mode::Create => None,
            Mode::Replace { existing } | Mode::Patched { existing } => Some(existing),
        }
    }
}

/// Validates and normalises `input` as a resource of type `rt`.
///
/// The output `doc` holds `schemas` (the core URN, then each extension that
/// has attributes), then the common and core attributes in schema order,
/// then one object per extension under its URN.
pub fn prepare(
    input: &Value,
    mode: Mode<'_>,
    schemas: &SchemaRegistry,
    rt: &ResourceType,
) -> Result<Prepared, ScimError> {
    let Value::Object(obj) = input else {
        return Err(ScimError::invalid_syntax(format!(
            "the request body must be a JSON object (a SCIM resource), not {}",
            kind(input)
        )));
    };
    let core = schemas
        .schema(&rt.schema)
        .ok_or_else(|| ScimError::new(500, None, format!("resource type {} has no schema {}", rt.name, rt.schema)))?;
    let existing = mode.existing();
    let stored = existing.and_then(Value::as_object);
    check_schemas(obj, rt, schemas, stored)?;
    let collected = collect::collect(obj, core, rt, schemas, stored)?;

    let mut out = Prepared { doc: Value::Null, members: None, password: None };
    let mut doc = Map::new();
    let is_group = rt.schema.eq_ignore_ascii_case(GROUP_URN);
    for def in common_attributes().iter().chain(&core.attributes) {
        let Some(raw) = collected.core.get(&def.name) else { continue };
        if is_read_only(def) {
            // RFC 7644 §3.5.1: values of readOnly attributes (`id`, `meta`,
            // `groups`) in a request body "SHALL be ignored" — also an `id`
            // that differs from the resource's (the URL names the resource).
            continue;
        }
        if is_group && def.name == "members" {
            out.members = Some(members::members(raw)?);
            continue;
        }
        let value = validate::attribute(def, raw, &def.name, schemas.max_values())?;
        if is_never_stored(def) {
            // Only `password` has a place outside the document; any other
            // writeOnly attribute of a tenant schema is checked and dropped.
            if def.name == "password" {
                out.password = value.and_then(|v| v.as_str().map(str::to_owned)).filter(|p| !p.is_empty());
            }
            continue;
        }
        if let Some(v) = value {
            doc.insert(def.name.clone(), v);
        }
    }
    let old_core = stored;
    keep_immutables(&core.attributes, &mut doc, old_core, "")?;
    for def in core.attributes.iter().filter(|d| d.required && !is_read_only(d)) {
        let given = doc.contains_key(&def.name)
            || (def.name == "password" && out.password.is_some())
            || (is_group && def.name == "members" && out.members.as_ref().is_some_and(|m| !m.is_empty()));
        check_required(def, given, doc.get(&def.name), "")?;
    }

    let mut urns = vec![Value::String(core.id.clone())];
    let mut ext_docs = Vec::new();
    for decl in &rt.extensions {
        let Some(ext) = schemas.schema(&decl.schema) else { continue };
        let prefix = format!("{}:", ext.id);
        let mut obj = Map::new();
        if let Some(raw) = collected.extension(&ext.id) {
            for def in &ext.attributes {
                let Some(v) = raw.get(&def.name) else { continue };
                if is_read_only(def) {
                    continue;
                }
                let value = validate::attribute(def, v, &format!("{prefix}{}", def.name), schemas.max_values())?;
                if let (Some(v), false) = (value, is_never_stored(def)) {
                    obj.insert(def.name.clone(), v);
                }
            }
        }
        let old = old_core.and_then(|o| o.get(&ext.id)).and_then(Value::as_object);
        keep_immutables(&ext.attributes, &mut obj, old, &prefix)?;
        if obj.is_empty() {
            if decl.required {
                return Err(ScimError::invalid_value(format!(
                    "the schema extension {} is required for resource type {}",
                    ext.id, rt.name
                )));
            }
            continue;
        }
        for def in ext.attributes.iter().filter(|d| d.required && !is_read_only(d)) {
            check_required(def, obj.contains_key(&def.name), obj.get(&def.name), &prefix)?;
        }
        urns.push(Value::String(ext.id.clone()));
        ext_docs.push((ext.id.clone(), Value::Object(obj)));
    }
    for (urn, obj) in collected.unknown {
        urns.push(Value::String(urn.clone()));
        ext_docs.push((urn, Value::Object(obj)));
    }

    let mut full = Map::with_capacity(doc.len() + ext_docs.len() + 1);
    full.insert("schemas".into(), Value::Array(urns));
    full.extend(doc);
    full.extend(ext_docs);
    out.doc = Value::Object(full);
    Ok(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// RFC 7643 §3: `schemas` is REQUIRED and lists the core schema and any
/// extension schemas of the resource; nothing else may appear in it, except
/// undeclared extensions that [`collect::keeps_unknown`] lets through.
fn check_schemas(
    obj: &Map<String, Value>,
    rt: &ResourceType,
    reg: &SchemaRegistry,
    stored: Option<&Map<String, Value>>,
) -> Result<(), ScimError> {
    let raw = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case("schemas")).map(|(_, v)| v);
    let list = match raw {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => {
            return Err(ScimError::invalid_syntax(format!(
                "schemas is required: list the resource's schema URNs, e.g. \"schemas\": [\"{}\"]",
                rt.schema
            )));
        }
        Some(_) => return Err(ScimError::invalid_syntax("schemas must be an array of schema URNs")),
    };
    let mut has_core = false;
    for (i, urn) in list.iter().enumerate() {
        let Value::String(urn) = urn else {
            return Err(ScimError::invalid_syntax(format!("schemas[{i}] must be a string (a schema URN)")));
        };
        if urn.eq_ignore_ascii_case(&rt.schema) {
            has_core = true;
        } else if reg.extension_of(rt, urn).is_none()
            && !collect::keeps_unknown(reg, stored, urn, None)
            && carries_data_for(obj, urn)
        {
            return Err(ScimError::invalid_value(format!(
                "schemas[{i}]: {} is neither the schema {} nor one of its extensions",
                quote(urn),
                rt.schema
            )));
        }
    }
    if !has_core {
        return Err(ScimError::invalid_value(format!("schemas must contain {} for a {}", rt.schema, rt.name)));
    }
    Ok(())
}

/// Whether the body has attributes under `urn` (its object, or a key
/// `urn:attr`). An unknown URN listed in `schemas` *without* data is
/// ignored rather than refused: Microsoft Entra's documented Group body lists
/// `http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`,
/// and ignoring it loses nothing (`schemas` is recomputed on output).
fn carries_data_for(obj: &Map<String, Value>, urn: &str) -> bool {
    obj.keys().any(|k| {
        k.get(..urn.len()).is_some_and(|head| head.eq_ignore_ascii_case(urn))
            && matches!(k.as_bytes().get(urn.len()), None | Some(b':'))
    })
}

/// RFC 7643 §2.2 "required", plus: a required string must not be empty
/// (§4.1.1: "Each User MUST include a non-empty userName value").
fn check_required(def: &AttributeDef, given: bool, value: Option<&Value>, prefix: &str) -> Result<(), ScimError> {
    if !given {
        return Err(ScimError::invalid_value(format!("{prefix}{} is required", def.name)));
    }
    if value.and_then(Value::as_str).is_some_and(|s| s.trim().is_empty()) {
        return Err(ScimError::invalid_value(format!("{prefix}{} must not be empty", def.name)));
    }
    Ok(())
}

/// RFC 7643 §7 "immutable" and RFC 7644 §3.5.1: once set, the value must
/// not change. A PUT that leaves an immutable attribute out keeps its value,
/// since it cannot be unassigned either. Recurses into single-valued complex
/// attributes for immutable sub-attributes.
fn keep_immutables(
    defs: &[AttributeDef],
    new: &mut Map<String, Value>,
    old: Option<&Map<String, Value>>,
    prefix: &str,
) -> Result<(), ScimError> {
    let Some(old) = old else { return Ok(()) };
    for def in defs {
        let Some(before) = old.get(&def.name).filter(|v| !v.is_null()) else { continue };
        if def.mutability == Mutability::Immutable {
            match new.get(&def.name) {
                None => {
                    new.insert(def.name.clone(), before.clone());
                }
                Some(after) if !same(def, before, after) => {
                    return Err(ScimError::mutability(format!(
                        "{prefix}{} is immutable and already set: it cannot be changed",
                        def.name
                    )));
                }
                Some(_) => {}
            }
        } else if !def.multi_valued && def.sub_attributes.iter().any(|s| s.mutability == Mutability::Immutable) {
            let mut sub = match new.get(&def.name) {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            keep_immutables(&def.sub_attributes, &mut sub, before.as_object(), &format!("{prefix}{}.", def.name))?;
            if !sub.is_empty() {
                new.insert(def.name.clone(), Value::Object(sub));
            }
        }
    }
    Ok(())
}

/// Equality under the attribute's `caseExact` (RFC 7643 §2.2).
fn same(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !def.case_exact => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}
