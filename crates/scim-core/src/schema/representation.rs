//! The JSON representation of schemas and resource types served by
//! `/Schemas` (RFC 7643 §7) and `/ResourceTypes` (RFC 7643 §6), with every
//! attribute characteristic spelled as the RFC spells it (§7, §8.7).

use serde_json::{Map, Value, json};

use super::{AttributeDef, ResourceType, Schema};

/// The URN of a schema representation (RFC 7643 §7, §8.7.1).
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// The URN of a resource type representation (RFC 7643 §6, §8.6).
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// The `/Schemas/{id}` document of `schema`. `base_url` is the tenant's SCIM
/// base URL without a trailing slash.
pub fn schema_json(schema: &Schema, base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_URN],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(attribute_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base_url.trim_end_matches('/'), schema.id),
        },
    })
}

/// The `/ResourceTypes/{name}` document of `rt`.
pub fn resource_type_json(rt: &ResourceType, base_url: &str) -> Value {
    let extensions: Vec<Value> =
        rt.extensions.iter().map(|e| json!({ "schema": e.schema, "required": e.required })).collect();
    json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base_url.trim_end_matches('/'), rt.name),
        },
    })
}

/// One attribute definition as §7 prints it. `canonicalValues`,
/// `referenceTypes` and `subAttributes` appear only when non-empty, as in the
/// §8.7.1 listing.
pub fn attribute_json(a: &AttributeDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(a.name.clone()));
    m.insert("type".into(), Value::String(a.ty.as_str().into()));
    m.insert("multiValued".into(), Value::Bool(a.multi_valued));
    m.insert("description".into(), Value::String(a.description.clone()));
    m.insert("required".into(), Value::Bool(a.required));
    m.insert("caseExact".into(), Value::Bool(a.case_exact));
    m.insert("mutability".into(), Value::String(a.mutability.as_str().into()));
    m.insert("returned".into(), Value::String(a.returned.as_str().into()));
    m.insert("uniqueness".into(), Value::String(a.uniqueness.as_str().into()));
    if !a.canonical_values.is_empty() {
        m.insert("canonicalValues".into(), json!(a.canonical_values));
    }
    if !a.reference_types.is_empty() {
        m.insert("referenceTypes".into(), json!(a.reference_types));
    }
    if !a.sub_attributes.is_empty() {
        m.insert("subAttributes".into(), Value::Array(a.sub_attributes.iter().map(attribute_json).collect()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER_URN, GROUP_URN, SchemaRegistry, USER_URN};

    const BASE: &str = "https://example.com/scim/v2/acme";
    const CHARACTERISTICS: [&str; 9] =
        ["name", "type", "multiValued", "description", "required", "caseExact", "mutability", "returned", "uniqueness"];

    fn check_all(attrs: &[Value], path: &str) -> usize {
        let mut n = 0;
        for a in attrs {
            let name = a["name"].as_str().unwrap_or("?");
            for c in CHARACTERISTICS {
                assert!(a.get(c).is_some(), "{path}{name} lacks {c}");
            }
            assert!(!a["description"].as_str().unwrap().is_empty(), "{path}{name} has no description");
            assert_eq!(a["type"] == "complex", a.get("subAttributes").is_some(), "{path}{name} subAttributes");
            if a["type"] == "reference" {
                assert!(a.get("referenceTypes").is_some(), "{path}{name} lacks referenceTypes");
            }
            n += 1;
            if let Some(Value::Array(subs)) = a.get("subAttributes") {
                n += check_all(subs, &format!("{path}{name}."));
            }
        }
        n
    }

    fn attr<'a>(schema: &'a Value, path: &str) -> &'a Value {
        let mut cur = &schema["attributes"];
        let mut found = &Value::Null;
        for part in path.split('.') {
            found = cur.as_array().unwrap().iter().find(|a| a["name"] == part).unwrap_or_else(|| panic!("{path}"));
            cur = &found["subAttributes"];
        }
        found
    }

    #[test]
    fn every_attribute_carries_every_characteristic() {
        let reg = SchemaRegistry::standard();
        let mut total = 0;
        for s in reg.schemas() {
            let j = schema_json(s, BASE);
            assert_eq!(j["schemas"][0], SCHEMA_URN);
            assert_eq!(j["id"], s.id.as_str());
            assert_eq!(j["meta"]["resourceType"], "Schema");
            assert_eq!(j["meta"]["location"], format!("{BASE}/Schemas/{}", s.id));
            total += check_all(j["attributes"].as_array().unwrap(), "");
        }
        // User 21 top-level + subs, Group 2 + 4, Enterprise 6 + 3.
        assert!(total > 80, "only {total} attributes");
    }

    #[test]
    fn user_schema_decisions() {
        let reg = SchemaRegistry::standard();
        let user = schema_json(reg.schema(USER_URN).unwrap(), BASE);
        let u = attr(&user, "userName");
        assert_eq!((u["required"].clone(), u["caseExact"].clone()), (json!(true), json!(false)));
        assert_eq!(u["uniqueness"], "server");
        let p = attr(&user, "password");
        assert_eq!((p["mutability"].clone(), p["returned"].clone()), (json!("writeOnly"), json!("never")));
        for g in ["groups", "groups.value", "groups.$ref", "groups.display", "groups.type"] {
            assert_eq!(attr(&user, g)["mutability"], "readOnly", "{g}");
        }
        assert_eq!(attr(&user, "emails.type")["canonicalValues"], json!(["work", "home", "other"]));
        assert_eq!(attr(&user, "phoneNumbers.type")["canonicalValues"].as_array().unwrap().len(), 6);
        assert_eq!(attr(&user, "ims.type")["canonicalValues"].as_array().unwrap().len(), 8);
        assert_eq!(attr(&user, "photos.type")["canonicalValues"], json!(["photo", "thumbnail"]));
        assert_eq!(attr(&user, "addresses.type")["canonicalValues"], json!(["work", "home", "other"]));
        assert_eq!(attr(&user, "addresses.primary")["type"], "boolean");
        assert_eq!(attr(&user, "x509Certificates.value")["type"], "binary");
        assert_eq!(attr(&user, "photos.value")["referenceTypes"], json!(["external"]));
        assert_eq!(attr(&user, "emails")["multiValued"], true);
        assert_eq!(attr(&user, "name")["multiValued"], false);
        assert!(attr(&user, "name").get("canonicalValues").is_none());
    }

    #[test]
    fn group_and_enterprise_decisions() {
        let reg = SchemaRegistry::standard();
        let group = schema_json(reg.schema(GROUP_URN).unwrap(), BASE);
        assert_eq!(attr(&group, "displayName")["required"], true);
        assert_eq!(attr(&group, "members.value")["mutability"], "immutable");
        assert_eq!(attr(&group, "members.$ref")["referenceTypes"], json!(["User", "Group"]));
        assert_eq!(attr(&group, "members.type")["canonicalValues"], json!(["User", "Group"]));
        assert_eq!(attr(&group, "members.display")["type"], "string");
        let ent = schema_json(reg.schema(ENTERPRISE_USER_URN).unwrap(), BASE);
        assert_eq!(attr(&ent, "manager.displayName")["mutability"], "readOnly");
        assert_eq!(attr(&ent, "manager.$ref")["referenceTypes"], json!(["User"]));
        assert_eq!(attr(&ent, "employeeNumber")["type"], "string");
    }

    #[test]
    fn resource_type_shape() {
        let reg = SchemaRegistry::standard();
        let user = resource_type_json(reg.resource_type("User").unwrap(), &format!("{BASE}/"));
        assert_eq!(user["schemas"][0], RESOURCE_TYPE_URN);
        assert_eq!((user["id"].clone(), user["name"].clone()), (json!("User"), json!("User")));
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["schema"], USER_URN);
        assert_eq!(user["schemaExtensions"], json!([{ "schema": ENTERPRISE_USER_URN, "required": false }]));
        assert_eq!(
            user["meta"],
            json!({ "resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User") })
        );
        let group = resource_type_json(reg.resource_type("Group").unwrap(), BASE);
        assert_eq!(group["schemaExtensions"], json!([]));
        assert_eq!(group["description"], "Group");
    }
}
