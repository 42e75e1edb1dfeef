//! Groups and membership: members are rows, a User's `groups` is derived
//! from them (RFC 7643 §4.1.2, §4.2; RFC 7644 §3.5.2).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn user(app: &TestServer, name: &str) -> String {
    app.create_user_with(json!({"userName": name, "displayName": format!("{name} display")})).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn create_group_with_members_and_derive_user_groups() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let u2 = user(&app, "u2").await;
    let r = app
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Tour Guides",
                    "members": [{"value": u1, "display": "Babs"}, {"value": u2}]}),
        )
        .await
        .expect(201);
    let gid = r.id();
    assert_eq!(r.body["displayName"], "Tour Guides");
    assert_eq!(r.body["meta"]["resourceType"], "Group");
    assert!(r.header("location").is_some_and(|l| l.ends_with(&format!("/Groups/{gid}"))));
    assert_eq!(member_values(&r.body), sorted(&[u1.clone(), u2.clone()]));
    let m = r.body["members"].as_array().unwrap().iter().find(|m| m["value"] == json!(u1)).unwrap().clone();
    assert_eq!(m["type"], "User", "{m}");
    assert!(m["$ref"].as_str().is_some_and(|s| s.ends_with(&format!("/Users/{u1}"))), "member $ref: {m}");
    // A member's display is returned as the client sent it; one sent
    // without a display shows the member's current name.
    assert_eq!(m["display"], "Babs");
    let m2 = r.body["members"].as_array().unwrap().iter().find(|m| m["value"] == json!(u2)).unwrap().clone();
    assert_eq!(m2["display"], "u2 display", "{m2}");

    let u = app.get(&format!("/Users/{u1}")).await.expect(200);
    assert_eq!(group_values(&u.body), vec![gid.clone()]);
    let g = &u.body["groups"][0];
    assert_eq!(g["display"], "Tour Guides", "{g}");
    assert!(g["$ref"].as_str().is_none_or(|s| s.ends_with(&format!("/Groups/{gid}"))));
}

#[tokio::test]
async fn patch_add_and_remove_members_answers_204() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let u2 = user(&app, "u2").await;
    let u3 = user(&app, "u3").await;
    let gid = app.create_group("Team", &[&u1]).await["id"].as_str().unwrap().to_string();
    let path = format!("/Groups/{gid}");

    let add =
        app.patch_ops(&path, json!([{"op": "add", "path": "members", "value": [{"value": u2}, {"value": u3}]}])).await;
    add.expect(204);
    let g = app.get(&path).await.expect(200);
    assert_eq!(member_values(&g.body), sorted(&[u1.clone(), u2.clone(), u3.clone()]));
    assert_eq!(group_values(&app.get(&format!("/Users/{u3}")).await.body), vec![gid.clone()]);

    let rm = app.patch_ops(&path, json!([{"op": "remove", "path": format!("members[value eq \"{u1}\"]")}])).await;
    assert_eq!(rm.status.as_u16(), 204, "{}", rm.text);
    let g = app.get(&path).await.expect(200);
    assert_eq!(member_values(&g.body), sorted(&[u2.clone(), u3.clone()]));
    let u1_now = app.get(&format!("/Users/{u1}")).await.expect(200);
    assert!(group_values(&u1_now.body).is_empty(), "u1 left the group: {}", u1_now.text);

    // Adding someone already in the group keeps one membership.
    app.patch_ops(&path, json!([{"op": "add", "path": "members", "value": [{"value": u2}]}])).await.expect(204);
    let g = app.get(&path).await.expect(200);
    assert_eq!(member_values(&g.body), sorted(&[u2.clone(), u3.clone()]));

    // Remove all, then replace with one.
    app.patch_ops(&path, json!([{"op": "remove", "path": "members"}])).await.expect(204);
    let g = app.get(&path).await.expect(200);
    assert!(member_values(&g.body).is_empty(), "{}", g.text);
    app.patch_ops(&path, json!([{"op": "replace", "path": "members", "value": [{"value": u1}]}])).await.expect(204);
    assert_eq!(member_values(&app.get(&path).await.body), vec![u1.clone()]);
}

