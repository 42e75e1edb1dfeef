//! Filter pushdown (DESIGN §4), for every backend: compiles a SCIM filter
//! AST to a SQL condition on `resources r` for what the indexed columns and
//! `group_members` serve. What differs between SQL engines (placeholders,
//! substring tests, boolean literals) is left to each backend's
//! [`Dialect`], which renders a [`Frag`].
//!
//! Each node compiles to a [`Part`]: a condition that every matching
//! resource satisfies (a superset; `None` is TRUE), and whether it is
//! `exact` (equal to the evaluator's answer). `and` conjoins; `or` needs
//! both sides; `not` only negates exact parts. A NULL result counts as
//! false, so `not` coalesces. When the whole filter is exact the caller may
//! count and page in SQL; otherwise it loads the candidates and runs
//! `scim_core::filter::matches` on them.
//!
//! Case rules: columns named `*_lower` hold values lower-cased in Rust
//! (Unicode, `scim_core::value::fold`), so literals are lowered in Rust
//! too; a database's `lower()` is never used. `co/sw/ew` are substring
//! tests of the dialect, never LIKE, so no wildcard can leak in.

mod dialect;
mod json;

use scim_core::filter::{CompValue, CompareOp, Filter};
use scim_core::path::AttrPath;
use scim_core::schema::{AttributeDef, ENTERPRISE_USER_URN, ResourceType, SchemaRegistry};
use scim_core::value::fold;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

pub use self::dialect::{Dialect, JsonBase, JsonKind, JsonRead, JsonRef, TextTest};
use crate::ResourceKind;

/// One piece of SQL text, one bound value, or one construct the dialect
/// spells.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Sql(String),
    Text(String),
    Int(i64),
    Id(Uuid),
    Bool(bool),
    Test(TextTest, Frag, String),
    JsonValue(JsonRef, JsonRead),
    JsonIs(JsonRef, JsonKind),
    JsonAny(Vec<String>, Frag),
    Fold(Frag),
}

/// A SQL fragment with its bound values, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frag(Vec<Piece>);

impl Frag {
    fn sql(s: impl Into<String>) -> Self {
        Frag(vec![Piece::Sql(s.into())])
    }
    fn s(mut self, s: impl Into<String>) -> Self {
        self.0.push(Piece::Sql(s.into()));
        self
    }
    fn text(mut self, t: impl Into<String>) -> Self {
        self.0.push(Piece::Text(t.into()));
        self
    }
    fn int(mut self, i: i64) -> Self {
        self.0.push(Piece::Int(i));
        self
    }
    fn id(mut self, id: Uuid) -> Self {
        self.0.push(Piece::Id(id));
        self
    }
    fn boolean(mut self, b: bool) -> Self {
        self.0.push(Piece::Bool(b));
        self
    }
    fn append(mut self, other: Frag) -> Self {
        self.0.extend(other.0);
        self
    }
    fn false_() -> Self {
        Frag::default().boolean(false)
    }
    /// `subject` passes the substring test against `needle` (bound).
    fn test(test: TextTest, subject: Frag, needle: String) -> Self {
        Frag(vec![Piece::Test(test, subject, needle)])
    }
    fn piece(p: Piece) -> Self {
        Frag(vec![p])
    }

    /// Writes the fragment in a backend's dialect.
    pub fn render(&self, out: &mut impl Dialect) {
        for p in &self.0 {
            match p {
                Piece::Sql(s) => out.sql(s),
                Piece::Text(t) => out.bind_text(t.clone()),
                Piece::Int(i) => out.bind_int(*i),
                Piece::Id(id) => out.bind_id(*id),
                Piece::Bool(b) => out.boolean(*b),
                Piece::Test(test, subject, needle) => out.text_test(*test, subject, needle.clone()),
                Piece::JsonValue(at, read) => out.json_value(at, *read),
                Piece::JsonIs(at, kind) => out.json_is(at, *kind),
                Piece::JsonAny(keys, cond) => out.json_any(keys, cond),
                Piece::Fold(expr) => out.fold(expr),
            }
        }
    }
}

