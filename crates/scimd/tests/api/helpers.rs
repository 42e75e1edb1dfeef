//! The test harness: a real `scimd` process on an ephemeral port with a fresh
//! SQLite file, tenants and tokens made with the CLI, and small HTTP helpers
//! that speak `application/scim+json`.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

pub const SCIM_JSON: &str = "application/scim+json";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The full User of RFC 7643 §8.2 with the Enterprise User extension of §8.3
/// (`crates/scim-core/testdata/`, shared with scim-core's tests).
pub fn rfc7643_user() -> Value {
    serde_json::from_str(include_str!("../../../scim-core/testdata/rfc7643-8.2-user.json"))
        .expect("the RFC 7643 §8.2 fixture is JSON")
}

/// The RFC 7643 §8.2 User as a client sends it in a POST or PUT: without the
/// readOnly `id`, `meta` and `groups`.
pub fn rfc7643_user_body() -> Value {
    let mut u = rfc7643_user();
    let obj = u.as_object_mut().expect("the fixture is an object");
    for read_only in ["id", "meta", "groups"] {
        obj.shift_remove(read_only);
    }
    u
}

pub fn scimd_bin() -> &'static str {
    env!("CARGO_BIN_EXE_scimd")
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let path = std::env::temp_dir().join(format!(
            "scimd-test-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            nanos
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Ok(schema) = std::fs::read_to_string(self.0.join(PG_SCHEMA_FILE)) {
            let _ = Command::new("psql")
                .args([postgres_url().as_str(), "-qAtc", &format!("DROP SCHEMA IF EXISTS {} CASCADE", schema.trim())])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the HTTP tests run on PostgreSQL (`SCIMD_TEST_BACKEND=postgres`,
/// as `scripts/test.sh` runs them the second time) rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var("SCIMD_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The PostgreSQL server of the tests (`SCIMD_TEST_POSTGRES_URL`, else the
/// local one).
pub fn postgres_url() -> String {
    std::env::var("SCIMD_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The secrets key the tests give scimd on PostgreSQL (where there is no
/// file beside the database to keep one in).
pub const TEST_SECRETS_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// Where a test directory notes its PostgreSQL schema (dropped with it).
const PG_SCHEMA_FILE: &str = "pg_schema";

/// Runs `sql` with psql on `database` (a `postgres://` test URL with its
/// schema as search path); panics with psql's message on failure.
fn psql(database: &str, sql: &str) -> String {
    let (base, schema) = match database.split_once("options=-c%20search_path%3D") {
        Some((base, schema)) => (base.trim_end_matches(['?', '&']).to_owned(), Some(schema.to_owned())),
        None => (database.to_owned(), None),
    };
    let sql = match schema {
        Some(schema) => format!("SET search_path TO {schema}; {sql}"),
        None => sql.to_owned(),
    };
    let out = Command::new("psql")
        .args([base.as_str(), "-v", "ON_ERROR_STOP=1", "-qAtc", &sql])
        .output()
        .expect("psql (PostgreSQL's client) must be installed: scripts/postgres.sh installs it");
    assert!(out.status.success(), "psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `sql` directly on a test's database, either backend (what a test
/// does behind scimd's back: ageing rows, say).
pub fn run_sql(database: &str, sql: &str) {
    match database.strip_prefix("sqlite://") {
        Some(file) => {
            let db = rusqlite::Connection::open(file).unwrap();
            db.execute_batch(sql).unwrap();
        }
        None => {
            psql(database, sql);
        }
    }
}

/// Adds what scimd needs beside a database URL: on PostgreSQL, the
/// secrets key (unless the test sets its own).
fn backend_env(cmd: &mut Command, database: &str) {
    if database.starts_with("postgres") && std::env::var_os("SCIMD_SECRETS_KEY").is_none() {
        cmd.env("SCIMD_SECRETS_KEY", TEST_SECRETS_KEY);
    }
}

/// Runs a CLI command against `database`, asserts success, returns stdout.
pub fn cli(database: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(scimd_bin());
    cmd.args(args).arg("--database").arg(database).env("NO_COLOR", "1");
    backend_env(&mut cmd, database);
    let out = cmd.output().expect("run scimd CLI");
    assert!(
        out.status.success(),
        "scimd {args:?} failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a CLI command that must fail; returns its stderr.
#[track_caller]
pub fn cli_fails(database: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(scimd_bin());
    cmd.args(args).arg("--database").arg(database);
    backend_env(&mut cmd, database);
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "scimd {args:?} should have failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a CLI command with `--json` and parses its output.
pub fn cli_json(database: &str, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = cli(database, &args);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("scimd {args:?} printed no JSON ({e}): {out}"))
}

/// A plain TCP connection to `addr`, for what an HTTP client would not
/// send (half requests, raw bytes, paths as they are); reads time out after
/// a minute.
pub fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

/// Reads until the server closes the connection; what it sent.
pub fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A running `scimd serve`.
pub struct ServerProcess {
    child: Child,
    pub addr: String,
    /// Every stdout line up to and including the listening line.
    pub stdout_lines: Vec<String>,
    pub log_path: PathBuf,
}

impl ServerProcess {
    pub fn start(database: &str, dir: &Path, extra: &[&str]) -> ServerProcess {
        Self::start_with(database, dir, extra, &[])
    }

    /// [`Self::start`] with more environment (`RUST_LOG`, `SCIMD_*`).
    pub fn start_with(database: &str, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let log_path = unique_path(dir.join("scimd.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        // Any free port on loopback, unless the test listens elsewhere.
        let listen: &[&str] = if extra.contains(&"--listen") { &[] } else { &["--listen", "127.0.0.1:0"] };
        let mut cmd = Command::new(scimd_bin());
        backend_env(&mut cmd, database);
        let mut child = cmd
            .args(["serve", "--database", database])
            .args(listen)
            .args(extra)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn scimd serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        // Keep draining stdout for the life of the process: a closed pipe
        // would make the server's later prints fail.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Receiver gone: keep reading, discard.
                }
            }
        });
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let done = line.starts_with("scimd listening on ");
                    lines.push(line);
                    if done {
                        break;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "scimd serve did not print its listening line; stdout so far: {lines:?}\nlog:\n{}",
                        std::fs::read_to_string(&log_path).unwrap_or_default()
                    );
                }
            }
        }
        let url = lines.last().unwrap().trim_start_matches("scimd listening on ");
        let addr = url.split_once("://").map_or(url, |(_, a)| a).trim().to_string();
        ServerProcess { child, addr, stdout_lines: lines, log_path }
    }

    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's log (stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The process id (to send it signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `within` for the process to exit; its exit status.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the process is still alive (it must never die on a bad request).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn unique_path(p: PathBuf) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    p.with_file_name(format!("scimd-{n}.log"))
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("---- scimd log tail ({}) ----", self.addr);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
        self.kill();
    }
}

/// The HTTP answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, or `Value::Null` when empty or not JSON.
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn etag(&self) -> String {
        self.header("etag").unwrap_or_else(|| panic!("no ETag header: {self:?}")).to_string()
    }
    /// Asserts the status, printing the whole answer when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        self
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", self.text)).to_string()
    }
    pub fn resources(&self) -> Vec<Value> {
        self.body.get("Resources").and_then(Value::as_array).cloned().unwrap_or_default()
    }
    pub fn total(&self) -> u64 {
        self.body["totalResults"].as_u64().unwrap_or_else(|| panic!("no totalResults in {}", self.text))
    }
}

/// Asserts an RFC 7644 §3.12 error body with the status and the scimType.
#[track_caller]
pub fn assert_scim_error(resp: &Resp, status: u16, scim_type: Option<&str>) {
    assert_eq!(resp.status.as_u16(), status, "unexpected status; body: {}", resp.text);
    let body = &resp.body;
    assert!(
        body["schemas"].as_array().is_some_and(|s| s.iter().any(|v| v == ERROR_SCHEMA)),
        "error body lacks the Error schema: {}",
        resp.text
    );
    // §3.12: "status ... expressed as a JSON string".
    assert_eq!(body["status"], json!(status.to_string()), "error status must be a JSON string: {}", resp.text);
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], json!(t), "wrong scimType: {}", resp.text);
    }
    if let Some(detail) = body.get("detail") {
        assert!(detail.is_string(), "detail must be a string: {}", resp.text);
    }
}

