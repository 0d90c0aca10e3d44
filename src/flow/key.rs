//! The bidirectional flow key: both directions of a conversation map to the
//! same key; who sent first is kept on the flow, not in the key.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

use super::address_text::AddressText;
use crate::decode::L4Proto;

/// One end of a flow. Ordered by address (IPv4 before IPv6), then port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

/// Appends an address as `Display` writes it.
pub fn write_ip_text(out: &mut Vec<u8>, ip: IpAddr) {
    out.extend_from_slice(AddressText::new(ip, None).as_bytes());
}

impl Endpoint {
    /// Appends the endpoint as `Display` writes it.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(AddressText::new(self.ip, Some(self.port)).as_bytes());
    }
}

/// The order of (address, port) as std orders addresses, on whole
/// numbers: derived, it went through the addresses' bytes, about 56
/// instructions for every packet's flow key.
impl Ord for Endpoint {
    fn cmp(&self, other: &Endpoint) -> Ordering {
        match (self.ip, other.ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let word = |ip: std::net::Ipv4Addr, port: u16| {
                    (u64::from(u32::from(ip)) << 16) | u64::from(port)
                };
                word(a, self.port).cmp(&word(b, other.port))
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                (u128::from(a), self.port).cmp(&(u128::from(b), other.port))
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => Ordering::Less,
            (IpAddr::V6(_), IpAddr::V4(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Endpoint {
    fn partial_cmp(&self, other: &Endpoint) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Endpoint {
    /// Appends the endpoint as `Display` writes it, without the formatting
    /// machinery (evidence lines name endpoints on every flow).
    pub fn push_text(&self, out: &mut String) {
        out.push_str(AddressText::new(self.ip, Some(self.port)).as_str());
    }
}

impl Endpoint {
    /// A packet's source and destination endpoints.
    #[inline]
    pub fn ends_of(pkt: &crate::decode::PacketView<'_>) -> (Endpoint, Endpoint) {
        (
            Endpoint {
                ip: pkt.src,
                port: pkt.src_port,
            },
            Endpoint {
                ip: pkt.dst,
                port: pkt.dst_port,
            },
        )
    }
}

impl From<std::net::SocketAddr> for Endpoint {
    fn from(s: std::net::SocketAddr) -> Endpoint {
        Endpoint {
            ip: s.ip(),
            port: s.port(),
        }
    }
}

impl fmt::Display for Endpoint {
    /// `1.2.3.4:5`, and `[v6]:port` for IPv6, as URLs and DESIGN.md write them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V4(_) => f.write_str(AddressText::new(self.ip, Some(self.port)).as_str()),
            // std's own text: the reference the tests hold `AddressText` to.
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// Which way a packet travels within its flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the endpoint that sent the flow's first packet.
    FromOrig,
    /// From the other endpoint.
    FromResp,
}

impl Direction {
    pub fn index(self) -> usize {
        match self {
            Direction::FromOrig => 0,
            Direction::FromResp => 1,
        }
    }

    pub fn reverse(self) -> Direction {
        match self {
            Direction::FromOrig => Direction::FromResp,
            Direction::FromResp => Direction::FromOrig,
        }
    }
}

/// The canonical key: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub l4: L4Proto,
    pub lo: Endpoint,
    pub hi: Endpoint,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and whether `src` is the
    /// key's lower endpoint.
    pub fn new(l4: L4Proto, src: Endpoint, dst: Endpoint) -> (FlowKey, bool) {
        if src <= dst {
            (
                FlowKey {
                    l4,
                    lo: src,
                    hi: dst,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    l4,
                    lo: dst,
                    hi: src,
                },
                false,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: s.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn both_directions_give_the_same_key() {
        let a = ep("192.168.1.6", 51681);
        let b = ep("52.114.77.136", 3478);
        let (k1, a_is_lo) = FlowKey::new(L4Proto::Udp, a, b);
        let (k2, b_is_lo) = FlowKey::new(L4Proto::Udp, b, a);
        assert_eq!(k1, k2);
        assert_ne!(a_is_lo, b_is_lo);
    }

    #[test]
    fn protocol_is_part_of_the_key() {
        let a = ep("10.0.0.1", 53);
        let b = ep("10.0.0.2", 53);
        assert_ne!(
            FlowKey::new(L4Proto::Udp, a, b).0,
            FlowKey::new(L4Proto::Tcp, a, b).0
        );
    }

    #[test]
    fn ipv6_endpoints_are_bracketed() {
        assert_eq!(ep("2001:db8::1", 443).to_string(), "[2001:db8::1]:443");
        assert_eq!(ep("192.0.2.1", 80).to_string(), "192.0.2.1:80");
    }

    /// Endpoints are ordered as std orders (address, port) pairs.
    #[test]
    fn order_is_std_order_of_address_and_port() {
        let mut ends = Vec::new();
        for ip in [
            "0.0.0.0",
            "1.2.3.4",
            "1.2.3.5",
            "1.2.4.0",
            "128.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:1.2.3.4",
            "2001:db8::1",
            "2001:db8::100",
            "fe80::1",
            "ffff::",
        ] {
            for port in [0, 1, 80, 255, 256, 443, 50000, 65535] {
                ends.push(ep(ip, port));
            }
        }
        for a in &ends {
            for b in &ends {
                assert_eq!(a.cmp(b), (a.ip, a.port).cmp(&(b.ip, b.port)), "{a} vs {b}");
            }
        }
    }

    /// Every octet value and every port give std's text.
    #[test]
    fn every_octet_and_port_as_std_writes_it() {
        for o in 0..=255u8 {
            for port in (0..=u16::MAX)
                .step_by(251)
                .chain([0, 9, 10, 99, 100, 65535])
            {
                let ip = IpAddr::from([o, 255 - o, o / 3, 7]);
                let e = Endpoint { ip, port };
                let std_text = std::net::SocketAddr::new(ip, port).to_string();
                assert_eq!(e.to_string(), std_text);
                let mut out = Vec::new();
                e.write_text(&mut out);
                assert_eq!(out, std_text.as_bytes());
            }
        }
    }

    /// The fast writers write exactly what `Display` writes.
    #[test]
    fn endpoint_text_matches_display() {
        for text in [
            "0.0.0.0:0",
            "1.2.3.4:5",
            "255.255.255.255:65535",
            "10.0.100.9:3478",
            "[::]:0",
            "[2001:db8::1]:443",
            "[::ffff:1.2.3.4]:80",
            "[64:ff9b::808:808]:53",
            "9.10.99.100:10",
            "1.0.0.1:100",
            "100.99.10.9:1000",
            "200.250.255.0:10000",
            "0.0.0.9:9",
        ] {
            let sa: std::net::SocketAddr = text.parse().unwrap();
            let e = Endpoint {
                ip: sa.ip(),
                port: sa.port(),
            };
            let mut out = Vec::new();
            e.write_text(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), e.to_string());
            let mut pushed = String::from("x");
            e.push_text(&mut pushed);
            assert_eq!(pushed, format!("x{e}"));
            // std writes IPv4 as `a.b.c.d:port` and IPv6 as `[v6]:port`.
            assert_eq!(e.to_string(), sa.to_string());
            let mut out = Vec::new();
            write_ip_text(&mut out, e.ip);
            assert_eq!(String::from_utf8(out).unwrap(), e.ip.to_string());
        }
    }
}