#[tokio::test]
async fn patch_with_attributes_returns_the_group() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let gid = app.create_group("Team", &[]).await["id"].as_str().unwrap().to_string();
    let r = send(with_json(
        app.req(reqwest::Method::PATCH, &format!("/Groups/{gid}")).query(&[("excludedAttributes", "members")]),
        &json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": u1}]},
            {"op": "replace", "path": "displayName", "value": "Team 2"}
        ]}),
    ))
    .await
    .expect(200);
    assert_eq!(r.body["displayName"], "Team 2");
    assert!(r.body.get("members").is_none(), "{}", r.text);
    let r = send(with_json(
        app.req(reqwest::Method::PATCH, &format!("/Groups/{gid}")).query(&[("attributes", "members")]),
        &json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "displayName", "value": "Team 3"}]}),
    ))
    .await
    .expect(200);
    assert_eq!(member_values(&r.body), vec![u1]);
    assert!(r.body.get("displayName").is_none(), "{}", r.text);
}

#[tokio::test]
async fn unknown_member_is_400_and_changes_nothing() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let gid = app.create_group("Team", &[&u1]).await["id"].as_str().unwrap().to_string();
    let missing = "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee";
    let r = app
        .patch_ops(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": [{"value": missing}]}]))
        .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let r = app
        .patch_ops(
            &format!("/Groups/{gid}"),
            json!([{"op": "add", "path": "members", "value": [{"value": "not-a-uuid"}]}]),
        )
        .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    assert_eq!(member_values(&app.get(&format!("/Groups/{gid}")).await.body), vec![u1.clone()]);
    let r = app
        .post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": "Bad", "members": [{"value": missing}]}))
        .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
    let list = app.list("/Groups", &[("filter", "displayName eq \"Bad\"")]).await.expect(200);
    assert_eq!(list.total(), 0, "the refused group was not created");
    // A deleted user is no member either.
    let u2 = user(&app, "u2").await;
    app.delete(&format!("/Users/{u2}")).await.expect(204);
    let r = app
        .patch_ops(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": [{"value": u2}]}]))
        .await;
    assert_scim_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn deleting_a_user_removes_its_memberships() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let u2 = user(&app, "u2").await;
    let g1 = app.create_group("G1", &[&u1, &u2]).await["id"].as_str().unwrap().to_string();
    let g2 = app.create_group("G2", &[&u1]).await["id"].as_str().unwrap().to_string();
    app.delete(&format!("/Users/{u1}")).await.expect(204);
    assert_eq!(member_values(&app.get(&format!("/Groups/{g1}")).await.body), vec![u2.clone()]);
    assert!(member_values(&app.get(&format!("/Groups/{g2}")).await.body).is_empty());
    let f = app.list("/Groups", &[("filter", &format!("members eq \"{u1}\""))]).await.expect(200);
    assert_eq!(f.total(), 0);
}

#[tokio::test]
async fn deleting_a_group_clears_user_groups() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let g1 = app.create_group("G1", &[&u1]).await["id"].as_str().unwrap().to_string();
    app.delete(&format!("/Groups/{g1}")).await.expect(204);
    assert_scim_error(&app.get(&format!("/Groups/{g1}")).await, 404, None);
    let u = app.get(&format!("/Users/{u1}")).await.expect(200);
    assert!(group_values(&u.body).is_empty(), "{}", u.text);
}

#[tokio::test]
async fn renaming_a_group_updates_user_groups_display() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let g1 = app.create_group("Old name", &[&u1]).await["id"].as_str().unwrap().to_string();
    app.patch_ops(&format!("/Groups/{g1}"), json!([{"op": "replace", "path": "displayName", "value": "New name"}]))
        .await
        .expect(204);
    let u = app.get(&format!("/Users/{u1}")).await.expect(200);
    assert_eq!(u.body["groups"][0]["display"], "New name", "{}", u.text);
}

#[tokio::test]
async fn groups_can_contain_groups() {
    let app = TestServer::spawn().await;
    let inner = app.create_group("Inner", &[]).await["id"].as_str().unwrap().to_string();
    let outer = app.create_group("Outer", &[&inner]).await;
    let m = &outer["members"][0];
    assert_eq!(m["value"], json!(inner));
    assert_eq!(m["type"], "Group", "{m}");
}

#[tokio::test]
async fn excluded_attributes_members_on_get_and_list() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let gid = app.create_group("Team", &[&u1]).await["id"].as_str().unwrap().to_string();
    let r = app.list(&format!("/Groups/{gid}"), &[("excludedAttributes", "members")]).await.expect(200);
    assert!(r.body.get("members").is_none(), "{}", r.text);
    assert_eq!(r.body["displayName"], "Team");
    assert_eq!(r.body["id"], json!(gid));
    let l = app.list("/Groups", &[("excludedAttributes", "members")]).await.expect(200);
    assert_eq!(l.total(), 1);
    assert!(l.resources()[0].get("members").is_none(), "{}", l.text);
    assert_eq!(l.resources()[0]["displayName"], "Team");
}

