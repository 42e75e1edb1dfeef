//! A PostgreSQL outage (issue 13): scimd reaches its database through a
//! TCP proxy the test can cut, as a restart or a failover would (every
//! connection dropped, new ones refused). While the database is away,
//! requests answer 503 with `Retry-After` and `/readyz` says not ready;
//! when it is back, the pool reconnects by itself, events are numbered
//! again, other nodes' changes are heard again, and nothing acknowledged
//! is lost. These run on PostgreSQL whatever the run's backend
//! (`scripts/test.sh` skips them in its second, PostgreSQL, pass).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::*;

/// A TCP proxy to the tests' PostgreSQL that can be cut and restored.
struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct ProxyState {
    up: bool,
    links: Vec<JoinHandle<()>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ProxyState { up: true, links: Vec::new() }));
        let shared = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !shared.lock().unwrap().up {
                    // Refused as a database that is down refuses: at once.
                    let _ = client.shutdown().await;
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                let mut s = shared.lock().unwrap();
                s.links.retain(|l| !l.is_finished());
                s.links.push(link);
            }
        });
        Proxy { addr, state, accept }
    }

    /// The database goes away: every open connection is dropped and new
    /// ones are closed as soon as they are made.
    fn cut(&self) {
        let mut s = self.state.lock().unwrap();
        s.up = false;
        for link in s.links.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.state.lock().unwrap().up = true;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// `database` (a `postgres://…@host:port/…` test URL) through `proxy`.
fn through(database: &str, proxy: SocketAddr) -> String {
    let rest = database.split_once("://").map(|(_, r)| r).expect("a URL");
    let (auth, rest) = rest.split_once('@').map_or(("", rest), |(a, r)| (a, r));
    let path = &rest[rest.find('/').expect("a database in the URL")..];
    let at = if auth.is_empty() { String::new() } else { format!("{auth}@") };
    format!("postgres://{at}{proxy}{path}")
}

/// The tests' PostgreSQL server address.
async fn upstream() -> SocketAddr {
    let url = postgres_url();
    let rest = url.split_once("://").unwrap().1;
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    let host_port = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    tokio::net::lookup_host(host_port).await.unwrap().next().unwrap()
}

fn user(name: &str) -> serde_json::Value {
    json!({"schemas": [USER_SCHEMA], "userName": name})
}

// Multi-threaded: the proxy runs while the test blocks starting scimd.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_requests_get_503_and_afterwards_nothing_acknowledged_is_missing() {
    let mut app = TestServer::spawn_postgres().await;
    let proxy = Proxy::start(upstream().await).await;
    // The same database, through the proxy.
    app.server.take().unwrap().stop();
    let server = ServerProcess::start_with(&through(&app.database, proxy.addr), app.dir.path(), &[], TEST_ENV);
    app.base = format!("http://{}", server.addr);
    app.server = Some(server);

    let mut acknowledged = Vec::new();
    for i in 0..5 {
        acknowledged.push(app.create_user(&format!("before{i}")).await["id"].as_str().unwrap().to_owned());
    }
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    proxy.cut();
    // Reads, writes and readiness all say "come back later", and quickly
    // (the pool does not wait out its timeout on a refused connection).
    let started = Instant::now();
    let got = app.get(&format!("/Users/{}", acknowledged[0])).await;
    assert_scim_error(&got, 503, None);
    assert!(got.header("retry-after").is_some(), "503 without Retry-After: {:?}", got.headers);
    let refused = app.post("/Users", &user("during")).await;
    assert_scim_error(&refused, 503, None);
    assert!(refused.header("retry-after").is_some(), "503 without Retry-After: {:?}", refused.headers);
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(12), "the refusals took {:?}", started.elapsed());
    // The server itself stays up.
    let health = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);

    // Writers keep trying during the outage and after it: every write
    // that was answered 201 must be there at the end.
    let writer = {
        let (http, url, token) = (app.http.clone(), app.url("/Users"), app.tenant.token.clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..60 {
                let rb = http.request(Method::POST, &url).bearer_auth(&token);
                let r = send(with_json(rb, &user(&format!("racing{i}")))).await;
                match r.status.as_u16() {
                    201 => ids.push(r.body["id"].as_str().unwrap().to_owned()),
                    503 => {}
                    other => panic!("a write during the outage answered {other}: {}", r.text),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ids
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.restore();

    // The pool reconnects by itself.
    let restored = Instant::now();
    eventually(Duration::from_secs(15), "requests succeed again", || async {
        (app.get(&format!("/Users/{}", acknowledged[0])).await.status.as_u16() == 200).then_some(())
    })
    .await;
    eprintln!("requests succeeded again {:?} after the database came back", restored.elapsed());
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    acknowledged.extend(writer.await.unwrap());
    let after = app.create_user("after").await["id"].as_str().unwrap().to_owned();
    acknowledged.push(after.clone());

    for id in &acknowledged {
        app.get(&format!("/Users/{id}")).await.expect(200);
    }
    let listed = app.get("/Users?count=0").await.expect(200);
    assert_eq!(listed.total(), acknowledged.len() as u64, "exactly the acknowledged users exist");

    // Events are numbered again: the last write's event is in the feed,
    // and the sequence has no gap.
    eventually(Duration::from_secs(10), "the last write's event is numbered", || async {
        app.events(0).iter().any(|e| e["data"]["resource"]["id"] == after.as_str()).then_some(())
    })
    .await;
    let seqs: Vec<i64> = app.events(0).iter().map(|e| e["sequence"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "gapless after the outage");
    assert_eq!(seqs.len(), acknowledged.len(), "one event per acknowledged create");

    // Changes made elsewhere are heard again (the LISTEN connection came
    // back): a token revoked by another process is refused within seconds.
    let token = app.cli_json(&["token", "create", "--tenant", "acme", "--name", "second"]);
    let secret = token_of(&token);
    let id = token["id"].as_str().unwrap().to_owned();
    let with_token = || {
        let rb = app.http.request(Method::GET, app.url("/Users?count=0")).bearer_auth(&secret);
        send(rb)
    };
    assert_eq!(with_token().await.status.as_u16(), 200);
    app.cli(&["token", "revoke", "--tenant", "acme", &id]);
    eventually(Duration::from_secs(3), "a token revoked elsewhere is refused", || async {
        (with_token().await.status.as_u16() == 401).then_some(())
    })
    .await;
}
