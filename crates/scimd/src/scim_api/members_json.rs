//! A Group's `members` (RFC 7643 §4.2) written as JSON text straight from
//! the membership rows, and a rendered resource that carries it.
//!
//! Why not a `serde_json::Value` per member: a group of 100,000 members
//! took 352 ms and about 100 MB to answer that way (a map with four
//! strings per member, then the text), and 32 such requests at once took
//! the process to 860 MB. As text, a member costs its ~150–190 bytes of
//! JSON (the response body is one more copy of it).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use scim_core::projection::Projection;
use scim_core::schema::{ResourceType, SchemaRegistry};
use scim_store::Member;

/// The sub-attributes of `members` a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFields {
    value: bool,
    reference: bool,
    display: bool,
    kind: bool,
}

impl MemberFields {
    /// What `projection` keeps of a Group's members; `None` when it keeps
    /// none of them. Projection of `members` depends on sub-attribute names
    /// only, never on values, so one sample member tells it for all.
    pub fn of(projection: &Projection, schemas: &SchemaRegistry, rt: &ResourceType) -> Option<MemberFields> {
        let sample = json!({"members": [{"value": "v", "$ref": "r", "display": "d", "type": "t"}]});
        let kept = projection.apply(sample, schemas, rt);
        let m = kept.get("members")?.get(0)?.as_object()?;
        Some(MemberFields {
            value: m.contains_key("value"),
            reference: m.contains_key("$ref"),
            display: m.contains_key("display"),
            kind: m.contains_key("type"),
        })
    }
}

/// The `members` array as JSON text; `None` when there are no members
/// (an empty multi-valued attribute is left out, RFC 7643 §2.4). `base_url`
/// is the tenant's SCIM base, for `$ref`.
pub fn members_json(members: &[Member], fields: MemberFields, base_url: &str) -> Option<Box<RawValue>> {
    if members.is_empty() {
        return None;
    }
    // The base URL as a JSON string body (escaped once, not per member).
    let base = json_string(base_url);
    let base = &base[1..base.len() - 1];
    let mut out = String::with_capacity(members.len() * 160);
    out.push('[');
    for m in members {
        let start = out.len();
        if out.len() > 1 {
            out.push(',');
        }
        out.push('{');
        let mut first = true;
        let mut id_buf = uuid::Uuid::encode_buffer();
        let id = m.value.hyphenated().encode_lower(&mut id_buf);
        // UUIDs and the resource type names need no escaping.
        if fields.value {
            key(&mut out, &mut first, "value");
            out.push('"');
            out.push_str(id);
            out.push('"');
        }
        if fields.reference {
            key(&mut out, &mut first, "$ref");
            out.push('"');
            out.push_str(base);
            out.push('/');
            out.push_str(m.kind.endpoint());
            out.push('/');
            out.push_str(id);
            out.push('"');
        }
        if fields.display
            && let Some(d) = &m.display
        {
            key(&mut out, &mut first, "display");
            out.push_str(&json_string(d));
        }
        if fields.kind {
            key(&mut out, &mut first, "type");
            out.push('"');
            out.push_str(m.kind.as_str());
            out.push('"');
        }
        if first {
            // Nothing kept of this member (`display` asked, and it has
            // none): left out, as the projection leaves out empty values.
            out.truncate(start);
        } else {
            out.push('}');
        }
    }
    if out.len() == 1 {
        return None;
    }
    out.push(']');
    RawValue::from_string(out).ok()
}

/// `"name":`, after a comma unless it is the object's first member.
fn key(out: &mut String, first: &mut bool, name: &str) {
    if !std::mem::take(first) {
        out.push(',');
    }
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
}