#[tokio::test]
async fn membership_filter_with_attributes_id() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let u2 = user(&app, "u2").await;
    let g1 = app.create_group("G1", &[&u1]).await["id"].as_str().unwrap().to_string();
    let g2 = app.create_group("G2", &[&u1, &u2]).await["id"].as_str().unwrap().to_string();

    let yes = app
        .list("/Groups", &[("filter", &format!("id eq \"{g1}\" and members eq \"{u1}\"")), ("attributes", "id")])
        .await
        .expect(200);
    assert_eq!(yes.total(), 1, "{}", yes.text);
    let res = &yes.resources()[0];
    assert_eq!(res["id"], json!(g1));
    assert!(res.get("members").is_none() && res.get("displayName").is_none(), "attributes=id: {res}");

    let no = app
        .list("/Groups", &[("filter", &format!("id eq \"{g1}\" and members eq \"{u2}\"")), ("attributes", "id")])
        .await
        .expect(200);
    assert_eq!(no.total(), 0, "{}", no.text);

    let both =
        app.list("/Groups", &[("filter", &format!("members eq \"{u1}\"")), ("attributes", "id")]).await.expect(200);
    assert_eq!(sorted(&ids(&both)), sorted(&[g1.clone(), g2.clone()]));
    let vp = app.list("/Groups", &[("filter", &format!("members[value eq \"{u2}\"]"))]).await.expect(200);
    assert_eq!(ids(&vp), vec![g2.clone()]);
    let users_in_g2 = app.list("/Users", &[("filter", &format!("groups.value eq \"{g2}\""))]).await.expect(200);
    assert_eq!(sorted(&ids(&users_in_g2)), sorted(&[u1, u2]));
}

#[tokio::test]
async fn put_group_replaces_members() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let u2 = user(&app, "u2").await;
    let gid = app.create_group("Team", &[&u1]).await["id"].as_str().unwrap().to_string();
    let r = app
        .put(
            &format!("/Groups/{gid}"),
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Team", "members": [{"value": u2}]}),
        )
        .await
        .expect(200);
    assert_eq!(member_values(&r.body), vec![u2.clone()]);
    assert!(group_values(&app.get(&format!("/Users/{u1}")).await.body).is_empty());
    assert_eq!(group_values(&app.get(&format!("/Users/{u2}")).await.body), vec![gid]);
}

#[tokio::test]
async fn member_display_is_returned_as_sent_and_the_schema_says_so() {
    let app = TestServer::spawn().await;
    let u1 = user(&app, "u1").await;
    let g = app
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": u1, "display": "Custom"}]}),
        )
        .await
        .expect(201);
    assert_eq!(g.body["members"][0]["display"], "Custom");
    // Clients that compare what they wrote with what they read (scim2-tester,
    // Okta) get their value back; the schema publishes it as writable.
    let schema = send(app.http.get(app.url(&format!("/Schemas/{GROUP_SCHEMA}")))).await.expect(200).body;
    let members = schema["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "members").unwrap().clone();
    let sub = members["subAttributes"].as_array().unwrap().iter().find(|a| a["name"] == "display").cloned().unwrap();
    assert_eq!(sub["mutability"], "readWrite", "{sub}");
    // PATCH add keeps the display too.
    let u2 = user(&app, "u2").await;
    let gid = g.id();
    app.patch_ops(
        &format!("/Groups/{gid}"),
        json!([{"op": "add", "path": "members", "value": [{"value": u2, "display": "Second"}]}]),
    )
    .await
    .expect(204);
    let g = app.get(&format!("/Groups/{gid}")).await.expect(200);
    let m2 = g.body["members"].as_array().unwrap().iter().find(|m| m["value"] == json!(u2)).unwrap().clone();
    assert_eq!(m2["display"], "Second");
}

