//! Configuration (DESIGN §8): defaults ⊕ TOML file ⊕ `SCIMD_*` environment
//! ⊕ command-line flags, later sources winning. Flags come from clap (which
//! also reads the documented `SCIMD_*` variables of each flag); figment
//! merges the layers.

use std::path::{Path, PathBuf};

use anyhow::bail;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use scim_core::bulk::BulkLimits;
use scim_store::Store;

use crate::client_addr::TrustedProxies;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Everything `scimd serve` and the CLI need.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: String,
    /// `sqlite://path`.
    pub database_url: String,
    /// Base URL clients reach the server at (`https://scim.example.com`);
    /// `http://<bound address>` when unset.
    pub public_url: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Largest page a list or search returns (`count` is capped to it;
    /// `filter.maxResults` in /ServiceProviderConfig).
    pub max_page_size: u64,
    /// Largest request body in bytes (413 beyond), except for `/Bulk`.
    pub max_body_bytes: usize,
    /// Most operations in one bulk request (RFC 7644 §3.7.4;
    /// `bulk.maxOperations`).
    pub bulk_max_operations: usize,
    /// Largest bulk request body in bytes (RFC 7644 §3.7.4;
    /// `bulk.maxPayloadSize`). It replaces `max_body_bytes` on `/Bulk`.
    pub bulk_max_payload_bytes: usize,
    /// A request that takes longer is answered 408.
    pub request_timeout_secs: u64,
    /// Seconds graceful shutdown waits for in-flight requests.
    pub shutdown_grace_secs: u64,
    /// Seconds a new connection has to send its first complete request
    /// head; a client that is slower (or sends nothing) is disconnected.
    pub header_read_timeout_secs: u64,
    /// Seconds an idle keep-alive connection is kept open (and the most a
    /// later request head on it may take).
    pub keep_alive_secs: u64,
    /// Connections served at once; more are closed as soon as they are
    /// accepted. Default: the process's open-file limit less a reserve for
    /// the database and logs.
    pub max_connections: Option<usize>,
    /// Requests a second each tenant may make (a token bucket), unless the
    /// tenant's settings say otherwise; 0 turns the limit off.
    pub rate_limit_per_tenant: u32,
    /// How many requests a tenant may make at once above its rate.
    pub rate_limit_tenant_burst: u32,
    /// Requests a second from one source address without a valid token
    /// (discovery, refused tokens); 0 turns the limit off.
    pub rate_limit_per_source: u32,
    /// How many such requests at once above that rate.
    pub rate_limit_source_burst: u32,
    /// Token requests a second per OAuth client at `/oauth2/token` (an
    /// access token lives an hour); 0 turns the limit off.
    pub rate_limit_per_client: u32,
    /// How many such requests at once above that rate.
    pub rate_limit_client_burst: u32,
    /// Seconds over which refusals without a valid token are counted into
    /// one audit entry per tenant, source and status.
    pub audit_refusal_window_secs: u64,
    /// Days audit entries are kept; older ones are deleted in the
    /// background (0 keeps them forever).
    pub audit_retention_days: u64,
    /// Days events are kept for the feed and replays (each tenant's newest
    /// is always kept); older ones are deleted in the background (0 keeps
    /// them forever).
    pub event_retention_days: u64,
    /// Resources one list may examine with the filter evaluator (filters
    /// no index serves); past it the list is `400 tooMany`.
    pub scan_budget: u64,
    /// PostgreSQL connections this node keeps at most (its requests wait up
    /// to 5 s for one, then answer 503). Nodes × this must stay below the
    /// server's `max_connections` (docs/deployment.md). Unused on SQLite.
    pub database_pool_size: usize,
    /// Values one multi-valued attribute (emails, phoneNumbers, …, not a
    /// group's members) may hold; more is `400 invalidValue`.
    pub max_multi_values: usize,
    /// Units of work one write may take (a PATCH: operations × the values
    /// each may examine); more is `400 invalidValue`.
    pub max_request_work: u64,
    /// Reverse proxies in front of scimd (comma-separated addresses and
    /// CIDR ranges): from them, the client address is taken from
    /// `X-Forwarded-For` (see `client_addr.rs`). Empty: nobody's header is
    /// believed.
    pub trusted_proxies: String,
    /// The key that seals the secrets scimd must read back (signing keys,
    /// HS256 secrets): 32 bytes as unpadded base64url. Better given as
    /// `SCIMD_SECRETS_KEY` than in a file others can read.
    pub secrets_key: Option<crate::sealing::SecretText>,
    /// A file holding that key. Default (without `secrets_key`): the
    /// database file's path plus `.key`, generated at first start,
    /// readable only by scimd's user.
    pub secrets_key_file: Option<PathBuf>,
    /// Whether tenants' `jwks_url` may be plain HTTP to this machine (a
    /// sidecar, tests); otherwise only HTTPS.
    pub jwks_allow_loopback_http: bool,
    /// The DNS server verified domains' TXT records are looked up at (an IP
    /// address, optionally with `:port`); unset: the system's resolver.
    pub dns_server: Option<String>,
    /// Whether webhook URLs may resolve to loopback, private or link-local
    /// addresses (checked on every connection); off, such endpoints are
    /// refused (SSRF protection).
    pub allow_private_webhooks: bool,
    /// An HTTP(S) proxy every webhook call goes through (it then resolves
    /// the names, and must enforce the egress policy itself).
    pub webhook_proxy: Option<String>,
    /// Seconds between the background re-checks of pending domains (each
    /// domain at most this often, at most 100 a round); 0 turns them off.
    pub domain_check_interval_secs: u64,
    /// Days after which a pending domain is no longer re-checked in the
    /// background (an explicit verify still works).
    pub domain_check_days: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://scimd.db".into(),
            public_url: None,
            tls_cert: None,
            tls_key: None,
            max_page_size: 1000,
            max_body_bytes: 1024 * 1024,
            bulk_max_operations: BulkLimits::default().max_operations,
            bulk_max_payload_bytes: BulkLimits::default().max_payload_bytes,
            request_timeout_secs: 30,
            shutdown_grace_secs: 30,
            header_read_timeout_secs: 10,
            keep_alive_secs: 75,
            max_connections: None,
            rate_limit_per_tenant: 2_000,
            rate_limit_tenant_burst: 4_000,
            rate_limit_per_source: 20,
            rate_limit_source_burst: 100,
            rate_limit_per_client: 5,
            rate_limit_client_burst: 20,
            audit_refusal_window_secs: 60,
            audit_retention_days: 400,
            event_retention_days: 90,
            scan_budget: scim_store::StoreOptions::default().scan_budget,
            database_pool_size: scim_store::StoreOptions::default().pool_size,
            max_multi_values: scim_core::schema::DEFAULT_MAX_VALUES,
            max_request_work: crate::ops::work::DEFAULT_MAX_WORK,
            trusted_proxies: String::new(),
            secrets_key: None,
            secrets_key_file: None,
            jwks_allow_loopback_http: false,
            dns_server: None,
            allow_private_webhooks: false,
            webhook_proxy: None,
            domain_check_interval_secs: 600,
            domain_check_days: 7,
        }
    }
}

