//! Tenant-declared extension schemas (RFC 7643 §7 schema representation,
//! §3.3 extensions), read from the same JSON shape `/Schemas` serves.
//!
//! Absent characteristics take the RFC 7643 §2.2 defaults (type `string`,
//! single-valued, not required, not case-exact, `readWrite`, returned
//! `default`, uniqueness `none`), so that `parse_extension_schema` of
//! [`super::schema_json`]'s output gives back the same [`Schema`].

use serde_json::{Map, Value};

use super::{
    AttrType, AttributeDef, ENTERPRISE_USER_URN, GROUP_URN, Mutability, RESOURCE_TYPE_URN, Returned, SCHEMA_URN,
    Schema, USER_URN, Uniqueness,
};
use crate::error::ScimError;
use crate::path::{AttrPath, MAX_PATH_LEN};

/// The most attributes (or sub-attributes of one attribute) a tenant schema
/// may declare: a bound on what every request validates against.
pub const MAX_EXTENSION_ATTRIBUTES: usize = 256;

/// The longest attribute name accepted in a tenant schema.
const MAX_NAME_LEN: usize = 128;

/// URNs a tenant may not claim: the standard schemas and the IETF-owned core
/// and message namespaces (RFC 7643 §10.2, RFC 7644 §3.1).
const RESERVED_URNS: [&str; 5] = [USER_URN, GROUP_URN, ENTERPRISE_USER_URN, SCHEMA_URN, RESOURCE_TYPE_URN];
const RESERVED_PREFIXES: [&str; 2] = ["urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:api:"];

/// Reads a tenant's extension schema in the RFC 7643 §7 representation.
///
/// Errors are `400 invalidValue` whose detail names the offending attribute
/// (`attributes[1] "badge".subAttributes[0] "kind".type: …`); a body that is
/// not a JSON object is `400 invalidSyntax`. `schemas` and `meta` (as
/// `/Schemas` prints them) are accepted and ignored.
pub fn parse_extension_schema(def: &Value) -> Result<Schema, ScimError> {
    let Value::Object(obj) = def else {
        return Err(ScimError::invalid_syntax("a schema definition must be a JSON object (RFC 7643 §7)"));
    };
    let mut id = None;
    let mut name = String::new();
    let mut description = String::new();
    let mut attributes = None;
    for (key, value) in obj {
        match key.to_ascii_lowercase().as_str() {
            "id" => id = Some(string(value, "id")?),
            "name" => name = optional_string(value, "name")?,
            "description" => description = optional_string(value, "description")?,
            "attributes" => attributes = Some(value),
            "schemas" | "meta" => {}
            _ => return Err(ScimError::invalid_value(format!("schema: unknown key \"{}\"", clip(key)))),
        }
    }
    let id = id.ok_or_else(|| ScimError::invalid_value("schema: id (the schema URN) is required"))?;
    check_urn(&id)?;
    let attributes = match attributes {
        Some(Value::Array(list)) => attribute_list(list, "", false)?,
        Some(_) => return Err(ScimError::invalid_value("schema: attributes must be an array")),
        None => return Err(ScimError::invalid_value("schema: attributes is required")),
    };
    if attributes.is_empty() {
        return Err(ScimError::invalid_value("schema: attributes must declare at least one attribute"));
    }
    Ok(Schema { id, name, description, attributes })
}

/// RFC 7643 §10.2 schema URIs: `urn:` + namespace + specific string. The
/// URN becomes a prefix of attribute paths (everything before the last `:`
/// is the URN, RFC 7644 §3.10), so it must not end in `:` and must not hold
/// characters the filter and path grammars treat specially.
fn check_urn(id: &str) -> Result<(), ScimError> {
    let shown = clip(id);
    let has_prefix = id.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    if !has_prefix || id.matches(':').count() < 2 || id.ends_with(':') {
        return Err(ScimError::invalid_value(format!(
            "schema id \"{shown}\" is not a schema URN such as \"urn:example:params:scim:schemas:extension:acme:2.0:User\""
        )));
    }
    if id.len() > MAX_PATH_LEN / 2 {
        return Err(ScimError::invalid_value(format!(
            "schema id \"{shown}\" is longer than {} characters",
            MAX_PATH_LEN / 2
        )));
    }
    if let Some(c) = id.chars().find(|c| c.is_whitespace() || c.is_control() || "\"[]()\\".contains(*c)) {
        return Err(ScimError::invalid_value(format!("schema id \"{shown}\" contains the character {c:?}")));
    }
    let lower = id.to_ascii_lowercase();
    if RESERVED_URNS.iter().any(|u| u.eq_ignore_ascii_case(id))
        || RESERVED_PREFIXES.iter().any(|p| lower.starts_with(p))
    {
        return Err(ScimError::invalid_value(format!(
            "schema id \"{shown}\" is a standard SCIM URN; a tenant extension needs a URN of its own"
        )));
    }
    Ok(())
}

