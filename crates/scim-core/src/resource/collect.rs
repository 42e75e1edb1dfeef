//! Sorting a request body's keys by schema (RFC 7643 §3, §3.3): core and
//! common attributes at the top level or under the core URN, extension
//! attributes under their URN or as fully-qualified `urn:…:attr` keys.
//! Names match case-insensitively (RFC 7643 §2.1) and come out in the
//! schema's canonical spelling; values are not checked here. Undeclared
//! extension objects are refused or kept whole, per the tenant's
//! [`UnknownExtensions`] policy.

use serde_json::{Map, Value};

use super::validate::quote;
use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{
    AttrType, AttributeDef, ResourceType, Schema, SchemaRegistry, UnknownExtensions, common_attributes,
};

/// The body's attributes, by schema, still unvalidated.
#[derive(Debug, Default)]
pub struct Collected<'r> {
    /// Common and core attributes, by canonical name.
    pub core: Map<String, Value>,
    /// Extension attributes by canonical name, per extension schema named in
    /// the body (also when its object is null or empty).
    pub extensions: Vec<(&'r Schema, Map<String, Value>)>,
    /// Undeclared extension objects to keep verbatim, by URN as given;
    /// never empty objects.
    pub unknown: Vec<(String, Map<String, Value>)>,
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
/// attributes are refused with `invalidSyntax`, an attribute given twice (in
/// two spellings or places) with `invalidSyntax`, unknown schema URNs with
/// `invalidValue` unless [`keeps_unknown`] allows them. `stored` is the
/// resource's current document on PUT and PATCH.
pub fn collect<'r>(
    obj: &Map<String, Value>,
    core: &'r Schema,
    rt: &ResourceType,
    reg: &'r SchemaRegistry,
    stored: Option<&Map<String, Value>>,
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
            keep_unknown(&mut c, key, v, rt, reg, stored)?;
            continue;
        };
        if urn.eq_ignore_ascii_case(&rt.schema) {
            add(&core_lookup, &mut c.core, &attr, sub_attr.as_deref(), v, "", &mut unknown)?;
        } else if let Some(ext) = reg.extension_of(rt, &urn) {
            let prefix = format!("{}:", ext.id);
            let map = extension_map(&mut c, ext);
            add(&|n: &str| ext.attribute(n), map, &attr, sub_attr.as_deref(), v, &prefix, &mut unknown)?;
        } else {
            keep_unknown(&mut c, key, v, rt, reg, stored)?;
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

/// Whether an undeclared extension URN may stay in the document: always when
/// the tenant keeps unknown extensions; otherwise only when the stored
/// resource already holds it (`value`: with that same object), so that
/// resources written before an extension was removed from the tenant can
/// still be changed by writes that leave that data alone.
pub fn keeps_unknown(
    reg: &SchemaRegistry,
    stored: Option<&Map<String, Value>>,
    urn: &str,
    value: Option<&Value>,
) -> bool {
    if reg.unknown_extensions() == UnknownExtensions::Keep {
        return true;
    }
    let before = stored.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(urn))).map(|(_, v)| v);
    match (before, value) {
        (Some(before), Some(value)) => before == value,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Files an object under an undeclared URN key in `c.unknown`, or refuses it.
fn keep_unknown(
    c: &mut Collected<'_>,
    key: &str,
    v: &Value,
    rt: &ResourceType,
    reg: &SchemaRegistry,
    stored: Option<&Map<String, Value>>,
) -> Result<(), ScimError> {
    if !keeps_unknown(reg, stored, key, Some(v)) {
        return Err(unknown_urn(key, rt, reg));
    }
    let obj = match v {
        Value::Object(m) => m,
        Value::Null => return Ok(()),
        // A scalar under a URN key is an attribute of an undeclared
        // extension: without a definition there is nowhere to file it.
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{} is not a schema extension of resource type {}; an undeclared extension is kept only as a whole JSON object under its URN",
                quote(key),
                rt.name
            )));
        }
    };
    if c.unknown.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
        return Err(duplicate("", key));
    }
    if !obj.is_empty() {
        c.unknown.push((key.to_owned(), obj.clone()));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ScimType;
    use crate::resource::{Mode, prepare};
    use crate::schema::USER_URN;

    const ODD: &str = "urn:example:odd:1.0:User";

    fn prep(reg: &SchemaRegistry, input: &Value, mode: Mode<'_>) -> Result<Value, ScimError> {
        let rt = reg.resource_type("User").unwrap();
        prepare(input, mode, reg, rt).map(|p| p.doc)
    }

    #[test]
    fn unknown_extensions_are_refused_by_default() {
        let reg = SchemaRegistry::standard();
        assert_eq!(reg.unknown_extensions(), UnknownExtensions::Reject);
        // Listed without data: ignored (nothing to lose), and not echoed.
        let listed = json!({ "schemas": [USER_URN, ODD], "userName": "a" });
        assert_eq!(prep(&reg, &listed, Mode::Create).unwrap()["schemas"], json!([USER_URN]));
        // Listed with data: refused.
        let listed = json!({ "schemas": [USER_URN, ODD], "userName": "a", ODD: { "x": 1 } });
        let e = prep(&reg, &listed, Mode::Create).unwrap_err();
        assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)));
        assert!(e.detail.contains(ODD), "{}", e.detail);
        let keyed = json!({ "schemas": [USER_URN], "userName": "a", ODD: { "x": 1 } });
        let e = prep(&reg, &keyed, Mode::Create).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        assert!(e.detail.contains("is not a schema extension"), "{}", e.detail);
    }

    #[test]
    fn kept_unknown_extensions_are_stored_verbatim() {
        let reg = SchemaRegistry::standard().with_unknown_extensions(UnknownExtensions::Keep);
        let body = json!({ "schemas": [USER_URN, ODD], "userName": "a",
                           ODD: { "Anything": [1, { "goes": true }], "n": null } });
        let doc = prep(&reg, &body, Mode::Create).unwrap();
        assert_eq!(doc["schemas"], json!([USER_URN, ODD]));
        assert_eq!(doc[ODD], body[ODD]);
        // The URN is listed even when the client forgot it in `schemas`;
        // an empty or null object is no extension at all.
        let body = json!({ "schemas": [USER_URN], "userName": "a", ODD: { "k": "v" },
                           "urn:example:empty:1.0:User": {}, "urn:example:null:1.0:User": null });
        let doc = prep(&reg, &body, Mode::Create).unwrap();
        assert_eq!(doc["schemas"], json!([USER_URN, ODD]));
        assert_eq!(doc.as_object().unwrap().len(), 3, "{doc}");
        // Without a definition, an attribute cannot be filed on its own.
        let e = prep(
            &reg,
            &json!({ "schemas": [USER_URN], "userName": "a", "urn:example:odd:1.0:User:k": "v" }),
            Mode::Create,
        )
        .unwrap_err();
        assert!(e.detail.contains("only as a whole JSON object"), "{}", e.detail);
        let twice = json!({ "schemas": [USER_URN], "userName": "a", ODD: { "k": 1 }, ODD.to_uppercase(): { "k": 2 } });
        assert_eq!(prep(&reg, &twice, Mode::Create).unwrap_err().scim_type, Some(ScimType::InvalidSyntax));
        // Declared extensions are still validated.
        let bad = json!({ "schemas": [USER_URN], "userName": "a",
                          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "bogus": 1 } });
        assert_eq!(prep(&reg, &bad, Mode::Create).unwrap_err().scim_type, Some(ScimType::InvalidSyntax));
    }

    #[test]
    fn stored_unknown_extensions_survive_writes_that_leave_them_alone() {
        let keep = SchemaRegistry::standard().with_unknown_extensions(UnknownExtensions::Keep);
        let stored =
            prep(&keep, &json!({ "schemas": [USER_URN, ODD], "userName": "a", ODD: { "k": 1 } }), Mode::Create)
                .unwrap();
        let reject = SchemaRegistry::standard();
        let mut changed = stored.clone();
        changed["displayName"] = json!("A");
        let doc = prep(&reject, &changed, Mode::Patched { existing: &stored }).unwrap();
        assert_eq!((doc[ODD].clone(), doc["displayName"].clone()), (json!({ "k": 1 }), json!("A")));
        // Changing the undeclared extension, or adding it anew, is refused.
        changed[ODD] = json!({ "k": 2 });
        let e = prep(&reject, &changed, Mode::Replace { existing: &stored }).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
        let e = prep(&reject, &stored, Mode::Create).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    }
}
