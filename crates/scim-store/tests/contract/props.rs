//! DESIGN §4's property: for random filters over a random small dataset,
//! `list_resources` (SQL pushdown plus evaluator fallback, SQL or in-memory
//! sorting and paging) returns exactly what filtering, sorting and paging
//! every full document with the reference evaluator returns.

use std::cmp::Ordering;
use std::sync::Arc;

use proptest::prelude::*;
use scim_core::filter::{CompValue, CompareOp, Filter, matches};
use scim_core::path::AttrPath;
use scim_core::resource::{Meta, compose, format_datetime};
use scim_core::schema::{ENTERPRISE_USER_URN, SchemaRegistry};
use scim_core::sort::{SortOrder, compare_resources};
use scim_store::{ListQuery, ResourceKind, Store, StoredResource};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{Backend, Db, contract, create, create_with, member};

const WORDS: &[&str] =
    &["alice", "Bob", "ÄRGER", "a_%b", "", "b", "ALICE", "zed", "x@Ex.org", "Σίσυφος", "User", "group"];

#[derive(Debug, Clone)]
struct UserSpec {
    name: usize,
    display: Option<usize>,
    ext: Option<usize>,
    active: Option<bool>,
    emails: Vec<(usize, bool)>,
    manager: Option<usize>,
    title: Option<usize>,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    name: usize,
    ext: Option<usize>,
    /// Indices into users, then earlier groups (modulo their counts).
    users: Vec<usize>,
    groups: Vec<usize>,
}

/// A literal, resolved against the dataset once it exists.
#[derive(Debug, Clone)]
enum LitSpec {
    Word(usize),
    /// The path's value in resource `n`, transformed (0 as is, 1 upper, 2
    /// lower, 3 first two chars, 4 last two chars).
    Field(usize, u8),
    Null,
    Bool(bool),
    /// The id of resource `n` (users then groups), upper-cased when true.
    Id(usize, bool),
    /// The creation time of resource `n`, shifted by ms.
    Time(usize, i64),
}

#[derive(Debug, Clone)]
enum FSpec {
    Cmp(usize, usize, LitSpec),
    Pr(usize),
    And(Box<FSpec>, Box<FSpec>),
    Or(Box<FSpec>, Box<FSpec>),
    Not(Box<FSpec>),
    /// A value path over multi-valued attribute `n` with an inner filter.
    Vp(usize, Box<FSpec>),
}

const USER_PATHS: &[&str] = &[
    "userName",
    "displayName",
    "externalId",
    "emails",
    "emails.value",
    "active",
    "title",
    "id",
    "meta.created",
    "meta.lastModified",
    "groups",
    "groups.value",
    "groups.display",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "name.givenName",
    // No column: compared in the stored document.
    "name.familyName",
    "name",
    "emails.type",
    "emails.primary",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
];
const GROUP_PATHS: &[&str] =
    &["displayName", "externalId", "members", "members.value", "members.type", "members.display", "id", "meta.created"];
const USER_VP: &[&str] = &["emails", "groups", "name"];
const GROUP_VP: &[&str] = &["members"];
const ELEMENT_PATHS: &[&str] = &["value", "type", "display", "primary"];
const OPS: &[CompareOp] = &[
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Co,
    CompareOp::Sw,
    CompareOp::Ew,
    CompareOp::Gt,
    CompareOp::Ge,
    CompareOp::Lt,
    CompareOp::Le,
];
const SORTS: &[&str] =
    &["userName", "displayName", "emails.value", "emails", "title", "meta.created", "externalId", "id"];

fn word() -> impl Strategy<Value = usize> {
    0..WORDS.len()
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        word(),
        proptest::option::of(word()),
        proptest::option::of(word()),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec((word(), any::<bool>()), 0..3),
        proptest::option::of(word()),
        proptest::option::of(word()),
    )
        .prop_map(|(name, display, ext, active, emails, manager, title)| UserSpec {
            name,
            display,
            ext,
            active,
            emails,
            manager,
            title,
        })
}

fn group_spec() -> impl Strategy<Value = GroupSpec> {
    (
        word(),
        proptest::option::of(word()),
        proptest::collection::vec(0..8usize, 0..4),
        proptest::collection::vec(0..4usize, 0..2),
    )
        .prop_map(|(name, ext, users, groups)| GroupSpec { name, ext, users, groups })
}

