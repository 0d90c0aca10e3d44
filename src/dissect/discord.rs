//! Discord voice: the UDP IP-discovery exchange and keep-alive.
//!
//! Discord voice servers (UDP 50000–50100 in the corpus; discord.pcap uses
//! 50001/50004) first answer an IP-discovery request (Discord developer docs,
//! "Voice Connections — IP Discovery"): 74 bytes = type(2, BE: 1 request,
//! 2 response) length(2, always 70) SSRC(4) address(64, NUL-terminated
//! ASCII) port(2, BE). The client also sends 8-byte keep-alives starting
//! 0x1337CAFE (followed by a little-endian counter), echoed by the server.
//!
//! The media itself is plain RTP (Opus, payload type 120; video 103 seen in
//! discord.pcap) with an encrypted payload — xsalsa20/aead per the voice
//! gateway's negotiated mode — so it is recognised by the RTP dissector, not
//! here; the SSRC from discovery links the two.

use std::net::{IpAddr, SocketAddr};

/// Total size of an IP discovery packet.
pub const DISCOVERY_LEN: usize = 74;
/// Value of the length field (bytes after type+length).
pub const DISCOVERY_BODY_LEN: u16 = 70;
/// Keep-alive magic.
pub const KEEPALIVE_MAGIC: [u8; 4] = [0x13, 0x37, 0xca, 0xfe];

/// One Discord voice control datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscordVoice {
    IpDiscoveryRequest {
        ssrc: u32,
    },
    /// The server's view of the client's public address (NAT mapping).
    IpDiscoveryResponse {
        ssrc: u32,
        addr: Option<SocketAddr>,
    },
    KeepAlive,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Parses a Discord voice control datagram; `None` for anything else
/// (including the RTP media).
pub fn parse(payload: &[u8]) -> Option<DiscordVoice> {
    if payload.len() == 8 && payload.starts_with(&KEEPALIVE_MAGIC) {
        return Some(DiscordVoice::KeepAlive);
    }
    if payload.len() != DISCOVERY_LEN || be16(payload, 2)? != DISCOVERY_BODY_LEN {
        return None;
    }
    let ssrc = u32::from_be_bytes(payload.get(4..8)?.try_into().ok()?);
    let addr_field = payload.get(8..72)?;
    let port = be16(payload, 72)?;
    match be16(payload, 0)? {
        1 => {
            // The request's address field is all zeros.
            if addr_field.iter().any(|&b| b != 0) {
                return None;
            }
            Some(DiscordVoice::IpDiscoveryRequest { ssrc })
        }
        2 => {
            let end = addr_field.iter().position(|&b| b == 0)?;
            let text = std::str::from_utf8(addr_field.get(..end)?).ok()?;
            // Everything after the NUL must be padding.
            if addr_field.get(end..)?.iter().any(|&b| b != 0) {
                return None;
            }
            let addr = text
                .parse::<IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, port));
            Some(DiscordVoice::IpDiscoveryResponse { ssrc, addr })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // discord.pcap frame 20: 192.168.2.100:57955 → 66.22.196.173:50004.
    const REQ: &str = "000100460000ace3000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006f74";
    // discord.pcap frame 21: the response, address "84.59.132.100" port 0xe263
    // (57955 = the client's own source port: no port translation here).
    const RESP: &str = "000200460000ace338342e35392e3133322e313030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000e263";
    // discord.pcap frame 8: keep-alive.
    const KA: &str = "1337cafe0e000000";

    #[test]
    fn real_discovery_and_keepalive() {
        assert_eq!(
            parse(&hex(REQ)),
            Some(DiscordVoice::IpDiscoveryRequest { ssrc: 0xace3 })
        );
        assert_eq!(
            parse(&hex(RESP)),
            Some(DiscordVoice::IpDiscoveryResponse {
                ssrc: 0xace3,
                addr: Some("84.59.132.100:57955".parse().unwrap())
            })
        );
        assert_eq!(parse(&hex(KA)), Some(DiscordVoice::KeepAlive));
    }

    #[test]
    fn other_protocols_not_for_us() {
        // discord.pcap frame 37: the RTP media (V=2, PT 103) is not ours.
        assert_eq!(
            parse(&hex("9067c1de7d5403a500023c07bede00034ca34ef9ced67f84")),
            None
        );
        // discord_mid_flow.pcap frame 1: RTCP RR (52 bytes).
        assert_eq!(parse(&hex("81c9000700162ffd537109592cf065d572db9ac11958463c6401471ff8b35bcbfa66e0fe12fcad6a28abfa83a3395b062621")), None);
        // A 74-byte STUN-ish blob with the wrong length field.
        let mut p = hex(REQ);
        p[3] = 0x47;
        assert_eq!(parse(&p), None);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [REQ, RESP, KA] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse(&p[..n]);
            }
        }
        let mut seed: u64 = 11;
        for n in 0..3000 {
            let mut g: Vec<u8> = (0..[8, 74, 5, 100][n % 4])
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            if g.len() == 74 {
                g[0] = 0;
                g[1] = 2;
                g[2] = 0;
                g[3] = 70;
            }
            let _ = parse(&g);
        }
    }
}
