//! Tests of the filter parser, printer, validator and evaluator against the
//! examples of RFC 7644 §3.4.2.2 and the full User of RFC 7643 §8.2 (with the
//! Enterprise User extension of §8.3). Property tests are in `proptests.rs`.

use serde_json::{Value, json};

use super::*;
use crate::ScimType;
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, Schema, SchemaRegistry};
use crate::test_fixtures::{remove, rfc7643_user};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The User of RFC 7643 §8.2 (with §8.3's enterprise extension) without
/// `addresses` and the enterprise `department`: the tests of `pr`, `ne` and
/// `eq null` need attributes that are absent.
fn full_user() -> Value {
    let mut u = rfc7643_user();
    remove(&mut u, &["addresses"]);
    remove(&mut u[ENTERPRISE], &["department"]);
    u
}

/// The filter examples printed in RFC 7644 §3.4.2.2, with what each gives
/// for the RFC 7643 §8.2 User.
pub(super) const RFC_EXAMPLES: &[(&str, bool)] = &[
    (r#"userName eq "bjensen""#, false),
    (r#"name.familyName co "O'Malley""#, false),
    (r#"userName sw "J""#, false),
    (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#, false),
    ("title pr", true),
    (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
    (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
    (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
    (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
    (r#"title pr and userType eq "Employee""#, true),
    (r#"title pr or userType eq "Intern""#, true),
    (r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, true),
    (r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#, true),
    (r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#, false),
    (r#"userType eq "Employee" and (emails.type eq "work")"#, true),
    (r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, true),
    (r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#, true),
];

fn registry() -> SchemaRegistry {
    SchemaRegistry::standard()
}

fn user_matches(filter: &str) -> bool {
    let reg = registry();
    let rt = reg.resource_type("User").unwrap();
    let f = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    validate(&f, &reg, rt).unwrap_or_else(|e| panic!("{filter}: {e}"));
    matches(&f, &full_user(), &reg, rt)
}

fn cmp(path: &str, op: CompareOp, value: CompValue) -> Filter {
    Filter::Compare { path: AttrPath::parse(path).unwrap(), op, value }
}

fn s(v: &str) -> CompValue {
    CompValue::String(v.to_owned())
}

#[test]
fn rfc_examples_parse_round_trip_and_evaluate() {
    for (text, expected) in RFC_EXAMPLES {
        let f = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let printed = f.to_string();
        assert_eq!(parse_filter(&printed).unwrap(), f, "{text} printed as {printed}");
        assert_eq!(user_matches(text), *expected, "{text}");
    }
}

#[test]
fn precedence_not_over_and_over_or_left_assoc() {
    let a = || Filter::Present(AttrPath::simple("a"));
    let b = || Filter::Present(AttrPath::simple("b"));
    let c = || Filter::Present(AttrPath::simple("c"));
    let and = |x, y| Filter::And(Box::new(x), Box::new(y));
    let or = |x, y| Filter::Or(Box::new(x), Box::new(y));
    assert_eq!(parse_filter("a pr or b pr and c pr").unwrap(), or(a(), and(b(), c())));
    assert_eq!(parse_filter("a pr and b pr or c pr").unwrap(), or(and(a(), b()), c()));
    assert_eq!(parse_filter("a pr and b pr and c pr").unwrap(), and(and(a(), b()), c()));
    assert_eq!(parse_filter("a pr AND (b pr Or c pr)").unwrap(), and(a(), or(b(), c())));
    assert_eq!(parse_filter("NOT(a pr) and b pr").unwrap(), and(Filter::Not(Box::new(a())), b()));
    // Right-nested trees need parentheses to survive printing.
    let right = and(a(), and(b(), c()));
    assert_eq!(right.to_string(), "a pr and (b pr and c pr)");
    assert_eq!(parse_filter(&right.to_string()).unwrap(), right);
    assert_eq!(or(a(), or(b(), c())).to_string(), "a pr or (b pr or c pr)");
}

#[test]
fn operators_keywords_and_literals_are_case_insensitive_and_whitespace_tolerant() {
    let f = parse_filter("  userName   EQ \t\"x\"  ").unwrap();
    assert_eq!(f, cmp("userName", CompareOp::Eq, s("x")));
    assert_eq!(parse_filter("active eq TRUE").unwrap(), cmp("active", CompareOp::Eq, CompValue::Bool(true)));
    assert_eq!(parse_filter("active eq False").unwrap(), cmp("active", CompareOp::Eq, CompValue::Bool(false)));
    assert_eq!(parse_filter("x eq NULL").unwrap(), cmp("x", CompareOp::Eq, CompValue::Null));
    assert_eq!(
        parse_filter("n ge -1.5e3").unwrap(),
        cmp("n", CompareOp::Ge, CompValue::Number(serde_json::Number::from_f64(-1500.0).unwrap()))
    );
    assert_eq!(parse_filter("title PR").unwrap(), Filter::Present(AttrPath::simple("title")));
    // An attribute may be called "not" (only `not (` is the operator).
    assert_eq!(parse_filter("not pr").unwrap(), Filter::Present(AttrPath::simple("not")));
}

#[test]
fn strings_decode_every_json_escape() {
    let f = parse_filter(r#"x eq "q\"b\\s\/n\nt\tr\rb\bf\f\u00e9\ud83d\ude00""#).unwrap();
    assert_eq!(f, cmp("x", CompareOp::Eq, s("q\"b\\s/n\nt\tr\rb\u{8}f\u{c}é😀")));
    let tricky = cmp("x", CompareOp::Eq, s("a\"] or (y pr)\u{1}\u{7f}ü"));
    assert_eq!(parse_filter(&tricky.to_string()).unwrap(), tricky);
}

#[test]
fn urn_paths_and_value_paths_parse() {
    let f = parse_filter(&format!(r#"{ENTERPRISE}:manager.value eq "26118915""#)).unwrap();
    let Filter::Compare { path, .. } = &f else { panic!("{f:?}") };
    assert_eq!(path.urn.as_deref(), Some(ENTERPRISE));
    assert_eq!(path.attr, "manager");
    assert_eq!(path.sub_attr.as_deref(), Some("value"));
    let vp = parse_filter(r#"emails[type eq "work"]"#).unwrap();
    assert_eq!(
        vp,
        Filter::ValuePath { path: AttrPath::simple("emails"), filter: Box::new(cmp("type", CompareOp::Eq, s("work"))) }
    );
    assert_eq!(
        parse_value_filter(r#"type eq "work" and primary eq true"#).unwrap().to_string(),
        r#"type eq "work" and primary eq true"#
    );
}

/// Asserts `text` fails with invalidFilter at 1-based `pos`, saying `needle`.
#[track_caller]
fn assert_error(text: &str, pos: Option<usize>, needle: &str) {
    let e = parse_filter(text).expect_err(text);
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{text}");
    if let Some(p) = pos {
        assert!(e.detail.contains(&format!("at character {p}:")), "{text}: {}", e.detail);
    }
    assert!(e.detail.contains(needle), "{text}: {} lacks {needle:?}", e.detail);
}

#[test]
fn syntax_errors_give_position_and_expectation() {
    assert_error("", None, "empty");
    assert_error("   ", None, "empty");
    assert_error("userName eq", Some(12), "expected a value");
    assert_error("userName", Some(9), "operator");
    assert_error(r#"userName xx "a""#, Some(10), "expected an operator");
    assert_error(r#"userName eq "bjensen"#, Some(13), "unterminated string");
    assert_error("(userName pr", Some(13), "')' to close the '(' at character 1");
    assert_error("userName pr and", Some(16), "expected an attribute name");
    assert_error("userName pr extra", Some(13), "\"and\", \"or\" or the end");
    assert_error("userName pr)", Some(12), "')'");
    assert_error(r#"userName eq "\q""#, Some(14), "invalid escape");
    assert_error(r#"userName eq "\u12""#, Some(14), "four hexadecimal digits");
    assert_error(r#"userName eq "\ud800""#, Some(14), "not followed by a low surrogate");
    assert_error(r#"userName eq "\ud800\u0041""#, Some(20), "not a low surrogate");
    assert_error(r#"userName eq "\udc00""#, Some(14), "lone low surrogate");
    assert_error("userName eq \"a\u{1}\"", Some(15), "control character");
    assert_error("userName eq 01", Some(13), "not a valid JSON number");
    assert_error("userName eq 1e400", Some(13), "not a valid JSON number");
    assert_error("userName eq bjensen", Some(13), "expected a value");
    assert_error(r#"a.b.c eq "x""#, Some(1), "nests deeper");
    assert_error(r#"emails[type eq "work" and value[x pr]]"#, Some(32), "cannot be nested");
    assert_error(r#"emails[type eq "work""#, Some(22), "']' to close the '[' at character 7");
    assert_error("emails[]", Some(8), "a filter inside");
    assert_error("not userName pr", Some(5), "operator");
    // Positions count characters, not bytes.
    assert_error("\"é\" eq 1", Some(1), "attribute name");
    // Found by fuzzing: a multi-byte character across byte 4 of a path.
    assert_error("hjt\u{6dc}", Some(1), "not a valid attribute path");
    assert_error("x pr and urn\u{e9}:a pr", Some(10), "not a valid attribute path");
    assert_error("title eq \"é€\" and", Some(18), "expected an attribute name");
}

#[test]
fn limits_are_invalid_filter_never_a_stack_overflow() {
    let deep = |n: usize, open: &str, close: &str| format!("{}a pr{}", open.repeat(n), close.repeat(n));
    assert!(parse_filter(&deep(MAX_FILTER_DEPTH, "(", ")")).is_ok());
    assert_error(&deep(MAX_FILTER_DEPTH + 1, "(", ")"), Some(MAX_FILTER_DEPTH + 1), "nests deeper than 64");
    assert_error(&deep(MAX_FILTER_DEPTH + 1, "not(", ")"), None, "nests deeper");
    // 100k levels: refused by length first, and by depth even without the
    // length limit, in constant stack.
    for (open, close) in [("(", ")"), ("not(", ")"), ("not (", " )")] {
        let text = deep(100_000, open, close);
        assert_error(&text, None, "at most");
        let e = parse::parse_with_limits(&text, usize::MAX, MAX_FILTER_DEPTH, false).unwrap_err();
        assert!(e.detail.contains("nests deeper"), "{}", e.detail);
    }
    let unclosed = "(".repeat(100_000);
    assert!(parse::parse_with_limits(&unclosed, usize::MAX, MAX_FILTER_DEPTH, false).is_err());
    // Long and/or chains are loops, not recursion.
    let chain = vec!["a pr"; 900].join(" and ");
    assert!(chain.len() <= MAX_FILTER_LEN);
    assert!(parse_filter(&chain).is_ok());
}

fn validate_user(text: &str) -> Result<(), crate::ScimError> {
    let reg = registry();
    let rt = reg.resource_type("User").unwrap();
    validate(&parse_filter(text).unwrap(), &reg, rt)
}

#[track_caller]
fn assert_invalid(text: &str, needle: &str) {
    let e = validate_user(text).expect_err(text);
    assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{text}");
    assert!(e.detail.contains(needle), "{text}: {} lacks {needle:?}", e.detail);
}

#[test]
fn validation_refuses_what_cannot_be_compared() {
    assert_invalid(r#"userNme eq "x""#, "unknown attribute \"userNme\"");
    assert_invalid(r#"name.nope eq "x""#, "name.nope");
    assert_invalid("active gt true", "no order");
    assert_invalid(r#"x509Certificates.value lt "AAA=""#, "no order");
    assert_invalid("userName gt true", "must be a string");
    assert_invalid("active eq 1", "must be true or false");
    assert_invalid(r#"active eq "yes""#, "must be true or false");
    assert_invalid(r#"meta.created gt "yesterday""#, "RFC 3339");
    assert_invalid(r#"meta.created co "2010""#, "needs a string attribute");
    assert_invalid("userName gt null", "null");
    assert_invalid(r#"name eq "x""#, "complex");
    assert_invalid(r#"password eq "x""#, "cannot be used");
    assert_invalid(r#"userName[value eq "x"]"#, "brackets");
    assert_invalid(r#"emails[nope eq "x"]"#, "inside \"emails[...]\"");
    let nested = Filter::ValuePath {
        path: AttrPath::simple("emails"),
        filter: Box::new(Filter::ValuePath {
            path: AttrPath::simple("type"),
            filter: Box::new(Filter::Present(AttrPath::simple("value"))),
        }),
    };
    let reg = registry();
    let e = validate(&nested, &reg, reg.resource_type("User").unwrap()).unwrap_err();
    assert!(e.detail.contains("nested"), "{}", e.detail);
    for ok in [
        r#"active eq "True""#,
        "active eq false",
        r#"groups eq "x""#,
        r#"emails co "@x""#,
        r#"meta.lastModified gt "2011-05-13T04:42:34+02:00""#,
        "userName eq null",
        &format!(r#"{ENTERPRISE}:manager.value eq "x""#),
        &format!(r#"{ENTERPRISE}:manager eq "x""#),
    ] {
        validate_user(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    let group = reg.resource_type("Group").unwrap();
    validate(&parse_filter(r#"members eq "2819c223""#).unwrap(), &reg, group).unwrap();
    assert!(validate(&parse_filter(r#"userName eq "x""#).unwrap(), &reg, group).is_err());
}

#[test]
fn evaluation_honours_types_case_and_extensions() {
    assert!(user_matches(r#"userName eq "BJENSEN@example.com""#));
    assert!(user_matches(r#"USERNAME Eq "bjensen@EXAMPLE.com""#));
    assert!(user_matches(r#"externalId eq "701984""#));
    assert!(!user_matches(r#"id eq "2819C223-7F76-453A-919D-413861904646""#));
    assert!(user_matches(r#"id eq "2819c223-7f76-453a-919d-413861904646""#));
    assert!(user_matches(r#"meta.created lt "2010-01-23T05:56:22+00:30""#));
    assert!(user_matches(r#"meta.created eq "2010-01-23T05:56:22+01:00""#));
    assert!(user_matches(r#"active eq "TRUE" and active eq true and not (active eq false)"#));
    assert!(user_matches(&format!(r#"{ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#)));
    assert!(user_matches(&format!(r#"{ENTERPRISE}:employeeNumber eq "701984""#)));
    assert!(user_matches(&format!(r#"{ENTERPRISE}:manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#)));
    assert!(!user_matches(&format!(r#"{ENTERPRISE}:department pr"#)));
    assert!(user_matches(r#"groups eq "e9e30dba-f08f-4109-8486-d5c6a331660a""#));
    assert!(user_matches(r#"emails.value ew "JENSEN.ORG""#));
    assert!(user_matches(r#"emails[type eq "home" and not (primary eq true)]"#));
    assert!(!user_matches(r#"emails[type eq "home" and primary eq true]"#));
    assert!(user_matches("emails[primary pr]"));
    // ne is "no value equals"; true when the attribute is missing.
    assert!(user_matches(r#"nickName ne "x" and displayName pr"#));
    assert!(!user_matches(r#"emails.type ne "work""#));
    assert!(user_matches(r#"name.honorificSuffix ne "II""#));
    assert!(user_matches(r#"addresses.type ne "work""#));
    // eq null is "unassigned".
    assert!(user_matches("addresses eq null and userName ne null"));
    assert!(!user_matches("userName eq null"));
    assert!(!user_matches("addresses pr"));
}

#[test]
fn pr_is_false_for_empty_values() {
    let reg = registry();
    let rt = reg.resource_type("User").unwrap();
    let f = parse_filter("title pr or emails pr or name pr").unwrap();
    for empty in [
        json!({}),
        json!({"title": null}),
        json!({"title": ""}),
        json!({"emails": []}),
        json!({"name": {}}),
        json!({"name": {"givenName": null}}),
        json!({"emails": [{}]}),
    ] {
        assert!(!matches(&f, &empty, &reg, rt), "{empty}");
    }
    assert!(matches(&f, &json!({"title": "x"}), &reg, rt));
    assert!(matches(&f, &json!({"name": {"givenName": "B"}}), &reg, rt));
}

#[test]
fn keys_are_found_exactly_then_case_insensitively() {
    let reg = registry();
    let rt = reg.resource_type("User").unwrap();
    let f = parse_filter(r#"userName eq "a" and name.givenName eq "b""#).unwrap();
    assert!(matches(&f, &json!({"USERNAME": "A", "Name": {"givenname": "B"}}), &reg, rt));
    let ext = parse_filter(&format!(r#"{ENTERPRISE}:employeeNumber eq "7""#)).unwrap();
    assert!(matches(&ext, &json!({ENTERPRISE.to_lowercase(): {"employeeNumber": "7"}}), &reg, rt));
    for odd in [json!(null), json!([1]), json!("x"), json!({"userName": ["a", {"b": 1}]}), json!({"name": [1, "x"]})] {
        assert!(!matches(&f, &odd, &reg, rt), "{odd}");
    }
}

/// A tenant extension with one attribute of every type.
fn typed_registry() -> SchemaRegistry {
    let mut reg = registry();
    let schema = Schema {
        id: "urn:example:test".into(),
        name: "Test".into(),
        description: String::new(),
        attributes: vec![
            AttributeDef::new("age", AttrType::Integer),
            AttributeDef::new("score", AttrType::Decimal),
            AttributeDef::new("when", AttrType::DateTime),
            AttributeDef::new("blob", AttrType::Binary),
            AttributeDef::string("tags").multi(),
            AttributeDef::string("code").case_exact(),
        ],
    };
    reg.add_extension("User", schema, false).unwrap();
    reg
}

#[test]
fn numbers_datetimes_binary_and_simple_multi_values() {
    let reg = typed_registry();
    let rt = reg.resource_type("User").unwrap();
    let doc = json!({"urn:example:test": {"age": 42, "score": 2.5, "when": "2020-02-29T12:00:00Z",
        "blob": "QUJD", "tags": ["Red", "blue"], "code": "AbC"}});
    let m = |t: &str| {
        let f = parse_filter(&format!("urn:example:test:{t}")).unwrap();
        validate(&f, &reg, rt).unwrap_or_else(|e| panic!("{t}: {e}"));
        matches(&f, &doc, &reg, rt)
    };
    assert!(m("age gt 41") && m("age le 42") && m("age eq 42.0") && !m("age lt 42"));
    assert!(m("score gt 2") && m("score lt 2.51") && m("score ge 25e-1"));
    assert!(m(r#"when gt "2020-02-29T11:59:59.999Z""#) && m(r#"when eq "2020-02-29T13:00:00+01:00""#));
    assert!(m(r#"blob eq "QUJD""#) && !m(r#"blob eq "qujd""#));
    assert!(m(r#"tags eq "red""#) && m(r#"tags sw "BL""#) && !m(r#"tags eq "green""#));
    assert!(m(r#"code eq "AbC""#) && !m(r#"code eq "abc""#) && !m(r#"code co "B""#));
    let ext = reg.extension_of(rt, "urn:example:test").unwrap();
    let tags = ext.attribute("tags").unwrap();
    assert!(matches_element(&parse_filter(r#"value eq "RED""#).unwrap(), &json!("red"), tags));
    assert!(!matches_element(&parse_filter(r#"type eq "RED""#).unwrap(), &json!("red"), tags));
}

#[test]
fn matches_element_uses_sub_attributes() {
    let reg = registry();
    let rt = reg.resource_type("User").unwrap();
    let emails = reg.resolve(rt, &AttrPath::simple("emails")).unwrap().attr;
    let f = parse_value_filter(r#"type eq "WORK" and value co "@example.com""#).unwrap();
    assert!(matches_element(&f, &json!({"type": "work", "value": "a@example.com"}), emails));
    assert!(!matches_element(&f, &json!({"type": "home", "value": "a@example.com"}), emails));
    assert!(!matches_element(&f, &json!("a@example.com"), emails));
}

// Microsoft Entra sends `emails[type eq "work"].value eq "…"`: outside the
// RFC grammar, parsed as the value filter it means.
#[test]
fn value_path_followed_by_a_sub_attribute_comparison() {
    let f = parse_filter(r#"emails[type eq "work"].value eq "bjensen@example.com""#).unwrap();
    let expected = parse_filter(r#"emails[type eq "work" and value eq "bjensen@example.com"]"#).unwrap();
    assert_eq!(f, expected);
    assert_eq!(parse_filter(&f.to_string()).unwrap(), f);
    let p = parse_filter(r#"emails[type eq "work"].value pr and userName pr"#).unwrap();
    assert!(matches!(p, Filter::And(..)));
    for bad in [r#"emails[type eq "work"]."#, r#"emails[type eq "work"].value"#, r#"emails[type eq "work"].1x eq "a""#]
    {
        let e = parse_filter(bad).unwrap_err();
        assert_eq!(e.scim_type, Some(crate::ScimType::InvalidFilter), "{bad}");
    }
}
