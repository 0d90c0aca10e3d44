//! H.323 call signalling (H.225.0): Q.931 messages in TPKT on TCP 1720,
//! and a probe for H.225.0 RAS on UDP 1719.
//!
//! * TPKT (RFC 1006 §6): version 3, reserved 0, 16-bit length including the
//!   4-byte header.
//! * Q.931 (ITU-T Q.931 §4): protocol discriminator 0x08, call-reference
//!   length (H.225 uses 2), call reference whose top bit is the "from
//!   destination" flag, message type. H.225 puts its ASN.1 in the
//!   User-user IE, which carries the H.225.0 OID 0.0.8.2250.0.v.
//! * RAS is PER-encoded: the first byte holds an extension bit and the
//!   5-bit CHOICE index (0 GRQ … 25), and most messages carry the same OID
//!   encoded as `06 00 08 91 4A 00 v` a few bytes in (h323.pcap frames
//!   59–64, 71–75).

use crate::dissect::Probe;

/// H.225 call-signalling TCP port.
pub const CALL_SIGNALLING_PORT: u16 = 1720;
/// RAS UDP port (unicast; 1718 is gatekeeper discovery multicast).
pub const RAS_PORT: u16 = 1719;
/// TPKT header length.
pub const TPKT_HEADER_LEN: usize = 4;
/// Q.931 protocol discriminator.
pub const Q931_DISCRIMINATOR: u8 = 0x08;
/// BER-encoded H.225.0 OID prefix 0.0.8.2250.0 (with its length byte 6).
pub const H225_OID_PREFIX: [u8; 6] = [0x06, 0x00, 0x08, 0x91, 0x4a, 0x00];

/// Q.931 message types used by H.225 (Q.931 Table 4-2).
pub mod message_type {
    pub const ALERTING: u8 = 0x01;
    pub const CALL_PROCEEDING: u8 = 0x02;
    pub const PROGRESS: u8 = 0x03;
    pub const SETUP: u8 = 0x05;
    pub const CONNECT: u8 = 0x07;
    pub const SETUP_ACK: u8 = 0x0d;
    pub const RELEASE_COMPLETE: u8 = 0x5a;
    pub const FACILITY: u8 = 0x62;
    pub const NOTIFY: u8 = 0x6e;
    pub const STATUS_ENQUIRY: u8 = 0x75;
    pub const INFORMATION: u8 = 0x7b;
    pub const STATUS: u8 = 0x7d;
    pub const ALL: [u8; 12] = [
        ALERTING,
        CALL_PROCEEDING,
        PROGRESS,
        SETUP,
        CONNECT,
        SETUP_ACK,
        RELEASE_COMPLETE,
        FACILITY,
        NOTIFY,
        STATUS_ENQUIRY,
        INFORMATION,
        STATUS,
    ];
}

/// A Q.931 message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Q931Message {
    pub message_type: u8,
    /// Call reference value without the flag bit.
    pub call_reference: u16,
    /// The call-reference flag: set in messages sent by the called side.
    pub from_destination: bool,
}

/// Parses a bare Q.931 header (for TCP segments where TPKT came alone, as
/// in h323.pcap frames 48/50).
pub fn parse_q931(body: &[u8]) -> Option<Q931Message> {
    if *body.first()? != Q931_DISCRIMINATOR {
        return None;
    }
    let cr_len = usize::from(*body.get(1)? & 0x0f);
    if !(1..=2).contains(&cr_len) {
        return None;
    }
    let cr = body.get(2..2 + cr_len)?;
    let (flag, value) = match cr {
        [a] => (a & 0x80 != 0, u16::from(a & 0x7f)),
        [a, b] => (a & 0x80 != 0, u16::from_be_bytes([a & 0x7f, *b])),
        _ => return None,
    };
    let message_type = *body.get(2 + cr_len)?;
    if message_type & 0x80 != 0 {
        return None;
    }
    Some(Q931Message {
        message_type,
        call_reference: value,
        from_destination: flag,
    })
}

/// Parses TPKT + Q.931, never reading past the TPKT length.
pub fn parse_tpkt_q931(payload: &[u8]) -> Option<Q931Message> {
    let hdr = payload.get(..TPKT_HEADER_LEN)?;
    if hdr.first() != Some(&3) || hdr.get(1) != Some(&0) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes(hdr.get(2..4)?.try_into().ok()?));
    if len < TPKT_HEADER_LEN + 3 {
        return None;
    }
    let end = len.min(payload.len());
    parse_q931(payload.get(TPKT_HEADER_LEN..end)?)
}