/// `attributes` or `subAttributes`: each entry parsed, names unique
/// case-insensitively (RFC 7643 §2.1).
fn attribute_list(list: &[Value], parent: &str, is_sub: bool) -> Result<Vec<AttributeDef>, ScimError> {
    let field = if is_sub { "subAttributes" } else { "attributes" };
    if list.len() > MAX_EXTENSION_ATTRIBUTES {
        return Err(ScimError::invalid_value(format!(
            "{parent}{field} declares {} attributes; at most {MAX_EXTENSION_ATTRIBUTES} are allowed",
            list.len()
        )));
    }
    let mut out: Vec<AttributeDef> = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let at = format!("{parent}{field}[{i}]");
        let def = attribute(raw, &at, is_sub)?;
        if let Some(j) = out.iter().position(|d| d.name.eq_ignore_ascii_case(&def.name)) {
            return Err(ScimError::invalid_value(format!(
                "{at}: the name \"{}\" is already used by {parent}{field}[{j}] (names are case-insensitive)",
                def.name
            )));
        }
        out.push(def);
    }
    Ok(out)
}

fn attribute(raw: &Value, at: &str, is_sub: bool) -> Result<AttributeDef, ScimError> {
    let Value::Object(obj) = raw else {
        return Err(ScimError::invalid_value(format!("{at} must be an attribute definition (a JSON object)")));
    };
    let name = match find(obj, "name") {
        Some(Value::String(n)) => n.clone(),
        Some(_) => return Err(ScimError::invalid_value(format!("{at}.name must be a string"))),
        None => return Err(ScimError::invalid_value(format!("{at}.name is required"))),
    };
    let valid = AttrPath::is_valid_name(&name) && name.len() <= MAX_NAME_LEN && (is_sub || name != "$ref");
    if !valid {
        return Err(ScimError::invalid_value(format!(
            "{at}.name \"{}\" is not a valid attribute name (a letter, then letters, digits, '-' or '_'; at most {MAX_NAME_LEN})",
            clip(&name)
        )));
    }
    // From here on the detail names the attribute as well as its position.
    let at = format!("{at} \"{name}\"");
    let mut def = AttributeDef::string(&name);
    let mut subs = None;
    for (key, value) in obj {
        let here = || format!("{at}.{key}");
        match key.to_ascii_lowercase().as_str() {
            "name" => {}
            "type" => def.ty = keyword(value, &here(), AttrType::parse, TYPES)?,
            "multivalued" => def.multi_valued = boolean(value, &here())?,
            "description" => def.description = optional_string(value, &here())?,
            "required" => def.required = boolean(value, &here())?,
            "caseexact" => def.case_exact = boolean(value, &here())?,
            "mutability" => def.mutability = keyword(value, &here(), parse_mutability, MUTABILITIES)?,
            "returned" => def.returned = keyword(value, &here(), parse_returned, RETURNED)?,
            "uniqueness" => def.uniqueness = keyword(value, &here(), parse_uniqueness, UNIQUENESS)?,
            "canonicalvalues" => def.canonical_values = strings(value, &here())?,
            "referencetypes" => def.reference_types = strings(value, &here())?,
            "subattributes" => subs = Some(value),
            _ => return Err(ScimError::invalid_value(format!("{at}: unknown characteristic \"{}\"", clip(key)))),
        }
    }
    if !def.reference_types.is_empty() && def.ty != AttrType::Reference {
        return Err(ScimError::invalid_value(format!(
            "{at}.referenceTypes applies only to attributes of type reference, not {}",
            def.ty.as_str()
        )));
    }
    match (def.ty, subs) {
        // RFC 7643 §2.3.8: a complex attribute has sub-attributes, and they
        // may not themselves be complex.
        (AttrType::Complex, _) if is_sub => {
            return Err(ScimError::invalid_value(format!("{at}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)")));
        }
        (AttrType::Complex, Some(Value::Array(list))) => {
            def.sub_attributes = attribute_list(list, &format!("{at}."), true)?;
            if def.sub_attributes.is_empty() {
                return Err(ScimError::invalid_value(format!("{at}.subAttributes must not be empty")));
            }
        }
        (AttrType::Complex, Some(_)) => {
            return Err(ScimError::invalid_value(format!("{at}.subAttributes must be an array")));
        }
        (AttrType::Complex, None) => {
            return Err(ScimError::invalid_value(format!("{at} is complex and needs subAttributes")));
        }
        (ty, Some(_)) => {
            return Err(ScimError::invalid_value(format!(
                "{at}.subAttributes applies only to complex attributes, not {}",
                ty.as_str()
            )));
        }
        (_, None) => {}
    }
    Ok(def)
}

