//! Telegram calls (libtgvoip reflector packets over UDP) and the plain
//! MTProto TCP transports.
//!
//! libtgvoip (telegramdesktop/libtgvoip `VoIPController.cpp`) prefixes every
//! datagram sent through a reflector (Telegram relay, 91.108.0.0/16 in
//! telegram.pcap, UDP ports 521–538) with the call's 16-byte *peer tag*.
//! Control ("special") packets follow the tag with twelve 0xFF bytes and a
//! little-endian TL constructor / request id:
//!
//! | after tag+12×FF | meaning (telegram.pcap)                              |
//! |-----------------|------------------------------------------------------|
//! | `FE FF FF FF`   | public-endpoints request + 8-byte query id (40 B, frame 170) |
//! | `C7 72 15 C0`   | `udpReflectorSelfInfo` 0xc01572c7: date, query id, the client's public IPv6(-mapped) address and port (64 B, frame 176) |
//! | `1C 37 D9 27`   | `udpReflectorPeerInfo` 0x27d9371c (48 B)              |
//! | `FF FF FF FF`   | ping, 32 B                                           |
//!
//! Relayed media packets are tag + 16-byte message key + AES-IGE data: all
//! 788 in telegram.pcap are ≥ 48 bytes and a multiple of 16. Direct P2P
//! packets (frames 247/248) carry no tag and are not recognisable alone.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::dissect::Probe;

/// Length of the peer tag.
pub const PEER_TAG_LEN: usize = 16;
/// TL constructor `udpReflectorSelfInfo`.
pub const TLID_REFLECTOR_SELF_INFO: u32 = 0xc015_72c7;
/// TL constructor `udpReflectorPeerInfo`.
pub const TLID_REFLECTOR_PEER_INFO: u32 = 0x27d9_371c;
/// 0xFF bytes in a 16-byte tag beyond which it is not random (a random
/// tag has this many with odds of about 10^-15).
const MAX_FF_IN_TAG: usize = 8;
/// Request id of the public-endpoints request (-2).
pub const PUBLIC_ENDPOINTS_REQUEST: u32 = 0xffff_fffe;
/// Ping (-1; the packet is tag + 16×FF).
pub const REFLECTOR_PING: u32 = 0xffff_ffff;

/// What a reflector control packet is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReflectorSpecialKind {
    PublicEndpointsRequest {
        query_id: u64,
    },
    /// The reflector tells the client its public address (NAT mapping).
    SelfInfo {
        query_id: u64,
        addr: Option<SocketAddr>,
    },
    PeerInfo,
    Ping,
}

/// One libtgvoip datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TelegramVoip {
    /// Relayed (encrypted) packet: shape only, confirm by seeing the same
    /// tag on several packets of the flow.
    Reflector { peer_tag: [u8; 16] },
    /// Reflector control packet with a known id.
    ReflectorSpecial {
        peer_tag: [u8; 16],
        kind: ReflectorSpecialKind,
    },
    /// Tag + 12×FF with an id we do not know.
    Other,
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn self_info_addr(p: &[u8]) -> Option<SocketAddr> {
    // tag(16) FF×12 id(4) date(4) query_id(8) ip(16) port(4 LE)
    let ip: [u8; 16] = p.get(44..60)?.try_into().ok()?;
    let port = u16::try_from(le32(p, 60)?).ok()?;
    let v6 = Ipv6Addr::from(ip);
    let ip = match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    };
    Some(SocketAddr::new(ip, port))
}

