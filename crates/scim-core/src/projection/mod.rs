//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) honouring each
//! attribute's `returned` characteristic (RFC 7643 §7).
//!
//! - `returned: always` (`id`; and `schemas`, which is no attribute) is
//!   always returned, `never` (`password`) never.
//! - With `attributes`, only the named attributes plus the `always` ones are
//!   returned; a sub-attribute path keeps only that part of its parent; a
//!   schema URN keeps the whole extension (or, for the core URN, every core
//!   attribute). `returned: request` attributes appear only when named here.
//! - With `excludedAttributes`, the default set minus the named ones.
//! - When both are given, `attributes` wins: it "overrides the set of
//!   attributes that would be returned by default", of which
//!   `excludedAttributes` only removes members (§3.4.2.5).
//! - Names that match nothing are ignored, as §3.4.2.5 does not make them
//!   an error and clients send names of other resource types in lists.

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttributeDef, ResourceType, Returned, Schema, SchemaRegistry, common_attributes};

/// Most names we accept in one parameter: enough for any real request,
/// bounded so that a query string cannot make projection quadratic.
const MAX_NAMES: usize = 200;

/// Which attributes a response carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

/// What a list of paths says about one attribute.
#[derive(Debug, Default)]
struct Selection<'a> {
    /// The attribute itself (or its whole schema) is named.
    whole: bool,
    /// The canonical names of its sub-attributes that are named.
    subs: Vec<&'a str>,
}

impl Projection {
    /// Parses the comma-separated query parameters. Errors are
    /// `400 invalidValue` naming the parameter and the bad entry.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        Ok(Projection {
            attributes: parse_list("attributes", attributes)?,
            excluded: parse_list("excludedAttributes", excluded)?,
        })
    }

    /// Applies the projection to a full resource (stored attributes, `id`,
    /// `meta`, derived `groups`/`members`). `returned: never` attributes are
    /// always dropped, `always` ones always kept. Takes the resource by
    /// value: what is kept is moved, not copied (a response is built once
    /// per request, and copying it showed in profiles).
    pub fn apply(&self, mut resource: Value, schemas: &SchemaRegistry, rt: &ResourceType) -> Value {
        let Value::Object(obj) = &mut resource else { return resource };
        let core = schemas.schema(&rt.schema);
        // In place: a map that loses no key is not rebuilt (most responses
        // keep nearly everything), and keys are never hashed again.
        obj.retain(|key, v| {
            if key == "schemas" {
                true
            } else if let Some(ext) = schemas.extension_of(rt, key) {
                self.extension(ext, v, schemas, rt)
            } else if let Some(def) = core_attribute(core, key) {
                self.project(def, &rt.schema, v, schemas, rt)
            } else {
                // Not in any schema (something the server added): only a
                // default response carries it.
                self.attributes.is_empty()
            }
        });
        resource
    }

    /// Whether the response may carry the top-level core attribute `attr`
    /// (e.g. `members`), so that the server can skip loading it.
    pub fn includes(&self, attr: &str, schemas: &SchemaRegistry, rt: &ResourceType) -> bool {
        let Some(def) = core_attribute(schemas.schema(&rt.schema), attr) else { return false };
        match def.returned {
            Returned::Never => false,
            Returned::Always => true,
            _ if !self.attributes.is_empty() => {
                let sel = select(&self.attributes, def, &rt.schema, schemas, rt);
                sel.whole || !sel.subs.is_empty()
            }
            Returned::Request => false,
            Returned::Default => !select(&self.excluded, def, &rt.schema, schemas, rt).whole,
        }
    }

    /// Keeps what the response carries of extension `ext`'s value `v`;
    /// false when nothing is left.
    fn extension(&self, ext: &Schema, v: &mut Value, schemas: &SchemaRegistry, rt: &ResourceType) -> bool {
        let Value::Object(m) = v else { return false };
        m.retain(|key, v| match ext.attribute(key) {
            Some(def) => self.project(def, &ext.id, v, schemas, rt),
            None => self.attributes.is_empty(),
        });
        !m.is_empty()
    }

    /// Keeps the part of the value `v` of attribute `def` (of schema `urn`)
    /// that the response carries; false when nothing is left.
    fn project(
        &self,
        def: &AttributeDef,
        urn: &str,
        v: &mut Value,
        schemas: &SchemaRegistry,
        rt: &ResourceType,
    ) -> bool {
        if def.returned == Returned::Never {
            return false;
        }
        if !self.attributes.is_empty() {
            if def.returned == Returned::Always {
                return keep_subs(def, v, |_| true);
            }
            let sel = select(&self.attributes, def, urn, schemas, rt);
            if sel.whole {
                return keep_subs(def, v, |_| true);
            }
            if sel.subs.is_empty() {
                return false;
            }
            return keep_subs(def, v, |s| s.returned == Returned::Always || sel.subs.contains(&s.name.as_str()));
        }
        match def.returned {
            Returned::Always => keep_subs(def, v, |_| true),
            Returned::Request => false,
            _ => {
                let sel = select(&self.excluded, def, urn, schemas, rt);
                if sel.whole {
                    return false;
                }
                keep_subs(def, v, |s| {
                    s.returned == Returned::Always
                        || (s.returned != Returned::Request && !sel.subs.contains(&s.name.as_str()))
                })
            }
        }
    }
}

