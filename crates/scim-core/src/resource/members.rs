//! Group `members` on input (RFC 7643 §4.2): taken out of the document,
//! because membership is stored as rows rather than as a JSON array.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::validate::{quote, storable};
use crate::error::ScimError;

/// Validates a `members` value. Each member becomes `{"value", "type"?,
/// "display"?}`: `type` in its canonical spelling, `$ref` dropped (the server
/// derives it from the id), unknown sub-attributes dropped. A repeated member
/// is kept once, since membership is a set.
pub fn members(v: &Value) -> Result<Vec<Value>, ScimError> {
    let items: Vec<&Value> = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("members[{i}]");
        let member = match item {
            Value::Null => continue,
            // Some clients send the bare member id.
            Value::String(_) => one(&path, Some(item), None, None)?,
            Value::Object(m) if m.is_empty() => continue,
            Value::Object(m) => one(&path, field(m, "value"), field(m, "type"), field(m, "display"))?,
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "{path} must be an object such as {{\"value\": \"<id>\"}}"
                )));
            }
        };
        let id = member.get("value").and_then(Value::as_str).unwrap_or_default().to_owned();
        if seen.insert(id) {
            out.push(member);
        }
    }
    Ok(out)
}

/// The value of the sub-attribute `name`, matched case-insensitively.
fn field<'m>(m: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
    m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

fn one(path: &str, value: Option<&Value>, ty: Option<&Value>, display: Option<&Value>) -> Result<Value, ScimError> {
    let value = match value {
        Some(Value::String(s)) if s.is_empty() => {
            return Err(ScimError::invalid_value(format!("{path}.value must not be empty")));
        }
        Some(Value::String(s)) => checked(path, "value", s)?,
        None | Some(Value::Null) => {
            return Err(ScimError::invalid_value(format!("{path}.value is required (the member's id)")));
        }
        Some(_) => return Err(ScimError::invalid_value(format!("{path}.value must be a string"))),
    };
    let mut m = Map::new();
    m.insert("value".into(), Value::String(value.to_owned()));
    match ty {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.eq_ignore_ascii_case("User") => {
            m.insert("type".into(), Value::String("User".into()));
        }
        Some(Value::String(s)) if s.eq_ignore_ascii_case("Group") => {
            m.insert("type".into(), Value::String("Group".into()));
        }
        Some(Value::String(s)) => {
            return Err(ScimError::invalid_value(format!(
                "{path}.type must be \"User\" or \"Group\", not \"{}\"",
                quote(s)
            )));
        }
        Some(_) => return Err(ScimError::invalid_value(format!("{path}.type must be \"User\" or \"Group\""))),
    }
    match display {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            m.insert("display".into(), Value::String(checked(path, "display", s)?.to_owned()));
        }
        Some(_) => return Err(ScimError::invalid_value(format!("{path}.display must be a string"))),
    }
    Ok(Value::Object(m))
}

fn checked<'s>(path: &str, sub: &str, s: &'s str) -> Result<&'s str, ScimError> {
    storable(&format!("{path}.{sub}"), s)?;
    Ok(s)
}
