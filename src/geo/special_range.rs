//! Address ranges that geolocation must not be asked about: private, loopback, documentation…
//!
//! Source: IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890), with the RFC of
//! each range beside it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A special-purpose range; a far end in one of these has no country or operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialRange {
    /// 0.0.0.0, :: (RFC 1122, RFC 4291).
    Unspecified,
    /// 0.0.0.0/8 "this network" (RFC 791).
    ThisNetwork,
    /// 10/8, 172.16/12, 192.168/16 (RFC 1918).
    Private,
    /// 100.64/10 carrier-grade NAT shared space (RFC 6598).
    SharedCgnat,
    /// 127/8, ::1 (RFC 1122, RFC 4291).
    Loopback,
    /// 169.254/16, fe80::/10 (RFC 3927, RFC 4291).
    LinkLocal,
    /// 192.0.0/24 IETF protocol assignments (RFC 6890).
    IetfProtocol,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20 (RFC 5737, 3849, 9637).
    Documentation,
    /// 198.18/15, 2001:2::/48 (RFC 2544, RFC 5180).
    Benchmarking,
    /// 192.88.99/24 6to4 relay anycast (RFC 3068, deprecated by RFC 7526).
    SixToFourRelay,
    /// 2002::/16 6to4 (RFC 3056).
    SixToFour,
    /// 2001::/32 Teredo (RFC 4380).
    Teredo,
    /// 64:ff9b::/96 NAT64 well-known prefix (RFC 6052); the IPv4 inside is looked up.
    Nat64,
    /// 100::/64 discard-only (RFC 6666).
    DiscardOnly,
    /// 224/4, ff00::/8 (RFC 5771, RFC 4291).
    Multicast,
    /// 240/4 reserved for future use (RFC 1112).
    Reserved,
    /// 255.255.255.255 limited broadcast (RFC 919).
    Broadcast,
    /// fc00::/7 unique local (RFC 4193).
    UniqueLocal,
    /// fec0::/10 site-local, deprecated by RFC 3879 but still configured
    /// on old equipment (RFC 3513).
    SiteLocal,
}

impl SpecialRange {
    /// Classifies an address; `None` for an ordinary global unicast address.
    /// IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as its IPv4 address.
    pub fn of(ip: IpAddr) -> Option<SpecialRange> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self::of_v4(v4),
            IpAddr::V6(v6) => Self::of_v6(v6),
        }
    }

    fn of_v4(ip: Ipv4Addr) -> Option<SpecialRange> {
        let [a, b, c, _] = ip.octets();
        Some(match (a, b, c) {
            _ if ip.is_unspecified() => SpecialRange::Unspecified,
            _ if ip.is_broadcast() => SpecialRange::Broadcast,
            (0, _, _) => SpecialRange::ThisNetwork,
            (10, _, _) | (192, 168, _) => SpecialRange::Private,
            (172, 16..=31, _) => SpecialRange::Private,
            (100, 64..=127, _) => SpecialRange::SharedCgnat,
            (127, _, _) => SpecialRange::Loopback,
            (169, 254, _) => SpecialRange::LinkLocal,
            (192, 0, 0) => SpecialRange::IetfProtocol,
            (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => SpecialRange::Documentation,
            (192, 88, 99) => SpecialRange::SixToFourRelay,
            (198, 18..=19, _) => SpecialRange::Benchmarking,
            (224..=239, _, _) => SpecialRange::Multicast,
            (240..=255, _, _) => SpecialRange::Reserved,
            _ => return None,
        })
    }

    fn of_v6(ip: Ipv6Addr) -> Option<SpecialRange> {
        let s = ip.segments();
        let [s0, s1, s2, s3, s4, s5, _, _] = s;
        Some(match (s0, s1) {
            _ if ip.is_unspecified() => SpecialRange::Unspecified,
            _ if ip.is_loopback() => SpecialRange::Loopback,
            (0x64, 0xff9b) if s2 == 0 && s3 == 0 && s4 == 0 && s5 == 0 => SpecialRange::Nat64,
            (0x100, 0) if s2 == 0 && s3 == 0 => SpecialRange::DiscardOnly,
            (0x2001, 0) => SpecialRange::Teredo,
            (0x2001, 2) if s2 == 0 => SpecialRange::Benchmarking,
            (0x2001, 0xdb8) => SpecialRange::Documentation,
            (0x3fff, 0..=0x0fff) => SpecialRange::Documentation,
            (0x2002, _) => SpecialRange::SixToFour,
            (0xfc00..=0xfdff, _) => SpecialRange::UniqueLocal,
            (0xfe80..=0xfebf, _) => SpecialRange::LinkLocal,
            (0xfec0..=0xfeff, _) => SpecialRange::SiteLocal,
            (0xff00..=0xffff, _) => SpecialRange::Multicast,
            _ => return None,
        })
    }

    /// Stable machine id, used in JSON output.
    pub fn id(self) -> &'static str {
        match self {
            SpecialRange::Unspecified => "unspecified",
            SpecialRange::ThisNetwork => "this-network",
            SpecialRange::Private => "private",
            SpecialRange::SharedCgnat => "cgnat",
            SpecialRange::Loopback => "loopback",
            SpecialRange::LinkLocal => "link-local",
            SpecialRange::IetfProtocol => "ietf-protocol",
            SpecialRange::Documentation => "documentation",
            SpecialRange::Benchmarking => "benchmarking",
            SpecialRange::SixToFourRelay => "6to4-relay",
            SpecialRange::SixToFour => "6to4",
            SpecialRange::Teredo => "teredo",
            SpecialRange::Nat64 => "nat64",
            SpecialRange::DiscardOnly => "discard-only",
            SpecialRange::Multicast => "multicast",
            SpecialRange::Reserved => "reserved",
            SpecialRange::Broadcast => "broadcast",
            SpecialRange::UniqueLocal => "unique-local",
            SpecialRange::SiteLocal => "site-local",
        }
    }

    /// Human name with its RFC, for tables and summaries.
    pub fn name(self) -> &'static str {
        match self {
            SpecialRange::Unspecified => "unspecified address",
            SpecialRange::ThisNetwork => "\"this network\" (RFC 791)",
            SpecialRange::Private => "private network (RFC 1918)",
            SpecialRange::SharedCgnat => "carrier-grade NAT (RFC 6598)",
            SpecialRange::Loopback => "loopback",
            SpecialRange::LinkLocal => "link-local",
            SpecialRange::IetfProtocol => "IETF protocol assignment (RFC 6890)",
            SpecialRange::Documentation => "documentation range (RFC 5737/3849)",
            SpecialRange::Benchmarking => "benchmarking (RFC 2544/5180)",
            SpecialRange::SixToFourRelay => "6to4 relay anycast (RFC 3068)",
            SpecialRange::SixToFour => "6to4 (RFC 3056)",
            SpecialRange::Teredo => "Teredo (RFC 4380)",
            SpecialRange::Nat64 => "NAT64 (RFC 6052)",
            SpecialRange::DiscardOnly => "discard-only (RFC 6666)",
            SpecialRange::Multicast => "multicast",
            SpecialRange::Reserved => "reserved (RFC 1112)",
            SpecialRange::Broadcast => "broadcast",
            SpecialRange::UniqueLocal => "unique local (RFC 4193)",
            SpecialRange::SiteLocal => "IPv6 site-local (RFC 3513, deprecated)",
        }
    }

    /// For NAT64 the real far end is the IPv4 address in the last 32 bits; that one is looked up.
    pub fn embedded_ipv4(self, ip: IpAddr) -> Option<Ipv4Addr> {
        match (self, ip) {
            (SpecialRange::Nat64, IpAddr::V6(v6)) => {
                let [.., a, b, c, d] = v6.octets();
                Some(Ipv4Addr::new(a, b, c, d))
            }
            _ => None,
        }
    }
}

