//! Legacy (peer-to-peer era, pre-2017) Skype UDP framing.
//!
//! Bonfiglio et al., "Revealing Skype Traffic: When Randomness Plays with
//! You" (SIGCOMM 2007), implemented in Tstat: every Skype UDP datagram
//! starts with a 2-byte random ID and a FUNC byte whose low nibble (mask
//! 0x8F) says what follows — 0x02/0x03 probes/queries, 0x07 a NAK carrying
//! the peer's public IP (11-byte datagram), 0x0D voice/data. The rest is
//! RC4-obfuscated.
//!
//! This is weak evidence: the mask keeps 5 bits, so a random byte hits one
//! FUNC value with probability 1/32 and one of the accepted 0x02/0x03/0x0D
//! with ≈ 1/10 (≈ 5% of random payloads after excluding RTP/STUN/DTLS
//! first bytes, measured in the tests), so `probe` never says
//! more than Unsure — nDPI's single-packet rule `payload[2] == 0x02` is what
//! tags dnscrypt_skype_false_positive.pcapng frame 1 (`d3 1b 02 ..`) as Skype.
//! What confirms it is many datagrams together: a socket's probes of
//! supernodes, whose IDs count up from host to host
//! (`classify::probe_sweep`, fed by `may_be_probe`).
//!
//! Modern Skype and Teams calls are STUN (MS-TURN/ICE) + SRTP; the corpus
//! (skype-conference-call.pcap, stun_msteams_unidir.pcapng) has no legacy
//! framing and no Skype-for-Business TCP framing beyond TLS.

use crate::dissect::Probe;

/// Mask applied to the FUNC byte (Tstat).
pub const FUNC_MASK: u8 = 0x8f;

/// The meaning of a FUNC value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkypeUdpKind {
    /// FUNC 0x02 / 0x03.
    Probe,
    /// FUNC 0x07 in an 11-byte datagram.
    NakIp,
    /// FUNC 0x0D.
    Voice,
    /// Any other FUNC.
    Other,
}

/// The clear-text start of a legacy Skype datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkypeUdp {
    /// The 2-byte message ID.
    pub id: u16,
    /// FUNC & 0x8F.
    pub func: u8,
    pub kind: SkypeUdpKind,
}

/// Reads ID and FUNC. Needs 3 bytes; everything ≥ 3 bytes "parses" — the
/// framing has no redundancy.
pub fn parse(payload: &[u8]) -> Option<SkypeUdp> {
    let id = u16::from_be_bytes(payload.get(..2)?.try_into().ok()?);
    let func = payload.get(2)? & FUNC_MASK;
    let kind = match func {
        0x02 | 0x03 => SkypeUdpKind::Probe,
        0x07 if payload.len() == 11 => SkypeUdpKind::NakIp,
        0x0d => SkypeUdpKind::Voice,
        _ => SkypeUdpKind::Other,
    };
    Some(SkypeUdp { id, func, kind })
}

/// At most Unsure: a known FUNC (not Other) and not an obvious other
/// protocol (RTP/RTCP/STUN/DTLS/SNMP first bytes, which Skype's random ID
/// would rarely produce together with a known FUNC).
pub fn probe(payload: &[u8]) -> Probe {
    let Some(s) = parse(payload) else {
        return Probe::NotForUs;
    };
    if s.kind == SkypeUdpKind::Other {
        return Probe::NotForUs;
    }
    let first = payload.first().copied().unwrap_or(0);
    let looks_other = first >> 6 == 2 // RTP/RTCP v2
        || first <= 0x01 // STUN request/response class
        || (20..=63).contains(&first) // DTLS content types (RFC 7983)
        || first == 0x30; // ASN.1 SEQUENCE (SNMP), as nDPI excludes
    if looks_other {
        Probe::NotForUs
    } else {
        Probe::Unsure
    }
}

/// The longest datagram taken for a probe of a supernode.
const MAX_PROBE_LEN: usize = 80;

