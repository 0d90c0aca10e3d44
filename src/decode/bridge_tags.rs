//! Tags that data-centre and carrier switches put in front of a frame's
//! EtherType (besides VLAN tags and MPLS): a capture from a mirrored port
//! of such a network shows them on every packet, while the flows are in
//! the frame they wrap.
//! Formats: IEEE 802.1ah Provider Backbone Bridges (I-TAG, then the
//! customer's addresses and EtherType), Cisco VN-Tag (802.1Qbh: a 4-byte
//! tag, then the EtherType) and Cisco FabricPath (a 2-byte FTag/TTL after
//! its EtherType, then the original frame from its destination address);
//! and Arista's timestamp header, which its tap-aggregation switches add to
//! mirrored frames (a 2-byte subtype, a 2-byte version whose format bits
//! give a 64- or 48-bit timestamp, then the EtherType; tcpdump's
//! print-arista.c).

/// IEEE 802.1ah backbone service instance tag (I-TAG).
const PBB_ITAG: u16 = 0x88e7;
/// Cisco VN-Tag.
const VN_TAG: u16 = 0x8926;
/// Cisco FabricPath.
const FABRIC_PATH: u16 = 0x8903;
/// Arista's vendor EtherType; subtype 1 is the timestamp header.
const ARISTA: u16 = 0xd28b;
const ARISTA_TIMESTAMP: u16 = 0x0001;

/// The EtherType and body of the frame behind one such tag, if
/// `ether_type` is one and the frame is long enough to hold it.
pub fn unwrap(ether_type: u16, body: &[u8]) -> Option<(u16, &[u8])> {
    // Where the inner EtherType is, counted from the end of the tag's own.
    let type_at = match ether_type {
        PBB_ITAG => 4 + 12,
        VN_TAG => 4,
        FABRIC_PATH => 2 + 12,
        ARISTA => 4 + arista_timestamp_len(body)?,
        _ => return None,
    };
    let (&[hi, lo], rest) = body.get(type_at..)?.split_first_chunk::<2>()?;
    Some((u16::from_be_bytes([hi, lo]), rest))
}

/// Bytes of an Arista timestamp header's timestamp, from its subtype and
/// version; `None` for other subtypes and formats.
fn arista_timestamp_len(body: &[u8]) -> Option<usize> {
    let (&[s0, s1, v0, v1], _) = body.split_first_chunk::<4>()?;
    if u16::from_be_bytes([s0, s1]) != ARISTA_TIMESTAMP {
        return None;
    }
    // Version: timescale (8 bits), format (4), hardware (4).
    match (u16::from_be_bytes([v0, v1]) >> 4) & 0xf {
        1 => Some(8),
        2 => Some(6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tag_gives_the_frame_behind_it() {
        let macs = [0x02; 12];
        let mut pbb = vec![0x00, 0x1e, 0xbb, 0x30];
        pbb.extend_from_slice(&macs);
        pbb.extend_from_slice(&[0x08, 0x00, 0x45]);
        assert_eq!(unwrap(PBB_ITAG, &pbb), Some((0x0800, &[0x45][..])));
        let vn = [0x00, 0x00, 0x00, 0x00, 0x81, 0x00, 0x00, 0x0b];
        assert_eq!(unwrap(VN_TAG, &vn), Some((0x8100, &[0x00, 0x0b][..])));
        let mut fp = vec![0x00, 0x00];
        fp.extend_from_slice(&macs);
        fp.extend_from_slice(&[0x86, 0xdd]);
        assert_eq!(unwrap(FABRIC_PATH, &fp), Some((0x86dd, &[][..])));
        assert_eq!(unwrap(FABRIC_PATH, &fp[..15]), None);
        assert_eq!(unwrap(0x0800, &pbb), None);
    }

    /// The first frames of tcpdump's tests/arista_ether.pcap, from the
    /// EtherType's end: a 64-bit timestamp (version 0x0010) before IPv4,
    /// and a 48-bit one (0x0020) before MPLS.
    #[test]
    fn arista_timestamps_of_both_lengths_give_the_frame_behind() {
        let v64 = [
            0x00, 0x01, 0x00, 0x10, 0x5c, 0xee, 0xed, 0x57, 0x38, 0x4f, 0x59, 0xc8, 0x08, 0x00,
            0x45,
        ];
        assert_eq!(unwrap(ARISTA, &v64), Some((0x0800, &[0x45][..])));
        let v48 = [
            0x00, 0x01, 0x01, 0x20, 0xed, 0x57, 0x38, 0x4f, 0x59, 0xc8, 0x88, 0x47,
        ];
        assert_eq!(unwrap(ARISTA, &v48), Some((0x8847, &[][..])));
        let other_subtype = [0x00, 0x02, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        assert_eq!(unwrap(ARISTA, &other_subtype), None);
        let unknown_format = [0x00, 0x01, 0x00, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        assert_eq!(unwrap(ARISTA, &unknown_format), None);
        assert_eq!(unwrap(ARISTA, &v64[..3]), None);
    }
}