/// Serialised as its id ("private").
impl serde::Serialize for SpecialRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl std::fmt::Display for SpecialRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Option<SpecialRange> {
        SpecialRange::of(s.parse().unwrap())
    }

    #[test]
    fn ipv4_special_ranges() {
        assert_eq!(of("192.168.1.6"), Some(SpecialRange::Private));
        assert_eq!(of("10.1.2.3"), Some(SpecialRange::Private));
        assert_eq!(of("172.31.255.255"), Some(SpecialRange::Private));
        assert_eq!(of("172.32.0.1"), None);
        assert_eq!(of("100.64.0.1"), Some(SpecialRange::SharedCgnat));
        assert_eq!(of("100.128.0.1"), None);
        assert_eq!(of("127.0.0.1"), Some(SpecialRange::Loopback));
        assert_eq!(of("169.254.10.1"), Some(SpecialRange::LinkLocal));
        assert_eq!(of("192.0.2.7"), Some(SpecialRange::Documentation));
        assert_eq!(of("198.51.100.1"), Some(SpecialRange::Documentation));
        assert_eq!(of("203.0.113.9"), Some(SpecialRange::Documentation));
        assert_eq!(of("198.19.0.1"), Some(SpecialRange::Benchmarking));
        assert_eq!(of("224.0.0.251"), Some(SpecialRange::Multicast));
        assert_eq!(of("255.255.255.255"), Some(SpecialRange::Broadcast));
        assert_eq!(of("0.0.0.0"), Some(SpecialRange::Unspecified));
        assert_eq!(of("8.8.8.8"), None);
        assert_eq!(of("52.114.77.136"), None);
    }

    #[test]
    fn ipv6_special_ranges() {
        assert_eq!(of("::"), Some(SpecialRange::Unspecified));
        assert_eq!(of("::1"), Some(SpecialRange::Loopback));
        assert_eq!(of("fe80::1"), Some(SpecialRange::LinkLocal));
        assert_eq!(of("fd12:3456::1"), Some(SpecialRange::UniqueLocal));
        assert_eq!(of("fec0::216:d3ff:fe0d:22c"), Some(SpecialRange::SiteLocal));
        assert_eq!(of("ff00::1"), Some(SpecialRange::Multicast));
        assert_eq!(of("2001:db8::5"), Some(SpecialRange::Documentation));
        assert_eq!(of("2002:c000:0204::1"), Some(SpecialRange::SixToFour));
        assert_eq!(of("2001:0:4136:e378::1"), Some(SpecialRange::Teredo));
        assert_eq!(of("ff02::fb"), Some(SpecialRange::Multicast));
        assert_eq!(of("::ffff:192.168.0.1"), Some(SpecialRange::Private));
        assert_eq!(of("2001:4860:4860::8888"), None);
    }

    #[test]
    fn nat64_exposes_the_ipv4_inside() {
        let ip: IpAddr = "64:ff9b::808:808".parse().unwrap();
        let range = SpecialRange::of(ip).unwrap();
        assert_eq!(range, SpecialRange::Nat64);
        assert_eq!(range.embedded_ipv4(ip), Some(Ipv4Addr::new(8, 8, 8, 8)));
    }
}
