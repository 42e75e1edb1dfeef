//! The outbox (DESIGN §7) as a running scimd writes it, read back with
//! `scimd events list`: which events each operation writes, in the
//! tenant's gapless order, with the resource after the change (its last
//! state for a delete) and the paths that changed, the caller, one event
//! per member, nothing for a refused or empty change, and never a
//! password.

use serde_json::{Value, json};

use crate::helpers::*;

fn types(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn each_user_operation_writes_its_event() {
    let app = TestServer::spawn().await;
    let user = app.create_user_with(json!({"userName": "ev", "password": "Secret-123!"})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/Users/{id}");
    app.patch_ops(&path, json!([{"op": "replace", "path": "displayName", "value": "Eve"}])).await.expect(200);
    app.patch_ops(&path, json!([{"op": "replace", "path": "active", "value": false}])).await.expect(200);
    // A PATCH that changes nothing writes nothing.
    app.patch_ops(&path, json!([{"op": "replace", "path": "active", "value": false}])).await.expect(200);
    app.put(&path, &json!({"schemas": [USER_SCHEMA], "userName": "ev", "active": true})).await.expect(200);
    // A refused change writes nothing.
    let r = app.patch_ops(&path, json!([{"op": "replace", "path": "userName", "value": 5}])).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    app.delete(&path).await.expect(204);

    let events = app.events(0);
    assert_eq!(
        types(&events),
        ["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted"]
    );
    let sequences: Vec<i64> = events.iter().map(|e| e["sequence"].as_i64().unwrap()).collect();
    assert_eq!(sequences, [1, 2, 3, 4, 5], "gapless, from 1");
    for e in &events {
        assert_eq!(e["data"]["resource"]["id"], id.as_str(), "{e}");
        assert_eq!(e["tenant"]["slug"], app.tenant.slug.as_str());
        assert_eq!(e["actor"]["type"], "scim_token", "{e}");
        assert!(e["occurred_at"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    assert_eq!(events[0]["data"]["changed"], json!(["password", "userName"]));
    assert_eq!(events[1]["data"]["resource"]["displayName"], "Eve");
    assert_eq!(events[1]["data"]["changed"], json!(["displayName"]));
    assert_eq!(events[2]["data"]["resource"]["active"], false);
    assert_eq!(events[2]["data"]["changed"], json!(["active"]));
    // The deleted user's last state.
    assert_eq!(events[4]["data"]["resource"]["userName"], "ev");
    let text = Value::Array(events).to_string();
    assert!(!text.contains("Secret-123!"), "{text}");
    // Events from `after` on only.
    assert_eq!(types(&app.events(3)), ["user.reactivated", "user.deleted"]);
}

#[tokio::test]
async fn membership_changes_write_one_event_per_member() {
    let app = TestServer::spawn().await;
    let mut users = Vec::new();
    for name in ["m1", "m2", "m3"] {
        users.push(app.create_user(name).await["id"].as_str().unwrap().to_owned());
    }
    let after_users = app.last_event();
    let group = app.create_group("Team", &[&users[0], &users[1]]).await;
    let gid = group["id"].as_str().unwrap().to_owned();
    let gpath = format!("/Groups/{gid}");
    app.patch_ops(&gpath, json!([{"op": "add", "path": "members", "value": [{"value": users[2]}]}])).await.expect(204);
    // Adding a member again changes nothing.
    app.patch_ops(&gpath, json!([{"op": "add", "path": "members", "value": [{"value": users[2]}]}])).await.expect(204);
    let remove = format!("members[value eq \"{}\"]", users[0]);
    app.patch_ops(&gpath, json!([{"op": "remove", "path": remove}])).await.expect(204);
    app.patch_ops(&gpath, json!([{"op": "replace", "path": "displayName", "value": "Team 2"}])).await.expect(204);
    // Deleting a member removes it from the group: an event for each.
    app.delete(&format!("/Users/{}", users[1])).await.expect(204);
    app.delete(&gpath).await.expect(204);

    let events = app.events(after_users);
    assert_eq!(
        types(&events),
        [
            "group.created",
            "group.member_added",
            "group.member_added",
            "group.member_added",
            "group.member_removed",
            "group.updated",
            "group.member_removed",
            "user.deleted",
            "group.deleted",
        ]
    );
    let member = |i: usize| events[i]["data"]["member"]["value"].as_str().unwrap().to_owned();
    let mut added = vec![member(1), member(2)];
    added.sort();
    let mut first_two = vec![users[0].clone(), users[1].clone()];
    first_two.sort();
    assert_eq!(added, first_two);
    assert_eq!(member(3), users[2]);
    assert_eq!(member(4), users[0]);
    assert_eq!(member(6), users[1]);
    for i in [1, 2, 3, 4, 6] {
        assert_eq!(events[i]["data"]["group"]["id"], gid.as_str(), "{}", events[i]);
        assert_eq!(events[i]["data"]["member"]["type"], "User");
    }
    assert_eq!(events[1]["data"]["group"]["displayName"], "Team");
    // A deleted member leaves the group under its name at the time.
    assert_eq!(events[6]["data"]["group"]["displayName"], "Team 2");
    assert_eq!(events[5]["data"]["resource"]["displayName"], "Team 2");
    let sequences: Vec<i64> = events.iter().map(|e| e["sequence"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (after_users + 1..=after_users + 9).collect();
    assert_eq!(sequences, expected, "gapless");
}

#[tokio::test]
async fn tenants_have_their_own_sequences() {
    let app = TestServer::spawn().await;
    app.create_user("a1").await;
    let other = send(with_json(
        app.http.post(app.url_for("other", "/Users")).bearer_auth(&app.other.token),
        &json!({"schemas": [USER_SCHEMA], "userName": "b1"}),
    ))
    .await;
    other.expect(201);
    app.create_user("a2").await;
    let mine = app.events(0);
    assert_eq!(mine.iter().map(|e| e["sequence"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    assert!(mine.iter().all(|e| e["data"]["resource"]["userName"] != "b1"));
    let theirs = app.cli_json(&["events", "list", "--tenant", "other"])["events"].clone();
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["sequence"], 1);
    assert_eq!(theirs[0]["tenant"]["slug"], "other");
    // The all-tenants feed: the three in commit order, and from a cursor on.
    let ids = |v: &Value| v["events"].as_array().unwrap().iter().map(|e| e["id"].clone()).collect::<Vec<_>>();
    let first_two = app.cli_json(&["events", "list", "--limit", "2"]);
    assert_eq!(ids(&first_two), [mine[0]["id"].clone(), theirs[0]["id"].clone()]);
    let after = first_two["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(ids(&app.cli_json(&["events", "list", "--after", &after])), [mine[1]["id"].clone()]);
}
