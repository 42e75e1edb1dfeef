//! Who a request came from. Directly, the connection's peer. Behind a
//! reverse proxy every connection comes from the proxy, so the per-source
//! rate limit would throttle all clients as one and the audit log would
//! name the proxy: when the peer is one of the `trusted_proxies`, the
//! client is the last address of `X-Forwarded-For` that is not itself a
//! trusted proxy (what nginx's `real_ip_recursive` does). Addresses a
//! client wrote into the header itself are never believed: only hops
//! added by trusted proxies are skipped.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;

/// The client of a request: its address, and its port when it is the
/// connection's own peer (a forwarded address has none worth keeping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

impl fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => SocketAddr::new(self.ip, port).fmt(f),
            None => self.ip.fmt(f),
        }
    }
}

/// Forwarded hops examined at most: a header longer than any real chain of
/// proxies costs no more than this.
const MAX_HOPS: usize = 16;

/// One trusted address or range (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    net: IpAddr,
    prefix: u8,
}

impl Range {
    fn parse(s: &str) -> Result<Range, String> {
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let net: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an IP address or CIDR range"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("bad prefix length in {s:?}"))?
            }
        };
        Ok(Range { net, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let bits = |ip: IpAddr| -> u128 {
            match ip {
                IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
                IpAddr::V6(v6) => u128::from(v6),
            }
        };
        if ip.is_ipv4() != self.net.is_ipv4() {
            return false;
        }
        let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(self.prefix)) };
        // IPv4 prefixes count from the top of the shifted 32 bits.
        bits(ip) & mask == bits(self.net) & mask
    }
}

/// The `trusted_proxies` setting: addresses and CIDR ranges of the reverse
/// proxies in front of scimd. Empty (the default): no header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Range>);

impl TrustedProxies {
    /// Parses a comma-separated list (`"127.0.0.1, 10.0.0.0/8"`).
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Range::parse)
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|r| r.contains(ip))
    }

    /// The client of a request from `peer` carrying `forwarded_for` (the
    /// `X-Forwarded-For` values in order).
    pub fn client<'a>(&self, peer: SocketAddr, forwarded_for: impl Iterator<Item = &'a str>) -> ClientAddr {
        let direct = ClientAddr { ip: peer.ip(), port: Some(peer.port()) };
        if !self.trusts(peer.ip()) {
            return direct;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
        let mut client = direct;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            // Garbage in the chain: stop at the last address we could trust.
            let Some(ip) = parse_hop(hop) else { break };
            client = ClientAddr { ip, port: None };
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`1.2.3.4:5678`, `[::1]:80`), as some proxies write them.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Middleware: puts the request's [`ClientAddr`] in its extensions.
pub async fn resolve(trusted: Arc<TrustedProxies>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let values = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let client = trusted.client(peer, values);
        req.extensions_mut().insert(client);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_parse_and_match() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8,fd00::/8").unwrap();
        assert!(t.trusts("10.200.3.4".parse().unwrap()));
        assert!(!t.trusts("11.0.0.1".parse().unwrap()));
        assert!(t.trusts("127.0.0.1".parse().unwrap()) && !t.trusts("127.0.0.2".parse().unwrap()));
        assert!(t.trusts("::ffff:10.1.1.1".parse().unwrap()), "IPv4-mapped");
        assert!(t.trusts("fd12::1".parse().unwrap()) && !t.trusts("fe80::1".parse().unwrap()));
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().trusts("8.8.8.8".parse().unwrap()));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert_eq!(TrustedProxies::parse(" ").unwrap(), TrustedProxies::default());
    }

    #[test]
    fn only_hops_added_by_trusted_proxies_are_skipped() {
        let none = TrustedProxies::default();
        let direct = none.client(peer("203.0.113.9:4000"), ["198.51.100.1"].into_iter());
        assert_eq!(direct.to_string(), "203.0.113.9:4000", "no trusted proxy: the header is ignored");

        let t = TrustedProxies::parse("127.0.0.1,10.0.0.0/8").unwrap();
        let one = t.client(peer("127.0.0.1:5000"), ["198.51.100.7"].into_iter());
        assert_eq!(one.to_string(), "198.51.100.7");
        // A client that writes its own header cannot hide behind it: the
        // proxy appended the real address last.
        let spoofed = t.client(peer("127.0.0.1:5000"), ["1.1.1.1, 198.51.100.7"].into_iter());
        assert_eq!(spoofed.ip.to_string(), "198.51.100.7");
        // Two proxies (a load balancer, then nginx), over two header lines.
        let chain = t.client(peer("127.0.0.1:5000"), ["198.51.100.7, 10.0.0.5", "10.0.0.6"].into_iter());
        assert_eq!(chain.ip.to_string(), "198.51.100.7");
        // Garbage stops the walk at the last trusted hop.
        let garbage = t.client(peer("127.0.0.1:5000"), ["198.51.100.7, nonsense, 10.0.0.5"].into_iter());
        assert_eq!(garbage.ip.to_string(), "10.0.0.5");
        // No header from a trusted peer: the peer itself.
        assert_eq!(t.client(peer("127.0.0.1:5000"), std::iter::empty()).to_string(), "127.0.0.1:5000");
        // Ports written by some proxies.
        let ported = t.client(peer("127.0.0.1:5000"), ["[2001:db8::1]:443"].into_iter());
        assert_eq!(ported.ip.to_string(), "2001:db8::1");
        // A header of thousands of trusted hops costs MAX_HOPS.
        let long = vec!["10.0.0.1"; 5000].join(",");
        assert_eq!(t.client(peer("127.0.0.1:1"), [long.as_str()].into_iter()).ip.to_string(), "10.0.0.1");
    }
}
