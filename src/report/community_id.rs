//! Community ID v1 (corelight/community-id-spec): a hash of the flow's
//! 5-tuple that Zeek and Suricata also write, so callpath's records join
//! with their logs.

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use serde::{Serialize, Serializer};
use sha1::{Digest, Sha1};

use crate::decode::L4Proto;
use crate::flow::Endpoint;

/// A flow's Community ID, kept as its 20-byte hash (no allocation per
/// record) and written as `1:<base64>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommunityId([u8; 20]);

impl CommunityId {
    /// The hash itself.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    pub fn from_bytes(hash: [u8; 20]) -> CommunityId {
        CommunityId(hash)
    }

    /// The base64 text of the hash: 20 bytes are 28 characters.
    fn base64(&self) -> ([u8; 28], usize) {
        let mut text = [0u8; 28];
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(self.0, &mut text)
            .unwrap_or(0);
        (text, n)
    }

    /// Appends the ID as `Display` writes it.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        let (text, n) = self.base64();
        out.extend_from_slice(b"1:");
        out.extend_from_slice(text.get(..n).unwrap_or_default());
    }
}

impl fmt::Display for CommunityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (text, n) = self.base64();
        let text = std::str::from_utf8(text.get(..n).ok_or(fmt::Error)?).map_err(|_| fmt::Error)?;
        write!(f, "1:{text}")
    }
}

impl Serialize for CommunityId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The Community ID of a flow between two endpoints, seed 0.
pub fn community_id(l4: L4Proto, a: &Endpoint, b: &Endpoint) -> CommunityId {
    community_id_seeded(0, l4, a, b)
}

pub fn community_id_seeded(seed: u16, l4: L4Proto, a: &Endpoint, b: &Endpoint) -> CommunityId {
    // The spec orders the endpoints so both directions hash the same:
    // smaller address (as bytes) first, port breaking ties.
    let (a_ip, b_ip) = (IpBytes::of(&a.ip), IpBytes::of(&b.ip));
    let (lo, hi) = if (a_ip.as_slice(), a.port) <= (b_ip.as_slice(), b.port) {
        ((a_ip, a.port), (b_ip, b.port))
    } else {
        ((b_ip, b.port), (a_ip, a.port))
    };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(lo.0.as_slice());
    h.update(hi.0.as_slice());
    h.update([l4.number(), 0]);
    if l4.has_ports() {
        h.update(lo.1.to_be_bytes());
        h.update(hi.1.to_be_bytes());
    }
    CommunityId(h.finalize().into())
}

/// An address's bytes on the stack: 4 for IPv4, 16 for IPv6.
#[derive(Clone, Copy)]
struct IpBytes {
    bytes: [u8; 16],
    len: usize,
}

impl IpBytes {
    fn of(ip: &IpAddr) -> IpBytes {
        let mut bytes = [0u8; 16];
        let len = match ip {
            IpAddr::V4(v4) => {
                for (to, from) in bytes.iter_mut().zip(v4.octets()) {
                    *to = from;
                }
                4
            }
            IpAddr::V6(v6) => {
                bytes = v6.octets();
                16
            }
        };
        IpBytes { bytes, len }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
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
            )
            .to_string(),
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg="
        );
        assert_eq!(
            community_id(L4Proto::Udp, &ep("192.168.1.52", 54585), &ep("8.8.8.8", 53)).to_string(),
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
