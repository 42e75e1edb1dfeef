//! Type checks and normalisation of single attribute values against their
//! definitions: the data types of RFC 7643 §2.3, multi-valued attributes and
//! `primary` (§2.4), and unassigned values (§2.5).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{AttrType, AttributeDef, Mutability, Returned};

/// The longest string value we store, in bytes. Longer ones are refused
/// rather than truncated, so that nothing is silently lost.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// The longest piece of client input quoted back in an error `detail`.
const MAX_QUOTED: usize = 80;

/// `s`, cut to a length fit for an error message (on a char boundary).
pub(crate) fn quote(s: &str) -> String {
    if s.len() <= MAX_QUOTED {
        return s.to_owned();
    }
    let mut end = MAX_QUOTED;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// True for attributes a client cannot set: `readOnly` ones are kept by the
/// server (RFC 7643 §7) and are ignored on input.
pub(crate) fn is_read_only(def: &AttributeDef) -> bool {
    def.mutability == Mutability::ReadOnly
}

/// True for attributes that must never be stored in the document.
pub(crate) fn is_never_stored(def: &AttributeDef) -> bool {
    def.mutability == Mutability::WriteOnly || def.returned == Returned::Never
}

/// Validates `v` as a value of `def` (single- or multi-valued) found at
/// `path`. `Ok(None)` means unassigned (null, `[]`, `{}` or only unassigned
/// parts), which RFC 7643 §2.5 treats as absent.
/// At most `max_values` values in any multi-valued attribute (a group's
/// `members`, kept as rows, are not validated here).
pub fn attribute(def: &AttributeDef, v: &Value, path: &str, max_values: usize) -> Result<Option<Value>, ScimError> {
    if !def.multi_valued {
        return match v {
            // A one-element array for a single-valued complex attribute, as
            // Entra ID's older client sends the enterprise `manager`.
            Value::Array(items) if def.ty == AttrType::Complex && items.len() == 1 => {
                single(def, &items[0], path, max_values)
            }
            Value::Array(_) => {
                Err(ScimError::invalid_value(format!("{path} is single-valued and must not be an array")))
            }
            _ => single(def, v, path, max_values),
        };
    }
    // A lone value for a multi-valued attribute is taken as a one-element
    // list: several IdPs send `"emails": {...}`.
    let items: Vec<&Value> = match v {
        Value::Null => return Ok(None),
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    if items.len() > max_values {
        return Err(ScimError::invalid_value(format!(
            "{path} has {} values; at most {max_values} are accepted",
            items.len()
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        if item.is_array() {
            return Err(ScimError::invalid_value(format!("{item_path} must be a single value, not an array")));
        }
        if let Some(x) = single(def, item, &item_path, max_values)? {
            out.push(x);
        }
    }
    check_primary(def, &out, path)?;
    Ok(if out.is_empty() { None } else { Some(Value::Array(out)) })
}

/// RFC 7643 §2.4: "The primary attribute value 'true' MUST appear no more
/// than once."
fn check_primary(def: &AttributeDef, values: &[Value], path: &str) -> Result<(), ScimError> {
    let Some(primary) = def.sub("primary") else { return Ok(()) };
    let n = values.iter().filter(|v| v.get(&primary.name) == Some(&Value::Bool(true))).count();
    if n > 1 {
        return Err(ScimError::invalid_value(format!(
            "{path} has {n} values with \"primary\": true; at most one may be primary"
        )));
    }
    Ok(())
}

fn single(def: &AttributeDef, v: &Value, path: &str, max_values: usize) -> Result<Option<Value>, ScimError> {
    if v.is_null() {
        return Ok(None);
    }
    let out = match def.ty {
        AttrType::String | AttrType::Reference => Value::String(string(v, path, def.ty)?.to_owned()),
        AttrType::Boolean => Value::Bool(boolean(v, path)?),
        AttrType::Integer => integer(v, path)?,
        AttrType::Decimal => match v {
            Value::Number(_) => v.clone(),
            _ => return Err(type_error(path, "a decimal number")),
        },
        AttrType::DateTime => {
            let s = string(v, path, def.ty)?;
            if time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_err() {
                return Err(ScimError::invalid_value(format!(
                    "{path} must be an RFC 3339 dateTime such as 2008-01-23T04:56:22Z, not \"{}\"",
                    quote(s)
                )));
            }
            Value::String(s.to_owned())
        }
        AttrType::Binary => {
            let s = string(v, path, def.ty)?;
            if BASE64.decode(s).is_err() {
                return Err(ScimError::invalid_value(format!("{path} must be base64-encoded binary data")));
            }
            Value::String(s.to_owned())
        }
        AttrType::Complex => return complex(def, v, path, max_values),
    };
    Ok(Some(out))
}

/// RFC 4648 §4 base64; padding is optional because clients differ.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn type_error(path: &str, what: &str) -> ScimError {
    ScimError::invalid_value(format!("{path} must be {what}"))
}

fn string<'v>(v: &'v Value, path: &str, ty: AttrType) -> Result<&'v str, ScimError> {
    let Value::String(s) = v else {
        let what = match ty {
            AttrType::Reference => "a reference (a string)",
            AttrType::DateTime => "a dateTime string",
            AttrType::Binary => "a base64 string",
            _ => "a string",
        };
        return Err(type_error(path, what));
    };
    storable(path, s)?;
    Ok(s)
}

/// Refuses a string no store can keep as it is: longer than
/// [`MAX_STRING_BYTES`], or holding U+0000 (PostgreSQL's `text` and `jsonb`
/// cannot hold it, and no identity attribute needs it; other control
/// characters, such as the newlines of `addresses.formatted`, are kept).
pub(crate) fn storable(path: &str, s: &str) -> Result<(), ScimError> {
    if s.len() > MAX_STRING_BYTES {
        return Err(ScimError::invalid_value(format!(
            "{path} is {} bytes long; the limit is {MAX_STRING_BYTES} bytes",
            s.len()
        )));
    }
    if s.contains('\0') {
        return Err(ScimError::invalid_value(format!("{path} holds the character U+0000, which cannot be stored")));
    }
    Ok(())
}

/// Booleans; the strings "true"/"false" in any case are coerced because
/// Microsoft Entra ID sends `"active": "True"`.
fn boolean(v: &Value, path: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(type_error(path, "a boolean")),
    }
}

/// Integers; `3.0` is accepted as `3`, `3.5` is refused (RFC 7643 §2.3.4:
/// "A decimal number with no fractional digits").
fn integer(v: &Value, path: &str) -> Result<Value, ScimError> {
    let Value::Number(n) = v else { return Err(type_error(path, "an integer")) };
    if n.is_i64() || n.is_u64() {
        return Ok(v.clone());
    }
    match n.as_f64() {
        // Beyond 2^53 a float no longer holds an exact integer.
        Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => Ok(Value::from(f as i64)),
        _ => Err(type_error(path, "an integer (no fractional part)")),
    }
}

/// A complex value: a JSON object whose known sub-attributes are validated.
fn complex(def: &AttributeDef, v: &Value, path: &str, max_values: usize) -> Result<Option<Value>, ScimError> {
    let Value::Object(map) = v else {
        return Err(type_error(path, "a complex value (a JSON object)"));
    };
    let mut out = Map::new();
    for (key, sv) in map {
        // Unknown sub-attributes of a complex attribute are dropped, not
        // refused: IdPs add vendor fields to `emails`, `name`, … and the
        // issue demands that such requests succeed.
        let Some(sub) = def.sub(key) else { continue };
        if out.contains_key(&sub.name) {
            return Err(ScimError::invalid_syntax(format!(
                "{path}.{} is given more than once (names are case-insensitive)",
                sub.name
            )));
        }
        if is_read_only(sub) || is_never_stored(sub) {
            continue;
        }
        if let Some(x) = attribute(sub, sv, &format!("{path}.{}", sub.name), max_values)? {
            out.insert(sub.name.clone(), x);
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    if let Some(missing) =
        def.sub_attributes.iter().find(|s| s.required && !is_read_only(s) && !out.contains_key(&s.name))
    {
        return Err(ScimError::invalid_value(format!("{path}.{} is required", missing.name)));
    }
    Ok(Some(Value::Object(out)))
}