/// Parses a UDP payload as a libtgvoip reflector packet.
pub fn parse(payload: &[u8]) -> Option<TelegramVoip> {
    let (tag, rest) = payload.split_at_checked(PEER_TAG_LEN)?;
    let peer_tag: [u8; 16] = tag.try_into().ok()?;
    if rest.get(..12).is_some_and(|m| m.iter().all(|&b| b == 0xff)) {
        // The tag is random: half of it 0xFF is fill (a codec's stuffing
        // in another protocol's frame), which would read as a ping.
        if tag.iter().filter(|&&b| b == 0xff).count() >= MAX_FF_IN_TAG {
            return None;
        }
        let kind = match le32(payload, 28)? {
            PUBLIC_ENDPOINTS_REQUEST => ReflectorSpecialKind::PublicEndpointsRequest {
                query_id: le64(payload, 32)?,
            },
            TLID_REFLECTOR_SELF_INFO => ReflectorSpecialKind::SelfInfo {
                query_id: le64(payload, 36)?,
                addr: self_info_addr(payload),
            },
            TLID_REFLECTOR_PEER_INFO => ReflectorSpecialKind::PeerInfo,
            REFLECTOR_PING => ReflectorSpecialKind::Ping,
            _ => return Some(TelegramVoip::Other),
        };
        return Some(TelegramVoip::ReflectorSpecial { peer_tag, kind });
    }
    if payload.len() >= 48 && payload.len() % 16 == 0 {
        return Some(TelegramVoip::Reflector { peer_tag });
    }
    None
}

/// Certain for reflector control packets (96 fixed bits plus a known id);
/// Unsure for the relayed-data shape (any 16n-byte datagram fits); else
/// NotForUs.
pub fn probe(payload: &[u8]) -> Probe {
    match parse(payload) {
        Some(TelegramVoip::ReflectorSpecial { .. }) => Probe::Certain,
        Some(_) => Probe::Unsure,
        None => Probe::NotForUs,
    }
}