/// A datagram that may be a probe of a supernode (FUNC 0x02/0x03), not
/// STUN, DTLS or SNMP by its first byte. RTP's first byte is not ruled
/// out here: a quarter of random message IDs share it (nfstream's
/// skype.pcap sweeps with IDs 9b90, 9b92, …); the socket's sweep, whose
/// IDs differ and count up, is what tells (`classify::probe_sweep`).
pub fn may_be_probe(payload: &[u8]) -> Option<SkypeUdp> {
    // Probes are short (22-60 bytes in both captures); a voice or video
    // stream's first datagram is mostly longer, and is not kept.
    if payload.len() > MAX_PROBE_LEN {
        return None;
    }
    let s = parse(payload).filter(|s| s.kind == SkypeUdpKind::Probe)?;
    let first = payload.first().copied()?;
    let other = first <= 0x01 || (20..=63).contains(&first) || first == 0x30;
    (!other).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // dnscrypt_skype_false_positive.pcapng frame 1 (first 40 of 512 bytes):
    // DNSCrypt to 212.47.228.136:443 whose 3rd byte happens to be 0x02.
    const DNSCRYPT: &str =
        "d31b02042ac406f3497e6993424b0a16c06e75586651bb4a47b500e1d021af661e16c5859f9d160f";

    #[test]
    fn func_nibble_and_weakness() {
        let p = hex(DNSCRYPT);
        let s = parse(&p).unwrap();
        assert_eq!(s.id, 0xd31b);
        assert_eq!(s.kind, SkypeUdpKind::Probe);
        // Never Certain: this is the documented false positive.
        assert_eq!(probe(&p), Probe::Unsure);
        // Bits 4–6 of FUNC are masked: 0x3d → voice (0x8d keeps bit 7: other);
        // an 11-byte 0x07 → NAK.
        assert_eq!(parse(&hex("12343d")).unwrap().kind, SkypeUdpKind::Voice);
        assert_eq!(parse(&hex("12348d")).unwrap().kind, SkypeUdpKind::Other);
        assert_eq!(
            parse(&hex("1234075b0a01020304050607")[..11]).unwrap().kind,
            SkypeUdpKind::NakIp
        );
        assert_eq!(
            parse(&hex("12340701020304")).unwrap().kind,
            SkypeUdpKind::Other
        );
    }

    #[test]
    fn a_supernode_probe_may_look_like_rtp() {
        // nfstream skype.pcap, 192.168.1.34:13021 to 157.55.130.155:40020
        // (first 12 of 36 bytes).
        let p = hex("9b9202c8d2b98998e491cc6f");
        assert_eq!(probe(&p), Probe::NotForUs);
        let s = may_be_probe(&p).unwrap();
        assert_eq!((s.id, s.kind), (0x9b92, SkypeUdpKind::Probe));
        // STUN and DTLS never are; nor another FUNC.
        assert!(may_be_probe(&hex("000100542112a442c55a4fdfde0c325e304c60c7")).is_none());
        assert!(may_be_probe(&hex("16fefd00000000000000000001")).is_none());
        assert!(may_be_probe(&hex("9b920d00")).is_none());
        let mut long = p.clone();
        long.resize(MAX_PROBE_LEN + 1, 0x5a);
        assert!(may_be_probe(&long).is_none());
    }

    #[test]
    fn other_protocols_not_for_us() {
        // skype-conference-call.pcap frame 12: Teams RTCP (8f ce ...).
        assert_eq!(
            probe(&hex("8fce0004000003e81967b51dee3882c0d975a337")),
            Probe::NotForUs
        );
        // skype-conference-call.pcap frame 1: STUN binding request.
        assert_eq!(
            probe(&hex("000100542112a442c55a4fdfde0c325e304c60c7")),
            Probe::NotForUs
        );
        assert_eq!(probe(&hex("ab")), Probe::NotForUs);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let p = hex(DNSCRYPT);
        for n in 0..=p.len() {
            let _ = parse(&p[..n]);
            let _ = probe(&p[..n]);
        }
        let mut seed: u64 = 5;
        let mut unsure = 0;
        for n in 0..4000 {
            let g: Vec<u8> = (0..n % 40)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            assert_ne!(probe(&g), Probe::Certain);
            if probe(&g) == Probe::Unsure {
                unsure += 1;
            }
        }
        // Documented weakness: about 5% of random payloads pass.
        assert!(unsure > 100 && unsure < 600, "{unsure}");
    }
}
