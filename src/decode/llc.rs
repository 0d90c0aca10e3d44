//! IEEE 802.2 LLC with a SNAP header: how 802.11, 802.3 frames with a
//! length instead of an EtherType, and FDDI carry an EtherType.

/// LLC/SNAP header before an EtherType: DSAP AA, SSAP AA, UI, OUI 00-00-00
/// (RFC 1042) or 00-00-F8 (802.1H bridge tunnel).
pub const SNAP_RFC1042: [u8; 6] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00];
pub const SNAP_BRIDGE_TUNNEL: [u8; 6] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0xf8];

/// What an LLC header says follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Llc<'a> {
    /// An EtherType and what follows the SNAP header.
    EtherType(u16, &'a [u8]),
    /// Another LLC protocol (spanning tree, NetBIOS, IPX...) or no body.
    Other,
    /// Cut inside the SNAP header.
    Truncated,
}

/// Reads the LLC/SNAP header at the start of `body`.
pub fn snap(body: &[u8]) -> Llc<'_> {
    match body.split_first_chunk::<8>() {
        Some((snap, rest)) if snap[..6] == SNAP_RFC1042 || snap[..6] == SNAP_BRIDGE_TUNNEL => {
            Llc::EtherType(u16::from_be_bytes([snap[6], snap[7]]), rest)
        }
        Some(_) => Llc::Other,
        None if body.is_empty() || body.first() != Some(&0xaa) => Llc::Other,
        None => Llc::Truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snap_headers_and_others() {
        let mut frame = SNAP_RFC1042.to_vec();
        frame.extend_from_slice(&[0x08, 0x00, 0x45]);
        assert_eq!(snap(&frame), Llc::EtherType(0x0800, &[0x45][..]));
        let mut bridged = SNAP_BRIDGE_TUNNEL.to_vec();
        bridged.extend_from_slice(&[0x86, 0xdd]);
        assert_eq!(snap(&bridged), Llc::EtherType(0x86dd, &[][..]));
        // Spanning tree: DSAP and SSAP 0x42.
        assert_eq!(snap(&[0x42, 0x42, 0x03, 0, 0, 0, 0, 0, 0]), Llc::Other);
        assert_eq!(snap(&[]), Llc::Other);
        assert_eq!(snap(&SNAP_RFC1042[..4]), Llc::Truncated);
    }
}
