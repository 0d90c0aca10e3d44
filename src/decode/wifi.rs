//! Wi-Fi captures: IEEE 802.11 data frames (LINKTYPE_IEEE802_11, what
//! airdecap-ng writes once it has decrypted a capture), behind a radiotap
//! header (monitor mode on Linux and macOS) or a PPI header (older Windows
//! tools). A data frame carries an LLC/SNAP header and then the EtherType
//! an Ethernet frame would have; what follows is decoded as Ethernet's is.
//!
//! Layouts: IEEE 802.11-2020 9.2.4 (frame control, addresses, QoS and HT
//! control fields), radiotap.org (header and the Flags field), and the PPI
//! specification (CACE Technologies, 2007).

use super::llc::{self, Llc};

/// What a Wi-Fi frame holds for the decoder.
#[derive(Debug, PartialEq, Eq)]
pub enum WifiPayload<'a> {
    /// An EtherType and what follows the LLC/SNAP header.
    EtherType(u16, &'a [u8]),
    /// Management and control frames, data frames without a body (null
    /// frames) or with an LLC header other than SNAP.
    NotIp,
    /// The body is encrypted (WEP, WPA): the capture must be decrypted first.
    Encrypted,
    /// An A-MSDU: several packets in one frame, not split.
    Aggregated,
    /// The radio reported a bad frame check sequence.
    BadFcs,
    Truncated,
}

/// Frame control type "data" (bits 2-3 of the first byte).
const TYPE_DATA: u8 = 2;
/// Frame control flags (second byte).
const TO_DS: u8 = 0x01;
const FROM_DS: u8 = 0x02;
const PROTECTED: u8 = 0x40;
const HTC_ORDER: u8 = 0x80;

/// The payload of an 802.11 frame (no radio header in front).
pub fn ieee80211(frame: &[u8]) -> WifiPayload<'_> {
    let Some(&[fc0, fc1]) = frame.first_chunk::<2>() else {
        return WifiPayload::Truncated;
    };
    if fc0 & 0x03 != 0 || (fc0 >> 2) & 0x03 != TYPE_DATA {
        return WifiPayload::NotIp;
    }
    let subtype = fc0 >> 4;
    // Subtypes with bit 2 set (null, CF-Ack, CF-Poll without data, QoS
    // null) carry no body.
    if subtype & 0x04 != 0 {
        return WifiPayload::NotIp;
    }
    let qos = subtype & 0x08 != 0;
    let mut header = 24;
    if fc1 & (TO_DS | FROM_DS) == TO_DS | FROM_DS {
        header += 6;
    }
    let mut aggregated = false;
    if qos {
        let Some(&qos_control) = frame.get(header) else {
            return WifiPayload::Truncated;
        };
        aggregated = qos_control & 0x80 != 0;
        header += 2;
        if fc1 & HTC_ORDER != 0 {
            header += 4;
        }
    }
    let Some(body) = frame.get(header..) else {
        return WifiPayload::Truncated;
    };
    if fc1 & PROTECTED != 0 {
        return WifiPayload::Encrypted;
    }
    if aggregated {
        return WifiPayload::Aggregated;
    }
    match llc::snap(body) {
        Llc::EtherType(ether_type, rest) => WifiPayload::EtherType(ether_type, rest),
        Llc::Other => WifiPayload::NotIp,
        Llc::Truncated => WifiPayload::Truncated,
    }
}

/// Radiotap Flags bit: the radio found the frame's checksum (FCS) bad.
const RADIOTAP_FLAG_BAD_FCS: u8 = 0x40;

/// The payload of a radiotap-headed 802.11 frame. Only the header's
/// length and its Flags field are read: a frame the radio received with a
/// bad checksum is dropped rather than decoded into a made-up flow.
pub fn radiotap(data: &[u8]) -> WifiPayload<'_> {
    let Some(header) = data.first_chunk::<8>() else {
        return WifiPayload::Truncated;
    };
    let length = usize::from(u16::from_le_bytes([header[2], header[3]]));
    if header[0] != 0 || length < 8 {
        return WifiPayload::NotIp;
    }
    let Some((fields, frame)) = data.split_at_checked(length) else {
        return WifiPayload::Truncated;
    };
    if radiotap_flags(fields).is_some_and(|f| f & RADIOTAP_FLAG_BAD_FCS != 0) {
        return WifiPayload::BadFcs;
    }
    // A checksum at the frame's end (Flags bit 0x10) needs no trimming:
    // IP's own lengths end the datagram before it.
    ieee80211(frame)
}