/// The values given as flags (or their clap-read environment variables);
/// `None` leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_private_webhooks: Option<bool>,
}

impl Config {
    /// Loads the layers. `file` is `--config`/`SCIMD_CONFIG`; naming a file
    /// that does not exist is an error rather than a silent default.
    ///
    /// A key of the file scimd does not know stops the load, naming the
    /// nearest known key (a misspelt `databse_url` once started a new
    /// database quietly); an unknown `SCIMD_*` variable is a warning (a
    /// rolling upgrade may set one an older node does not know), except the
    /// tests' own `SCIMD_TEST_*`.
    pub fn load(file: Option<&Path>, flags: &Overrides) -> anyhow::Result<Config> {
        let known = known_keys();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                bail!("config file {} does not exist", path.display());
            }
            let keys: serde_json::Map<String, serde_json::Value> = Figment::from(Toml::file(path))
                .extract()
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), describe(e)))?;
            for key in keys.keys() {
                if !known.contains(key) {
                    let hint = nearest(key, &known).map_or_else(String::new, |k| format!(" (did you mean {k:?}?)"));
                    bail!("{}: unknown setting {key:?}{hint}", path.display());
                }
            }
            figment = figment.merge(Toml::file(path));
        }
        let env_keys: Vec<String> =
            std::env::vars().filter_map(|(name, _)| name.strip_prefix("SCIMD_").map(str::to_ascii_lowercase)).collect();
        for key in &env_keys {
            if !known.contains(key) && key != "config" && !key.starts_with("test_") {
                let hint = nearest(key, &known)
                    .map_or_else(String::new, |k| format!(" (did you mean SCIMD_{}?)", k.to_ascii_uppercase()));
                tracing::warn!("unknown environment variable SCIMD_{}{hint}: ignored", key.to_ascii_uppercase());
            }
        }
        let known_env: Vec<&str> = known.iter().map(String::as_str).collect();
        let config: Config = figment
            .merge(Env::prefixed("SCIMD_").only(&known_env))
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {}", describe(e)))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            bail!("--tls-cert and --tls-key must be given together");
        }
        if self.max_page_size == 0 {
            bail!("max_page_size must be at least 1");
        }
        let bulk = self.bulk_limits();
        if bulk.max_operations == 0 || bulk.max_payload_bytes == 0 {
            bail!("bulk_max_operations and bulk_max_payload_bytes must be at least 1");
        }
        if self.header_read_timeout_secs == 0 || self.keep_alive_secs == 0 || self.request_timeout_secs == 0 {
            bail!("header_read_timeout_secs, keep_alive_secs and request_timeout_secs must be at least 1");
        }
        if self.scan_budget == 0
            || self.max_multi_values == 0
            || self.max_request_work == 0
            || self.database_pool_size == 0
        {
            bail!("scan_budget, max_multi_values, max_request_work and database_pool_size must be at least 1");
        }
        if self.audit_refusal_window_secs == 0 {
            bail!("audit_refusal_window_secs must be at least 1");
        }
        if let Err(e) = TrustedProxies::parse(&self.trusted_proxies) {
            bail!("trusted_proxies: {e}");
        }
        if let Some(server) = &self.dns_server
            && let Err(e) = crate::ops::dns::parse_server(server)
        {
            bail!("dns_server: {e}");
        }
        if let Some(proxy) = &self.webhook_proxy
            && !url::Url::parse(proxy).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "socks5"))
        {
            bail!("webhook_proxy {proxy:?} must be an http://, https:// or socks5:// URL");
        }
        if self.max_connections == Some(0) {
            bail!("max_connections must be at least 1");
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("public URL {url:?} must start with http:// or https://");
        }
        Ok(())
    }

    /// The public base URL without a trailing slash: the configured one, or
    /// `scheme://<addr>` for the address actually bound.
    pub fn public_base(&self, bound: Option<std::net::SocketAddr>) -> String {
        match (&self.public_url, bound) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some(addr)) => format!("{}://{addr}", self.scheme()),
            (None, None) => format!("{}://{}", self.scheme(), self.listen),
        }
    }

    /// How long a Bulk request starts new operations: the request time
    /// limit less a sixth (at least a second) to answer in.
    pub fn bulk_time(&self) -> std::time::Duration {
        let t = self.request_timeout_secs;
        std::time::Duration::from_secs(t.saturating_sub((t / 6).max(1)).max(1))
    }

    /// [`Self::trusted_proxies`], parsed (checked at load).
    pub fn proxies(&self) -> TrustedProxies {
        TrustedProxies::parse(&self.trusted_proxies).unwrap_or_default()
    }

    /// The `/Bulk` limits, as the ServiceProviderConfig advertises them.
    pub fn bulk_limits(&self) -> BulkLimits {
        BulkLimits { max_operations: self.bulk_max_operations, max_payload_bytes: self.bulk_max_payload_bytes }
    }

    /// [`Self::max_connections`], or what the open-file limit leaves.
    pub fn connection_limit(&self) -> usize {
        self.max_connections.unwrap_or_else(|| connections_for(open_file_limit()))
    }

    /// Where verified domains' TXT records are looked up (checked at load).
    pub fn dns(&self) -> crate::ops::dns::Dns {
        crate::ops::dns::Dns { server: self.dns_server.as_deref().and_then(|s| crate::ops::dns::parse_server(s).ok()) }
    }

    /// How webhook calls go out (checked at load).
    pub fn webhook_policy(&self) -> crate::ops::webhooks::WebhookPolicy {
        crate::ops::webhooks::WebhookPolicy {
            allow_private: self.allow_private_webhooks,
            proxy: self.webhook_proxy.as_deref().and_then(|p| url::Url::parse(p).ok()),
        }
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() { "https" } else { "http" }
    }
}

