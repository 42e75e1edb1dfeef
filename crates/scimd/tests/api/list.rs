//! Query: filters (every operator, and/or/not, grouping, value paths),
//! sorting, paging, projection, and POST /.search (RFC 7644 §3.4.2, §3.4.3).

use serde_json::{Value, json};

use crate::helpers::*;

/// alice, bob, Carol, dave.smith with varied attributes; returns the app.
async fn fixture() -> TestServer {
    let app = TestServer::spawn().await;
    app.create_user_with(json!({
        "userName": "alice", "externalId": "ext-a", "displayName": "Alice A", "title": "Engineer",
        "userType": "Employee", "active": true,
        "name": {"familyName": "Anderson", "givenName": "Alice"},
        "emails": [{"value": "alice@example.com", "type": "work", "primary": true}, {"value": "alice@home.org", "type": "home"}],
        ENTERPRISE_SCHEMA: {"employeeNumber": "1001", "department": "R&D"}
    }))
    .await;
    app.create_user_with(json!({
        "userName": "bob", "externalId": "ext-b", "displayName": "Bob B", "title": "Manager", "active": false,
        "name": {"familyName": "Brown", "givenName": "Bob"},
        "emails": [{"value": "bob@example.org", "type": "work"}]
    }))
    .await;
    app.create_user_with(json!({
        "userName": "Carol", "displayName": "Carol C", "active": true,
        "name": {"familyName": "Clark", "givenName": "Carol"},
        "emails": [{"value": "carol@example.com", "type": "home"}]
    }))
    .await;
    app.create_user_with(json!({
        "userName": "dave.smith", "displayName": "Dave S", "title": "Engineer", "active": true,
        "name": {"familyName": "Smith", "givenName": "Dave"},
        ENTERPRISE_SCHEMA: {"employeeNumber": "1004", "department": "Sales"}
    }))
    .await;
    app
}

async fn names_for(app: &TestServer, filter: &str) -> Vec<String> {
    let r = app.list("/Users", &[("filter", filter)]).await;
    assert_eq!(r.status.as_u16(), 200, "filter {filter}: {}", r.text);
    assert_eq!(r.total() as usize, r.resources().len(), "filter {filter}: totalResults vs Resources");
    sorted(&user_names(&r))
}

