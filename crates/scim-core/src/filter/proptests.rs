//! Property tests of the filter language (RFC 7644 §3.4.2.2): every AST
//! prints to text that parses back to the same AST, and the evaluator gives
//! consistent answers (never a panic) on generated filters and resources.

use proptest::prelude::*;
use serde_json::{Number, Value};

use super::*;
use crate::path::AttrPath;
use crate::schema::SchemaRegistry;

const URNS: &[&str] =
    &["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        // Words that are keywords elsewhere are still attribute names.
        1 => prop::sample::select(vec!["and", "or", "not", "pr", "eq", "true", "null", "$ref"]).prop_map(str::to_owned),
    ]
}

fn any_path() -> impl Strategy<Value = AttrPath> {
    (prop::option::weighted(0.2, prop::sample::select(URNS)), name(), prop::option::weighted(0.3, name()))
        .prop_filter("$ref is only a sub-attribute name", |(_, a, _)| a != "$ref")
        .prop_map(|(urn, attr, sub_attr)| AttrPath { urn: urn.map(str::to_owned), attr, sub_attr })
}

fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(CompValue::Number)),
        any::<String>().prop_map(CompValue::String),
        "[\"\\\\()\\[\\] a-z\u{0}-\u{1f}é😀]{0,12}".prop_map(CompValue::String),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ])
}

/// Filters over `path`s and `values`, without value paths.
fn logic(path: BoxedStrategy<AttrPath>, value: BoxedStrategy<CompValue>) -> impl Strategy<Value = Filter> + Clone {
    let leaf = prop_oneof![
        (path.clone(), op(), value).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        path.prop_map(Filter::Present),
    ];
    leaf.prop_recursive(5, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

/// Any filter: logic over leaves that may be value paths.
fn filter(
    path: BoxedStrategy<AttrPath>,
    inner_path: BoxedStrategy<AttrPath>,
    value: BoxedStrategy<CompValue>,
) -> impl Strategy<Value = Filter> {
    let value_path = (path.clone(), logic(inner_path, value.clone()))
        .prop_map(|(path, f)| Filter::ValuePath { path, filter: Box::new(f) });
    let leaf = prop_oneof![3 => logic(path, value), 1 => value_path];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_then_parse_is_identity(
        f in filter(any_path().boxed(), name().prop_map(AttrPath::simple).boxed(), comp_value().boxed())
    ) {
        let text = f.to_string();
        prop_assert_eq!(parse_filter(&text), Ok(f), "text: {}", text);
    }

    #[test]
    fn any_text_parses_or_is_invalid_filter(text in "[a-z \"()\\[\\]\\\\.:0-9]{0,40}") {
        match parse_filter(&text) {
            Ok(f) => prop_assert_eq!(parse_filter(&f.to_string()), Ok(f)),
            Err(e) => prop_assert_eq!(e.scim_type, Some(crate::ScimType::InvalidFilter)),
        }
    }
}

fn user_path() -> impl Strategy<Value = AttrPath> {
    prop::sample::select(vec![
        "userName",
        "name.givenName",
        "name",
        "emails",
        "emails.value",
        "emails.type",
        "emails.primary",
        "active",
        "title",
        "meta.created",
        "meta.lastModified",
        "id",
        "externalId",
        "groups",
        "schemas",
        "nope",
        "x509Certificates",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ])
    .prop_map(|p| AttrPath::parse(p).unwrap_or_else(|_| AttrPath::simple("x")))
}

fn user_inner_path() -> impl Strategy<Value = AttrPath> {
    prop::sample::select(vec!["value", "type", "primary", "display", "nope"]).prop_map(AttrPath::simple)
}

fn small_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        (-3i64..3).prop_map(|n| CompValue::Number(n.into())),
        prop::sample::select(vec!["work", "a@x", "A", "", "true", "2011-05-13T04:42:34Z", "Jensen"])
            .prop_map(|s| CompValue::String(s.to_owned())),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec!["work", "a@x", "", "TRUE", "2011-05-13T04:42:34Z", "2011-05-13"])
            .prop_map(Value::from),
    ]
}

fn json_tree() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "userName",
        "USERNAME",
        "name",
        "givenName",
        "emails",
        "value",
        "type",
        "primary",
        "active",
        "title",
        "meta",
        "created",
        "lastModified",
        "id",
        "groups",
        "schemas",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "manager",
        "employeeNumber",
    ]);
    json_leaf().prop_recursive(4, 40, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The evaluator answers every (filter, resource) pair without panicking,
    /// and its answers obey the laws the SQL compiler relies on.
    #[test]
    fn evaluation_is_total_and_consistent(
        f in filter(user_path().boxed(), user_inner_path().boxed(), small_value().boxed()),
        doc in json_tree(),
    ) {
        let reg = SchemaRegistry::standard();
        for rt in reg.resource_types() {
            let _ = validate(&f, &reg, rt);
            let m = matches(&f, &doc, &reg, rt);
            prop_assert_eq!(matches(&Filter::Not(Box::new(f.clone())), &doc, &reg, rt), !m);
            if let Filter::Compare { path, op: CompareOp::Eq, value } = &f {
                let ne = Filter::Compare { path: path.clone(), op: CompareOp::Ne, value: value.clone() };
                prop_assert_eq!(matches(&ne, &doc, &reg, rt), !m);
            }
            if let Filter::Present(path) = &f {
                let eq_null = Filter::Compare { path: path.clone(), op: CompareOp::Eq, value: CompValue::Null };
                prop_assert_eq!(matches(&eq_null, &doc, &reg, rt), !m);
            }
        }
    }
}
