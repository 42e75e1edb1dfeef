//! Several scimd nodes on one PostgreSQL database (issue 13): two
//! processes racing for one userName, concurrent member adds spread over
//! both, a token revoked on one node refused by the other within a second,
//! a settings change seen by the other within a second, and each event
//! delivered once per endpoint across both, nothing lost when one node is
//! killed mid-delivery. These run on PostgreSQL whatever the run's backend
//! (`scripts/test.sh` skips them in its second, PostgreSQL, pass).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::secret;
use crate::helpers::*;
use crate::receiver::Receiver;

/// Node A is the test server; node B a second process on its database.
struct Nodes {
    app: TestServer,
    b: ServerProcess,
}

impl Nodes {
    async fn start() -> Nodes {
        let app = TestServer::spawn_postgres().await;
        let b = ServerProcess::start_with(&app.database, app.dir.path(), &[], TEST_ENV);
        Nodes { app, b }
    }

    /// The base URL of node `n` (0: A, 1: B).
    fn base(&self, n: usize) -> String {
        if n.is_multiple_of(2) { self.app.base.clone() } else { format!("http://{}", self.b.addr) }
    }

    async fn scim(&self, n: usize, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut rb = self
            .app
            .http
            .request(method, format!("{}/scim/v2/acme{path}", self.base(n)))
            .bearer_auth(&self.app.tenant.token);
        if let Some(b) = body {
            rb = with_json(rb, &b);
        }
        send(rb).await
    }

    async fn admin(&self, n: usize, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        let mut rb = self.app.http.request(method, format!("{}/admin/v1{path}", self.base(n))).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b.to_string());
        }
        send(rb).await
    }
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER_SCHEMA], "userName": name})
}