pub struct Tenant {
    pub slug: String,
    pub token: String,
}

/// What [`TestServer`] runs with: no per-source rate limit (tests send
/// refused requests by the dozen; `limits.rs` tests the limit itself), and
/// refusals counted into the audit log every second rather than minute.
pub const TEST_ENV: &[(&str, &str)] = &[
    ("SCIMD_RATE_LIMIT_PER_SOURCE", "0"),
    ("SCIMD_AUDIT_REFUSAL_WINDOW_SECS", "1"),
    ("SCIMD_JWKS_ALLOW_LOOPBACK_HTTP", "true"),
    ("SCIMD_ALLOW_PRIVATE_WEBHOOKS", "true"),
];

/// One scimd with two tenants (`acme`, `other`) and a token for each.
pub struct TestServer {
    pub dir: TempDir,
    pub database: String,
    pub server: Option<ServerProcess>,
    pub base: String,
    pub tenant: Tenant,
    pub other: Tenant,
    pub http: reqwest::Client,
}

/// A fresh database for a test, on the backend the run is for: a SQLite
/// file in `dir`, or a new PostgreSQL schema noted in `dir` (dropped with
/// it).
pub fn database_url(dir: &Path) -> String {
    if on_postgres() { postgres_database_url(dir) } else { sqlite_database_url(dir) }
}

