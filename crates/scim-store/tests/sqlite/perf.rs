//! Throughput figures of the store alone (no HTTP), on a file database:
//! `cargo test -p scim-store --test sqlite perf -- --ignored --nocapture`.
//! Ignored by default; it prints figures and asserts only results, never
//! timings (DESIGN §11).

use std::time::Instant;

use scim_core::filter::parse_filter;
use scim_core::patch::MemberChange;
use scim_core::schema::SchemaRegistry;
use scim_store::{ListQuery, ResourceKind, UpdateResource};

use crate::{create, create_with, ctx, file, group_doc, member, user_doc};

fn rate(what: &str, n: usize, t: Instant) {
    let s = t.elapsed().as_secs_f64();
    println!("{what}: {n} in {s:.2}s = {:.0}/s", n as f64 / s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints throughput figures; run by hand"]
async fn perf_figures() {
    let (store, t, _db) = file().await;
    let n = 3000;
    let start = Instant::now();
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        users.push(create(&store, t.id, ResourceKind::User, user_doc(&format!("user{i}@example.com"))).await);
    }
    rate("create user (sequential)", n, start);

    let start = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..4 {
        let (store, ids) = (store.clone(), users.iter().map(|u| u.id).collect::<Vec<_>>());
        tasks.push(tokio::spawn(async move {
            let mut found = 0;
            for id in ids.iter().skip(k).step_by(4).cycle().take(5000) {
                found += usize::from(store.get_resource(t.id, ResourceKind::User, *id).await.unwrap().is_some());
            }
            found
        }));
    }
    let mut found = 0;
    for task in tasks {
        found += task.await.unwrap();
    }
    assert_eq!(found, 20_000);
    rate("get by id (4 tasks)", 20_000, start);

    let schemas = std::sync::Arc::new(SchemaRegistry::standard());
    let start = Instant::now();
    for i in 0..5000 {
        let f = parse_filter(&format!("userName eq \"USER{}@example.com\"", i % n)).unwrap();
        let q = ListQuery {
            after: None,
            with_groups: false,
            filter: Some(&f),
            sort_by: None,
            sort_order: Default::default(),
            start_index: 1,
            count: 100,
            schemas: &schemas,
        };
        let page = store.list_resources(t.id, ResourceKind::User, &q).await.unwrap();
        assert_eq!(page.total, 1);
    }
    rate("filter userName eq (sequential)", 5000, start);

    let big: Vec<_> = users[..2000].iter().map(|u| member(u.id)).collect();
    let start = Instant::now();
    let mut g = create_with(&store, t.id, ResourceKind::Group, group_doc("Big"), big).await;
    rate("create group with 2000 members", 1, start);
    let start = Instant::now();
    for u in &users[2000..] {
        let w = UpdateResource {
            tenant: t.id,
            kind: ResourceKind::Group,
            id: g.id,
            expected_version: Some(g.version),
            doc: None,
            password_hash: None,
            member_changes: vec![MemberChange::Add(vec![member(u.id)])],
            audit: ctx("PATCH"),
        };
        g = store.update_resource(w).await.unwrap();
    }
    rate("patch add one member to a 2000+ group", n - 2000, start);
    assert_eq!(store.members_of(t.id, &[g.id]).await.unwrap()[&g.id].len(), n);

    let start = Instant::now();
    for u in users.iter().take(2000) {
        let f = parse_filter(&format!("id eq \"{}\" and members eq \"{}\"", g.id, u.id)).unwrap();
        let q = ListQuery {
            after: None,
            with_groups: false,
            filter: Some(&f),
            sort_by: None,
            sort_order: Default::default(),
            start_index: 1,
            count: 100,
            schemas: &schemas,
        };
        assert_eq!(store.list_resources(t.id, ResourceKind::Group, &q).await.unwrap().total, 1);
    }
    rate("Entra membership check", 2000, start);
}
