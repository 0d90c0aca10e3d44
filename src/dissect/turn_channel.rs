//! TURN ChannelData messages (RFC 8656 §12.4): a 4-byte header (channel
//! number, length) then the application data, used once a client has bound a
//! channel to a peer. Over TCP/TLS the message is padded to a multiple of 4
//! (§12.5); over UDP padding is optional.

/// First channel number (RFC 8656 §12: 0x4000–0x4FFF; RFC 5766 allowed up
/// to 0x7FFF, RFC 9443 narrowed it so QUIC can share the port).
pub const MIN_CHANNEL: u16 = 0x4000;
/// Last valid channel number (RFC 8656 §12).
pub const MAX_CHANNEL: u16 = 0x4FFF;
/// ChannelData header length.
pub const HEADER_LEN: usize = 4;

/// A ChannelData message borrowed from the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// Channel number, 0x4000–0x4FFF.
    pub channel: u16,
    /// The relayed application data, exactly `length` bytes.
    pub data: &'a [u8],
}

impl ChannelData<'_> {
    /// Whether this message is all of `payload` (the datagram, or the
    /// stream message it was parsed from) but for up to 3 bytes of padding
    /// (RFC 8656 §12.5): what a TURN client sends, and what a random
    /// first byte of 0x40-0x4f with a length field after it seldom is.
    pub fn fills(&self, payload: &[u8]) -> bool {
        payload
            .len()
            .checked_sub(HEADER_LEN + self.data.len())
            .is_some_and(|padding| padding <= 3)
    }

    /// Bytes this message occupies on a stream transport: header, data and
    /// padding to a multiple of 4 (RFC 8656 §12.5).
    pub fn tcp_len(&self) -> usize {
        HEADER_LEN.saturating_add(self.data.len().next_multiple_of(4))
    }
}

/// Parses a ChannelData message at the start of `payload`. The length field
/// bounds the data; trailing bytes (UDP padding) are ignored.
pub fn parse(payload: &[u8]) -> Option<ChannelData<'_>> {
    let (header, rest) = payload.split_at_checked(HEADER_LEN)?;
    let channel = u16::from_be_bytes(header.get(0..2)?.try_into().ok()?);
    let len = usize::from(u16::from_be_bytes(header.get(2..4)?.try_into().ok()?));
    if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&channel) {
        return None;
    }
    let data = rest.get(..len)?;
    Some(ChannelData { channel, data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    #[test]
    fn parses_channel_and_bounds_data() {
        // Channel 0x4000 (bound in stun_dtls_rtp.pcapng frame 58) carrying
        // a 5-byte datagram with 3 bytes of TCP padding after it.
        let msg = hex("40000005aabbccddee000000");
        let cd = parse(&msg).unwrap();
        assert_eq!(cd.channel, 0x4000);
        assert_eq!(cd.data, &msg[4..9]);
        assert_eq!(cd.tcp_len(), 12);
        assert!(cd.fills(&msg));
        assert!(cd.fills(&msg[..9]));
        let mut longer = msg.clone();
        longer.push(0);
        assert!(!cd.fills(&longer));
    }

    #[test]
    fn rejects_out_of_range_and_short() {
        assert!(parse(&hex("3fff0000")).is_none());
        assert!(parse(&hex("50000000")).is_none());
        assert!(parse(&hex("40010008aabb")).is_none());
        assert!(parse(&hex("4001")).is_none());
        assert_eq!(parse(&hex("4fff0000")).unwrap().data.len(), 0);
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        let msg = hex("40000005aabbccddee000000");
        for n in 0..=msg.len() {
            let _ = parse(&msg[..n]);
        }
        let mut x: u32 = 12345;
        let mut buf = [0u8; 64];
        for _ in 0..2000 {
            for b in buf.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (x >> 16) as u8;
            }
            buf[0] = 0x40 | (buf[0] & 0x0F);
            let n = (x as usize) % buf.len();
            if let Some(cd) = parse(&buf[..n]) {
                assert!(cd.data.len() + 4 <= n);
            }
        }
    }
}
