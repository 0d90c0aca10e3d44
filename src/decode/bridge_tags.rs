//! Tags that data-centre and carrier switches put in front of a frame's
//! EtherType (besides VLAN tags and MPLS): a capture from a mirrored port
//! of such a network shows them on every packet, while the flows are in
//! the frame they wrap.
//! Formats: IEEE 802.1ah Provider Backbone Bridges (I-TAG, then the
//! customer's addresses and EtherType), Cisco VN-Tag (802.1Qbh: a 4-byte
//! tag, then the EtherType) and Cisco FabricPath (a 2-byte FTag/TTL after
//! its EtherType, then the original frame from its destination address).

/// IEEE 802.1ah backbone service instance tag (I-TAG).
const PBB_ITAG: u16 = 0x88e7;
/// Cisco VN-Tag.
const VN_TAG: u16 = 0x8926;
/// Cisco FabricPath.
const FABRIC_PATH: u16 = 0x8903;

/// The EtherType and body of the frame behind one such tag, if
/// `ether_type` is one and the frame is long enough to hold it.
pub fn unwrap(ether_type: u16, body: &[u8]) -> Option<(u16, &[u8])> {
    // Where the inner EtherType is, counted from the end of the tag's own.
    let type_at = match ether_type {
        PBB_ITAG => 4 + 12,
        VN_TAG => 4,
        FABRIC_PATH => 2 + 12,
        _ => return None,
    };
    let (&[hi, lo], rest) = body.get(type_at..)?.split_first_chunk::<2>()?;
    Some((u16::from_be_bytes([hi, lo]), rest))
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
}
