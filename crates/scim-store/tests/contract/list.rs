//! Listing: every operator, boolean combinations, value paths, membership
//! filters, sorting and paging.

use std::sync::Arc;

use scim_core::filter::parse_filter;
use scim_core::path::AttrPath;
use scim_core::schema::{ENTERPRISE_USER_URN, SchemaRegistry};
use scim_core::sort::SortOrder;
use scim_store::{ListQuery, ResourceKind, Store, StoredResource, Tenant};
use serde_json::json;

use crate::{Backend, Db, contract, create, create_with, group_doc, member_named};

struct Fixture {
    /// The database file, removed when the fixture goes.
    _db: Db,
    store: Arc<dyn Store>,
    tenant: Tenant,
    users: Vec<StoredResource>,
    groups: Vec<StoredResource>,
    schemas: Arc<SchemaRegistry>,
}

async fn fixture(b: Backend) -> Fixture {
    let (store, tenant, db) = b.fresh().await;
    let docs = [
        json!({"userName": "alice", "displayName": "Alice Smith", "externalId": "EXT-1", "active": true,
               "title": "Engineer",
               "emails": [{"value": "alice@example.com", "type": "work", "primary": true},
                          {"value": "ALICE@home.org", "type": "home"}]}),
        json!({"userName": "Bob", "displayName": "bob jones", "externalId": "ext-2", "active": false,
               "emails": [{"value": "bob@example.com", "type": "work"}],
               ENTERPRISE_USER_URN: {"manager": {"value": "MGR-1"}}}),
        json!({"userName": "carol_50%", "externalId": "EXT-3",
               ENTERPRISE_USER_URN: {"manager": {"value": "mgr-1"}}}),
        json!({"userName": "dave", "displayName": "", "active": true}),
    ];
    let mut users = Vec::new();
    for doc in docs {
        users.push(create(&store, tenant.id, ResourceKind::User, doc).await);
        // Distinct creation instants, for the meta.created cases.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let g1 = create_with(
        &store,
        tenant.id,
        ResourceKind::Group,
        group_doc("Admins"),
        vec![member_named(users[0].id, "Alice Smith")],
    )
    .await;
    let g2 = create_with(
        &store,
        tenant.id,
        ResourceKind::Group,
        group_doc("Everyone"),
        vec![
            member_named(users[0].id, "Alice Smith"),
            member_named(users[1].id, "bob jones"),
            member_named(g1.id, "Admins"),
        ],
    )
    .await;
    Fixture { store, tenant, users, groups: vec![g1, g2], schemas: Arc::new(SchemaRegistry::standard()), _db: db }
}

impl Fixture {
    async fn page(
        &self,
        kind: ResourceKind,
        filter: Option<&str>,
        sort: Option<(&str, SortOrder)>,
        start: u64,
        count: u64,
    ) -> (u64, Vec<String>) {
        let filter = filter.map(|f| parse_filter(f).unwrap());
        let sort_path = sort.map(|(p, _)| AttrPath::parse(p).unwrap());
        let q = ListQuery {
            after: None,
            with_groups: false,
            filter: filter.as_ref(),
            sort_by: sort_path.as_ref(),
            sort_order: sort.map(|s| s.1).unwrap_or_default(),
            start_index: start,
            count,
            schemas: &self.schemas,
        };
        let page = self.store.list_resources(self.tenant.id, kind, &q).await.unwrap();
        let names = page
            .resources
            .iter()
            .map(|r| {
                let key = if kind == ResourceKind::User { "userName" } else { "displayName" };
                r.doc[key].as_str().unwrap_or("").to_owned()
            })
            .collect();
        (page.total, names)
    }

    async fn users(&self, filter: &str) -> Vec<String> {
        let (total, names) = self.page(ResourceKind::User, Some(filter), None, 1, 100).await;
        assert_eq!(total as usize, names.len(), "{filter}");
        names
    }

    async fn groups(&self, filter: &str) -> Vec<String> {
        self.page(ResourceKind::Group, Some(filter), None, 1, 100).await.1
    }
}