/// A compiled filter node: a necessary condition (`None` = TRUE) and
/// whether it is also sufficient.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub cond: Option<Frag>,
    pub exact: bool,
    /// The condition holds for one row at most, found through a unique
    /// index (`id` or `userName` equal to a value, or nothing at all): the
    /// list costs what a point read costs. (`externalId` is not unique.)
    pub pinned: bool,
}

impl Part {
    fn exact(f: Frag) -> Self {
        Part { cond: Some(f), exact: true, pinned: false }
    }
    fn superset(f: Frag) -> Self {
        Part { cond: Some(f), exact: false, pinned: false }
    }
    /// Nothing pushed down: the evaluator decides.
    fn unknown() -> Self {
        Part { cond: None, exact: false, pinned: false }
    }
    fn always() -> Self {
        Part { cond: None, exact: true, pinned: false }
    }
    fn never() -> Self {
        Part::exact(Frag::false_()).pin()
    }
    fn pin(mut self) -> Self {
        self.pinned = true;
        self
    }
    fn inexact(mut self) -> Self {
        self.exact = false;
        self
    }
}

fn and(a: Part, b: Part) -> Part {
    let cond = match (a.cond, b.cond) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => Some(Frag::sql("(").append(x).s(" AND ").append(y).s(")")),
    };
    Part { cond, exact: a.exact && b.exact, pinned: a.pinned || b.pinned }
}

fn or(a: Part, b: Part) -> Part {
    let cond = match (a.cond, b.cond) {
        (Some(x), Some(y)) => Some(Frag::sql("(").append(x).s(" OR ").append(y).s(")")),
        _ => None,
    };
    Part { cond, exact: a.exact && b.exact, pinned: a.pinned && b.pinned }
}

fn not(a: Part) -> Part {
    if !a.exact {
        return Part::unknown();
    }
    match a.cond {
        None => Part::never(),
        Some(x) => Part::exact(Frag::sql("NOT coalesce((").append(x).s("), ").boolean(false).s(")")),
    }
}

/// What a path names, as far as pushdown is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Id,
    ExternalId,
    /// A column of folded text (`scim_core::value::fold`).
    Lowered(&'static str),
    Emails,
    Active,
    Time(&'static str),
    MemberValue,
    MemberType,
    GroupValue,
    Other,
}

/// The compiler's view of the tenant's schemas for one resource type.
pub struct Ctx<'a> {
    pub schemas: &'a SchemaRegistry,
    pub rt: &'a ResourceType,
    pub kind: ResourceKind,
}

fn value_ce(def: &AttributeDef) -> bool {
    def.sub("value").is_some_and(|v| v.case_exact)
}

impl Ctx<'_> {
    /// The target of `path` and whether the compared string attribute is
    /// caseExact (for a complex attribute: its `value`, which the evaluator
    /// compares in its place).
    fn target(&self, path: &AttrPath) -> (Target, bool) {
        let Some(r) = self.schemas.resolve(self.rt, path) else { return (Target::Other, false) };
        let attr = r.attr.name.as_str();
        let sub = r.sub.map(|s| s.name.as_str());
        let ce = r.target().case_exact;
        let user = self.kind == ResourceKind::User;
        if r.is_extension {
            let manager = user && r.schema_urn.eq_ignore_ascii_case(ENTERPRISE_USER_URN) && attr == "manager";
            return match sub {
                None if manager => (Target::Lowered("r.manager_id"), value_ce(r.attr)),
                Some("value") if manager => (Target::Lowered("r.manager_id"), ce),
                _ => (Target::Other, ce),
            };
        }
        match (attr, sub) {
            ("id", None) => (Target::Id, ce),
            ("externalId", None) => (Target::ExternalId, ce),
            ("meta", Some("created")) => (Target::Time("r.created"), ce),
            ("meta", Some("lastModified")) => (Target::Time("r.last_modified"), ce),
            ("displayName", None) => (Target::Lowered("r.display_name_lower"), ce),
            ("userName", None) if user => (Target::Lowered("r.user_name_lower"), ce),
            ("active", None) if user => (Target::Active, ce),
            ("emails", None) if user => (Target::Emails, value_ce(r.attr)),
            ("emails", Some("value")) if user => (Target::Emails, ce),
            ("groups", None) if user => (Target::GroupValue, value_ce(r.attr)),
            ("groups", Some("value")) if user => (Target::GroupValue, ce),
            ("members", None) if !user => (Target::MemberValue, value_ce(r.attr)),
            ("members", Some("value")) if !user => (Target::MemberValue, ce),
            ("members", Some("type")) if !user => (Target::MemberType, ce),
            _ => (Target::Other, ce),
        }
    }
}

