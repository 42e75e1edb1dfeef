//! `kill -9` under concurrent writes loses no acknowledged write: several
//! writers create users and replace a counter on a user of their own while
//! the server is killed without warning, three times over; after each
//! restart every create that was answered `201` is there, every counter is
//! at least its last acknowledged value (at most one more: the write in
//! flight at the kill may or may not have committed), and the tenant's
//! event sequence is gapless and holds one `created` event per user.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

const WRITERS: usize = 8;
const ROUNDS: usize = 3;
/// How long the writers run before the kill, per round.
const LOAD: Duration = Duration::from_millis(1500);

/// What one writer had acknowledged when the server died.
#[derive(Default)]
struct Acknowledged {
    /// userNames answered `201`.
    created: Vec<String>,
    /// The last counter value a PATCH on the writer's own user was answered `200` for.
    counter: u64,
}

/// One writer's connection and its own user.
struct Writer {
    http: reqwest::Client,
    /// The tenant's SCIM base URL.
    base: String,
    token: String,
    /// The id of the user whose counter (its `title`) this writer replaces.
    me: String,
    /// The counter's value when the writer starts.
    counter: u64,
    /// Prefix of the userNames it creates (unique per round and writer).
    prefix: String,
}

/// Writes until `stop`: a POST of a new user, then a PATCH of the counter,
/// over and over. A request that fails (the server died under it) is not
/// acknowledged and not retried: its outcome is unknown.
async fn writer(w: Writer, stop: Arc<AtomicBool>) -> Acknowledged {
    let Writer { http, base, token, me, mut counter, prefix } = w;
    let mut ack = Acknowledged { created: Vec::new(), counter };
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("{prefix}-{n}");
        let post =
            http.post(format!("{base}/Users")).body(json!({"schemas": [USER_SCHEMA], "userName": name}).to_string());
        match answer(post, &token).await {
            Some(201) => ack.created.push(name),
            Some(status) => assert!(status == 503 || status == 408, "a create under load answered {status}"),
            None => break,
        }
        counter += 1;
        let patch = json!({"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "replace", "path": "title", "value": counter.to_string()}]});
        match answer(http.patch(format!("{base}/Users/{me}")).body(patch.to_string()), &token).await {
            Some(200) => ack.counter = counter,
            Some(status) => assert!(status == 503 || status == 408, "a PATCH under load answered {status}"),
            None => break,
        }
    }
    ack
}

/// The status of an answer read whole; `None` when the connection failed
/// before that (the server died under the request).
async fn answer(rb: reqwest::RequestBuilder, token: &str) -> Option<u16> {
    let r = rb.bearer_auth(token).header("content-type", SCIM_JSON).send().await.ok()?;
    let status = r.status().as_u16();
    r.bytes().await.ok()?;
    Some(status)
}

fn counter_of(user: &Value) -> u64 {
    user["title"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn kill_9_under_concurrent_writes_loses_no_acknowledged_write() {
    let mut app = TestServer::spawn().await;
    let mut own = Vec::new();
    for w in 0..WRITERS {
        own.push(app.create_user(&format!("counter-{w}")).await["id"].as_str().unwrap().to_string());
    }
    let mut created: Vec<String> = Vec::new();
    let mut counters = [0u64; WRITERS];
    let mut total_acks = 0;
    for round in 0..ROUNDS {
        let stop = Arc::new(AtomicBool::new(false));
        let base = app.url("");
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let me = Writer {
                    http: app.http.clone(),
                    base: base.clone(),
                    token: app.tenant.token.clone(),
                    me: own[w].clone(),
                    counter: counters[w],
                    prefix: format!("r{round}-w{w}"),
                };
                tokio::spawn(writer(me, stop.clone()))
            })
            .collect();
        tokio::time::sleep(LOAD).await;
        // SIGKILL (std's Child::kill) with requests in flight.
        app.server.take().expect("running").stop();
        stop.store(true, Ordering::Relaxed);
        for (w, task) in tasks.into_iter().enumerate() {
            let ack = task.await.expect("writer task");
            total_acks += ack.created.len();
            created.extend(ack.created);
            counters[w] = ack.counter;
        }
        app.restart().await;

        // Every acknowledged create is there.
        for chunk in created.chunks(50) {
            let filter = chunk.iter().map(|n| format!("userName eq \"{n}\"")).collect::<Vec<_>>().join(" or ");
            let r = app.list("/Users", &[("filter", filter.as_str()), ("count", "100")]).await.expect(200);
            let found = user_names(&r);
            let missing: Vec<&String> = chunk.iter().filter(|n| !found.contains(n)).collect();
            assert!(missing.is_empty(), "round {round}: acknowledged creates lost: {missing:?}");
        }
        // Every counter holds its last acknowledged value, or the one in flight.
        for (w, id) in own.iter().enumerate() {
            let now = counter_of(&app.get(&format!("/Users/{id}")).await.expect(200).body);
            assert!(
                now == counters[w] || now == counters[w] + 1,
                "round {round}, writer {w}: counter {now}, last acknowledged {}",
                counters[w]
            );
            counters[w] = now;
        }
    }
    assert!(total_acks >= WRITERS * ROUNDS, "the load wrote too little to test anything: {total_acks} creates");

    // The event sequence survived the kills gapless, in commit order.
    let mut events = Vec::new();
    loop {
        let after = events.last().map_or(0, |e: &Value| e["sequence"].as_i64().unwrap());
        let page = app.events(after);
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    let sequences: Vec<i64> = events.iter().map(|e| e["sequence"].as_i64().unwrap()).collect();
    let expected: Vec<i64> = (1..=sequences.len() as i64).collect();
    assert_eq!(sequences, expected, "event sequence numbers have gaps");
    let listed = app.list("/Users", &[("count", "1")]).await.expect(200).total();
    let creations = events.iter().filter(|e| e["type"] == "user.created").count();
    assert_eq!(creations as u64, listed, "one created event per stored user");
    app.assert_alive().await;
}