async fn every_operator_on_indexed_attributes(b: Backend) {
    let f = fixture(b).await;
    let cases: &[(&str, &[&str])] = &[
        ("userName eq \"ALICE\"", &["alice"]),
        ("userName ne \"alice\"", &["Bob", "carol_50%", "dave"]),
        ("userName co \"O\"", &["Bob", "carol_50%"]),
        ("userName co \"50%\"", &["carol_50%"]),
        ("userName co \"_\"", &["carol_50%"]),
        ("userName co \"%\"", &["carol_50%"]),
        ("userName sw \"b\"", &["Bob"]),
        ("userName ew \"VE\"", &["dave"]),
        ("userName gt \"bob\"", &["carol_50%", "dave"]),
        ("userName ge \"bob\"", &["Bob", "carol_50%", "dave"]),
        ("userName lt \"bob\"", &["alice"]),
        ("userName le \"BOB\"", &["alice", "Bob"]),
        ("userName pr", &["alice", "Bob", "carol_50%", "dave"]),
        ("displayName pr", &["alice", "Bob"]),
        ("displayName eq \"BOB JONES\"", &["Bob"]),
        ("externalId eq \"EXT-1\"", &["alice"]),
        ("externalId eq \"ext-1\"", &[]),
        ("externalId sw \"EXT\"", &["alice", "carol_50%"]),
        ("active eq true", &["alice", "dave"]),
        ("active eq \"false\"", &["Bob"]),
        ("active ne true", &["Bob", "carol_50%"]),
        ("active pr", &["alice", "Bob", "dave"]),
        ("emails.value eq \"alice@home.org\"", &["alice"]),
        ("emails co \"example\"", &["alice", "Bob"]),
        ("emails ew \".ORG\"", &["alice"]),
        ("emails[type eq \"work\" and value sw \"bob\"]", &["Bob"]),
        ("emails[type eq \"home\" and value sw \"bob\"]", &[]),
        ("emails pr", &["alice", "Bob"]),
        ("title eq \"engineer\"", &["alice"]),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"mgr-1\"",
            &["Bob", "carol_50%"],
        ),
        ("meta.resourceType eq \"User\"", &["alice", "Bob", "carol_50%", "dave"]),
    ];
    for (filter, expected) in cases {
        assert_eq!(f.users(filter).await, *expected, "{filter}");
    }
}

async fn boolean_combinations_and_ids_and_times(b: Backend) {
    let f = fixture(b).await;
    let alice = &f.users[0];
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("userName eq \"alice\" or userName eq \"dave\"".into(), vec!["alice", "dave"]),
        ("active eq true and not (userName eq \"dave\")".into(), vec!["alice"]),
        ("not (emails co \"example\")".into(), vec!["carol_50%", "dave"]),
        ("title pr or userName eq \"dave\"".into(), vec!["alice", "dave"]),
        ("not (displayName pr) and not (active eq false)".into(), vec!["carol_50%", "dave"]),
        (format!("id eq \"{}\"", alice.id), vec!["alice"]),
        (format!("id eq \"{}\"", alice.id.to_string().to_uppercase()), vec![]),
        (format!("id ne \"{}\"", alice.id), vec!["Bob", "carol_50%", "dave"]),
        (
            format!("meta.created le \"{}\"", scim_core::resource::format_datetime(f.users[1].created)),
            vec!["alice", "Bob"],
        ),
        (format!("meta.created gt \"{}\"", scim_core::resource::format_datetime(f.users[3].created)), vec![]),
        ("meta.lastModified gt \"2000-01-01T00:00:00Z\"".into(), vec!["alice", "Bob", "carol_50%", "dave"]),
    ];
    for (filter, expected) in cases {
        assert_eq!(f.users(&filter).await, expected, "{filter}");
    }
}

