//! Attributes with no column of their own (`title`, `name.familyName`,
//! `phoneNumbers.type`, an enterprise or custom extension's attributes),
//! compared inside the stored document with the dialect's JSON functions:
//! a singular attribute where it is, a multi-valued one through
//! [`Dialect::json_any`](super::Dialect::json_any) over its elements. The
//! conditions are exact — the evaluator's semantics (see
//! `scim_core::filter::matches`) on documents as the store keeps them:
//! canonical attribute names, values of the attribute's type, a
//! multi-valued attribute as an array.
//!
//! Strings, references and binaries compare as text (folded with the
//! dialect's `fold` unless caseExact), booleans by their JSON type,
//! integers as numbers. Decimals and dateTimes are left to the evaluator
//! (their comparisons are numeric or by instant, not by the stored text).

use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::path::AttrPath;
use scim_core::schema::{AttrType, AttributeDef};
use scim_core::value::fold;

use super::{Ctx, Frag, JsonBase, JsonKind, JsonRead, JsonRef, Part, Piece, TextTest, and, has_sigma, not, or};

/// Attributes a stored document does not hold: kept in columns or rows of
/// their own, or never stored.
const NOT_IN_DOC: [&str; 6] = ["id", "externalId", "meta", "groups", "members", "password"];

/// Where a path's attribute is in the document.
struct Located<'a> {
    /// The keys to the attribute: its schema URN first for an extension's.
    keys: Vec<String>,
    attr: &'a AttributeDef,
    /// The sub-attribute the path names, if any.
    sub: Option<&'a AttributeDef>,
}

/// A key spelled in a JSON path as it is: the registry's names and URNs
/// never hold these, and a key that did would be left to the evaluator.
fn plain_key(k: &str) -> bool {
    !k.is_empty() && !k.contains(['"', '\\', '\'', '\0'])
}

fn locate<'a>(ctx: &Ctx<'a>, path: &AttrPath) -> Option<Located<'a>> {
    let r = ctx.schemas.resolve(ctx.rt, path)?;
    if !r.is_extension && NOT_IN_DOC.contains(&r.attr.name.as_str()) {
        return None;
    }
    let mut keys = Vec::with_capacity(2);
    if r.is_extension {
        keys.push(r.schema_urn.to_owned());
    }
    keys.push(r.attr.name.clone());
    let sub_ok = r.sub.is_none_or(|s| plain_key(&s.name) && !s.multi_valued);
    (keys.iter().all(|k| plain_key(k)) && sub_ok).then_some(Located { keys, attr: r.attr, sub: r.sub })
}

fn at(base: JsonBase, keys: Vec<String>) -> JsonRef {
    JsonRef { base, keys }
}

fn with(mut keys: Vec<String>, key: &str) -> Vec<String> {
    keys.push(key.to_owned());
    keys
}

/// Over the values of an attribute: itself when singular, any element when
/// multi-valued (`inner` reads each element).
fn over(located: &Located<'_>, inner: impl FnOnce(JsonBase, Vec<String>) -> Part) -> Part {
    if !located.attr.multi_valued {
        return inner(JsonBase::Doc, located.keys.clone());
    }
    let part = inner(JsonBase::Element, Vec::new());
    match (part.exact, part.cond) {
        (true, Some(cond)) => Part::exact(Frag::piece(Piece::JsonAny(located.keys.clone(), cond))),
        // Every element passes: any element at all would do, which is
        // not something to say in SQL for nothing.
        _ => Part::unknown(),
    }
}

