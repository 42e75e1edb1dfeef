//! The full representation of a stored resource: `schemas`, `id`, the stored
//! attributes and the server-kept `meta` (RFC 7643 §3.1).

use serde_json::Value;
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

/// The entity tag of a resource version (RFC 7644 §3.14): weak, because
/// two versions' representations may be equivalent without being
/// byte-identical (attribute order, projection). `meta.version` and the
/// `ETag` header both carry it.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
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
/// caller, which knows where to get them. Takes the stored document by value
/// and adds to it in place: a response is built once per request, and
/// rebuilding the map (every key hashed again) showed in profiles.
pub fn compose(doc: Value, id: &str, meta: &Meta) -> Value {
    let mut out = match doc {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    // `shift_remove`: the plain `remove` of an ordered map swaps the last
    // key into the gap.
    out.shift_remove("id");
    out.shift_remove("meta");
    // `schemas` first, then `id`, as RFC 7643 prints resources.
    let id_at = if out.keys().next().is_some_and(|k| k == "schemas") {
        1
    } else if let Some(schemas) = out.shift_remove("schemas") {
        out.shift_insert(0, "schemas".into(), schemas);
        1
    } else {
        0
    };
    out.shift_insert(id_at, "id".into(), Value::String(id.to_owned()));
    let mut m = serde_json::Map::with_capacity(5);
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