async fn membership_filters(b: Backend) {
    let f = fixture(b).await;
    let (alice, bob) = (&f.users[0], &f.users[1]);
    let (admins, everyone) = (&f.groups[0], &f.groups[1]);
    // Entra's membership check.
    let entra = format!("id eq \"{}\" and members eq \"{}\"", admins.id, alice.id);
    assert_eq!(f.groups(&entra).await, ["Admins"]);
    let entra = format!("id eq \"{}\" and members eq \"{}\"", admins.id, bob.id);
    assert!(f.groups(&entra).await.is_empty());
    assert_eq!(
        f.groups(&format!("members.value eq \"{}\"", alice.id.to_string().to_uppercase())).await,
        ["Admins", "Everyone"]
    );
    assert_eq!(f.groups(&format!("members[value eq \"{}\"]", bob.id)).await, ["Everyone"]);
    assert_eq!(f.groups("members[type eq \"Group\"]").await, ["Everyone"]);
    assert_eq!(f.groups("members[type eq \"group\"]").await, ["Everyone"], "type is not caseExact");
    assert_eq!(f.groups("members.type eq \"USER\"").await, ["Admins", "Everyone"]);
    assert_eq!(f.groups(&format!("members ne \"{}\"", bob.id)).await, ["Admins"]);
    assert_eq!(f.groups("members pr").await, ["Admins", "Everyone"]);
    assert_eq!(f.groups("members[display eq \"BOB JONES\"]").await, ["Everyone"]);
    assert_eq!(f.groups("members.display co \"smith\"").await, ["Admins", "Everyone"]);
    assert_eq!(f.groups("displayName sw \"adm\"").await, ["Admins"]);
    assert_eq!(f.users(&format!("groups.value eq \"{}\"", everyone.id)).await, ["alice", "Bob"]);
    assert_eq!(f.users(&format!("groups[value eq \"{}\"]", admins.id)).await, ["alice"]);
    assert_eq!(f.users("groups.display eq \"admins\"").await, ["alice"]);
    assert_eq!(f.users("not (groups pr)").await, ["carol_50%", "dave"]);
}

async fn sorting_and_paging(b: Backend) {
    let f = fixture(b).await;
    let asc = Some(("userName", SortOrder::Ascending));
    let (total, names) = f.page(ResourceKind::User, None, asc, 1, 100).await;
    assert_eq!((total, names), (4, vec!["alice".into(), "Bob".into(), "carol_50%".into(), "dave".into()]));
    let desc = Some(("userName", SortOrder::Descending));
    let (_, names) = f.page(ResourceKind::User, None, desc, 1, 2).await;
    assert_eq!(names, ["dave", "carol_50%"]);
    // Missing (and empty) values sort last either way.
    for order in [SortOrder::Ascending, SortOrder::Descending] {
        let (_, names) = f.page(ResourceKind::User, None, Some(("displayName", order)), 1, 100).await;
        assert_eq!(&names[2..], ["carol_50%", "dave"], "{order:?}");
        let (_, names) = f.page(ResourceKind::User, None, Some(("emails.value", order)), 1, 100).await;
        assert_eq!(&names[2..], ["carol_50%", "dave"], "{order:?}");
    }
    // Sorting on an attribute without a column (in memory).
    let (_, names) =
        f.page(ResourceKind::User, Some("userName pr"), Some(("title", SortOrder::Ascending)), 1, 100).await;
    assert_eq!(names, ["alice", "Bob", "carol_50%", "dave"]);
    // Default order is creation order; pages are stable.
    let (total, names) = f.page(ResourceKind::User, None, None, 2, 2).await;
    assert_eq!((total, names), (4, vec!["Bob".into(), "carol_50%".into()]));
    let (total, names) = f.page(ResourceKind::User, None, None, 4, 2).await;
    assert_eq!((total, names), (4, vec!["dave".into()]));
    let (total, names) = f.page(ResourceKind::User, None, None, 10, 2).await;
    assert_eq!((total, names.len()), (4, 0));
    // count=0: only the total, from SQL and from the evaluator.
    let (total, names) = f.page(ResourceKind::User, Some("active eq true"), None, 1, 0).await;
    assert_eq!((total, names.len()), (2, 0));
    let (total, names) = f.page(ResourceKind::User, Some("title pr"), None, 1, 0).await;
    assert_eq!((total, names.len()), (1, 0));
    // Paging through evaluated results.
    let (total, names) = f.page(ResourceKind::User, Some("emails co \"o\""), None, 2, 1).await;
    assert_eq!((total, names), (2, vec!["Bob".into()]));
    // Paging past membership filters (SQLite's EXISTS rewrite once broke OFFSET).
    let (total, names) = f.page(ResourceKind::Group, Some("members pr"), None, 2, 1).await;
    assert_eq!((total, names), (2, vec!["Everyone".into()]));
    let (total, names) = f.page(ResourceKind::Group, Some("members[value pr]"), None, 3, 1).await;
    assert_eq!((total, names.len()), (2, 0));
    let (total, names) = f.page(ResourceKind::Group, None, Some(("displayName", SortOrder::Descending)), 1, 1).await;
    assert_eq!((total, names), (2, vec!["Everyone".into()]));
}