fn lit_spec() -> impl Strategy<Value = LitSpec> {
    prop_oneof![
        1 => word().prop_map(LitSpec::Word),
        3 => (0..12usize, 0..5u8).prop_map(|(n, t)| LitSpec::Field(n, t)),
        1 => Just(LitSpec::Null),
        1 => any::<bool>().prop_map(LitSpec::Bool),
        1 => (0..12usize, any::<bool>()).prop_map(|(n, u)| LitSpec::Id(n, u)),
        1 => (0..12usize, -2..3i64).prop_map(|(n, d)| LitSpec::Time(n, d)),
    ]
}

fn leaf() -> impl Strategy<Value = FSpec> {
    prop_oneof![
        4 => (0..24usize, 0..OPS.len(), lit_spec()).prop_map(|(p, o, l)| FSpec::Cmp(p, o, l)),
        1 => (0..24usize).prop_map(FSpec::Pr),
    ]
}

fn filter_spec() -> impl Strategy<Value = FSpec> {
    leaf().prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| FSpec::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| FSpec::Or(Box::new(a), Box::new(b))),
            inner.clone().prop_map(|a| FSpec::Not(Box::new(a))),
            (0..2usize, inner).prop_map(|(n, a)| FSpec::Vp(n, Box::new(a))),
        ]
    })
}

fn user_doc(i: usize, u: &UserSpec) -> Value {
    let mut d = Map::new();
    // A suffix keeps userNames unique; eq literals come from Field(…).
    d.insert("userName".into(), json!(format!("{}{i}", WORDS[u.name])));
    if let Some(x) = u.display {
        d.insert("displayName".into(), json!(WORDS[x]));
        d.insert("name".into(), json!({"givenName": WORDS[x], "familyName": WORDS[u.name]}));
    }
    if let Some(x) = u.ext {
        d.insert("externalId".into(), json!(WORDS[x]));
    }
    if let Some(a) = u.active {
        d.insert("active".into(), json!(a));
    }
    if !u.emails.is_empty() {
        let emails: Vec<Value> = u
            .emails
            .iter()
            .enumerate()
            .map(|(k, (w, p))| {
                let t = if k % 2 == 0 { "work" } else { "home" };
                if *p {
                    json!({"value": WORDS[*w], "type": t, "primary": true})
                } else {
                    json!({"value": WORDS[*w], "type": t})
                }
            })
            .collect();
        d.insert("emails".into(), Value::Array(emails));
    }
    if let Some(x) = u.title {
        d.insert("title".into(), json!(WORDS[x]));
    }
    if let Some(x) = u.manager {
        let dept = WORDS[u.title.unwrap_or(x)];
        d.insert(
            ENTERPRISE_USER_URN.into(),
            json!({"manager": {"value": WORDS[x], "displayName": WORDS[u.name]}, "department": dept}),
        );
    }
    Value::Object(d)
}

struct Data {
    /// The database file, removed when the fixture goes.
    _db: Db,
    store: Arc<dyn Store>,
    tenant: Uuid,
    users: Vec<StoredResource>,
    groups: Vec<StoredResource>,
    /// Full documents (with members / groups) as the evaluator sees them.
    user_docs: Vec<Value>,
    group_docs: Vec<Value>,
}

fn full(r: &StoredResource) -> Value {
    let meta = Meta {
        resource_type: r.kind.as_str().into(),
        created: r.created,
        last_modified: r.last_modified,
        location: None,
        version: format!("W/\"{}\"", r.version),
    };
    compose(r.doc.clone(), &r.id.to_string(), &meta)
}

fn display(r: &StoredResource) -> Option<Value> {
    r.doc.get("displayName").or_else(|| r.doc.get("userName")).cloned()
}