#[track_caller]
fn check(filter: &str, got: Vec<String>, want: &[&str]) {
    let want: Vec<String> = sorted(&want.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(got, want, "filter: {filter}");
}

#[tokio::test]
async fn every_attribute_operator() {
    let app = fixture().await;
    let cases: &[(&str, &[&str])] = &[
        ("userName eq \"alice\"", &["alice"]),
        ("userName eq \"ALICE\"", &["alice"]), // caseExact false
        ("userName eq \"carol\"", &["Carol"]),
        ("userName ne \"alice\"", &["bob", "Carol", "dave.smith"]),
        ("userName co \"AR\"", &["Carol"]),
        ("userName sw \"da\"", &["dave.smith"]),
        ("userName ew \"OB\"", &["bob"]),
        ("title pr", &["alice", "bob", "dave.smith"]),
        ("userName gt \"bob\"", &["Carol", "dave.smith"]),
        ("userName ge \"bob\"", &["bob", "Carol", "dave.smith"]),
        ("userName lt \"bob\"", &["alice"]),
        ("userName le \"BOB\"", &["alice", "bob"]),
        ("active eq true", &["alice", "Carol", "dave.smith"]),
        ("active eq false", &["bob"]),
        ("active ne true", &["bob"]),
        ("externalId eq \"ext-a\"", &["alice"]),
        ("externalId eq \"EXT-A\"", &[]), // externalId is caseExact
        ("externalId pr", &["alice", "bob"]),
        ("meta.created gt \"2000-01-01T00:00:00Z\"", &["alice", "bob", "Carol", "dave.smith"]),
        ("meta.lastModified lt \"2000-01-01T00:00:00Z\"", &[]),
        ("meta.lastModified ge \"2000-01-01T00:00:00.000Z\"", &["alice", "bob", "Carol", "dave.smith"]),
        ("displayName eq \"Bob B\"", &["bob"]),
    ];
    for (filter, want) in cases {
        check(filter, names_for(&app, filter).await, want);
    }
}

#[tokio::test]
async fn logical_operators_and_grouping() {
    let app = fixture().await;
    let cases: &[(&str, &[&str])] = &[
        ("title eq \"Engineer\" and active eq true", &["alice", "dave.smith"]),
        ("userName eq \"alice\" or userName eq \"bob\"", &["alice", "bob"]),
        ("not (userName eq \"alice\")", &["bob", "Carol", "dave.smith"]),
        ("(userName eq \"alice\" or userName eq \"bob\") and active eq false", &["bob"]),
        ("userName eq \"alice\" or userName eq \"bob\" and active eq false", &["alice", "bob"]), // and binds tighter
        ("not (title pr) and active eq true", &["Carol"]),
        ("userName EQ \"alice\" OR userName Eq \"Carol\"", &["alice", "Carol"]), // operators case-insensitive
        ("USERNAME eq \"alice\"", &["alice"]),                                   // attribute names too
        ("not (not (userName eq \"bob\"))", &["bob"]),
    ];
    for (filter, want) in cases {
        check(filter, names_for(&app, filter).await, want);
    }
}

#[tokio::test]
async fn sub_attributes_value_paths_and_urns() {
    let app = fixture().await;
    let cases: &[(&str, &[&str])] = &[
        ("name.familyName eq \"Anderson\"", &["alice"]),
        ("name.givenName sw \"C\"", &["Carol"]),
        ("emails.value ew \"example.org\"", &["bob"]),
        ("emails.type eq \"home\"", &["alice", "Carol"]),
        ("emails[type eq \"work\" and value co \"example.com\"]", &["alice"]),
        ("emails[type eq \"home\"]", &["alice", "Carol"]),
        ("emails[type eq \"work\" or value sw \"carol\"]", &["alice", "bob", "Carol"]),
        ("emails[primary eq true]", &["alice"]),
        ("emails pr", &["alice", "bob", "Carol"]),
        ("not (emails pr)", &["dave.smith"]),
        ("emails[type eq \"work\"] and active eq true", &["alice"]),
        ("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bob\"", &["bob"]),
        ("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq \"Smith\"", &["dave.smith"]),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"1004\"", &["dave.smith"]),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr", &["alice", "dave.smith"]),
    ];
    for (filter, want) in cases {
        check(filter, names_for(&app, filter).await, want);
    }
}