const TYPES: &str = "string, boolean, decimal, integer, dateTime, reference, complex, binary";
const MUTABILITIES: &str = "readOnly, readWrite, immutable, writeOnly";
const RETURNED: &str = "always, never, default, request";
const UNIQUENESS: &str = "none, server, global";

fn parse_mutability(s: &str) -> Option<Mutability> {
    [Mutability::ReadOnly, Mutability::ReadWrite, Mutability::Immutable, Mutability::WriteOnly]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s))
}

fn parse_returned(s: &str) -> Option<Returned> {
    [Returned::Always, Returned::Never, Returned::Default, Returned::Request]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(s))
}

fn parse_uniqueness(s: &str) -> Option<Uniqueness> {
    [Uniqueness::None, Uniqueness::Server, Uniqueness::Global].into_iter().find(|u| u.as_str().eq_ignore_ascii_case(s))
}

fn keyword<T>(value: &Value, at: &str, parse: fn(&str) -> Option<T>, allowed: &str) -> Result<T, ScimError> {
    match value {
        Value::String(s) => {
            parse(s).ok_or_else(|| ScimError::invalid_value(format!("{at}: \"{}\" is not one of {allowed}", clip(s))))
        }
        _ => Err(ScimError::invalid_value(format!("{at} must be a string, one of {allowed}"))),
    }
}

fn boolean(value: &Value, at: &str) -> Result<bool, ScimError> {
    value.as_bool().ok_or_else(|| ScimError::invalid_value(format!("{at} must be true or false")))
}

fn string(value: &Value, at: &str) -> Result<String, ScimError> {
    value.as_str().map(str::to_owned).ok_or_else(|| ScimError::invalid_value(format!("schema: {at} must be a string")))
}

/// A string characteristic where `null` means "not given".
fn optional_string(value: &Value, at: &str) -> Result<String, ScimError> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(ScimError::invalid_value(format!("{at} must be a string"))),
    }
}

/// `canonicalValues`, `referenceTypes`: arrays of distinct non-empty strings.
fn strings(value: &Value, at: &str) -> Result<Vec<String>, ScimError> {
    let Value::Array(list) = value else {
        return Err(ScimError::invalid_value(format!("{at} must be an array of strings")));
    };
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        match v {
            Value::String(s) if !s.trim().is_empty() => {
                if out.contains(s) {
                    return Err(ScimError::invalid_value(format!("{at}[{i}]: \"{}\" is listed twice", clip(s))));
                }
                out.push(s.clone());
            }
            _ => return Err(ScimError::invalid_value(format!("{at}[{i}] must be a non-empty string"))),
        }
    }
    Ok(out)
}

/// The value of `key`, matched case-insensitively (RFC 7643 §2.1).
fn find<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