/// The Flags field of a radiotap header, if present: after the presence
/// words (bit 31 of each says another follows) and TSFT (bit 0: eight
/// bytes, aligned to eight from the header's start), when that is present.
fn radiotap_flags(header: &[u8]) -> Option<u8> {
    let word = |at: usize| {
        header
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let present = word(4)?;
    if present & 0b10 == 0 {
        return None;
    }
    let mut at = 8;
    let mut last = present;
    while last & (1 << 31) != 0 {
        last = word(at)?;
        at += 4;
    }
    if present & 0b01 != 0 {
        at = at.next_multiple_of(8) + 8;
    }
    header.get(at).copied()
}

/// The link type and packet inside a PPI header (version 0: flags, the
/// header's length and the link type of what follows, little-endian).
pub fn ppi(data: &[u8]) -> Option<(i32, &[u8])> {
    let header = data.first_chunk::<8>()?;
    let length = usize::from(u16::from_le_bytes([header[2], header[3]]));
    let link = i32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if header[0] != 0 || length < 8 {
        return None;
    }
    Some((link, data.get(length..)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::llc::{SNAP_BRIDGE_TUNNEL, SNAP_RFC1042};

    const RADIOTAP_FLAG_FCS_AT_END: u8 = 0x10;

    /// A QoS data frame from a station to its access point (ToDS), with an
    /// LLC/SNAP header and the EtherType of IPv4, then `body`.
    fn qos_data_to_ap(flags: u8, qos: u8, body: &[u8]) -> Vec<u8> {
        let mut f = vec![0x88, TO_DS | flags, 0x30, 0x00];
        f.extend_from_slice(&[0x02; 18]); // three addresses
        f.extend_from_slice(&[0x10, 0x00]); // sequence control
        f.extend_from_slice(&[qos, 0x00]);
        if flags & HTC_ORDER != 0 {
            f.extend_from_slice(&[0; 4]);
        }
        f.extend_from_slice(&SNAP_RFC1042);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(body);
        f
    }

    #[test]
    fn data_frames_give_the_ether_type_and_what_follows() {
        let ip = [0x45, 0x00, 0x00, 0x14];
        let frame = qos_data_to_ap(0, 0, &ip);
        assert_eq!(ieee80211(&frame), WifiPayload::EtherType(0x0800, &ip[..]));
        let frame = qos_data_to_ap(HTC_ORDER, 0, &ip);
        assert_eq!(ieee80211(&frame), WifiPayload::EtherType(0x0800, &ip[..]));
        // A plain data frame between two access points: four addresses.
        let mut wds = vec![0x08, TO_DS | FROM_DS, 0, 0];
        wds.extend_from_slice(&[0x02; 20]);
        wds.extend_from_slice(&[0x04; 6]);
        wds.extend_from_slice(&SNAP_BRIDGE_TUNNEL);
        wds.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(ieee80211(&wds), WifiPayload::EtherType(0x86dd, &[0x60][..]));
    }

    #[test]
    fn frames_without_an_ip_payload_say_why() {
        let ip = [0x45, 0x00];
        assert_eq!(
            ieee80211(&qos_data_to_ap(PROTECTED, 0, &ip)),
            WifiPayload::Encrypted
        );
        assert_eq!(
            ieee80211(&qos_data_to_ap(0, 0x80, &ip)),
            WifiPayload::Aggregated
        );
        // A beacon (management), an ACK (control), a QoS null frame.
        assert_eq!(ieee80211(&[0x80, 0x00, 0, 0]), WifiPayload::NotIp);
        assert_eq!(ieee80211(&[0xd4, 0x00, 0, 0]), WifiPayload::NotIp);
        assert_eq!(ieee80211(&[0xc8, 0x01, 0, 0]), WifiPayload::NotIp);
        assert_eq!(ieee80211(&[0x88]), WifiPayload::Truncated);
        assert_eq!(
            ieee80211(&qos_data_to_ap(0, 0, &[])[..30]),
            WifiPayload::Truncated
        );
    }

    #[test]
    fn radiotap_is_skipped_and_a_bad_checksum_drops_the_frame() {
        let frame = qos_data_to_ap(0, 0, &[0x45]);
        // Present: TSFT and Flags; the flags byte after eight bytes of TSFT.
        let header = |flags: u8| {
            let mut h = vec![0, 0, 18, 0, 0x03, 0, 0, 0];
            h.extend_from_slice(&[0; 8]);
            h.extend_from_slice(&[flags, 0]);
            h
        };
        let good = [header(RADIOTAP_FLAG_FCS_AT_END), frame.clone()].concat();
        assert_eq!(radiotap(&good), WifiPayload::EtherType(0x0800, &[0x45][..]));
        let bad = [header(RADIOTAP_FLAG_BAD_FCS), frame.clone()].concat();
        assert_eq!(radiotap(&bad), WifiPayload::BadFcs);
        // An extended presence bitmap moves TSFT to the next eight-byte boundary.
        let mut ext = vec![0, 0, 24, 0, 0x03, 0, 0, 0x80, 0, 0, 0, 0];
        ext.extend_from_slice(&[0; 4]); // padding to eight
        ext.extend_from_slice(&[0; 8]); // TSFT
        ext[2] = 26;
        ext.extend_from_slice(&[RADIOTAP_FLAG_BAD_FCS, 0]);
        assert_eq!(
            radiotap(&[ext, frame.clone()].concat()),
            WifiPayload::BadFcs
        );
        assert_eq!(radiotap(&good[..12]), WifiPayload::Truncated);
        assert_eq!(radiotap(&[1, 0, 8, 0, 0, 0, 0, 0]), WifiPayload::NotIp);
    }

    #[test]
    fn ppi_names_the_link_type_inside() {
        let data = [0, 0, 8, 0, 105, 0, 0, 0, 0x88, 0x01];
        assert_eq!(ppi(&data), Some((105, &[0x88, 0x01][..])));
        assert_eq!(ppi(&data[..6]), None);
        assert_eq!(ppi(&[0, 0, 12, 0, 105, 0, 0, 0]), None);
    }
}