#[tokio::test]
async fn invalid_filters_are_400_invalid_filter() {
    let app = fixture().await;
    for filter in [
        "userName eq",
        "userName xx \"a\"",
        "(userName eq \"a\"",
        "userName eq \"a\" and",
        "userName eq \"unterminated",
        "emails[type eq \"work\"",
        "and",
        "userName eq \"a\" userName eq \"b\"",
    ] {
        let r = app.list("/Users", &[("filter", filter)]).await;
        assert_scim_error(&r, 400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn sorting() {
    let app = fixture().await;
    let asc = app.list("/Users", &[("sortBy", "userName")]).await.expect(200);
    assert_eq!(user_names(&asc), vec!["alice", "bob", "Carol", "dave.smith"], "case-insensitive ascending");
    let asc2 = app.list("/Users", &[("sortBy", "userName"), ("sortOrder", "ascending")]).await.expect(200);
    assert_eq!(user_names(&asc2), user_names(&asc));
    let desc = app.list("/Users", &[("sortBy", "userName"), ("sortOrder", "descending")]).await.expect(200);
    assert_eq!(user_names(&desc), vec!["dave.smith", "Carol", "bob", "alice"]);
    let fam = app.list("/Users", &[("sortBy", "name.familyName"), ("sortOrder", "descending")]).await.expect(200);
    assert_eq!(user_names(&fam), vec!["dave.smith", "Carol", "bob", "alice"]);
    let filtered = app
        .list("/Users", &[("filter", "active eq true"), ("sortBy", "displayName"), ("sortOrder", "descending")])
        .await
        .expect(200);
    assert_eq!(user_names(&filtered), vec!["dave.smith", "Carol", "alice"]);
}

#[tokio::test]
async fn paging() {
    let app = fixture().await;
    let p = |s: &'static str, c: &'static str| [("sortBy", "userName"), ("startIndex", s), ("count", c)];
    let first = app.list("/Users", &p("1", "2")).await.expect(200);
    assert_eq!(first.total(), 4);
    assert_eq!(first.body["startIndex"], 1);
    assert_eq!(first.body["itemsPerPage"], 2);
    assert_eq!(user_names(&first), vec!["alice", "bob"]);
    let second = app.list("/Users", &p("3", "2")).await.expect(200);
    assert_eq!(second.body["startIndex"], 3);
    assert_eq!(second.body["itemsPerPage"], 2);
    assert_eq!(user_names(&second), vec!["Carol", "dave.smith"]);
    let tail = app.list("/Users", &p("4", "10")).await.expect(200);
    assert_eq!(tail.body["itemsPerPage"], 1);
    assert_eq!(user_names(&tail), vec!["dave.smith"]);
    let beyond = app.list("/Users", &p("10", "10")).await.expect(200);
    assert_eq!(beyond.total(), 4);
    assert_eq!(beyond.resources().len(), 0);
    assert_eq!(beyond.body["itemsPerPage"], 0);

    // count=0: only the total (§3.4.2.4).
    let zero = app.list("/Users", &[("count", "0")]).await.expect(200);
    assert_eq!(zero.total(), 4);
    assert_eq!(zero.body["itemsPerPage"], 0);
    assert!(zero.resources().is_empty(), "{}", zero.text);
    // Below 1 is 1; negative count is 0.
    let low = app.list("/Users", &[("sortBy", "userName"), ("startIndex", "0"), ("count", "1")]).await.expect(200);
    assert_eq!(low.body["startIndex"], 1);
    assert_eq!(user_names(&low), vec!["alice"]);
    let neg = app.list("/Users", &[("count", "-5")]).await.expect(200);
    assert_eq!(neg.total(), 4);
    assert!(neg.resources().is_empty(), "{}", neg.text);
    // Paging through a filter.
    let f = app
        .list("/Users", &[("filter", "active eq true"), ("sortBy", "userName"), ("count", "1"), ("startIndex", "2")])
        .await
        .expect(200);
    assert_eq!(f.total(), 3);
    assert_eq!(user_names(&f), vec!["Carol"]);
}

#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let app = fixture().await;
    let r = app.list("/Users", &[("filter", "userName eq \"alice\""), ("attributes", "userName")]).await.expect(200);
    let res = &r.resources()[0];
    assert!(res["id"].is_string(), "id is returned always: {res}");
    assert_eq!(res["userName"], "alice");
    for absent in ["name", "emails", "title", "displayName", "active"] {
        assert!(res.get(absent).is_none(), "{absent} present with attributes=userName: {res}");
    }
    let r = app
        .list("/Users", &[("filter", "userName eq \"alice\""), ("attributes", "name.givenName,emails.value")])
        .await
        .expect(200);
    let res = &r.resources()[0];
    assert_eq!(res["name"], json!({"givenName": "Alice"}), "{res}");
    let emails: Vec<Value> = res["emails"].as_array().unwrap().clone();
    assert!(emails.iter().all(|e| e.get("type").is_none() && e["value"].is_string()), "{res}");
    let r = app
        .list("/Users", &[("filter", "userName eq \"alice\""), ("excludedAttributes", "emails,name,id")])
        .await
        .expect(200);
    let res = &r.resources()[0];
    assert!(res.get("emails").is_none() && res.get("name").is_none(), "{res}");
    assert!(res["id"].is_string(), "id cannot be excluded: {res}");
    assert_eq!(res["title"], "Engineer");
    // Enterprise attributes by URN.
    let r = app
        .list(
            "/Users",
            &[("filter", "userName eq \"alice\""), ("attributes", &format!("{ENTERPRISE_SCHEMA}:employeeNumber"))],
        )
        .await
        .expect(200);
    let res = &r.resources()[0];
    assert_eq!(res[ENTERPRISE_SCHEMA]["employeeNumber"], "1001", "{res}");
    assert!(res[ENTERPRISE_SCHEMA].get("department").is_none(), "{res}");
    assert!(res.get("userName").is_none(), "{res}");
    // Same on a single resource.
    let id = res["id"].as_str().unwrap();
    let one = app.list(&format!("/Users/{id}"), &[("attributes", "displayName")]).await.expect(200);
    assert_eq!(one.body["displayName"], "Alice A");
    assert!(one.body.get("userName").is_none(), "{}", one.text);
}

#[tokio::test]
async fn search_with_post() {
    let app = fixture().await;
    let r = app
        .post(
            "/Users/.search",
            &json!({
                "schemas": [SEARCH_SCHEMA],
                "filter": "title eq \"Engineer\"",
                "attributes": ["userName", "title"],
                "sortBy": "userName",
                "sortOrder": "descending",
                "startIndex": 1,
                "count": 10
            }),
        )
        .await
        .expect(200);
    assert_eq!(r.body["schemas"], json!([LIST_SCHEMA]));
    assert_eq!(r.total(), 2);
    assert_eq!(user_names(&r), vec!["dave.smith", "alice"]);
    assert!(r.resources().iter().all(|u| u.get("emails").is_none()), "{}", r.text);
    let excl = app
        .post("/Users/.search", &json!({"schemas": [SEARCH_SCHEMA], "excludedAttributes": ["emails"], "count": 1}))
        .await
        .expect(200);
    assert_eq!(excl.total(), 4);
    assert_eq!(excl.resources().len(), 1);
    assert!(excl.resources()[0].get("emails").is_none());

    let bad = app.post("/Users/.search", &json!({"schemas": [SEARCH_SCHEMA], "filter": "userName eq"})).await;
    assert_scim_error(&bad, 400, Some("invalidFilter"));

    let gid = app.create_group("Alpha team", &[]).await["id"].as_str().unwrap().to_string();
    let g = app
        .post("/Groups/.search", &json!({"schemas": [SEARCH_SCHEMA], "filter": "displayName sw \"alpha\""}))
        .await
        .expect(200);
    assert_eq!(ids(&g), vec![gid.clone()]);

    // Root search spans every resource type.
    let all = app.post("/.search", &json!({"schemas": [SEARCH_SCHEMA]})).await.expect(200);
    assert_eq!(all.total(), 5, "4 users + 1 group: {}", all.text);
    let alpha =
        app.post("/.search", &json!({"schemas": [SEARCH_SCHEMA], "filter": "displayName sw \"A\""})).await.expect(200);
    let mut kinds: Vec<String> =
        alpha.resources().iter().map(|r| r["meta"]["resourceType"].as_str().unwrap_or("?").to_string()).collect();
    kinds.sort();
    assert_eq!(kinds, vec!["Group", "User"], "Alice A and Alpha team: {}", alpha.text);
    assert!(ids(&alpha).contains(&gid));
}

#[tokio::test]
async fn list_groups_filters_and_sorts() {
    let app = TestServer::spawn().await;
    for name in ["Zeta", "alpha", "Mid"] {
        app.create_group(name, &[]).await;
    }
    let r = app.list("/Groups", &[("sortBy", "displayName")]).await.expect(200);
    let names: Vec<String> = r.resources().iter().map(|g| g["displayName"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, vec!["alpha", "Mid", "Zeta"]);
    let r = app.list("/Groups", &[("filter", "displayName eq \"ZETA\"")]).await.expect(200);
    assert_eq!(r.total(), 1);
    let r = app.list("/Groups", &[("filter", "displayName co \"i\"")]).await.expect(200);
    assert_eq!(r.total(), 1);
}

#[tokio::test]
async fn count_is_capped_at_max_results() {
    let app = TestServer::spawn().await;
    let spc = app.get("/ServiceProviderConfig").await.expect(200);
    let max = spc.body["filter"]["maxResults"].as_u64().unwrap();
    let n = (max + 5).min(60);
    for i in 0..n {
        app.create_user(&format!("cap{i:03}")).await;
    }
    let r = app.list("/Users", &[("count", "1000000")]).await.expect(200);
    assert_eq!(r.total(), n);
    let per_page = r.body["itemsPerPage"].as_u64().unwrap();
    assert!(per_page <= max, "itemsPerPage {per_page} above maxResults {max}");
    assert_eq!(per_page as usize, r.resources().len());
    assert_eq!(per_page, n.min(max));
}

/// Follows `nextCursor` from an empty cursor: the ids of each page, and
/// the last page's body. GET when `search` is `None`, else POST to it.
async fn walk_cursor(
    app: &TestServer,
    path: &str,
    params: &[(&str, &str)],
    search: Option<Value>,
) -> (Vec<Vec<String>>, Value) {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = match &search {
            None => {
                let mut q = params.to_vec();
                q.push(("cursor", &cursor));
                app.list(path, &q).await
            }
            Some(body) => {
                let mut body = body.clone();
                body["cursor"] = json!(cursor);
                app.post(path, &body).await
            }
        }
        .expect(200);
        assert!(r.body.get("startIndex").is_none(), "cursor pages carry no startIndex: {}", r.text);
        assert_eq!(r.body["itemsPerPage"], json!(r.resources().len()));
        pages.push(ids(&r));
        match r.body.get("nextCursor").and_then(Value::as_str) {
            Some(next) => {
                assert!(next.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)), "{next}");
                cursor = next.to_owned();
            }
            None => return (pages, r.body),
        }
        assert!(pages.len() < 20, "the walk does not end");
    }
}