/// Walks a list one keyset page at a time: (total of each page, names).
async fn walk_after(f: &Fixture, filter: Option<&str>, count: u64) -> (Vec<u64>, Vec<String>) {
    let filter = filter.map(|s| parse_filter(s).unwrap());
    let (mut totals, mut names, mut after) = (Vec::new(), Vec::new(), None);
    for _ in 0..10 {
        let q = ListQuery {
            after,
            with_groups: false,
            filter: filter.as_ref(),
            sort_by: None,
            sort_order: SortOrder::Ascending,
            start_index: 1,
            count,
            schemas: &f.schemas,
        };
        let page = f.store.list_resources(f.tenant.id, ResourceKind::User, &q).await.unwrap();
        totals.push(page.total);
        names.extend(page.resources.iter().map(|r| r.doc["userName"].as_str().unwrap().to_owned()));
        assert!(page.resources.len() as u64 <= count);
        match page.resources.last() {
            Some(last) if page.more => after = Some(scim_store::After::of(last)),
            _ => return (totals, names),
        }
    }
    panic!("the walk did not end");
}

async fn keyset_pages_walk_every_match_once_in_creation_order(b: Backend) {
    let f = fixture(b).await;
    let all: Vec<String> = f.users.iter().map(|u| u.doc["userName"].as_str().unwrap().to_owned()).collect();
    // SQL paging (no filter), two pages and a page that ends exactly.
    assert_eq!(walk_after(&f, None, 3).await, (vec![4, 4], all.clone()));
    assert_eq!(walk_after(&f, None, 2).await, (vec![4, 4], all.clone()));
    assert_eq!(walk_after(&f, None, 4).await, (vec![4], all.clone()));
    assert_eq!(walk_after(&f, None, 1).await, (vec![4; 4], all.clone()));
    // An exact filter (SQL) and one the evaluator answers (in memory):
    // totals count every match, not only what follows the position.
    let sql = r#"userName ne "Bob""#;
    assert_eq!(walk_after(&f, Some(sql), 2).await, (vec![3, 3], vec![all[0].clone(), all[2].clone(), all[3].clone()]));
    let mem = r#"emails[type eq "work"] or userName sw "d""#;
    assert_eq!(walk_after(&f, Some(mem), 1).await, (vec![3; 3], vec![all[0].clone(), all[1].clone(), all[3].clone()]));
    // A user created after the walk began is reached; one deleted behind
    // the position changes nothing that follows.
    let first = ListQuery {
        after: None,
        with_groups: false,
        filter: None,
        sort_by: None,
        sort_order: SortOrder::Ascending,
        start_index: 1,
        count: 2,
        schemas: &f.schemas,
    };
    let page = f.store.list_resources(f.tenant.id, ResourceKind::User, &first).await.unwrap();
    assert!(page.more);
    let late = create(&f.store, f.tenant.id, ResourceKind::User, json!({"userName": "erin"})).await;
    let next = ListQuery { after: Some(scim_store::After::of(&page.resources[1])), count: 10, ..first };
    let rest = f.store.list_resources(f.tenant.id, ResourceKind::User, &next).await.unwrap();
    let ids: Vec<_> = rest.resources.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![f.users[2].id, f.users[3].id, late.id]);
    assert_eq!((rest.total, rest.more), (5, false));
}

