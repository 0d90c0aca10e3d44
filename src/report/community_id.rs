//! Community ID v1 (corelight/community-id-spec): a hash of the flow's
//! 5-tuple that Zeek and Suricata also write, so callpath's records join
//! with their logs.

use std::net::IpAddr;

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::decode::L4Proto;
use crate::flow::Endpoint;

/// `1:<base64 sha1>` for a flow between two endpoints, seed 0.
pub fn community_id(l4: L4Proto, a: &Endpoint, b: &Endpoint) -> String {
    community_id_seeded(0, l4, a, b)
}

pub fn community_id_seeded(seed: u16, l4: L4Proto, a: &Endpoint, b: &Endpoint) -> String {
    // The spec orders the endpoints so both directions hash the same:
    // smaller address first, port breaking ties.
    let (lo, hi) = if (ip_bytes_ord(&a.ip), a.port) <= (ip_bytes_ord(&b.ip), b.port) {
        (a, b)
    } else {
        (b, a)
    };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    put_ip(&mut h, &lo.ip);
    put_ip(&mut h, &hi.ip);
    h.update([l4.number(), 0]);
    if l4.has_ports() {
        h.update(lo.port.to_be_bytes());
        h.update(hi.port.to_be_bytes());
    }
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(h.finalize())
    )
}

fn ip_bytes_ord(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

fn put_ip(h: &mut Sha1, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => h.update(v4.octets()),
        IpAddr::V6(v6) => h.update(v6.octets()),
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

    // Reference values from the community-id-spec baseline (tcp.pcap,
    // udp.pcap, seed 0).
    #[test]
    fn matches_the_specification_baseline() {
        assert_eq!(
            community_id(
                L4Proto::Tcp,
                &ep("128.232.110.120", 34855),
                &ep("66.35.250.204", 80)
            ),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            community_id(L4Proto::Udp, &ep("192.168.1.52", 54585), &ep("8.8.8.8", 53)),
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ="
        );
    }

    #[test]
    fn direction_does_not_matter() {
        let a = ep("10.0.0.1", 1234);
        let b = ep("10.0.0.2", 80);
        assert_eq!(
            community_id(L4Proto::Tcp, &a, &b),
            community_id(L4Proto::Tcp, &b, &a)
        );
    }
}