/// The settings scimd knows: the keys of the configuration.
fn known_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The known key nearest to `key`, if one is near (a few edits).
fn nearest<'a>(key: &str, known: &'a [String]) -> Option<&'a String> {
    known.iter().map(|k| (edits(key, k), k)).filter(|(d, _)| *d <= 3).min_by_key(|(d, _)| *d).map(|(_, k)| k)
}

/// The Levenshtein distance between `a` and `b`.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A figment error as a sentence naming the setting (`max_page_size: …`,
/// without figment's `default.` profile prefix).
fn describe(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            if key.is_empty() { e.kind.to_string() } else { format!("{key}: {}", e.kind) }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// File descriptors kept out of the connection budget: the database and
/// its WAL files, read connections, logs, the listener, the CLI's files.
const RESERVED_FILES: usize = 64;

/// Connections that fit under an open-file limit: each holds one
/// descriptor; the reserve stays for the rest of the process.
fn connections_for(open_files: Option<usize>) -> usize {
    open_files.map_or(1024, |n| n.saturating_sub(RESERVED_FILES).max(16))
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None`
/// where it cannot be read or is unlimited.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Opens the store the configuration names.
/// Opens the configured store; `create`: whether a missing database is
/// created (the server, `scimd init`) or an error
/// ([`scim_store::StoreError::NoDatabase`], the other commands).
pub async fn open_store(config: &Config, create: bool) -> anyhow::Result<Arc<dyn Store>> {
    let options =
        scim_store::StoreOptions { scan_budget: config.scan_budget, create, pool_size: config.database_pool_size };
    scim_store::open_with(&config.database_url, options).await.map_err(|e| match e {
        scim_store::StoreError::NoDatabase(_) => e.into(),
        e => anyhow::anyhow!("cannot open the database {}: {e}", redact_url(&config.database_url)),
    })
}

/// A database URL without its password, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of this test's own: tests run in parallel in one process.
    fn test_dir(test: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("scimd-config-{}-{test}", std::process::id()))
    }

    #[test]
    fn unknown_keys_are_named_with_the_nearest_known_one() {
        let known = known_keys();
        assert!(known.contains(&"database_url".to_owned()) && known.contains(&"max_page_size".to_owned()));
        assert_eq!(nearest("databse_url", &known).map(String::as_str), Some("database_url"));
        assert_eq!(nearest("zzzzzzzzzzzz", &known), None);
        assert_eq!(edits("kitten", "sitting"), 3);
        let dir = test_dir("unknown-keys");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("scimd.toml");
        std::fs::write(&file, "databse_url = \"sqlite://x.db\"\n").unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("unknown setting \"databse_url\"") && err.contains("database_url"), "{err}");
        std::fs::write(&file, "max_page_size = \"many\"\n").unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("max_page_size") && !err.contains("default."), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bulk_requests_stop_starting_operations_before_the_request_time_limit() {
        let at = |secs| Config { request_timeout_secs: secs, ..Config::default() }.bulk_time().as_secs();
        assert_eq!(at(30), 25);
        assert_eq!(at(2), 1);
        assert_eq!(at(1), 1);
    }

    #[test]
    fn the_connection_budget_leaves_a_reserve_of_files() {
        assert_eq!(connections_for(Some(1024)), 960);
        assert_eq!(connections_for(Some(20)), 16);
        assert_eq!(connections_for(None), 1024);
        let c = Config { max_connections: Some(7), ..Config::default() };
        assert_eq!(c.connection_limit(), 7);
        // On this machine the limit is readable.
        assert!(open_file_limit().is_some_and(|n| n > 0));
    }

    #[test]
    fn the_dns_server_is_an_address() {
        let c =
            Config::load(None, &Overrides { dns_server: Some("127.0.0.1:5353".into()), ..Default::default() }).unwrap();
        assert_eq!(c.dns().server, Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(Config::default().dns().server, None);
        let err = Config::load(None, &Overrides { dns_server: Some("resolver".into()), ..Default::default() })
            .unwrap_err()
            .to_string();
        assert!(err.contains("dns_server"), "{err}");
    }

    #[test]
    fn database_urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite://scimd.db"), "sqlite://scimd.db");
    }

    #[test]
    fn defaults_then_flags() {
        let c = Config::load(None, &Overrides::default()).unwrap();
        assert_eq!(c.max_page_size, 1000);
        assert_eq!(c.bulk_limits(), BulkLimits { max_operations: 1000, max_payload_bytes: 1024 * 1024 });
        let c = Config::load(None, &Overrides { listen: Some("127.0.0.1:0".into()), ..Default::default() }).unwrap();
        assert_eq!(c.listen, "127.0.0.1:0");
        assert_eq!(c.public_base(Some("127.0.0.1:9999".parse().unwrap())), "http://127.0.0.1:9999");
    }

    #[test]
    fn file_is_overridden_by_flags() {
        let dir = test_dir("file-and-flags");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scimd.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nmax_page_size = 50\npublic_url = \"https://x.example/\"\nbulk_max_operations = 7\nbulk_max_payload_bytes = 4096\n",
        )
        .unwrap();
        let c = Config::load(Some(&path), &Overrides::default()).unwrap();
        assert_eq!((c.listen.as_str(), c.max_page_size), ("0.0.0.0:9000", 50));
        assert_eq!(c.bulk_limits(), BulkLimits { max_operations: 7, max_payload_bytes: 4096 });
        assert_eq!(c.public_base(None), "https://x.example");
        let c =
            Config::load(Some(&path), &Overrides { listen: Some("127.0.0.1:1".into()), ..Default::default() }).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert!(Config::load(Some(&dir.join("missing.toml")), &Overrides::default()).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