/// Lists the evaluator decides over more resources than one batch of
/// candidates: every page, sorted or not, by index or keyset, equals the
/// same list computed here, and the total counts every match.
async fn evaluated_lists_span_many_batches(b: Backend) {
    let (store, tenant, _db) = b.fresh().await;
    let mut all = Vec::new();
    for i in 0..700 {
        // `title` is not indexed: the evaluator decides.
        let doc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("u{i:03}"),
                         "title": format!("t{}", (i * 7919) % 1000), "nickName": if i % 3 == 0 { "match" } else { "no" }});
        all.push(create(&store, tenant.id, ResourceKind::User, doc).await);
    }
    let schemas = Arc::new(SchemaRegistry::standard());
    let filter = parse_filter(r#"nickName eq "match""#).unwrap();
    let matching: Vec<&StoredResource> = all.iter().filter(|r| r.doc["nickName"] == "match").collect();
    let by_title = AttrPath::parse("title").unwrap();
    let mut sorted = matching.clone();
    sorted.sort_by(|a, b| b.doc["title"].as_str().cmp(&a.doc["title"].as_str()));
    for (sort, expected) in [(None, &matching), (Some(&by_title), &sorted)] {
        let mut q = crate::query(&schemas, Some(&filter), 50);
        q.sort_by = sort;
        q.sort_order = SortOrder::Descending;
        for start in [1, 51, 200, 230, 240] {
            q.start_index = start;
            let page = store.list_resources(tenant.id, ResourceKind::User, &q).await.unwrap();
            assert_eq!(page.total, matching.len() as u64);
            let want: Vec<_> = expected.iter().skip(start as usize - 1).take(50).map(|r| r.id).collect();
            assert_eq!(page.resources.iter().map(|r| r.id).collect::<Vec<_>>(), want, "start {start} sort {sort:?}");
            assert_eq!(page.more, (start as usize - 1 + 50) < matching.len());
        }
    }
    // Keyset pages in the default order.
    let mut q = crate::query(&schemas, Some(&filter), 100);
    let mut walked = Vec::new();
    loop {
        let page = store.list_resources(tenant.id, ResourceKind::User, &q).await.unwrap();
        walked.extend(page.resources.iter().map(|r| r.id));
        let Some(last) = page.resources.last() else { break };
        if !page.more {
            break;
        }
        q.after = Some(scim_store::After::of(last));
    }
    assert_eq!(walked, matching.iter().map(|r| r.id).collect::<Vec<_>>());
}

/// A list that would make the evaluator examine more resources than the
/// store's budget is refused with `tooMany` (RFC 7644 §3.12); lists SQL
/// answers are not.
async fn an_evaluated_list_past_the_budget_is_refused(b: Backend) {
    let (store, _db) = b.store_with(scim_store::StoreOptions { scan_budget: 300, ..Default::default() }).await;
    let tenant = store.create_tenant("acme", "Acme").await.unwrap();
    for i in 0..400 {
        create(&store, tenant.id, ResourceKind::User, json!({"userName": format!("u{i}"), "title": "x"})).await;
    }
    let schemas = Arc::new(SchemaRegistry::standard());
    // Pushed down into the document: answered in SQL, whatever the budget.
    let in_document = parse_filter(r#"title eq "nothing""#).unwrap();
    let q = crate::query(&schemas, Some(&in_document), 10);
    assert_eq!(store.list_resources(tenant.id, ResourceKind::User, &q).await.unwrap().total, 0);
    // A Greek sigma folds by its context in `co`: only the evaluator says.
    let unindexed = parse_filter(r#"title co "Σ""#).unwrap();
    let err = store
        .list_resources(tenant.id, ResourceKind::User, &crate::query(&schemas, Some(&unindexed), 10))
        .await
        .unwrap_err();
    match err {
        scim_store::StoreError::Scim(e) => {
            assert_eq!((e.status, e.scim_type), (400, Some(scim_core::ScimType::TooMany)));
            assert!(e.detail.contains("300"), "{}", e.detail);
        }
        other => panic!("{other:?}"),
    }
    let indexed = parse_filter(r#"userName sw "u1""#).unwrap();
    let page = store.list_resources(tenant.id, ResourceKind::User, &crate::query(&schemas, Some(&indexed), 10)).await;
    assert_eq!(page.unwrap().total, 111);
}

contract! {
    tokio: [
        evaluated_lists_span_many_batches,
        an_evaluated_list_past_the_budget_is_refused,
        every_operator_on_indexed_attributes,
        boolean_combinations_and_ids_and_times,
        membership_filters,
        sorting_and_paging,
        keyset_pages_walk_every_match_once_in_creation_order,
    ],
}
