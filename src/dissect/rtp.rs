//! RTP fixed header (RFC 3550 §5.1) with CSRCs and header extension.
//!
//! SRTP (RFC 3711) keeps this header in the clear and encrypts only the
//! payload (plus an optional MKI and auth tag at the end), so the same
//! parser serves RTP and SRTP; nothing here tries to tell them apart.

use crate::dissect::Probe;

/// Fixed header length before CSRCs.
pub const FIXED_HEADER_LEN: usize = 12;

/// The parsed RTP header. `header_len` counts the fixed header, CSRCs and
/// the extension, so the payload starts at `payload[header_len..]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrc_count: u8,
    pub has_extension: bool,
    pub padding: bool,
    pub header_len: usize,
}

/// Parses an RTP version-2 header; `None` if the version is not 2 or the
/// CSRC list or extension does not fit. The padding count is not checked:
/// under SRTP it sits inside the encrypted payload.
pub fn parse(payload: &[u8]) -> Option<RtpHeader> {
    let b0 = *payload.first()?;
    let b1 = *payload.get(1)?;
    if b0 >> 6 != 2 {
        return None;
    }
    let padding = b0 & 0x20 != 0;
    let has_extension = b0 & 0x10 != 0;
    let csrc_count = b0 & 0x0F;
    let sequence = u16::from_be_bytes(payload.get(2..4)?.try_into().ok()?);
    let timestamp = u32::from_be_bytes(payload.get(4..8)?.try_into().ok()?);
    let ssrc = u32::from_be_bytes(payload.get(8..12)?.try_into().ok()?);
    let mut header_len = FIXED_HEADER_LEN + 4 * usize::from(csrc_count);
    if has_extension {
        // Extension: 16-bit profile, 16-bit length in 32-bit words (§5.3.1).
        let ext_words = payload.get(header_len + 2..header_len + 4)?;
        let words = usize::from(u16::from_be_bytes(ext_words.try_into().ok()?));
        header_len += 4 + 4 * words;
    }
    if header_len > payload.len() {
        return None;
    }
    Some(RtpHeader {
        marker: b1 & 0x80 != 0,
        payload_type: b1 & 0x7F,
        sequence,
        timestamp,
        ssrc,
        csrc_count,
        has_extension,
        padding,
        header_len,
    })
}

/// Whether the second byte of a v2 packet is an RTCP packet type that
/// RFC 5761 §4 reserves so RTP and RTCP can share a port: 192–223 (i.e.
/// RTP marker set with payload type 64–95).
pub fn is_rtcp_payload_type(pt_byte: u8) -> bool {
    (192..=223).contains(&pt_byte)
}

/// Whether a payload could be RTP. A single packet is never `Certain`:
/// random bytes pass this check often; the flow must see consecutive
/// sequence numbers and one SSRC. Accepts static types 0–34 (RFC 3551) and
/// dynamic 96–127; rejects the RTCP range (RFC 5761) and 35–95.
pub fn probe(payload: &[u8]) -> Probe {
    let Some(b1) = payload.get(1) else {
        return Probe::NotForUs;
    };
    if is_rtcp_payload_type(*b1) {
        return Probe::NotForUs;
    }
    match parse(payload) {
        Some(h) if h.payload_type <= 34 || h.payload_type >= 96 => Probe::Unsure,
        _ => Probe::NotForUs,
    }
}