#[tokio::test]
async fn cursor_paging_rfc_9865() {
    let app = fixture().await;
    for n in 0..3 {
        app.create_user(&format!("extra{n}")).await;
    }
    // Every user once, in creation order; nextCursor on all pages but the last.
    let all = ids(&app.list("/Users", &[]).await.expect(200));
    assert_eq!(all.len(), 7);
    let (pages, last) = walk_cursor(&app, "/Users", &[("count", "3")], None).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 1]);
    assert_eq!(pages.concat(), all);
    assert_eq!(last["totalResults"], 7);
    // A last page that is exactly full has no nextCursor either.
    let (pages, _) = walk_cursor(&app, "/Users", &[("count", "7")], None).await;
    assert_eq!(pages, vec![all.clone()]);
    // Sorted and filtered cursor pages follow the query's order.
    let by_name = ids(&app.list("/Users", &[("sortBy", "userName"), ("sortOrder", "descending")]).await);
    let (pages, _) =
        walk_cursor(&app, "/Users", &[("sortBy", "userName"), ("sortOrder", "descending"), ("count", "2")], None).await;
    assert_eq!(pages.concat(), by_name);
    let f = [("filter", r#"userName sw "extra" or title eq "Engineer""#), ("count", "2")];
    let (pages, last) = walk_cursor(&app, "/Users", &f, None).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1]);
    assert_eq!(last["totalResults"], 5);
    // POST /.search takes `cursor` in its body (RFC 9865 §3), the root too.
    let body = json!({"schemas": [SEARCH_SCHEMA], "count": 4});
    let (pages, _) = walk_cursor(&app, "/Users/.search", &[], Some(body.clone())).await;
    assert_eq!(pages.concat(), all);
    let gid = app.create_group("Team", &[]).await["id"].as_str().unwrap().to_string();
    let (pages, last) = walk_cursor(&app, "/.search", &[], Some(body)).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4]);
    assert_eq!(pages.concat(), [all.clone(), vec![gid.clone()]].concat());
    assert_eq!(last["totalResults"], 8);

    // A user created mid-walk is reached: the cursor is a place, not a snapshot.
    let first = app.list("/Users", &[("cursor", ""), ("count", "6")]).await.expect(200);
    let late = app.create_user("late").await["id"].as_str().unwrap().to_string();
    let next = first.body["nextCursor"].as_str().unwrap();
    let rest = app.list("/Users", &[("cursor", next), ("count", "6")]).await.expect(200);
    assert_eq!(ids(&rest), vec![all[6].clone(), late]);

    // At the root too: a user created while the walk is among the groups
    // shifts nothing (no group twice), one created before its place is met.
    for name in ["Team 2", "Team 3", "Team 4"] {
        app.create_group(name, &[]).await;
    }
    let everyone = ids(&app.post("/.search", &json!({"schemas": [SEARCH_SCHEMA]})).await.expect(200));
    let (users, groups) = everyone.split_at(everyone.len() - 4);
    let app = &app;
    let page = |cursor: String| async move {
        let body = json!({"schemas": [SEARCH_SCHEMA], "count": 4, "cursor": cursor});
        app.post("/.search", &body).await.expect(200)
    };
    let first = page(String::new()).await;
    let early = app.create_user("early").await["id"].as_str().unwrap().to_string();
    let (mut seen, mut more) = (ids(&first), first.body["nextCursor"].as_str().map(str::to_owned));
    let mut created_among_groups = None;
    while let Some(c) = more {
        let r = page(c).await;
        seen.extend(ids(&r));
        if created_among_groups.is_none() && seen.contains(&gid) {
            created_among_groups = Some(app.create_user("among-groups").await["id"].as_str().unwrap().to_string());
        }
        more = r.body["nextCursor"].as_str().map(str::to_owned);
    }
    assert!(created_among_groups.is_some());
    assert_eq!(seen, [users.to_vec(), vec![early], groups.to_vec()].concat());

    // Errors (RFC 9865 §2.2).
    let bad = app.list("/Users", &[("cursor", "VZUTiyhEQJ94IR")]).await;
    assert_scim_error(&bad, 400, Some("invalidCursor"));
    let other_query = app.list("/Users", &[("cursor", next), ("filter", "active eq true")]).await;
    assert_scim_error(&other_query, 400, Some("invalidCursor"));
    let other_endpoint = app.list("/Groups", &[("cursor", next)]).await;
    assert_scim_error(&other_endpoint, 400, Some("invalidCursor"));
    let other_tenant =
        app.http.get(app.url_for("other", "/Users")).bearer_auth(&app.other.token).query(&[("cursor", next)]);
    let other_tenant = send(other_tenant).await;
    assert_scim_error(&other_tenant, 400, Some("invalidCursor"));
    assert_scim_error(&app.list("/Users", &[("cursor", ""), ("count", "0")]).await, 400, Some("invalidCount"));
    assert_scim_error(&app.list("/Users", &[("cursor", ""), ("count", "x")]).await, 400, Some("invalidCount"));
    let both = app.list("/Users", &[("cursor", ""), ("startIndex", "2")]).await;
    assert_scim_error(&both, 400, Some("invalidValue"));

    // Discovery says so.
    let spc = app.http.get(app.url("/ServiceProviderConfig")).send().await.unwrap().json::<Value>().await.unwrap();
    let p = &spc["pagination"];
    assert_eq!((p["cursor"].as_bool(), p["index"].as_bool()), (Some(true), Some(true)), "{spc}");
    assert_eq!(p["defaultPaginationMethod"], "index");
    assert!(p["maxPageSize"].as_u64().is_some_and(|n| n >= 1) && p["cursorTimeout"].as_u64().is_some_and(|n| n >= 600));
}