const MEMBERS_OF_R: &str = "EXISTS (SELECT 1 FROM group_members m WHERE m.tenant = r.tenant AND m.group_id = r.id";
const GROUPS_OF_R: &str = "EXISTS (SELECT 1 FROM group_members m WHERE m.tenant = r.tenant AND m.member_id = r.id";

/// Compiles `filter` for resources of `ctx.kind`.
pub fn compile(filter: &Filter, ctx: &Ctx<'_>) -> Part {
    match filter {
        Filter::And(a, b) => and(compile(a, ctx), compile(b, ctx)),
        Filter::Or(a, b) => or(compile(a, ctx), compile(b, ctx)),
        Filter::Not(a) => not(compile(a, ctx)),
        Filter::Present(path) => match ctx.target(path).0 {
            Target::Other => json::present(ctx, path),
            t => present(t),
        },
        Filter::Compare { path, op, value } => match ctx.target(path) {
            (Target::Other, _) => json::compare(ctx, path, *op, value),
            (Target::Emails, ce) => {
                narrowed(compare(Target::Emails, ce, *op, value), json::compare(ctx, path, *op, value))
            }
            (t, ce) => compare(t, ce, *op, value),
        },
        Filter::ValuePath { path, filter } => {
            let Some(r) = ctx.schemas.resolve(ctx.rt, path) else { return Part::unknown() };
            if r.sub.is_some() {
                return Part::unknown();
            }
            match ctx.target(path).0 {
                Target::MemberValue => exists(MEMBERS_OF_R, compile_element(filter, Elem::Member, r.attr)),
                Target::GroupValue => exists(GROUPS_OF_R, compile_element(filter, Elem::Group, r.attr)),
                Target::Emails => narrowed(
                    compile_element(filter, Elem::Email, r.attr).inexact(),
                    json::value_path(ctx, path, filter),
                ),
                _ => json::value_path(ctx, path, filter),
            }
        }
    }
}

/// `candidates` (a superset a column finds cheaply) narrowed by `decided`
/// (exact, but read from each document): both, exact; else `candidates`.
fn narrowed(candidates: Part, decided: Part) -> Part {
    match (candidates.cond, decided.cond) {
        (Some(c), Some(d)) if decided.exact => Part::exact(Frag::sql("(").append(c).s(" AND ").append(d).s(")")),
        (None, Some(d)) if decided.exact => Part::exact(d),
        (c, _) => Part { cond: c, ..candidates },
    }
}

/// `EXISTS (<head> [AND inner] LIMIT 1)`. The `LIMIT 1` is there for
/// correctness: SQLite 3.51's EXISTS-to-join rewrite (which skips
/// subqueries with a LIMIT) returned rows past the OFFSET of the outer query
/// (seen with `members[value pr]`, startIndex=2).
fn exists(head: &str, inner: Part) -> Part {
    let f = match inner.cond {
        None => Frag::sql(head).s(" LIMIT 1)"),
        Some(c) => Frag::sql(head).s(" AND ").append(c).s(" LIMIT 1)"),
    };
    Part { cond: Some(f), exact: inner.exact, pinned: false }
}

/// Which multi-valued attribute a value-path filter ranges over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elem {
    /// A `group_members m` row seen as a group's member.
    Member,
    /// A `group_members m` row seen as one of a user's groups.
    Group,
    /// One of a user's emails (only a superset on `r.emails_all`).
    Email,
}

/// The sub-attribute a path inside `attr[…]` names.
fn leaf<'a>(attr: &'a AttributeDef, path: &AttrPath) -> Option<&'a AttributeDef> {
    if path.urn.is_some() || path.sub_attr.is_some() {
        return None;
    }
    attr.sub(&path.attr)
}

