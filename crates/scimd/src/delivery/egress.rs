//! Where webhook calls may go (issue 12, SSRF protection): not to
//! loopback, private, link-local, shared (CGNAT), documentation,
//! multicast or reserved addresses — a webhook URL must not become a way
//! into the operator's network — unless the operator allows them
//! (`--allow-private-webhooks`). The check runs on every connection, in
//! the HTTP client's resolver (a name may resolve elsewhere tomorrow), and
//! at every call on IP-literal URLs, which the resolver never sees. No redirect is
//! followed. With an egress proxy the proxy resolves names and must
//! enforce the policy itself; IP literals are still checked here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

/// Why a URL or an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error("only http and https URLs are allowed")]
    Scheme,
    #[error("a URL with a user name or password is not allowed (send an authorization header instead)")]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    #[error("{0} is a loopback, private, link-local or reserved address (allow them with --allow-private-webhooks)")]
    Forbidden(IpAddr),
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", 0.0.0.0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224 // multicast, reserved, broadcast
}

fn v6_forbidden(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = embedded_v4(ip) {
        return v4_forbidden(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to hidden hosts
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard-only
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped, IPv4-compatible,
/// NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || (s[5] == 0 && !(s[6] == 0 && s[7] <= 1))) {
        return Some(tail());
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    None
}

/// Whether a call to `ip` is refused (without `--allow-private-webhooks`).
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => v6_forbidden(v6),
    }
}

/// Checks a webhook URL: http(s), no credentials, a host, and an IP
/// literal only where calls may go.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), EgressError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EgressError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EgressError::Credentials);
    }
    let ip = match url.host() {
        None => return Err(EgressError::NoHost),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if !allow_private && is_forbidden(ip) {
        return Err(EgressError::Forbidden(ip));
    }
    Ok(())
}

/// The client's resolver: the system's, keeping only the addresses calls
/// may go to.
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all.iter().copied().filter(|a| !is_forbidden(a.ip())).collect();
            match (allowed.is_empty(), all.first()) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => Err(Box::new(EgressError::Forbidden(first.ip())) as _),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

/// The way out for webhook calls: an HTTP client with no redirects,
/// `timeout` for the whole exchange, the guarded resolver unless private
/// addresses are allowed, and the egress proxy if one is set.
pub struct Egress {
    client: reqwest::Client,
    allow_private: bool,
}

impl Egress {
    pub fn new(allow_private: bool, proxy: Option<&Url>, timeout: Duration) -> anyhow::Result<Self> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("scimd-webhooks/", env!("CARGO_PKG_VERSION")));
        b = match proxy {
            Some(p) => b.proxy(reqwest::Proxy::all(p.as_str())?),
            // Not the environment's HTTP_PROXY: egress goes where configured.
            None => b.no_proxy(),
        };
        if !allow_private {
            b = b.dns_resolver(Arc::new(GuardedResolver));
        }
        Ok(Self { client: b.build()?, allow_private })
    }

    /// A POST to `url`, checked first: a stored URL was checked when it was
    /// registered, but under the policy of that day (the operator may have
    /// allowed private addresses then and not now).
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, EgressError> {
        let parsed = Url::parse(url).map_err(|_| EgressError::NoHost)?;
        check_url(&parsed, self.allow_private)?;
        Ok(self.client.post(parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_refused() {
        for bad in [
            "0.0.0.0",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
            "2001::1",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for good in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_forbidden(good.parse().unwrap()), "{good}");
        }
    }

    #[test]
    fn urls_are_checked() {
        let check = |u: &str, allow| check_url(&Url::parse(u).unwrap(), allow);
        assert_eq!(check("https://hooks.example.com/x", false), Ok(()));
        assert_eq!(check("ftp://hooks.example.com/x", false), Err(EgressError::Scheme));
        assert_eq!(check("https://u:p@hooks.example.com/", false), Err(EgressError::Credentials));
        assert!(matches!(check("http://127.0.0.1:8080/", false), Err(EgressError::Forbidden(_))));
        assert!(matches!(check("http://[::1]/", false), Err(EgressError::Forbidden(_))));
        assert!(matches!(check("http://169.254.169.254/latest/meta-data", false), Err(EgressError::Forbidden(_))));
        assert_eq!(check("http://127.0.0.1:8080/", true), Ok(()));
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused_on_connection() {
        let egress = Egress::new(false, None, Duration::from_secs(5)).unwrap();
        let e = egress.post("http://localhost:9/").unwrap().send().await.unwrap_err();
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&s.to_string());
            source = s.source();
        }
        assert!(text.contains("loopback, private"), "{text}");
    }

    #[test]
    fn ip_literals_are_checked_at_every_call() {
        let egress = Egress::new(false, None, Duration::from_secs(5)).unwrap();
        assert!(matches!(egress.post("http://127.0.0.1:9/"), Err(EgressError::Forbidden(_))));
        assert!(matches!(egress.post("http://2130706433/"), Err(EgressError::Forbidden(_))), "numeric forms too");
        assert!(matches!(egress.post("http://[::ffff:7f00:1]/"), Err(EgressError::Forbidden(_))));
        assert!(egress.post("https://hooks.example.com/").is_ok());
        let open = Egress::new(true, None, Duration::from_secs(5)).unwrap();
        assert!(open.post("http://127.0.0.1:9/").is_ok());
    }
}