/// Probe the first client→server TCP payload for an unobfuscated MTProto
/// transport (core.telegram.org/mtproto/mtproto-transports):
/// abridged starts `EF`, intermediate `EE EE EE EE`, padded intermediate
/// `DD DD DD DD`, each followed by a length-prefixed packet.
///
/// Weakness: official apps use the *obfuscated2* transport (a 64-byte random
/// nonce, indistinguishable from noise) or fake-TLS, so most Telegram TCP is
/// not matched here — rely on server IPs (AS62041/AS59930) and SNI instead.
/// `EF` alone is one byte (1/256 of random first bytes), hence only Unsure;
/// the 4-byte tags with a plausible length are Certain.
pub fn probe_mtproto_tcp(first_client_payload: &[u8]) -> Probe {
    let p = first_client_payload;
    match p.first() {
        Some(0xef) => {
            // Abridged: next byte is length/4 (or 0x7f + 3-byte length).
            match p.get(1) {
                Some(&l) if l > 0 => Probe::Unsure,
                None => Probe::Unsure,
                Some(_) => Probe::NotForUs,
            }
        }
        Some(0xee) | Some(0xdd) => {
            let Some(tag) = p.get(..4) else {
                return Probe::NotForUs;
            };
            if !tag.iter().all(|&b| Some(&b) == p.first()) {
                return Probe::NotForUs;
            }
            match le32(p, 4) {
                // Intermediate packets are at least an auth_key_id + msg id.
                Some(len) if (8..=(1 << 24)).contains(&len) => Probe::Certain,
                Some(_) => Probe::NotForUs,
                None => Probe::Unsure,
            }
        }
        _ => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // telegram.pcap frame 170: 192.168.1.77:23174 → 91.108.8.7:521.
    const REQ: &str =
        "dc4c00291565b7acbc236da9eda0d597fffffffffffffffffffffffffeffffff28f946112601a2f0";
    // telegram.pcap frame 176: 91.108.8.7:521 → client, self info.
    const SELF: &str = "dc4c00291565b7acbc236da9eda0d597ffffffffffffffffffffffffc77215c060dab25e28f946112601a2f000000000000000000000ffff570bcdc35ddc0000";
    // telegram.pcap frame 184: relayed data, 96 bytes.
    const DATA: &str = "dc4c00291565b7acbc236da9eda0d597592e46c3eb5bd2847e7cd8cd020b8522556709b8c9d1889d177c2ba7e5e09713dd9605ab221e9c077d200d2a80211dec63d0ea6255fda69905003d8fefebd316587c4d5e31f28c8ebc3b0cf655645dd8";

    #[test]
    fn reflector_packets() {
        let tag: [u8; 16] = hex("dc4c00291565b7acbc236da9eda0d597").try_into().unwrap();
        assert_eq!(
            parse(&hex(REQ)),
            Some(TelegramVoip::ReflectorSpecial {
                peer_tag: tag,
                kind: ReflectorSpecialKind::PublicEndpointsRequest {
                    query_id: 0xf0a2_0126_1146_f928
                }
            })
        );
        assert_eq!(
            parse(&hex(SELF)),
            Some(TelegramVoip::ReflectorSpecial {
                peer_tag: tag,
                kind: ReflectorSpecialKind::SelfInfo {
                    query_id: 0xf0a2_0126_1146_f928,
                    addr: Some("87.11.205.195:56413".parse().unwrap())
                }
            })
        );
        assert_eq!(
            parse(&hex(DATA)),
            Some(TelegramVoip::Reflector { peer_tag: tag })
        );
        assert_eq!(probe(&hex(REQ)), Probe::Certain);
        assert_eq!(probe(&hex(DATA)), Probe::Unsure);
    }

    #[test]
    fn other_protocols_not_for_us() {
        // telegram.pcap frame 113: Spotify LAN discovery, 40 bytes.
        let spotify = hex("53706f7455647030a55adb27bedd97cf00010000b2248afc0ff37667d58e");
        assert_eq!(probe(&spotify), Probe::NotForUs);
        // discord.pcap frame 8 keep-alive.
        assert_eq!(probe(&hex("1337cafe0e000000")), Probe::NotForUs);
        // TLS ClientHello start is not MTProto.
        assert_eq!(probe_mtproto_tcp(&hex("160301020001")), Probe::NotForUs);
    }

    #[test]
    fn fill_is_not_a_ping() {
        // Wireshark's h223-over-iax.pcap frame 1644: an IAX2 mini frame
        // (4-byte header) whose H.223 payload begins with 0xFF fill.
        let mut iax2 = hex("00043f");
        iax2.extend([0xff; 84]);
        iax2.extend(hex("87b28844e4b9e406220fcf85015a1fba78222e2310c2e480df414530e84cd43ab3832154c9b387b2454059c0827f4cf2e9825a0c4007f301c1092093c6a626c1552a5a0b85782afb4ad8ffa43a"));
        assert_eq!(iax2.len(), 164);
        assert_eq!(parse(&iax2), None);
        assert_eq!(probe(&iax2), Probe::NotForUs);
    }

    #[test]
    fn mtproto_transports() {
        // Constructed from the transport spec (no plain MTProto in corpus).
        assert_eq!(probe_mtproto_tcp(&hex("ef0a00000000")), Probe::Unsure);
        assert_eq!(
            probe_mtproto_tcp(&hex("eeeeeeee2800000000000000")),
            Probe::Certain
        );
        assert_eq!(
            probe_mtproto_tcp(&hex("dddddddd2800000000000000")),
            Probe::Certain
        );
        assert_eq!(probe_mtproto_tcp(&hex("eeeeeeef28000000")), Probe::NotForUs);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [REQ, SELF, DATA] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse(&p[..n]);
                let _ = probe(&p[..n]);
                let _ = probe_mtproto_tcp(&p[..n]);
            }
        }
        let mut seed: u64 = 3;
        for n in 0..3000 {
            let mut g: Vec<u8> = (0..n % 90)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            if n % 3 == 0 && g.len() >= 28 {
                g[16..28].fill(0xff);
            }
            let _ = parse(&g);
            let _ = probe(&g);
            let _ = probe_mtproto_tcp(&g);
        }
    }
}