fn compile_element(filter: &Filter, elem: Elem, attr: &AttributeDef) -> Part {
    match filter {
        Filter::And(a, b) => and(compile_element(a, elem, attr), compile_element(b, elem, attr)),
        Filter::Or(a, b) => or(compile_element(a, elem, attr), compile_element(b, elem, attr)),
        Filter::Not(a) => not(compile_element(a, elem, attr)),
        Filter::ValuePath { .. } => Part::unknown(),
        Filter::Present(path) => match (elem, leaf(attr, path).map(|d| d.name.as_str())) {
            // Every member row has a value and a type.
            (Elem::Member, Some("value" | "type")) | (Elem::Group, Some("value")) => Part::always(),
            _ => Part::unknown(),
        },
        Filter::Compare { path, op, value } => {
            let Some(def) = leaf(attr, path) else { return Part::unknown() };
            let ce = def.case_exact;
            if *value == CompValue::Null {
                // `x eq null` is `not (x pr)`: the `pr` cases above.
                let p = compile_element(&Filter::Present(path.clone()), elem, attr);
                return match op {
                    CompareOp::Eq => not(p),
                    CompareOp::Ne => p,
                    _ => Part::never(),
                };
            }
            match (elem, def.name.as_str()) {
                (Elem::Member, "value") => id_compare("m.member_id", ce, *op, value),
                (Elem::Member, "type") => type_compare("m.member_kind", ce, *op, value),
                (Elem::Group, "value") => id_compare("m.group_id", ce, *op, value),
                (Elem::Email, "value") => compare(Target::Emails, ce, *op, value),
                _ => Part::unknown(),
            }
        }
    }
}

/// The UUID a filter literal equals, when compared with an id printed in
/// its canonical form (lower-case, hyphenated): `None` when no id can equal
/// the literal under the attribute's case rule.
pub(crate) fn uuid_literal(lit: &str, case_exact: bool) -> Option<Uuid> {
    let folded;
    let text = if case_exact {
        lit
    } else {
        folded = fold(lit);
        folded.as_str()
    };
    let id = Uuid::try_parse(text).ok()?;
    (id.hyphenated().to_string() == text).then_some(id)
}

/// `id`-like comparisons: the column holds UUIDs printed lower-case.
fn id_compare(col: &str, ce: bool, op: CompareOp, value: &CompValue) -> Part {
    let CompValue::String(s) = value else { return Part::unknown() };
    match (op, uuid_literal(s, ce)) {
        (CompareOp::Eq, Some(id)) => {
            let part = Part::exact(Frag::sql(format!("{col} = ")).id(id));
            if col == "r.id" { part.pin() } else { part }
        }
        (CompareOp::Eq, None) => Part::never(),
        (CompareOp::Ne, Some(id)) => Part::exact(Frag::sql(format!("{col} <> ")).id(id)),
        (CompareOp::Ne, None) => Part::always(),
        _ => Part::unknown(),
    }
}

fn type_compare(col: &str, ce: bool, op: CompareOp, value: &CompValue) -> Part {
    let CompValue::String(s) = value else { return Part::unknown() };
    let kind = [ResourceKind::User, ResourceKind::Group]
        .into_iter()
        .find(|k| if ce { k.as_str() == s } else { fold(k.as_str()) == fold(s) });
    match (op, kind) {
        (CompareOp::Eq, Some(k)) => Part::exact(Frag::sql(format!("{col} = '{}'", k.as_str()))),
        (CompareOp::Eq, None) => Part::never(),
        (CompareOp::Ne, Some(k)) => Part::exact(Frag::sql(format!("{col} <> '{}'", k.as_str()))),
        (CompareOp::Ne, None) => Part::always(),
        _ => Part::unknown(),
    }
}