#[tokio::test]
async fn two_nodes_racing_for_one_user_name_give_one_201_and_one_409() {
    let nodes = Nodes::start().await;
    for round in 0..20 {
        let name = format!("race{round}");
        let (a, b) = tokio::join!(
            nodes.scim(0, Method::POST, "/Users", Some(user(&name))),
            nodes.scim(1, Method::POST, "/Users", Some(user(&name.to_uppercase()))),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: {} / {}", a.text, b.text);
        let loser = if a.status.as_u16() == 409 { &a } else { &b };
        assert_scim_error(loser, 409, Some("uniqueness"));
    }
    let all = nodes.scim(1, Method::GET, "/Users?count=100", None).await.expect(200);
    assert_eq!(all.total(), 20);
}

#[tokio::test]
async fn a_thousand_member_adds_spread_over_two_nodes_are_all_kept() {
    let nodes = Nodes::start().await;
    let group = nodes.app.create_group("crowd", &[]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    // The users, in Bulk requests of 100.
    let mut ids = Vec::new();
    for chunk in 0..10 {
        let ops: Vec<Value> = (0..100)
            .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"), "data": user(&format!("m{chunk}.{i}"))}))
            .collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
        let r = nodes.scim(chunk, Method::POST, "/Bulk", Some(body)).await.expect(200);
        for op in r.body["Operations"].as_array().unwrap() {
            assert_eq!(op["status"], "201", "{op}");
            ids.push(op["location"].as_str().unwrap().rsplit('/').next().unwrap().to_owned());
        }
    }
    assert_eq!(ids.len(), 1000);
    let path = format!("/Groups/{gid}");
    let adds = ids.iter().enumerate().map(|(n, id)| {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
        let (nodes, path) = (&nodes, &path);
        async move { nodes.scim(n, Method::PATCH, path, Some(body)).await }
    });
    // 32 at a time, alternating nodes.
    let mut results = Vec::new();
    let mut adds = adds.collect::<Vec<_>>().into_iter();
    loop {
        let batch: Vec<_> = adds.by_ref().take(32).collect();
        if batch.is_empty() {
            break;
        }
        results.extend(join_all(batch.into_iter()).await);
    }
    let failed: Vec<String> =
        results.iter().filter(|r| !matches!(r.status.as_u16(), 200 | 204)).map(|r| r.text.clone()).collect();
    assert!(failed.is_empty(), "{} adds failed, e.g. {:?}", failed.len(), failed.first());
    let admin = secret(&nodes.app.admin_token(&["--scope", "tenants:read"]));
    let mut members = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = after.as_ref().map_or_else(|| "?limit=200".to_owned(), |a| format!("?limit=200&cursor={a}"));
        let page = nodes.admin(1, Method::GET, &format!("/tenants/acme/groups/{gid}/members{q}"), &admin, None).await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.text);
        let items = page.body["items"].as_array().unwrap().clone();
        members.extend(items.iter().map(|m| m["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) if !items.is_empty() => after = Some(c.to_owned()),
            _ => break,
        }
    }
    members.sort();
    members.dedup();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(members, want);
}

#[tokio::test]
async fn a_token_revoked_on_one_node_is_refused_by_the_other_within_a_second() {
    let nodes = Nodes::start().await;
    // Node B has the token cached.
    nodes.scim(1, Method::GET, "/Users", None).await.expect(200);
    let admin = secret(&nodes.app.admin_token(&["--scope", "tenants:write", "--scope", "tenants:read"]));
    let list = nodes.admin(0, Method::GET, "/tenants/acme/tokens", &admin, None).await;
    let id = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tests")
        .unwrap_or_else(|| panic!("{}", list.text))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = nodes.admin(0, Method::POST, &format!("/tenants/acme/tokens/{id}/revoke"), &admin, None).await;
    assert_eq!(revoked.status.as_u16(), 200, "{}", revoked.text);
    let at = Instant::now();
    let refused = eventually(Duration::from_secs(5), "node B refusing the revoked token", || async {
        (nodes.scim(1, Method::GET, "/Users", None).await.status.as_u16() == 401).then_some(at.elapsed())
    })
    .await;
    assert!(refused <= Duration::from_secs(1), "node B took {refused:?}");
}

#[tokio::test]
async fn a_settings_change_on_one_node_is_in_force_on_the_other_within_a_second() {
    let nodes = Nodes::start().await;
    nodes.scim(1, Method::GET, "/Users", None).await.expect(200);
    let admin = secret(&nodes.app.admin_token(&["--scope", "tenants:write", "--scope", "tenants:read"]));
    let on = nodes.admin(0, Method::PATCH, "/tenants/acme", &admin, Some(json!({"suspended": true}))).await;
    assert_eq!(on.status.as_u16(), 200, "{}", on.text);
    let at = Instant::now();
    let seen = eventually(Duration::from_secs(10), "node B refusing a suspended tenant", || async {
        (nodes.scim(1, Method::GET, "/Users", None).await.status.as_u16() == 403).then_some(at.elapsed())
    })
    .await;
    assert!(seen <= Duration::from_secs(1), "node B took {seen:?}");
}

#[tokio::test]
async fn each_event_is_delivered_once_per_endpoint_across_nodes_and_none_is_lost_when_one_dies() {
    let mut nodes = Nodes::start().await;
    let rx = Receiver::start().await;
    let admin = secret(&nodes.app.admin_token(&["--scope", "webhooks:write", "--scope", "events:read"]));
    let r = nodes.admin(0, Method::POST, "/webhooks", &admin, Some(json!({"url": rx.url}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text);
    for n in 0..40 {
        nodes.scim(n, Method::POST, "/Users", Some(user(&format!("ev{n}")))).await.expect(201);
    }
    let ids = |rx: &Receiver| -> HashMap<String, usize> {
        let mut seen = HashMap::new();
        for r in rx.accepted() {
            *seen.entry(r.header("webhook-id").to_owned()).or_insert(0) += 1;
        }
        seen
    };
    let once = eventually(Duration::from_secs(30), "40 deliveries", || async {
        let seen = ids(&rx);
        (seen.len() >= 40).then_some(seen)
    })
    .await;
    // Both nodes run a delivery worker; no event went out twice.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = ids(&rx);
    assert_eq!(seen.len(), 40, "{once:?}");
    assert!(seen.values().all(|n| *n == 1), "delivered more than once: {seen:?}");
    // Node A dies (SIGKILL) while writes go on through B: every event
    // arrives, at least once.
    let pid = nodes.app.server.as_ref().unwrap().pid();
    let writes = async {
        for n in 40..80 {
            nodes.scim(1, Method::POST, "/Users", Some(user(&format!("ev{n}")))).await.expect(201);
        }
    };
    let kill = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    };
    tokio::join!(writes, kill);
    let feed = nodes.admin(1, Method::GET, "/tenants/acme/events?limit=1000", &admin, None).await;
    let want: Vec<String> =
        feed.body["events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(want.len(), 80, "{}", feed.text);
    eventually(Duration::from_secs(60), "every event after the kill", || async {
        let seen = ids(&rx);
        want.iter().all(|id| seen.contains_key(id)).then_some(())
    })
    .await;
    if let Some(mut a) = nodes.app.server.take() {
        let _ = a.wait_exit(Duration::from_secs(5));
    }
}
