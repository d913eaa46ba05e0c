//! The private-address guard: the fetcher refuses targets that resolve to
//! loopback, private, link-local, metadata or otherwise internal addresses
//! unless the sites file allow-lists them — checked on every connection
//! (after DNS resolution, so a public name pointing inward is refused too)
//! and on every redirect hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// Decides which addresses the fetcher may connect to.
#[derive(Debug, Clone, Default)]
pub struct AddressGuard {
    allow: Vec<IpNet>,
}

impl AddressGuard {
    pub fn new(allow: Vec<IpNet>) -> Self {
        AddressGuard { allow }
    }

    /// `Err(reason)` when `ip` is internal and not allow-listed.
    pub fn check(&self, ip: IpAddr) -> Result<(), &'static str> {
        let ip = canonical_ip(ip);
        match internal_reason(ip) {
            Some(reason) if !self.allow.iter().any(|net| net.contains(&ip)) => Err(reason),
            _ => Ok(()),
        }
    }
}

/// IPv4-mapped and -compatible IPv6 addresses are judged as the IPv4 they carry.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Why an address is internal, or `None` for a public one.
pub fn internal_reason(ip: IpAddr) -> Option<&'static str> {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("cloud metadata address")
    } else if ip.is_loopback() {
        Some("loopback address")
    } else if ip.is_private() {
        Some("private address")
    } else if ip.is_link_local() {
        Some("link-local address")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified address")
    } else if ip.is_broadcast() || ip.is_multicast() || o[0] >= 240 {
        Some("broadcast, multicast or reserved address")
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        Some("shared (carrier-grade NAT) address")
    } else if o[0] == 198 && (o[1] == 18 || o[1] == 19) {
        Some("benchmarking address")
    } else if (o[0], o[1], o[2]) == (192, 0, 0) {
        Some("IETF protocol assignment")
    } else {
        None
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip == "fd00:ec2::254".parse::<Ipv6Addr>().expect("valid literal") {
        Some("cloud metadata address")
    } else if ip.is_loopback() {
        Some("loopback address")
    } else if ip.is_unspecified() {
        Some("unspecified address")
    } else if ip.is_multicast() {
        Some("multicast address")
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Some("unique local (private) address")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("link-local address")
    } else if seg[0] == 0x64 && seg[1] == 0xff9b {
        // NAT64 can wrap an internal IPv4 address.
        let v4 = Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8);
        v4_reason(v4)
    } else {
        None
    }
}

/// A DNS resolver that drops internal addresses the guard refuses; when none
/// is left the connection fails with the reason.
#[derive(Clone)]
pub struct GuardedResolver {
    guard: Arc<AddressGuard>,
}

impl GuardedResolver {
    pub fn new(guard: Arc<AddressGuard>) -> Self {
        GuardedResolver { guard }
    }
}

/// A target refused by the guard (as an error in reqwest's source chain).
#[derive(Debug, thiserror::Error)]
#[error("refused {host}: it resolves to a {reason} (allow it with [fetch] allow_private_networks)")]
pub struct RefusedTarget {
    pub host: String,
    pub reason: &'static str,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match guard.check(a.ip()) {
                    Ok(()) => true,
                    Err(reason) => {
                        refused = Some(reason);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                let reason = refused.unwrap_or("unresolvable address");
                return Err(Box::new(RefusedTarget { host, reason }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(guard: &AddressGuard, ip: &str) -> Result<(), &'static str> {
        guard.check(ip.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_refused_by_default() {
        let guard = AddressGuard::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd12:3456::1",
            "fd00:ec2::254",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(verdict(&guard, ip).is_err(), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        let guard = AddressGuard::default();
        for ip in [
            "1.1.1.1",
            "202.96.128.86",
            "172.32.0.1",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
        ] {
            assert_eq!(verdict(&guard, ip), Ok(()), "{ip}");
        }
    }

    #[test]
    fn allow_list_opens_only_what_it_names() {
        let guard = AddressGuard::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert_eq!(verdict(&guard, "127.0.0.1"), Ok(()));
        assert_eq!(verdict(&guard, "::ffff:127.0.0.2"), Ok(()));
        assert!(verdict(&guard, "10.0.0.1").is_err());
        assert!(verdict(&guard, "169.254.169.254").is_err());
        assert_eq!(verdict(&guard, "::1"), Err("loopback address"));
    }
}