/// Certain: TPKT + Q.931 with a known message type. Unsure: a TPKT header
/// alone (4 bytes, Q.931 in the next segment) or a bare Q.931 with a known
/// type. NotForUs: anything else, including TPKT carrying H.245 or X.224
/// (RDP).
pub fn probe(payload: &[u8]) -> Probe {
    if let Some(m) = parse_tpkt_q931(payload) {
        return if message_type::ALL.contains(&m.message_type) {
            Probe::Certain
        } else {
            Probe::Unsure
        };
    }
    if payload.len() == TPKT_HEADER_LEN && payload.starts_with(&[3, 0]) {
        return Probe::Unsure;
    }
    match parse_q931(payload) {
        Some(m) if message_type::ALL.contains(&m.message_type) => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

/// Probe a UDP 1719 payload as H.225.0 RAS. Certain when the H.225 OID sits
/// in the first 12 bytes; Unsure when only the CHOICE index is valid (IRQ,
/// RAI and some others carry no OID); NotForUs otherwise.
pub fn probe_ras(payload: &[u8]) -> Probe {
    let Some(&b0) = payload.first() else {
        return Probe::NotForUs;
    };
    // Extension bit set means a choice beyond the root (none are used).
    if b0 & 0x80 != 0 || (b0 >> 2) & 0x1f > 25 || payload.len() < 4 {
        return Probe::NotForUs;
    }
    let head = payload.get(..payload.len().min(12)).unwrap_or(&[]);
    if head
        .windows(H225_OID_PREFIX.len())
        .any(|w| w == H225_OID_PREFIX)
    {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // h323.pcap frame 6: 10.1.3.143:32803 → 10.1.6.18:1720, Setup (160 B).
    const SETUP: &str = "030000a0080277f40504038090a528086d2e6a656d6563007e00850520a8060008914a0004014006006d002e006a0065006d0065006322c00900003d1443616c6c67656e33323320706f67616373616d00000a302e39616c706861340000000a01061206b800f8fdf93ecd9ed6119ab2000476222017005d0d8007000a01038f80231100c0fef93ecd9ed6119ab2000476222017010001000100010002800100";
    // h323.pcap frame 10: CallProceeding from the called side.
    const PROCEEDING: &str = "030000400802f7f4027e0034052180060008914a000322c0000000000333313069005200f0c01100c0fef93ecd9ed6119ab20004762220170100010008800100";
    // h323.pcap frame 66: ReleaseComplete.
    const RELEASE: &str = "0300002e080280015a7e00220525c0060008914a00045808110024ab157276fa18109a58001321f0699002800100";
    // h323.pcap frame 25: TPKT carrying H.245 on port 1232.
    const H245: &str = "0300001c0230010600088175000500801bc520401d00800000001bc5";
    // h323.pcap frame 59: RAS GRQ to 17.2.0.161:1719.
    const GRQ: &str =
        "02200000060008914a0004001102007c07f22200ae01003d0001030085c89a51208003014000";
    // h323.pcap frame 67: RAS message (choice 21) with no OID.
    const RAS_NO_OID: &str = "560010530001011100004091fb7289f911802a050403020100";

    #[test]
    fn real_q931() {
        assert_eq!(
            parse_tpkt_q931(&hex(SETUP)),
            Some(Q931Message {
                message_type: message_type::SETUP,
                call_reference: 0x77f4,
                from_destination: false
            })
        );
        assert_eq!(
            parse_tpkt_q931(&hex(PROCEEDING)),
            Some(Q931Message {
                message_type: message_type::CALL_PROCEEDING,
                call_reference: 0x77f4,
                from_destination: true
            })
        );
        assert_eq!(
            parse_tpkt_q931(&hex(RELEASE)).map(|m| m.message_type),
            Some(message_type::RELEASE_COMPLETE)
        );
        assert_eq!(probe(&hex(SETUP)), Probe::Certain);
        // h323.pcap frames 48 + 50: TPKT header alone, then bare Q.931.
        assert_eq!(probe(&hex("0300002b")), Probe::Unsure);
        assert_eq!(
            parse_q931(&hex("08028001017e001f050380060008914a")).map(|m| m.message_type),
            Some(message_type::ALERTING)
        );
    }

    #[test]
    fn ras_probe() {
        assert_eq!(probe_ras(&hex(GRQ)), Probe::Certain);
        assert_eq!(probe_ras(&hex(RAS_NO_OID)), Probe::Unsure);
        assert_eq!(probe_ras(&hex("ff000000")), Probe::NotForUs);
    }

    #[test]
    fn other_protocols_not_for_us() {
        assert_eq!(parse_tpkt_q931(&hex(H245)), None);
        assert_eq!(probe(&hex(H245)), Probe::NotForUs);
        // RDP X.224 connection request in TPKT.
        assert_eq!(
            probe(&hex("030000130ee000000000000100080003000000")),
            Probe::NotForUs
        );
        // sccp_hw_conf_register.pcapng frame 6 (Skinny IpPort).
        assert_eq!(
            probe(&hex("08000000000000000200000000000000")),
            Probe::NotForUs
        );
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [SETUP, PROCEEDING, RELEASE, H245, GRQ] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse_tpkt_q931(&p[..n]);
                let _ = parse_q931(&p[..n]);
                let _ = probe(&p[..n]);
                let _ = probe_ras(&p[..n]);
            }
        }
        let mut seed: u64 = 23;
        for n in 0..3000 {
            let mut g: Vec<u8> = (0..n % 24)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            if n % 2 == 0 && g.len() >= 5 {
                g[..2].copy_from_slice(&[3, 0]);
                g[4] = 8;
            }
            let _ = parse_tpkt_q931(&g);
            let _ = parse_q931(&g);
            let _ = probe(&g);
            let _ = probe_ras(&g);
        }
    }
}