fn present(t: Target) -> Part {
    match t {
        Target::Id | Target::Time(_) => Part::always(),
        Target::ExternalId => Part::exact(Frag::sql("(r.external_id IS NOT NULL AND r.external_id <> '')")),
        Target::Lowered(col) => Part::exact(Frag::sql(format!("({col} IS NOT NULL AND {col} <> '')"))),
        Target::Active => Part::exact(Frag::sql("r.active IS NOT NULL")),
        Target::MemberValue | Target::MemberType => exists(MEMBERS_OF_R, Part::always()),
        Target::GroupValue => exists(GROUPS_OF_R, Part::always()),
        Target::Emails | Target::Other => Part::unknown(),
    }
}

/// True when folding `s` alone may differ from how `str::to_lowercase`
/// (which the evaluator's `co/sw/ew` use) folds it in context: only the
/// Greek sigma lower-cases by context.
fn has_sigma(s: &str) -> bool {
    s.chars().any(|c| matches!(c, 'Σ' | 'σ' | 'ς'))
}

/// `col op lit` on a text column whose stored form compares with `lit`
/// byte-wise. `exact`: whether that equals the evaluator's answer (else
/// only `eq/co/sw/ew` give a superset).
fn text_compare(col: &'static str, op: CompareOp, lit: String, exact: bool) -> Part {
    let n = i64::try_from(lit.chars().count()).unwrap_or(i64::MAX);
    let part = |f: Frag| Part { cond: Some(f), exact, pinned: false };
    match op {
        CompareOp::Eq => {
            let unique = col == "r.user_name_lower";
            Part { pinned: unique, ..part(Frag::sql(format!("{col} = ")).text(lit)) }
        }
        CompareOp::Ne => not(text_compare(col, CompareOp::Eq, lit, exact)),
        // Every string contains "": only a missing value fails.
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew if lit.is_empty() => {
            part(Frag::sql(format!("{col} IS NOT NULL")))
        }
        CompareOp::Co => part(Frag::test(TextTest::Contains, Frag::sql(col), lit)),
        CompareOp::Sw => part(Frag::test(TextTest::StartsWith { chars: n }, Frag::sql(col), lit)),
        CompareOp::Ew => part(Frag::test(TextTest::EndsWith { chars: n }, Frag::sql(col), lit)),
        _ if !exact => Part::unknown(),
        CompareOp::Gt => Part::exact(Frag::sql(format!("{col} > ")).text(lit)),
        CompareOp::Ge => Part::exact(Frag::sql(format!("{col} >= ")).text(lit)),
        CompareOp::Lt => Part::exact(Frag::sql(format!("{col} < ")).text(lit)),
        CompareOp::Le => Part::exact(Frag::sql(format!("{col} <= ")).text(lit)),
    }
}

fn compare(t: Target, ce: bool, op: CompareOp, value: &CompValue) -> Part {
    if *value == CompValue::Null {
        // The evaluator: `x eq null` is `not (x pr)`, `x ne null` is `x pr`.
        return match op {
            CompareOp::Eq => not(present(t)),
            CompareOp::Ne => present(t),
            _ => Part::never(),
        };
    }
    match t {
        Target::Id => id_compare("r.id", ce, op, value),
        // `ne` is `not eq` for multi-valued attributes too (no value equals).
        Target::MemberValue | Target::GroupValue | Target::MemberType if op == CompareOp::Ne => {
            not(compare(t, ce, CompareOp::Eq, value))
        }
        Target::MemberValue | Target::GroupValue | Target::MemberType if op != CompareOp::Eq => Part::unknown(),
        Target::MemberValue => exists(MEMBERS_OF_R, id_compare("m.member_id", ce, op, value)),
        Target::GroupValue => exists(GROUPS_OF_R, id_compare("m.group_id", ce, op, value)),
        Target::MemberType => exists(MEMBERS_OF_R, type_compare("m.member_kind", ce, op, value)),
        Target::Lowered(col) => {
            let CompValue::String(s) = value else { return Part::unknown() };
            let substring = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
            if substring && has_sigma(s) {
                return Part::unknown();
            }
            // A caseExact attribute (a tenant could declare one) matches only
            // where the folded forms match: a superset.
            text_compare(col, op, fold(s), !ce)
        }
        Target::ExternalId => {
            let CompValue::String(s) = value else { return Part::unknown() };
            if !ce {
                return Part::unknown();
            }
            text_compare("r.external_id", op, s.clone(), true)
        }
        Target::Emails => {
            let CompValue::String(s) = value else { return Part::unknown() };
            let l = fold(s);
            if l.contains('\n') || l.is_empty() || has_sigma(s) {
                return Part::unknown();
            }
            let needle = match op {
                CompareOp::Eq => format!("\n{l}\n"),
                CompareOp::Co => l,
                CompareOp::Sw => format!("\n{l}"),
                CompareOp::Ew => format!("{l}\n"),
                _ => return Part::unknown(),
            };
            Part::superset(Frag::test(TextTest::Contains, Frag::sql("r.emails_all"), needle))
        }
        Target::Active => {
            // The evaluator reads "true"/"false" strings as booleans (Entra).
            let b = match value {
                CompValue::Bool(b) => *b,
                CompValue::String(s) if s.eq_ignore_ascii_case("true") => true,
                CompValue::String(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Part::unknown(),
            };
            let eq = Part::exact(Frag::sql("r.active = ").boolean(b));
            match op {
                CompareOp::Eq => eq,
                CompareOp::Ne => not(eq),
                _ => Part::unknown(),
            }
        }
        Target::Time(col) => {
            let CompValue::String(s) = value else { return Part::unknown() };
            let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) else { return Part::unknown() };
            time_compare(col, op, t)
        }
        Target::Other => Part::unknown(),
    }
}