fn json_string(s: &str) -> String {
    // Serialising a string cannot fail.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A resource ready for a response body: the projected document, and for a
/// Group the `members` text, written just before `meta`.
#[derive(Debug)]
pub struct Rendered {
    pub doc: Value,
    pub members: Option<Box<RawValue>>,
}

impl Rendered {
    /// The length of the members text: most of a large group's body.
    pub fn members_len(&self) -> usize {
        self.members.as_ref().map_or(0, |m| m.get().len())
    }
}

impl From<Value> for Rendered {
    fn from(doc: Value) -> Self {
        Rendered { doc, members: None }
    }
}

impl Serialize for Rendered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (Value::Object(map), Some(members)) = (&self.doc, &self.members) else {
            return self.doc.serialize(s);
        };
        let mut out = s.serialize_map(Some(map.len() + 1))?;
        let mut written = false;
        for (k, v) in map {
            if k == "meta" && !written {
                out.serialize_entry("members", members)?;
                written = true;
            }
            out.serialize_entry(k, v)?;
        }
        if !written {
            out.serialize_entry("members", members)?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_store::ResourceKind;
    use uuid::Uuid;

    fn group_rt(reg: &SchemaRegistry) -> &ResourceType {
        reg.resource_type("Group").unwrap()
    }

    #[test]
    fn the_text_is_what_values_would_serialise_to() {
        let reg = SchemaRegistry::standard();
        let (u, g) = (Uuid::now_v7(), Uuid::now_v7());
        let members = vec![
            Member { value: u, kind: ResourceKind::User, display: Some("Zoë \"Z\" \\ <x>".into()) },
            Member { value: g, kind: ResourceKind::Group, display: None },
        ];
        let all = MemberFields::of(&Projection::default(), &reg, group_rt(&reg)).unwrap();
        let raw = members_json(&members, all, "https://h/scim/v2/a\"b").unwrap();
        let parsed: Value = serde_json::from_str(raw.get()).unwrap();
        assert_eq!(
            parsed,
            json!([
                {"value": u.to_string(), "$ref": format!("https://h/scim/v2/a\"b/Users/{u}"),
                 "display": "Zoë \"Z\" \\ <x>", "type": "User"},
                {"value": g.to_string(), "$ref": format!("https://h/scim/v2/a\"b/Groups/{g}"), "type": "Group"},
            ])
        );
        assert!(members_json(&[], all, "x").is_none());
        // The one shape of a member: what `Member::to_value` builds.
        let values: Vec<Value> = members.iter().map(|m| m.to_value(Some("https://h/scim/v2/a\"b"))).collect();
        assert_eq!(parsed, Value::Array(values));
    }

    #[test]
    fn the_projection_picks_the_fields() {
        let reg = SchemaRegistry::standard();
        let rt = group_rt(&reg);
        let p = |a: Option<&str>, e: Option<&str>| MemberFields::of(&Projection::parse(a, e).unwrap(), &reg, rt);
        let only_value = p(Some("members.value"), None).unwrap();
        assert_eq!(only_value, MemberFields { value: true, reference: false, display: false, kind: false });
        let no_ref = p(None, Some("members.$ref")).unwrap();
        assert_eq!(no_ref, MemberFields { value: true, reference: false, display: true, kind: true });
        assert_eq!(p(None, Some("members")), None);
        assert_eq!(p(Some("displayName"), None), None);
        let m = [Member { value: Uuid::nil(), kind: ResourceKind::User, display: Some("d".into()) }];
        let raw = members_json(&m, only_value, "b").unwrap();
        assert_eq!(raw.get(), format!("[{{\"value\":\"{}\"}}]", Uuid::nil()));
        // Members left with nothing are left out; none left, no members.
        let only_display = p(Some("members.display"), None).unwrap();
        let two = [Member { display: None, ..m[0].clone() }, m[0].clone(), Member { display: None, ..m[0].clone() }];
        assert_eq!(members_json(&two, only_display, "b").unwrap().get(), r#"[{"display":"d"}]"#);
        assert!(members_json(&two[..1], only_display, "b").is_none());
    }

    #[test]
    fn members_go_before_meta() {
        let doc = json!({"schemas": ["s"], "id": "1", "displayName": "g", "meta": {"version": "v"}});
        let raw = RawValue::from_string("[{\"value\":\"u\"}]".into()).unwrap();
        let text = serde_json::to_string(&Rendered { doc, members: Some(raw) }).unwrap();
        assert_eq!(
            text,
            r#"{"schemas":["s"],"id":"1","displayName":"g","members":[{"value":"u"}],"meta":{"version":"v"}}"#
        );
        let plain = serde_json::to_string(&Rendered::from(json!({"id": "1"}))).unwrap();
        assert_eq!(plain, r#"{"id":"1"}"#);
    }
}