async fn build(b: Backend, users: &[UserSpec], groups: &[GroupSpec]) -> Data {
    let (store, tenant, db) = b.fresh().await;
    let mut us = Vec::new();
    for (i, u) in users.iter().enumerate() {
        us.push(create(&store, tenant.id, ResourceKind::User, user_doc(i, u)).await);
    }
    let mut gs: Vec<StoredResource> = Vec::new();
    let mut members: Vec<Vec<(usize, bool)>> = Vec::new(); // (index, is_group)
    for (i, g) in groups.iter().enumerate() {
        let mut doc = json!({"displayName": format!("{}{i}", WORDS[g.name])});
        if let Some(x) = g.ext {
            doc["externalId"] = json!(WORDS[x]);
        }
        let mut m: Vec<(usize, bool)> = Vec::new();
        if !us.is_empty() {
            m.extend(g.users.iter().map(|k| (k % us.len(), false)));
        }
        if !gs.is_empty() {
            m.extend(g.groups.iter().map(|k| (k % gs.len(), true)));
        }
        m.sort();
        m.dedup();
        // Members carry the display a client would send: the member's name.
        let values = m
            .iter()
            .map(|(k, grp)| {
                let r = if *grp { &gs[*k] } else { &us[*k] };
                let mut v = member(r.id);
                if let Some(d) = display(r) {
                    v["display"] = d;
                }
                v
            })
            .collect();
        gs.push(create_with(&store, tenant.id, ResourceKind::Group, doc, values).await);
        members.push(m);
    }
    let mut user_docs: Vec<Value> = us.iter().map(full).collect();
    let mut group_docs: Vec<Value> = gs.iter().map(full).collect();
    for (gi, m) in members.iter().enumerate() {
        let mut list: Vec<(Uuid, Value)> = Vec::new();
        for (k, grp) in m {
            let r = if *grp { &gs[*k] } else { &us[*k] };
            let mut e = json!({"value": r.id.to_string(), "type": r.kind.as_str()});
            if let Some(d) = display(r) {
                e["display"] = d;
            }
            list.push((r.id, e));
            if !*grp {
                let g = &gs[gi];
                let mut ge = json!({"value": g.id.to_string(), "type": "direct"});
                if let Some(d) = display(g) {
                    ge["display"] = d;
                }
                let doc = &mut user_docs[*k];
                match doc.get_mut("groups") {
                    Some(Value::Array(a)) => a.push(ge),
                    _ => doc["groups"] = json!([ge]),
                }
            }
        }
        list.sort_by_key(|(id, _)| *id);
        if !list.is_empty() {
            group_docs[gi]["members"] = Value::Array(list.into_iter().map(|(_, e)| e).collect());
        }
    }
    Data { store, tenant: tenant.id, users: us, groups: gs, user_docs, group_docs, _db: db }
}

/// The first value `path` reaches in `doc`, if a string.
fn field(doc: &Value, path: &AttrPath) -> Option<String> {
    let mut v = doc;
    if let Some(urn) = &path.urn {
        v = v.get(urn)?;
    }
    v = v.get(&path.attr)?;
    if let Value::Array(a) = v {
        v = a.first()?;
    }
    if let Some(sub) = &path.sub_attr {
        v = v.get(sub)?;
    } else if let Some(x) = v.get("value") {
        v = x;
    }
    v.as_str().map(str::to_owned)
}

impl Data {
    fn all(&self) -> Vec<&StoredResource> {
        self.users.iter().chain(&self.groups).collect()
    }

    fn lit(&self, kind: ResourceKind, path: &AttrPath, spec: &LitSpec) -> CompValue {
        let docs = if kind == ResourceKind::User { &self.user_docs } else { &self.group_docs };
        let all = self.all();
        match spec {
            LitSpec::Word(w) => CompValue::String(WORDS[*w].into()),
            LitSpec::Null => CompValue::Null,
            LitSpec::Bool(b) => CompValue::Bool(*b),
            LitSpec::Field(n, t) => {
                let Some(s) = docs.get(n % docs.len().max(1)).and_then(|d| field(d, path)) else {
                    return CompValue::String("zed".into());
                };
                let chars: Vec<char> = s.chars().collect();
                CompValue::String(match t {
                    1 => s.to_uppercase(),
                    2 => s.to_lowercase(),
                    3 => chars.iter().take(2).collect(),
                    4 => chars[chars.len().saturating_sub(2)..].iter().collect(),
                    _ => s,
                })
            }
            LitSpec::Id(..) | LitSpec::Time(..) if all.is_empty() => CompValue::String("zed".into()),
            LitSpec::Id(n, upper) => {
                let id = all[n % all.len()].id.to_string();
                CompValue::String(if *upper { id.to_uppercase() } else { id })
            }
            LitSpec::Time(n, d) => {
                let t = all[n % all.len()].created + time::Duration::milliseconds(*d);
                CompValue::String(format_datetime(t))
            }
        }
    }

    fn filter(&self, kind: ResourceKind, spec: &FSpec, element: bool) -> Filter {
        let paths = match (element, kind) {
            (true, _) => ELEMENT_PATHS,
            (false, ResourceKind::User) => USER_PATHS,
            (false, ResourceKind::Group) => GROUP_PATHS,
        };
        let path = |n: &usize| AttrPath::parse(paths[n % paths.len()]).unwrap();
        match spec {
            FSpec::Cmp(p, o, l) => {
                let path = path(p);
                // Element literals are drawn like the attribute's `value`.
                let value = self.lit(kind, &path, l);
                Filter::Compare { path, op: OPS[*o], value }
            }
            FSpec::Pr(p) => Filter::Present(path(p)),
            FSpec::And(a, b) => {
                Filter::And(Box::new(self.filter(kind, a, element)), Box::new(self.filter(kind, b, element)))
            }
            FSpec::Or(a, b) => {
                Filter::Or(Box::new(self.filter(kind, a, element)), Box::new(self.filter(kind, b, element)))
            }
            FSpec::Not(a) => Filter::Not(Box::new(self.filter(kind, a, element))),
            FSpec::Vp(n, a) if !element => {
                let vp = if kind == ResourceKind::User { USER_VP } else { GROUP_VP };
                Filter::ValuePath {
                    path: AttrPath::parse(vp[n % vp.len()]).unwrap(),
                    filter: Box::new(self.filter(kind, a, true)),
                }
            }
            FSpec::Vp(_, a) => self.filter(kind, a, element),
        }
    }
}

