//! First-byte demultiplexing of the protocols that share one UDP 5-tuple in
//! WebRTC-style media sessions (RFC 7983, updated by RFC 9443 for QUIC and
//! the narrowed TURN channel range). It only says where to look next; each
//! dissector's `probe` decides.

/// The protocol family a first byte points to (RFC 9443 §3 figure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FirstByteKind {
    /// 0–3: STUN / TURN control messages (top two type bits are zero);
    /// also 8, where WhatsApp's relay messages (types 0x0800–0x0805, with
    /// the magic cookie) begin: RFC 9443 leaves it unassigned.
    Stun,
    /// 16–19: ZRTP (RFC 6189).
    Zrtp,
    /// 20–63: DTLS records (content types 20–25, and the DTLS 1.3 unified
    /// header 0b001xxxxx which falls in 32–63).
    Dtls,
    /// 64–79: TURN ChannelData (channels 0x4000–0x4FFF, RFC 8656 §12).
    /// QUIC short headers also start here; RFC 9443 gives the channel
    /// precedence when a channel is bound, which only the flow knows.
    TurnChannel,
    /// 128–191: RTP or RTCP version 2.
    RtpRtcp,
    /// 80–127 (QUIC short header, fixed bit set) and 192–255 (QUIC long
    /// header) per RFC 9443.
    Quic,
    /// 4–15: unassigned by RFC 7983/9443 (drop or hand to app heuristics).
    Other,
}

/// Classifies a payload by its first byte as RFC 9443 §3 does.
pub fn classify(first_byte: u8) -> FirstByteKind {
    match first_byte {
        0..=3 | WHATSAPP_STUN => FirstByteKind::Stun,
        16..=19 => FirstByteKind::Zrtp,
        20..=63 => FirstByteKind::Dtls,
        64..=79 => FirstByteKind::TurnChannel,
        80..=127 | 192..=255 => FirstByteKind::Quic,
        128..=191 => FirstByteKind::RtpRtcp,
        4..=15 => FirstByteKind::Other,
    }
}

/// The first byte of WhatsApp's relay messages (`stun::whatsapp_stun_type`).
const WHATSAPP_STUN: u8 = 0x08;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc9443() {
        assert_eq!(classify(0x00), FirstByteKind::Stun);
        assert_eq!(classify(0x03), FirstByteKind::Stun);
        assert_eq!(classify(0x04), FirstByteKind::Other);
        assert_eq!(classify(0x08), FirstByteKind::Stun);
        assert_eq!(classify(0x09), FirstByteKind::Other);
        assert_eq!(classify(0x0F), FirstByteKind::Other);
        assert_eq!(classify(0x10), FirstByteKind::Zrtp);
        assert_eq!(classify(0x13), FirstByteKind::Zrtp);
        assert_eq!(classify(0x14), FirstByteKind::Dtls);
        assert_eq!(classify(0x16), FirstByteKind::Dtls);
        assert_eq!(classify(0x3F), FirstByteKind::Dtls);
        assert_eq!(classify(0x40), FirstByteKind::TurnChannel);
        assert_eq!(classify(0x4F), FirstByteKind::TurnChannel);
        assert_eq!(classify(0x50), FirstByteKind::Quic);
        assert_eq!(classify(0x7F), FirstByteKind::Quic);
        assert_eq!(classify(0x80), FirstByteKind::RtpRtcp);
        assert_eq!(classify(0xBF), FirstByteKind::RtpRtcp);
        assert_eq!(classify(0xC0), FirstByteKind::Quic);
        assert_eq!(classify(0xFF), FirstByteKind::Quic);
    }

    #[test]
    fn real_first_bytes() {
        // stun.pcap frame 26 (Binding success), dtls.pcap frame 1
        // (ClientHello), rtp.pcapng frame 1 (H.263 RTP),
        // rtcp_multiple_pkts_in_the_same_datagram.pcap frame 1 (SR).
        assert_eq!(classify(0x01), FirstByteKind::Stun);
        assert_eq!(classify(0x16), FirstByteKind::Dtls);
        assert_eq!(classify(0x80), FirstByteKind::RtpRtcp);
        assert_eq!(classify(0x81), FirstByteKind::RtpRtcp);
    }
}
