//! Request bodies of the admin API: JSON (`application/json`, or
//! `application/merge-patch+json` for partial changes), refused with a
//! problem that says what is wrong rather than axum's plain-text rejection.

use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::problem::Problem;
use crate::ops::audit::bounded;

/// The JSON body of a request, as `T`.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Problem> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && essence != "application/merge-patch+json" {
        return Err(Problem::unsupported_media_type(
            "send the body as application/json (or application/merge-patch+json for partial changes)",
        ));
    }
    let invalid = |e: serde_json::Error| Problem::invalid_body(bounded(&e.to_string(), 200));
    let value: serde_json::Value = serde_json::from_slice(body).map_err(invalid)?;
    // serde would also read a struct from an array of its fields: only an
    // object is a body here.
    if !value.is_object() {
        return Err(Problem::invalid_body("the body must be a JSON object"));
    }
    serde_json::from_value(value).map_err(invalid)
}

/// A whole number of seconds, also when a client sends it as `30.0` (JSON
/// Schema's `integer` allows it); absent or `null` is `None`.
pub fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::Deserialize;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else { return Ok(None) };
    if let Some(n) = n.as_u64() {
        return Ok(Some(n));
    }
    match n.as_f64() {
        // Whole and in range: exact as a u64 (below 2^53 every whole f64 is).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(f) if f.fract() == 0.0 && (0.0..9.0e15).contains(&f) => Ok(Some(f as u64)),
        _ => Err(serde::de::Error::custom(format!("{n} is not a whole number of seconds"))),
    }
}

/// `value` if it is at most `max`; else 422 naming the field.
pub fn at_most(field: &str, value: Option<u64>, max: u64) -> Result<Option<u64>, Problem> {
    match value {
        Some(v) if v > max => {
            Err(Problem::new(422, "invalid-value", "Invalid value", format!("{field} is at most {max} seconds")))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        slug: String,
    }

    #[test]
    fn json_only_with_a_clear_refusal() {
        let mut h = HeaderMap::new();
        assert_eq!(json_body::<Body>(&h, b"{}").unwrap_err().status, 415);
        h.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(json_body::<Body>(&h, br#"{"slug":"a"}"#).is_ok());
        let e = json_body::<Body>(&h, br#"{"slug":"a","x":1}"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.detail.contains("unknown field"), "{}", e.detail);
        assert_eq!(json_body::<Body>(&h, b"{").unwrap_err().status, 400);
        assert_eq!(json_body::<Body>(&h, br#"["a"]"#).unwrap_err().status, 400, "an array is not an object");
    }

    #[derive(Debug, serde::Deserialize)]
    struct Secs {
        #[serde(default, deserialize_with = "seconds")]
        s: Option<u64>,
    }

    #[test]
    fn seconds_are_whole_numbers_also_written_as_floats() {
        let parse = |t: &str| serde_json::from_str::<Secs>(t).map(|v| v.s);
        assert_eq!(parse(r#"{"s": 30}"#).unwrap(), Some(30));
        assert_eq!(parse(r#"{"s": 30.0}"#).unwrap(), Some(30));
        assert_eq!(parse(r#"{"s": null}"#).unwrap(), None);
        assert_eq!(parse(r#"{}"#).unwrap(), None);
        assert!(parse(r#"{"s": 1.5}"#).is_err());
        assert!(parse(r#"{"s": -1}"#).is_err());
        assert!(parse(r#"{"s": 1e300}"#).is_err());
        assert_eq!(at_most("s", Some(5), 4).unwrap_err().status, 422);
    }
}
