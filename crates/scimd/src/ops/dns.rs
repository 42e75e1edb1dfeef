//! DNS TXT look-ups for verified domains (issue 11 item 5), through
//! hickory-resolver: the system's resolver (`/etc/resolv.conf`), or the one
//! server `--dns-server` names (split-horizon set-ups, tests). A resolver
//! is made for each look-up: verification is rare, and a fresh one holds
//! no cached "no such record" from before the operator published it.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// How long one query waits for an answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where TXT records are looked up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dns {
    /// One DNS server (UDP, then TCP), or the system's resolver.
    pub server: Option<SocketAddr>,
}

/// What a TXT look-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The records' values (each record's strings joined, RFC 7208 §3.3).
    Values(Vec<String>),
    /// No TXT record at that name (NXDOMAIN or an empty answer).
    NoRecord,
    /// The look-up failed (timeout, SERVFAIL, no resolver), in words.
    Failed(String),
}

impl Dns {
    /// The TXT records at `name`.
    pub async fn txt(&self, name: &str) -> TxtAnswer {
        let resolver = match self.resolver() {
            Ok(r) => r,
            Err(e) => return TxtAnswer::Failed(format!("no DNS resolver: {e}")),
        };
        // Fully qualified: no search domains appended.
        match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => {
                let values: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::TXT(txt) => {
                            Some(txt.txt_data.iter().map(|s| String::from_utf8_lossy(s)).collect::<String>())
                        }
                        _ => None,
                    })
                    .collect();
                if values.is_empty() { TxtAnswer::NoRecord } else { TxtAnswer::Values(values) }
            }
            Err(e) if e.is_no_records_found() => TxtAnswer::NoRecord,
            Err(e) => TxtAnswer::Failed(e.to_string()),
        }
    }

    fn resolver(&self) -> Result<TokioResolver, String> {
        let mut builder = match self.server {
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => TokioResolver::builder_tokio().map_err(|e| e.to_string())?,
        };
        let options = builder.options_mut();
        options.timeout = TIMEOUT;
        options.attempts = 2;
        builder.build().map_err(|e| e.to_string())
    }
}

/// `host:port` or an IP address (port 53) as a DNS server's address.
pub fn parse_server(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = s.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    Err(format!("{s:?} is not a DNS server address: give an IP address, optionally with :port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        assert_eq!(parse_server("127.0.0.1:5353").unwrap(), "127.0.0.1:5353".parse().unwrap());
        assert_eq!(parse_server("10.0.0.2").unwrap(), "10.0.0.2:53".parse().unwrap());
        assert_eq!(parse_server("[::1]:53").unwrap(), "[::1]:53".parse().unwrap());
        assert_eq!(parse_server("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_server("dns.example.com:53").is_err());
    }
}