/// Client text echoed in a detail, cut to a readable length.
fn clip(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ScimType;
    use crate::schema::{SchemaRegistry, schema_json};

    const BASE: &str = "https://example.com/scim/v2/acme";
    const URN: &str = "urn:example:scim:schemas:extension:acme:2.0:User";

    fn err(def: Value) -> ScimError {
        parse_extension_schema(&def).unwrap_err()
    }

    fn with_attr(attr: Value) -> Value {
        json!({ "id": URN, "attributes": [attr] })
    }

    #[test]
    fn defaults_follow_rfc7643_2_2() {
        let s = parse_extension_schema(&with_attr(json!({ "name": "costCenter" }))).unwrap();
        assert_eq!(s.id, URN);
        assert_eq!((s.name.as_str(), s.description.as_str()), ("", ""));
        assert_eq!(s.attributes, vec![AttributeDef::string("costCenter")]);
    }

    #[test]
    fn reads_every_characteristic() {
        let def = json!({
            "schemas": [SCHEMA_URN],
            "id": URN,
            "name": "AcmeUser",
            "description": "Acme's extra attributes",
            "attributes": [
                { "name": "badge", "type": "COMPLEX", "multiValued": true, "description": "Badges",
                  "required": false, "caseExact": false, "mutability": "readWrite", "returned": "default",
                  "uniqueness": "none",
                  "subAttributes": [
                    { "name": "value", "type": "string", "caseExact": true, "uniqueness": "global" },
                    { "name": "kind", "canonicalValues": ["door", "parking"] },
                    { "name": "$ref", "type": "reference", "referenceTypes": ["User", "external"] }
                  ] },
                { "name": "level", "type": "integer", "required": true, "mutability": "immutable",
                  "returned": "always" },
                { "name": "pin", "mutability": "writeOnly", "returned": "never" }
            ],
            "meta": { "resourceType": "Schema" }
        });
        let s = parse_extension_schema(&def).unwrap();
        assert_eq!(s.name, "AcmeUser");
        let badge = &s.attributes[0];
        assert_eq!((badge.ty, badge.multi_valued), (AttrType::Complex, true));
        assert!(badge.sub("VALUE").unwrap().case_exact);
        assert_eq!(badge.sub("value").unwrap().uniqueness, Uniqueness::Global);
        assert_eq!(badge.sub("kind").unwrap().canonical_values, ["door", "parking"]);
        assert_eq!(badge.sub("$ref").unwrap().reference_types, ["User", "external"]);
        let level = s.attribute("level").unwrap();
        assert!(level.required);
        assert_eq!(
            (level.ty, level.mutability, level.returned),
            (AttrType::Integer, Mutability::Immutable, Returned::Always)
        );
        let pin = s.attribute("pin").unwrap();
        assert_eq!((pin.mutability, pin.returned), (Mutability::WriteOnly, Returned::Never));
    }

    #[test]
    fn round_trips_through_schema_json() {
        let def = json!({ "id": URN, "name": "Acme", "attributes": [
            { "name": "badge", "type": "complex", "multiValued": true,
              "subAttributes": [{ "name": "value" }, { "name": "$ref", "type": "reference", "referenceTypes": ["User"] }] },
            { "name": "hired", "type": "dateTime", "returned": "request", "uniqueness": "server" },
            { "name": "photo", "type": "binary", "description": "portrait" }
        ]});
        let s = parse_extension_schema(&def).unwrap();
        assert_eq!(parse_extension_schema(&schema_json(&s, BASE)).unwrap(), s);
        // The standard schemas use every characteristic: as tenant schemas
        // under a URN of their own they must round-trip too.
        for std in SchemaRegistry::standard().schemas() {
            let mut renamed = std.clone();
            renamed.id = format!("urn:example:copy:{}", std.name);
            let back = parse_extension_schema(&schema_json(&renamed, BASE)).unwrap();
            assert_eq!(back, renamed, "{}", std.id);
        }
    }

    #[test]
    fn refuses_bad_or_reserved_urns() {
        for id in [
            "acme:User",
            "urn:",
            "urn:acme",
            "urn:acme:",
            "urn:acme:with space",
            USER_URN,
            &GROUP_URN.to_uppercase(),
            ENTERPRISE_USER_URN,
            "urn:ietf:params:scim:schemas:core:2.0:Widget",
            "urn:ietf:params:scim:api:messages:2.0:BulkRequest",
        ] {
            let e = err(json!({ "id": id, "attributes": [{ "name": "a" }] }));
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{id}");
            assert!(e.detail.contains("schema id"), "{id}: {}", e.detail);
        }
        assert!(err(json!({ "attributes": [{ "name": "a" }] })).detail.contains("id"));
        assert_eq!(err(json!(["not", "an", "object"])).scim_type, Some(ScimType::InvalidSyntax));
        assert!(err(json!({ "id": URN, "attributes": [] })).detail.contains("at least one"));
    }

    #[test]
    fn unknown_keywords_name_the_attribute() {
        let cases = [
            (json!({ "name": "level", "type": "number" }), "attributes[0] \"level\".type: \"number\""),
            (json!({ "name": "level", "mutability": "sometimes" }), "\"level\".mutability"),
            (json!({ "name": "level", "returned": "maybe" }), "\"level\".returned"),
            (json!({ "name": "level", "uniqueness": "tenant" }), "\"level\".uniqueness"),
            (json!({ "name": "level", "required": "yes" }), "\"level\".required must be true or false"),
            (json!({ "name": "level", "mutabilty": "readOnly" }), "unknown characteristic \"mutabilty\""),
            (json!({ "name": "level", "canonicalValues": "a" }), "\"level\".canonicalValues"),
            (json!({ "name": "level", "referenceTypes": ["User"] }), "only to attributes of type reference"),
        ];
        for (attr, needle) in cases {
            let e = err(with_attr(attr.clone()));
            assert_eq!(e.status, 400);
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{attr}");
            assert!(e.detail.contains(needle), "{attr}: {}", e.detail);
        }
    }

    #[test]
    fn names_must_be_valid_and_unique() {
        for bad in ["1st", "has space", "dot.ted", "", "$ref"] {
            let e = err(with_attr(json!({ "name": bad })));
            assert!(e.detail.contains("not a valid attribute name"), "{bad}: {}", e.detail);
        }
        assert!(err(with_attr(json!({ "type": "string" }))).detail.contains("attributes[0].name is required"));
        let e = err(json!({ "id": URN, "attributes": [{ "name": "costCenter" }, { "name": "COSTCENTER" }] }));
        assert!(e.detail.contains("attributes[1]") && e.detail.contains("attributes[0]"), "{}", e.detail);
        let e = err(with_attr(json!({ "name": "c", "type": "complex",
            "subAttributes": [{ "name": "v" }, { "name": "V" }] })));
        assert!(e.detail.contains("\"c\".subAttributes[1]"), "{}", e.detail);
    }

    #[test]
    fn complex_rules() {
        let e = err(with_attr(json!({ "name": "c", "type": "complex" })));
        assert!(e.detail.contains("needs subAttributes"), "{}", e.detail);
        let e = err(with_attr(json!({ "name": "c", "type": "complex", "subAttributes": [] })));
        assert!(e.detail.contains("must not be empty"), "{}", e.detail);
        let e = err(with_attr(json!({ "name": "c", "type": "complex", "subAttributes": [
            { "name": "inner", "type": "complex", "subAttributes": [{ "name": "x" }] }
        ] })));
        assert!(e.detail.contains("\"inner\": a sub-attribute cannot be complex"), "{}", e.detail);
        let e = err(with_attr(json!({ "name": "s", "subAttributes": [{ "name": "x" }] })));
        assert!(e.detail.contains("only to complex"), "{}", e.detail);
    }

    #[test]
    fn parsed_schema_registers_as_an_extension() {
        let s = parse_extension_schema(&with_attr(json!({ "name": "costCenter" }))).unwrap();
        let mut reg = SchemaRegistry::standard();
        reg.add_extension("User", s, false).unwrap();
        let user = reg.resource_type("User").unwrap();
        let path = AttrPath::parse(&format!("{URN}:costCenter")).unwrap();
        assert_eq!(reg.resolve(user, &path).unwrap().attr.name, "costCenter");
    }
}