/// A fresh PostgreSQL schema for a test, noted in `dir` (dropped with it),
/// whatever the run's backend: for the tests of several nodes.
pub fn postgres_database_url(dir: &Path) -> String {
    if let Ok(schema) = std::fs::read_to_string(dir.join(PG_SCHEMA_FILE)) {
        let base = postgres_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        return format!("{base}{sep}options=-c%20search_path%3D{}", schema.trim());
    }
    let schema = format!(
        "scimd_http_{}",
        dir.file_name().unwrap().to_string_lossy().replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    psql(&postgres_url(), &format!("CREATE SCHEMA {schema}"));
    std::fs::write(dir.join(PG_SCHEMA_FILE), &schema).unwrap();
    let base = postgres_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// A SQLite database in `dir`, whatever the run's backend: for tests of
/// what only SQLite has (its file, its locks).
pub fn sqlite_database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("scimd.db").display())
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

impl TestServer {
    /// On the run's backend.
    pub async fn spawn() -> TestServer {
        let dir = TempDir::new();
        let database = database_url(dir.path());
        Self::spawn_on(dir, database).await
    }

    /// On SQLite whatever the run's backend (tests of its file and locks).
    pub async fn spawn_sqlite() -> TestServer {
        let dir = TempDir::new();
        let database = sqlite_database_url(dir.path());
        Self::spawn_on(dir, database).await
    }

    /// On PostgreSQL whatever the run's backend (several nodes).
    pub async fn spawn_postgres() -> TestServer {
        let dir = TempDir::new();
        let database = postgres_database_url(dir.path());
        Self::spawn_on(dir, database).await
    }

    async fn spawn_on(dir: TempDir, database: String) -> TestServer {
        // Blocking work in an async test is fine: nothing else runs yet.
        let (tenant, other, server) = {
            cli(&database, &["init"]);
            let a = cli_json(&database, &["tenant", "create", "acme", "--name", "Acme Corp"]);
            assert_eq!(a["slug"], "acme", "tenant create --json: {a}");
            let ta = cli_json(&database, &["token", "create", "--tenant", "acme", "--name", "tests"]);
            let b = cli_json(&database, &["tenant", "create", "other", "--name", "Other Inc"]);
            assert_eq!(b["slug"], "other", "tenant create --json: {b}");
            let tb = cli_json(&database, &["token", "create", "--tenant", "other", "--name", "tests"]);
            let server = ServerProcess::start_with(&database, dir.path(), &[], TEST_ENV);
            (
                Tenant { slug: "acme".into(), token: token_of(&ta) },
                Tenant { slug: "other".into(), token: token_of(&tb) },
                server,
            )
        };
        let base = format!("http://{}", server.addr);
        TestServer { dir, database, server: Some(server), base, tenant, other, http: http_client() }
    }

    /// Stops the server and starts it again on the same database (a new port).
    pub async fn restart(&mut self) -> Vec<String> {
        if let Some(s) = self.server.take() {
            s.stop();
        }
        let server = ServerProcess::start_with(&self.database, self.dir.path(), &[], TEST_ENV);
        let lines = server.stdout_lines.clone();
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
        lines
    }

    pub fn cli(&self, args: &[&str]) -> String {
        cli(&self.database, args)
    }
    pub fn cli_json(&self, args: &[&str]) -> Value {
        cli_json(&self.database, args)
    }

    /// The audit log of tenant `acme`, newest first (`scimd audit list`).
    pub fn audit(&self) -> Vec<Value> {
        let v = self.cli_json(&["audit", "list", "--tenant", &self.tenant.slug, "--limit", "1000"]);
        v.as_array().cloned().unwrap_or_else(|| panic!("audit list --json is not an array: {v}"))
    }

    /// The events of tenant `acme` after sequence number `after`, in order
    /// (`scimd events list`).
    pub fn events(&self, after: i64) -> Vec<Value> {
        let after = after.to_string();
        let v = self.cli_json(&["events", "list", "--tenant", &self.tenant.slug, "--after", &after, "--limit", "1000"]);
        v["events"].as_array().cloned().unwrap_or_else(|| panic!("events list --json has no events: {v}"))
    }

    /// The sequence number of the tenant's last event (0 for none).
    pub fn last_event(&self) -> i64 {
        self.events(0).last().map_or(0, |e| e["sequence"].as_i64().unwrap())
    }

    /// `http://addr/scim/v2/{tenant}{path}`
    pub fn url_for(&self, tenant: &str, path: &str) -> String {
        format!("{}/scim/v2/{}{}", self.base, tenant, path)
    }
    pub fn url(&self, path: &str) -> String {
        self.url_for(&self.tenant.slug, path)
    }

    /// A request on tenant `acme` with its token.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(&self.tenant.token).header("accept", SCIM_JSON)
    }

    pub async fn get(&self, path: &str) -> Resp {
        send(self.req(Method::GET, path)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        send(self.req(Method::DELETE, path)).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        send(with_json(self.req(Method::POST, path), body)).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        send(with_json(self.req(Method::PUT, path), body)).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        send(with_json(self.req(Method::PATCH, path), body)).await
    }
    /// PATCH with a PatchOp message made of `ops`.
    pub async fn patch_ops(&self, path: &str, ops: Value) -> Resp {
        self.patch(path, &json!({"schemas": [PATCH_SCHEMA], "Operations": ops})).await
    }

    /// Creates a user, asserting 201; returns the created representation.
    pub async fn create_user(&self, user_name: &str) -> Value {
        self.create_user_with(json!({"userName": user_name})).await
    }
    /// Creates a user from `attrs` (schemas added), asserting 201.
    pub async fn create_user_with(&self, mut attrs: Value) -> Value {
        if attrs.get("schemas").is_none() {
            let has_ext = attrs.get(ENTERPRISE_SCHEMA).is_some();
            let mut schemas = vec![json!(USER_SCHEMA)];
            if has_ext {
                schemas.push(json!(ENTERPRISE_SCHEMA));
            }
            attrs["schemas"] = Value::Array(schemas);
        }
        self.post("/Users", &attrs).await.expect(201).body
    }
    /// Creates a group with members (user or group ids), asserting 201.
    pub async fn create_group(&self, display_name: &str, members: &[&str]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        self.post("/Groups", &json!({"schemas": [GROUP_SCHEMA], "displayName": display_name, "members": members}))
            .await
            .expect(201)
            .body
    }

    /// GET a list with query parameters (URL-encoded here).
    pub async fn list(&self, path: &str, params: &[(&str, &str)]) -> Resp {
        send(self.req(Method::GET, path).query(params)).await
    }

    /// Asserts the server process is still alive and answering.
    pub async fn assert_alive(&mut self) {
        let running = self.server.as_mut().unwrap().is_running();
        assert!(running, "scimd exited");
        let r = self.http.get(format!("{}/healthz", self.base)).send().await.expect("healthz");
        assert!(r.status().is_success(), "healthz: {}", r.status());
    }
}

pub fn token_of(v: &Value) -> String {
    let t = v["token"].as_str().unwrap_or_else(|| panic!("token create --json has no token: {v}"));
    assert!(t.starts_with("scimd_"), "tokens look like scimd_…: {t}");
    t.to_string()
}

pub fn with_json(rb: RequestBuilder, body: &Value) -> RequestBuilder {
    rb.header("content-type", SCIM_JSON).body(serde_json::to_vec(body).unwrap())
}

pub async fn send(rb: RequestBuilder) -> Resp {
    let r = rb.send().await.expect("HTTP request failed");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp { status, headers, text, body }
}

/// The ids of a list's resources, in order.
pub fn ids(resp: &Resp) -> Vec<String> {
    resp.resources().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

/// The userNames of a list's resources, in order.
pub fn user_names(resp: &Resp) -> Vec<String> {
    resp.resources().iter().map(|r| r["userName"].as_str().unwrap_or("").to_string()).collect()
}

/// Sorted copy, for order-insensitive comparisons.
pub fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Member values of a group representation.
pub fn member_values(group: &Value) -> Vec<String> {
    let mut v: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|m| m["value"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Group values of a user's derived `groups`.
pub fn group_values(user: &Value) -> Vec<String> {
    let mut v: Vec<String> = user
        .get("groups")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|m| m["value"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Another process holding a lock on a SQLite database file (a long
/// transaction in the `sqlite3` shell, say), until released or dropped.
/// Through Python's `sqlite3` module: `python3` is there wherever CI runs
/// (the conformance run needs it), and the scimd tests stay free of any
/// database driver.
pub struct ExternalLock {
    child: Child,
}

impl ExternalLock {
    /// Takes the database's write lock (`BEGIN IMMEDIATE`): writes wait,
    /// reads go on.
    pub fn write_lock(database_url: &str) -> ExternalLock {
        Self::hold(database_url, &["BEGIN IMMEDIATE"])
    }

    /// Runs `statements` on its own connection to the file and holds what
    /// they took until [`Self::release`].
    pub fn hold(database_url: &str, statements: &[&str]) -> ExternalLock {
        const SCRIPT: &str = "import sqlite3, sys\n\
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)\n\
            for s in sys.argv[2:]:\n    c.execute(s).fetchall()\n\
            print('held', flush=True)\n\
            sys.stdin.read()\n";
        let file = database_url.trim_start_matches("sqlite://");
        let mut child = Command::new("python3")
            .args(["-c", SCRIPT, file])
            .args(statements)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 is needed for the lock tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "held", "the lock holder failed to take its lock");
        ExternalLock { child }
    }

    /// Ends the other process (its transaction rolls back) and waits for it.
    pub fn release(mut self) {
        self.end();
    }

    fn end(&mut self) {
        // Closing its stdin ends the script; its connection rolls back.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Drop for ExternalLock {
    fn drop(&mut self) {
        self.end();
    }
}

/// Polls `check` every 100 ms until it returns `Some`, for at most `within`
/// (for what happens in the background: an audit entry written after the
/// answer, a revocation seen by a running server).
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the futures concurrently on this task (no extra dependency).
pub async fn join_all<F: std::future::Future<Output = Resp>>(futures: impl Iterator<Item = F>) -> Vec<Resp> {
    let futures: Vec<F> = futures.collect();
    let n = futures.len();
    let mut out: Vec<Option<Resp>> = (0..n).map(|_| None).collect();
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => out[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    out.into_iter().map(Option::unwrap).collect()
}
