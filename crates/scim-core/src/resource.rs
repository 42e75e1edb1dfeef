//! Parsing and validating resource documents (RFC 7643 §2-§4) for POST, PUT
//! and after PATCH. PLACEHOLDER.
use serde_json::Value;

use crate::error::ScimError;
use crate::schema::{ResourceType, SchemaRegistry};

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

/// Validates and normalises `input` as a resource of type `rt`.
pub fn prepare(
    input: &Value,
    mode: Mode<'_>,
    schemas: &SchemaRegistry,
    rt: &ResourceType,
) -> Result<Prepared, ScimError> {
    let _ = (mode, schemas, rt);
    Ok(Prepared { doc: input.clone(), members: None, password: None })
}

/// The server-kept common attributes of a resource (RFC 7643 §3.1 `meta`).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// `User`, `Group`.
    pub resource_type: String,
    pub created: time::OffsetDateTime,
    pub last_modified: time::OffsetDateTime,
    /// Absolute URL of the resource; `None` where no base URL is known
    /// (evaluating filters inside the store).
    pub location: Option<String>,
    /// The ETag value, e.g. `W/"3"`.
    pub version: String,
}

/// Formats a timestamp as RFC 3339 with millisecond precision in UTC (the
/// form every `dateTime` attribute and `meta` field is returned in).
pub fn format_datetime(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let ms = t.millisecond();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        ms
    )
}

/// The full document of a resource: `schemas`, `id`, the stored attributes,
/// then `meta`. Derived attributes (`groups`, `members`) are added by the
/// caller, which knows where to get them.
pub fn compose(doc: &Value, id: &str, meta: &Meta) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(s) = doc.get("schemas") {
        out.insert("schemas".into(), s.clone());
    }
    out.insert("id".into(), Value::String(id.to_owned()));
    if let Value::Object(map) = doc {
        for (k, v) in map {
            if k != "schemas" && k != "id" && k != "meta" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let mut m = serde_json::Map::new();
    m.insert("resourceType".into(), Value::String(meta.resource_type.clone()));
    m.insert("created".into(), Value::String(format_datetime(meta.created)));
    m.insert("lastModified".into(), Value::String(format_datetime(meta.last_modified)));
    if let Some(loc) = &meta.location {
        m.insert("location".into(), Value::String(loc.clone()));
    }
    m.insert("version".into(), Value::String(meta.version.clone()));
    out.insert("meta".into(), Value::Object(m));
    Value::Object(out)
}