#[tokio::test]
async fn concurrent_member_adds_all_succeed() {
    let app = TestServer::spawn().await;
    let gid = app.create_group("Busy", &[]).await["id"].as_str().unwrap().to_string();
    let mut users = Vec::new();
    for i in 0..16 {
        users.push(user(&app, &format!("c{i}")).await);
    }
    // Identity providers send membership changes in parallel; without
    // If-Match, a member-only PATCH has nothing to conflict on.
    let path = format!("/Groups/{gid}");
    let futures = users.iter().map(|u| {
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": u}]}]});
        send(with_json(app.req(reqwest::Method::PATCH, &path), &body))
    });
    let answers = join_all(futures).await;
    let failed: Vec<String> =
        answers.iter().filter(|r| r.status.as_u16() != 204).map(|r| format!("{} {}", r.status, r.text)).collect();
    assert!(failed.is_empty(), "{} of {} concurrent adds failed: {:?}", failed.len(), answers.len(), failed.first());
    assert_eq!(member_values(&app.get(&path).await.body), sorted(&users));
}

#[tokio::test]
async fn members_sub_attributes_follow_the_projection_on_get_and_list() {
    let app = TestServer::spawn().await;
    let u = user(&app, "m1").await;
    let inner = app.create_group("Inner", &[]).await["id"].as_str().unwrap().to_string();
    let body = json!({"schemas": [GROUP_SCHEMA], "displayName": "Outer",
                      "members": [{"value": u, "display": "Mé \"one\""}, {"value": inner}]});
    let g = app.post("/Groups", &body).await.expect(201).id();
    let full = app.get(&format!("/Groups/{g}")).await.expect(200);
    // The members text sits before meta, as the rest of the resource.
    let keys: Vec<&String> = full.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["schemas", "id", "displayName", "members", "meta"], "{}", full.text);
    // The member `u`: found by value, or (no value kept) by its display.
    let by_value = |r: &Value, id: &str| -> Value {
        let all = r["members"].as_array().unwrap();
        let found = all.iter().find(|m| m["value"] == id).cloned();
        found.or_else(|| all.iter().find(|m| m["display"] == "Mé \"one\"").cloned()).unwrap_or(Value::Null)
    };
    assert_eq!(
        by_value(&full.body, &u),
        json!({"value": u, "$ref": app.url(&format!("/Users/{u}")), "display": "Mé \"one\"", "type": "User"})
    );
    // Sent without a display: the member's current name.
    assert_eq!(
        by_value(&full.body, &inner),
        json!({"value": inner, "$ref": app.url(&format!("/Groups/{inner}")), "display": "Inner", "type": "Group"})
    );
    for (params, want) in [
        (vec![("attributes", "members.value")], json!({"value": u})),
        (vec![("excludedAttributes", "members.$ref,members.type")], json!({"value": u, "display": "Mé \"one\""})),
        // `value` is not `returned: always`: only what is named.
        (vec![("attributes", "displayName,members.display")], json!({"display": "Mé \"one\""})),
    ] {
        let one = send(app.req(reqwest::Method::GET, &format!("/Groups/{g}")).query(&params)).await.expect(200);
        assert_eq!(by_value(&one.body, &u), want, "{params:?}: {}", one.text);
        let listed =
            app.list("/Groups", &[params.clone(), vec![("filter", "displayName eq \"Outer\"")]].concat()).await;
        assert_eq!(by_value(&listed.expect(200).resources()[0], &u), want, "{params:?}");
    }
    let none = app.list(&format!("/Groups/{g}"), &[("attributes", "displayName")]).await.expect(200);
    assert!(none.body.get("members").is_none(), "{}", none.text);
}

/// A group past the large-list threshold (10,000 members) goes the other
/// way (a render slot, written off the workers): concurrent reads of it,
/// and of a small group meanwhile, answer every member once.
#[tokio::test]
async fn a_large_group_answers_every_member_to_concurrent_reads() {
    const N: usize = 10_050;
    let app = TestServer::spawn().await;
    let mut ids = Vec::with_capacity(N);
    for chunk in 0..N.div_ceil(1000) {
        let ops: Vec<Value> = (chunk * 1000..((chunk + 1) * 1000).min(N))
            .map(|n| {
                json!({"method": "POST", "path": "/Users", "bulkId": format!("u{n}"),
                       "data": {"schemas": [USER_SCHEMA], "userName": format!("bulk{n}")}})
            })
            .collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops});
        let r = app.post("/Bulk", &body).await.expect(200);
        for op in r.body["Operations"].as_array().unwrap() {
            assert_eq!(op["status"], "201", "{op}");
            ids.push(op["location"].as_str().unwrap().rsplit('/').next().unwrap().to_owned());
        }
    }
    let big = app.create_group("big", &[]).await["id"].as_str().unwrap().to_string();
    for chunk in ids.chunks(5000) {
        let members: Vec<Value> = chunk.iter().map(|id| json!({"value": id})).collect();
        let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                           "Operations": [{"op": "add", "path": "members", "value": members}]});
        app.patch(&format!("/Groups/{big}"), &patch).await.expect(204);
    }
    let small = app.create_group("small", &[&ids[0]]).await["id"].as_str().unwrap().to_string();
    let reads = (0..4).map(|i| {
        let path = if i == 3 { format!("/Groups/{small}") } else { format!("/Groups/{big}") };
        let app = &app;
        async move { app.get(&path).await }
    });
    let mut answers = join_all(reads).await;
    let small_answer = answers.pop().unwrap().expect(200);
    assert_eq!(member_values(&small_answer.body), vec![ids[0].clone()]);
    let want = sorted(&ids);
    for a in answers {
        let a = a.expect(200);
        assert_eq!(member_values(&a.body), want);
        let first = &a.body["members"][0];
        assert_eq!(first["type"], "User");
        assert!(first["$ref"].as_str().unwrap().starts_with(&app.url("/Users/")), "{first}");
    }
}