/// `path op value` for a path to an attribute without a column.
pub(super) fn compare(ctx: &Ctx<'_>, path: &AttrPath, op: CompareOp, value: &CompValue) -> Part {
    let Some(located) = locate(ctx, path) else { return Part::unknown() };
    if *value == CompValue::Null {
        return match op {
            CompareOp::Eq => not(present_located(&located)),
            CompareOp::Ne => present_located(&located),
            _ => Part::never(),
        };
    }
    if op == CompareOp::Ne {
        return not(compare(ctx, path, CompareOp::Eq, value));
    }
    // A complex attribute compares by its `value` (the evaluator's
    // `through_value`); one without cannot be compared.
    let compared = match (located.sub, located.attr.ty) {
        (Some(sub), _) => Some(sub),
        (None, AttrType::Complex) => located.attr.sub("value"),
        (None, _) => None,
    };
    let def = compared.unwrap_or(located.attr);
    if located.attr.ty == AttrType::Complex && compared.is_none() {
        return Part::never();
    }
    let key = compared.map(|d| d.name.clone());
    over(&located, |base, keys| {
        let keys = match &key {
            Some(k) => with(keys, k),
            None => keys,
        };
        value_compare(&at(base, keys), def, op, value)
    })
}

/// `path pr` for a path to an attribute without a column.
pub(super) fn present(ctx: &Ctx<'_>, path: &AttrPath) -> Part {
    locate(ctx, path).map_or_else(Part::unknown, |located| present_located(&located))
}

fn present_located(located: &Located<'_>) -> Part {
    match (located.sub, located.attr.ty) {
        (Some(sub), _) => over(located, |base, keys| has_value(&at(base, with(keys, &sub.name)))),
        // A complex value has a value when one of its sub-attributes has.
        (None, AttrType::Complex) => over(located, |base, keys| {
            let subs = located.attr.sub_attributes.iter().filter(|s| !s.multi_valued && plain_key(&s.name));
            subs.map(|s| has_value(&at(base, with(keys.clone(), &s.name)))).reduce(or).unwrap_or_else(Part::never)
        }),
        (None, _) => over(located, |base, keys| has_value(&at(base, keys))),
    }
}

/// `attr[filter]` for a complex attribute without rows of its own: the
/// filter on one element (a singular attribute's one value).
pub(super) fn value_path(ctx: &Ctx<'_>, path: &AttrPath, filter: &Filter) -> Part {
    let Some(located) = locate(ctx, path) else { return Part::unknown() };
    if located.sub.is_some() {
        return Part::unknown();
    }
    over(&located, |base, keys| element(filter, located.attr, base, &keys))
}

/// `filter` on one value of `attr`, whose sub-attributes are at
/// `keys` + their name under `base` (the value itself for a simple
/// multi-valued attribute).
fn element(filter: &Filter, attr: &AttributeDef, base: JsonBase, keys: &[String]) -> Part {
    let target = |path: &AttrPath| -> Option<(&AttributeDef, JsonRef)> {
        if path.urn.is_some() || path.sub_attr.is_some() {
            return None;
        }
        if attr.ty != AttrType::Complex {
            return path.attr.eq_ignore_ascii_case("value").then(|| (attr, at(base, keys.to_vec())));
        }
        let sub = attr.sub(&path.attr).filter(|s| !s.multi_valued && plain_key(&s.name))?;
        Some((sub, at(base, with(keys.to_vec(), &sub.name))))
    };
    match filter {
        Filter::And(a, b) => and(element(a, attr, base, keys), element(b, attr, base, keys)),
        Filter::Or(a, b) => or(element(a, attr, base, keys), element(b, attr, base, keys)),
        Filter::Not(a) => not(element(a, attr, base, keys)),
        Filter::ValuePath { .. } => Part::unknown(),
        Filter::Present(path) => target(path).map_or_else(Part::unknown, |(_, r)| has_value(&r)),
        Filter::Compare { path, op, value } => {
            let Some((def, r)) = target(path) else { return Part::unknown() };
            match (op, value) {
                (CompareOp::Eq, CompValue::Null) => not(has_value(&r)),
                (CompareOp::Ne, CompValue::Null) => has_value(&r),
                (_, CompValue::Null) => Part::never(),
                (CompareOp::Ne, _) => not(value_compare(&r, def, CompareOp::Eq, value)),
                _ => value_compare(&r, def, *op, value),
            }
        }
    }
}

fn is(r: &JsonRef, kind: JsonKind) -> Frag {
    Frag::piece(Piece::JsonIs(r.clone(), kind))
}