fn parse_list(param: &str, raw: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    let Some(raw) = raw else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    // Empty entries (`a,,b`, a trailing comma) name nothing and are skipped.
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if out.len() == MAX_NAMES {
            return Err(ScimError::invalid_value(format!("{param} names more than {MAX_NAMES} attributes")));
        }
        let shown = || entry.chars().take(80).collect::<String>();
        // Attribute names and URNs are ASCII (RFC 7643 §2.1, RFC 8141); checking
        // first also keeps `AttrPath::parse` off non-ASCII input, which it
        // slices by byte.
        if !entry.is_ascii() {
            return Err(ScimError::invalid_value(format!(
                "{param}: \"{}\" is not a valid attribute name (names are ASCII)",
                shown()
            )));
        }
        let path = AttrPath::parse(entry).map_err(|e| {
            ScimError::invalid_value(format!("{param}: \"{}\" is not a valid attribute name ({})", shown(), e.detail))
        })?;
        out.push(path);
    }
    Ok(out)
}

/// The common or core attribute `name`.
fn core_attribute<'a>(core: Option<&'a Schema>, name: &str) -> Option<&'a AttributeDef> {
    common_attributes()
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .or_else(|| core.and_then(|c| c.attribute(name)))
}

/// What `paths` say about attribute `def` of schema `urn`.
fn select<'a>(
    paths: &[AttrPath],
    def: &'a AttributeDef,
    urn: &str,
    schemas: &SchemaRegistry,
    rt: &ResourceType,
) -> Selection<'a> {
    let mut sel = Selection::default();
    for p in paths {
        if p.as_schema_urn().is_some_and(|u| u.eq_ignore_ascii_case(urn)) {
            sel.whole = true;
            continue;
        }
        let Some(r) = schemas.resolve(rt, p) else { continue };
        if !r.schema_urn.eq_ignore_ascii_case(urn) || r.attr.name != def.name {
            continue;
        }
        match r.sub.and_then(|s| def.sub(&s.name)) {
            Some(s) => sel.subs.push(s.name.as_str()),
            None => sel.whole = true,
        }
    }
    sel
}

/// Keeps in `v` only the sub-attributes `keep` accepts (never the
/// `returned: never` ones); for a multi-valued attribute, per value, dropping
/// values left empty. Scalars are kept unchanged; false when nothing is left.
fn keep_subs(def: &AttributeDef, v: &mut Value, keep: impl Fn(&AttributeDef) -> bool) -> bool {
    if def.sub_attributes.is_empty() {
        return true;
    }
    let filter = |m: &mut Map<String, Value>| -> bool {
        m.retain(|k, _| match def.sub(k) {
            Some(s) => s.returned != Returned::Never && keep(s),
            // A sub-attribute outside the schema: kept only when the
            // whole attribute is.
            None => keep(def),
        });
        !m.is_empty()
    };
    match v {
        Value::Object(m) => filter(m),
        Value::Array(items) => {
            items.retain_mut(|item| match item {
                Value::Object(m) => filter(m),
                _ => true,
            });
            !items.is_empty()
        }
        _ => true,
    }
}