/// Group displayNames are unique per tenant, case-insensitively (on by
/// default, as Entra ID asks): POST, PUT and a renaming PATCH of a taken
/// name are `409 uniqueness` naming the holder; `/Schemas` says so; a
/// tenant can turn the rule off.
#[tokio::test]
async fn group_names_are_unique_in_a_tenant() {
    let app = TestServer::spawn().await;
    let eng = app.create_group("Engineering", &[]).await;
    let eng_id = eng["id"].as_str().unwrap();
    let body = |name: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name});

    let r = app.post("/Groups", &body("engineering")).await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert!(r.body["detail"].as_str().unwrap().contains(eng_id), "the detail names the holder: {}", r.text);

    let ops = app.create_group("Ops", &[]).await;
    let ops_id = ops["id"].as_str().unwrap();
    let r = app.put(&format!("/Groups/{ops_id}"), &body("ENGINEERING")).await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    let r = app
        .patch_ops(
            &format!("/Groups/{ops_id}"),
            json!([{"op": "replace", "path": "displayName", "value": "Engineering"}]),
        )
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    let r = app
        .patch_ops(&format!("/Groups/{ops_id}"), json!([{"op": "replace", "value": {"displayName": "Engineering"}}]))
        .await;
    assert_scim_error(&r, 409, Some("uniqueness"));
    assert_eq!(app.get(&format!("/Groups/{ops_id}")).await.expect(200).body["displayName"], "Ops", "nothing changed");
    // The holder may change its own name's case; the other tenant has its own names.
    app.put(&format!("/Groups/{eng_id}"), &body("ENGINEERING")).await.expect(200);
    let theirs = app.http.post(app.url_for("other", "/Groups")).bearer_auth(&app.other.token);
    send(with_json(theirs, &body("Engineering"))).await.expect(201);

    let schema = app.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").await.expect(200);
    let name = schema.body["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "displayName").unwrap();
    assert_eq!(name["uniqueness"], "server");

    // Turned off, /Schemas says so within the tenant cache's life, and
    // names may repeat.
    let out = app.cli(&["tenant", "set", "acme", "--unique-group-names", "off"]);
    assert!(out.contains("unique group names off"), "{out}");
    eventually(Duration::from_secs(10), "/Schemas to say none", || async {
        let schema = app.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").await.expect(200);
        let attrs = schema.body["attributes"].as_array().cloned().unwrap_or_default();
        attrs.iter().any(|a| a["name"] == "displayName" && a["uniqueness"] == "none").then_some(())
    })
    .await;
    let twin = app.post("/Groups", &body("Engineering")).await.expect(201);
    assert_ne!(twin.id(), eng_id);

    // Back on, both keep working, no third may take the name, and a start
    // reports the shared name.
    app.cli(&["tenant", "set", "acme", "--unique-group-names", "on"]);
    let mut app = app;
    app.restart().await;
    app.patch_ops(&format!("/Groups/{}", twin.id()), json!([{"op": "replace", "path": "externalId", "value": "x"}]))
        .await
        .expect(204);
    assert_scim_error(&app.post("/Groups", &body("engineering")).await, 409, Some("uniqueness"));
    let server = app.server.as_ref().unwrap();
    eventually(Duration::from_secs(10), "the start to report the shared name", || async {
        let log = server.log();
        (log.contains("groups share this displayName") && log.contains("engineering")).then_some(())
    })
    .await;
}