/// Instant comparisons against a millisecond column: the literal may be
/// finer than a millisecond, so each operator rounds the way that keeps it
/// exact.
fn time_compare(col: &str, op: CompareOp, t: OffsetDateTime) -> Part {
    let ns = t.unix_timestamp_nanos();
    let (Ok(floor), Ok(ceil)) = (i64::try_from(ns.div_euclid(1_000_000)), i64::try_from(-(-ns).div_euclid(1_000_000)))
    else {
        return Part::unknown();
    };
    let cmp = |sym: &str, v: i64| Part::exact(Frag::sql(format!("{col} {sym} ")).int(v));
    match op {
        CompareOp::Eq if floor == ceil => cmp("=", floor),
        CompareOp::Eq => Part::never(),
        CompareOp::Ne => not(time_compare(col, CompareOp::Eq, t)),
        CompareOp::Gt => cmp(">", floor),
        CompareOp::Ge => cmp(">=", ceil),
        CompareOp::Lt => cmp("<", ceil),
        CompareOp::Le => cmp("<=", floor),
        _ => Part::unknown(),
    }
}

/// The column `sortBy` can be ordered on in SQL with the same order as
/// `scim_core::sort::compare_resources`, if any.
pub fn sort_column(path: &AttrPath, ctx: &Ctx<'_>) -> Option<&'static str> {
    match ctx.target(path) {
        (Target::Id, _) => Some("r.id"),
        (Target::Time(col), _) => Some(col),
        (Target::ExternalId, true) => Some("r.external_id"),
        (Target::Lowered(col), false) => Some(col),
        (Target::Emails, false) => Some("r.email_lower"),
        _ => None,
    }
}

/// Whether `filter` (or a sort path) refers to attribute `name` anywhere, so
/// the evaluated documents must carry it.
pub fn mentions(filter: &Filter, name: &str) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => mentions(a, name) || mentions(b, name),
        Filter::Not(a) => mentions(a, name),
        Filter::Present(p) | Filter::Compare { path: p, .. } | Filter::ValuePath { path: p, .. } => {
            p.attr.eq_ignore_ascii_case(name)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A dialect that writes what it is asked to, to see what a backend
    /// gets.
    #[derive(Default)]
    pub(crate) struct Spelled(pub(crate) String);

    impl Dialect for Spelled {
        fn sql(&mut self, text: &str) {
            self.0.push_str(text);
        }
        fn bind_text(&mut self, value: String) {
            self.0.push_str(&format!("<{value}>"));
        }
        fn bind_int(&mut self, value: i64) {
            self.0.push_str(&format!("<{value}>"));
        }
        fn bind_id(&mut self, id: Uuid) {
            self.0.push_str(&format!("<id {id}>"));
        }
        fn boolean(&mut self, value: bool) {
            self.0.push_str(if value { "TRUE" } else { "FALSE" });
        }
        fn text_test(&mut self, test: TextTest, subject: &Frag, needle: String) {
            self.0.push_str(&format!("{test:?}("));
            subject.render(self);
            self.0.push_str(&format!(", <{needle}>)"));
        }
        fn json_value(&mut self, at: &JsonRef, _: JsonRead) {
            self.0.push_str(&format!("{:?}{:?}", at.base, at.keys));
        }
        fn json_is(&mut self, at: &JsonRef, kind: JsonKind) {
            self.0.push_str(&format!("{:?}{:?} is {kind:?}", at.base, at.keys));
        }
        fn json_any(&mut self, keys: &[String], cond: &Frag) {
            self.0.push_str(&format!("any {keys:?} ("));
            cond.render(self);
            self.0.push(')');
        }
        fn fold(&mut self, expr: &Frag) {
            self.0.push_str("fold(");
            expr.render(self);
            self.0.push(')');
        }
        fn limit(&mut self, limit: i64, offset: Option<i64>) {
            self.0.push_str(&format!(" LIMIT <{limit}>"));
            if let Some(offset) = offset {
                self.0.push_str(&format!(" OFFSET <{offset}>"));
            }
        }
    }

    fn spelled(filter: &str) -> (String, bool) {
        let schemas = SchemaRegistry::standard();
        let rt = schemas.resource_type("User").unwrap();
        let ctx = Ctx { schemas: &schemas, rt, kind: ResourceKind::User };
        let part = compile(&scim_core::filter::parse_filter(filter).unwrap(), &ctx);
        let mut out = Spelled::default();
        if let Some(cond) = &part.cond {
            cond.render(&mut out);
        }
        (out.0, part.exact)
    }

    #[test]
    fn the_dialect_spells_values_booleans_and_substring_tests() {
        assert_eq!(spelled(r#"userName eq "Bjensen""#), ("r.user_name_lower = <bjensen>".to_owned(), true));
        assert_eq!(
            spelled(r#"userName sw "BJ" and active eq false"#),
            ("(StartsWith { chars: 2 }(r.user_name_lower, <bj>) AND r.active = FALSE)".to_owned(), true)
        );
        assert_eq!(
            spelled(r#"not (displayName co "x")"#),
            ("NOT coalesce((Contains(r.display_name_lower, <x>)), FALSE)".to_owned(), true)
        );
        // The column narrows cheaply, the document decides.
        assert_eq!(
            spelled(r#"emails co "@Example""#),
            (
                r#"(Contains(r.emails_all, <@example>) AND any ["emails"] ((Element["value"] is Text AND Contains(fold(Element["value"]), <@example>))))"#
                    .to_owned(),
                true
            )
        );
        // Attributes without a column: exact, in the document.
        assert_eq!(
            spelled(r#"title eq "X""#),
            (r#"(Doc["title"] is Text AND fold(Doc["title"]) = <x>)"#.to_owned(), true)
        );
        assert_eq!(
            spelled(r#"phoneNumbers[type eq "work"]"#),
            (r#"any ["phoneNumbers"] ((Element["type"] is Text AND fold(Element["type"]) = <work>))"#.to_owned(), true)
        );
        // An extension's attribute, under its URN.
        let (sql, exact) =
            spelled(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName pr"#);
        assert!(exact && sql.contains(r#"Doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "manager", "displayName"] is Text"#), "{sql}");
        assert_eq!(spelled(r#"groups.display eq "x""#), (String::new(), false), "groups are not in the document");
    }

    #[test]
    fn uuid_literals_follow_case_rules() {
        let id = Uuid::now_v7();
        let text = id.to_string();
        assert_eq!(uuid_literal(&text, true), Some(id));
        assert_eq!(uuid_literal(&text.to_uppercase(), true), None);
        assert_eq!(uuid_literal(&text.to_uppercase(), false), Some(id));
        assert_eq!(uuid_literal(&id.simple().to_string(), false), None);
        assert_eq!(uuid_literal("nope", false), None);
    }
}