/// RTP clock rate of a static payload type (RFC 3551 tables 4 and 5).
/// Dynamic types (96–127) and unassigned ones give `None`: their rate is
/// in the SDP `a=rtpmap`.
pub fn clock_rate(payload_type: u8) -> Option<u32> {
    match payload_type {
        // PCMU, GSM, G723, DVI4/8000, LPC, PCMA, G722 (8000 by the RFC's
        // historical error), QCELP, CN, G728, G729.
        0 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 13 | 15 | 18 => Some(8_000),
        6 => Some(16_000),       // DVI4/16000
        10 | 11 => Some(44_100), // L16 stereo / mono
        16 => Some(11_025),      // DVI4/11025
        17 => Some(22_050),      // DVI4/22050
        // MPA, CelB, JPEG, nv, H261, MPV, MP2T, H263.
        14 | 25 | 26 | 28 | 31 | 32 | 33 | 34 => Some(90_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // rtp.pcapng frame 2: H.263 (PT 34) with marker, seq 273, ts 649350,
    // SSRC 0x1646 (first 40 bytes).
    const H263: &str =
        "80a201110009e8860000164600700000b5261f2b5c2c688c2f9f58c42fb60f87fbc7f74603db3a2d";
    // stun_wa_call.pcapng frame 49 (first 40 bytes): WhatsApp media,
    // extension bit set, PT 120, profile 0xdebe with 2 words.
    const WA_EXT: &str =
        "9078000100019c801b9f01eedebe0002d300004380000000c1dae7730a38f0dde9dac7b62304bd6f";

    #[test]
    fn parses_real_header() {
        let b = hex(H263);
        let h = parse(&b).unwrap();
        assert!(h.marker);
        assert_eq!(h.payload_type, 34);
        assert_eq!(h.sequence, 273);
        assert_eq!(h.timestamp, 649_350);
        assert_eq!(h.ssrc, 0x1646);
        assert_eq!(h.csrc_count, 0);
        assert!(!h.has_extension && !h.padding);
        assert_eq!(h.header_len, 12);
        assert_eq!(probe(&b), Probe::Unsure);
        assert_eq!(clock_rate(h.payload_type), Some(90_000));
    }

    #[test]
    fn extension_and_csrcs_must_fit() {
        // V=2, X=1, CC=1; one CSRC then an extension of 2 words.
        let mut b = hex("9160000100000001000000aa000000bbbede0002");
        assert!(parse(&b).is_none());
        b.extend_from_slice(&[0; 8]);
        let h = parse(&b).unwrap();
        assert_eq!(h.csrc_count, 1);
        assert!(h.has_extension);
        assert_eq!(h.header_len, 12 + 4 + 4 + 8);
        assert_eq!(h.payload_type, 0x60);
        let w = hex(WA_EXT);
        let h = parse(&w).unwrap();
        assert!(h.has_extension && !h.marker);
        assert_eq!((h.payload_type, h.sequence, h.ssrc), (120, 1, 0x1b9f01ee));
        assert_eq!(h.header_len, 24);
        assert_eq!(probe(&w), Probe::Unsure);
        assert!(parse(&w[..23]).is_none());
    }

    #[test]
    fn probe_rules() {
        let mut b = hex(H263);
        // RTCP SR (PT byte 200) is not RTP.
        b[1] = 200;
        assert_eq!(probe(&b), Probe::NotForUs);
        b[1] = 223;
        assert_eq!(probe(&b), Probe::NotForUs);
        // PT 50 is unassigned.
        b[1] = 50;
        assert_eq!(probe(&b), Probe::NotForUs);
        // Dynamic 111 (Opus) with marker.
        b[1] = 0x80 | 111;
        assert_eq!(probe(&b), Probe::Unsure);
        // Version 1.
        b[0] = 0x40;
        assert_eq!(probe(&b), Probe::NotForUs);
        assert!(is_rtcp_payload_type(0xc9));
        assert!(!is_rtcp_payload_type(0x80 | 34));
        assert_eq!(clock_rate(0), Some(8000));
        assert_eq!(clock_rate(111), None);
        assert_eq!(clock_rate(6), Some(16000));
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        let b = hex("9160000100000001000000aa000000bbbede00020000000000000000");
        for n in 0..=b.len() {
            let _ = parse(&b[..n]);
            let _ = probe(&b[..n]);
        }
        let mut x: u32 = 99;
        let mut buf = [0u8; 48];
        for _ in 0..5000 {
            for v in buf.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *v = (x >> 16) as u8;
            }
            buf[0] = 0x80 | (buf[0] & 0x3f);
            let n = (x as usize) % (buf.len() + 1);
            if let Some(h) = parse(&buf[..n]) {
                assert!(h.header_len <= n);
            }
            let _ = probe(&buf[..n]);
        }
    }
}