#[derive(Debug, Clone)]
struct Page {
    sort: Option<(usize, bool)>,
    start: u64,
    count: u64,
}

fn page_spec() -> impl Strategy<Value = Page> {
    (proptest::option::of((0..SORTS.len(), any::<bool>())), 1..5u64, 0..4u64).prop_map(|(sort, start, count)| Page {
        sort,
        start,
        count,
    })
}

async fn check(data: &Data, kind: ResourceKind, filter: &Filter, page: &Page) -> Result<(), TestCaseError> {
    let schemas = std::sync::Arc::new(SchemaRegistry::standard());
    let rt = schemas.resource_type(kind.as_str()).unwrap();
    let (rows, docs) = match kind {
        ResourceKind::User => (&data.users, &data.user_docs),
        ResourceKind::Group => (&data.groups, &data.group_docs),
    };
    // Unpaged, unsorted: exactly the evaluator's matches in creation order.
    let q = ListQuery {
        after: None,
        with_groups: false,
        filter: Some(filter),
        sort_by: None,
        sort_order: SortOrder::Ascending,
        start_index: 1,
        count: 1000,
        schemas: &schemas,
    };
    let got: Vec<Uuid> =
        data.store.list_resources(data.tenant, kind, &q).await.unwrap().resources.iter().map(|r| r.id).collect();
    let mut expected: Vec<(Uuid, &Value)> =
        rows.iter().zip(docs).filter(|(_, d)| matches(filter, d, &schemas, rt)).map(|(r, d)| (r.id, d)).collect();
    let ids: Vec<Uuid> = expected.iter().map(|e| e.0).collect();
    prop_assert_eq!(&got, &ids, "filter {}", filter);

    // Sorted and paged.
    let sort_path = page.sort.map(|(i, _)| AttrPath::parse(SORTS[i]).unwrap());
    let order = if page.sort.is_some_and(|s| s.1) { SortOrder::Descending } else { SortOrder::Ascending };
    if let Some(by) = &sort_path {
        expected.sort_by(|a, b| -> Ordering { compare_resources(a.1, b.1, by, order, &schemas, rt) });
    }
    let q = ListQuery {
        after: None,
        with_groups: false,
        filter: Some(filter),
        sort_by: sort_path.as_ref(),
        sort_order: order,
        start_index: page.start,
        count: page.count,
        schemas: &schemas,
    };
    let got = data.store.list_resources(data.tenant, kind, &q).await.unwrap();
    let want: Vec<Uuid> =
        expected.iter().skip(page.start as usize - 1).take(page.count as usize).map(|e| e.0).collect();
    prop_assert_eq!(got.total, expected.len() as u64, "total for {} {:?}", filter, page);
    prop_assert_eq!(got.resources.iter().map(|r| r.id).collect::<Vec<_>>(), want, "page of {} {:?}", filter, page);
    Ok(())
}

/// For 256 random datasets, each with random filters and pages, the
/// store's list equals the evaluator's.
fn list_equals_the_evaluator(b: Backend) {
    let config = ProptestConfig {
        cases: 256,
        // Failures are kept beside the tests, as `proptest!` would.
        source_file: Some(file!()),
        ..ProptestConfig::default()
    };
    let strategy = (
        proptest::collection::vec(user_spec(), 0..8),
        proptest::collection::vec(group_spec(), 0..4),
        proptest::collection::vec((any::<bool>(), filter_spec(), page_spec()), 1..8),
    );
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&strategy, |(users, groups, filters)| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let data = build(b, &users, &groups).await;
            for (is_user, spec, page) in &filters {
                let kind = if *is_user { ResourceKind::User } else { ResourceKind::Group };
                let f = data.filter(kind, spec, false);
                check(&data, kind, &f, page).await?;
            }
            Ok::<(), TestCaseError>(())
        })
    });
    if let Err(e) = result {
        panic!("{e}\n{runner}");
    }
}

contract! {
    sync: [list_equals_the_evaluator],
}