/// The value at `r` as text (compared only after a test that it is a string).
fn value_of(r: &JsonRef) -> Frag {
    Frag::piece(Piece::JsonValue(r.clone(), JsonRead::Text))
}

/// The value at `r` as a number (compared only after a test that it is one).
fn number_of(r: &JsonRef) -> Frag {
    Frag::piece(Piece::JsonValue(r.clone(), JsonRead::Number))
}

/// `(a AND b)`.
fn both(a: Frag, b: Frag) -> Frag {
    Frag::sql("(").append(a).s(" AND ").append(b).s(")")
}

/// RFC 7643 §2.5 as `scim_core::value::has_value` says it of a scalar:
/// present unless missing, null or "".
fn has_value(r: &JsonRef) -> Part {
    let text = both(is(r, JsonKind::Text), value_of(r).s(" <> ").text(""));
    let other = [JsonKind::Integer, JsonKind::Real, JsonKind::True, JsonKind::False];
    let cond = other.into_iter().fold(Frag::sql("(").append(text), |f, k| f.s(" OR ").append(is(r, k))).s(")");
    Part::exact(cond)
}

/// One value at `r`, of attribute `def`, against `op value` (not `ne`,
/// not null: the callers turn those into `not` and `pr`).
fn value_compare(r: &JsonRef, def: &AttributeDef, op: CompareOp, value: &CompValue) -> Part {
    match def.ty {
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            // Any other literal never equals a string (the evaluator's
            // `compare` finds no order).
            let CompValue::String(lit) = value else { return Part::never() };
            let exact_case = def.case_exact || def.ty == AttrType::Binary;
            let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            if !exact_case && substring && has_sigma(lit) {
                // `co/sw/ew` fold in context (`str::to_lowercase`).
                return Part::unknown();
            }
            let (subject, lit) = if exact_case {
                (value_of(r), lit.clone())
            } else {
                (Frag::piece(Piece::Fold(value_of(r))), fold(lit))
            };
            let chars = i64::try_from(lit.chars().count()).unwrap_or(i64::MAX);
            let test = match op {
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew if lit.is_empty() => {
                    return Part::exact(is(r, JsonKind::Text));
                }
                CompareOp::Co => Frag::test(TextTest::Contains, subject, lit),
                CompareOp::Sw => Frag::test(TextTest::StartsWith { chars }, subject, lit),
                CompareOp::Ew => Frag::test(TextTest::EndsWith { chars }, subject, lit),
                CompareOp::Eq => subject.s(" = ").text(lit),
                CompareOp::Gt => subject.s(" > ").text(lit),
                CompareOp::Ge => subject.s(" >= ").text(lit),
                CompareOp::Lt => subject.s(" < ").text(lit),
                CompareOp::Le => subject.s(" <= ").text(lit),
                CompareOp::Ne => return Part::unknown(),
            };
            Part::exact(both(is(r, JsonKind::Text), test))
        }
        AttrType::Boolean => {
            // Entra sends booleans as the strings "true"/"false".
            let b = match value {
                CompValue::Bool(b) => *b,
                CompValue::String(s) if s.eq_ignore_ascii_case("true") => true,
                CompValue::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Part::never(),
            };
            match op {
                CompareOp::Eq => Part::exact(is(r, if b { JsonKind::True } else { JsonKind::False })),
                // Booleans have no order and no substrings.
                _ => Part::never(),
            }
        }
        AttrType::Integer => {
            let CompValue::Number(n) = value else { return Part::never() };
            let Some(i) = n.as_i64() else { return Part::unknown() };
            let sym = match op {
                CompareOp::Eq => "=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return Part::never(),
                CompareOp::Ne => return Part::unknown(),
            };
            Part::exact(both(is(r, JsonKind::Integer), number_of(r).s(format!(" {sym} ")).int(i)))
        }
        AttrType::Decimal | AttrType::DateTime | AttrType::Complex => Part::unknown(),
    }
}
