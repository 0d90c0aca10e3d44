//! Tencent Meeting's (VooV Meeting's) uplink header, read from captures of
//! the Windows client's meetings (2023, on home, office and poor Wi-Fi
//! networks): each RTP or RTCP packet the client sends its media edge (UDP
//! 8000 there, on addresses inside China Mobile's network that DNS names
//! wemeet-*.qq.com) starts with nine bytes, `08 02 00 00` and five bytes
//! naming the client's session, the same on every packet of the flow. The
//! edge sends its own RTP and RTCP back plain: the header addresses the
//! server, which strips it.
//!
//! Four fixed bytes alone are weak, so a packet counts only when an RTP or
//! RTCP header (version 2) follows them. Besides RTCP reports, the channel
//! carries the client's control messages in RTP's shape: payload type 100,
//! timestamp 0, one every few seconds, a DTLS record as payload. Media has
//! a random first timestamp (RFC 3550 §5.1) that advances: these are not.

/// The header's first four bytes.
pub const UPLINK_MAGIC: [u8; 4] = [0x08, 0x02, 0x00, 0x00];
/// The magic, then a 5-byte session identifier.
pub const UPLINK_HEADER_LEN: usize = 9;
/// RTP's fixed header: what must follow the uplink header at least.
const RTP_MIN_LEN: usize = 12;

/// The RTP or RTCP packet inside an uplink header, if `payload` is one.
#[inline]
pub fn uplink_inner(payload: &[u8]) -> Option<&[u8]> {
    if !payload.starts_with(&UPLINK_MAGIC) {
        return None;
    }
    let inner = payload.get(UPLINK_HEADER_LEN..)?;
    let version_2 = inner.first().is_some_and(|b| b >> 6 == 2);
    (version_2 && inner.len() >= RTP_MIN_LEN).then_some(inner)
}

/// Whether an uplink's inner packet is a control message in RTP's shape
/// (timestamp 0), not media.
pub fn is_control_message(inner: &[u8]) -> bool {
    let rtcp = inner
        .get(1)
        .is_some_and(|pt| crate::dissect::rtp::is_rtcp_payload_type(*pt));
    !rtcp && inner.get(4..8) == Some(&[0, 0, 0, 0][..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    #[test]
    fn uplink_rtcp_and_rtp_from_a_meeting() {
        // A sender report (PT 200), then SDES, and an RTP packet with
        // padding and a header extension (0xBEDE), from one client's
        // session 06 ea 46 0b f6.
        let rtcp = hex(
            "0802000006ea460bf681c8000cd6e6617783abbf8d2de6bc62b8e5a93e0000006e00001238d6e66177",
        );
        let inner = uplink_inner(&rtcp).unwrap();
        assert_eq!(inner.get(..2), Some(&[0x81, 0xc8][..]));
        let rtp = hex(
            "0802000006ea460bf6b0e4284800000000d6e66177bede000411421a990026000000c000000010000017fefd000100000000007f003e96",
        );
        let inner = uplink_inner(&rtp).unwrap();
        let h = crate::dissect::rtp::parse(inner).unwrap();
        assert_eq!((h.payload_type, h.ssrc), (100, 0xd6e6_6177));
        // Timestamp 0: a control message, one every ten seconds.
        assert!(is_control_message(inner));
        assert!(!is_control_message(uplink_inner(&rtcp).unwrap()));
    }

    #[test]
    fn other_payloads_are_not_uplinks() {
        // The edge's own (plain) RTCP; the magic before a non-RTP byte; a
        // header with nothing after it.
        for p in [
            "81c90007d6e66177d6e66177000000000000000000000000",
            "0802000006ea460c0242bac6001402000006ea460bee16feff",
            "0802000006ea460bf681c8",
        ] {
            assert_eq!(uplink_inner(&hex(p)), None, "{p}");
        }
    }
}
