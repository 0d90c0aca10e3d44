//! Copies of one packet in a capture: a mirror port that copies both
//! directions of a link (so a packet between two of its hosts is copied
//! leaving one and again entering the other), or one packet captured on
//! both sides of a router (its TTL one less, the rest the same). They are
//! counted once: left alone they double a flow's packets and a media
//! stream's rate. What marks a copy is what the sender wrote and no hop
//! changes: the transport checksum, the IPv4 identification, the TCP
//! sequence number, the payload's length and its first and last 4 bytes,
//! on the same flow and side, right behind the packet. The checksum alone
//! is not enough: a capture on the sending host shows its outgoing
//! packets before the network card fills the checksum in, with only the
//! addresses', ports' and length's share in it (tcpdump and Wireshark say
//! "incorrect, maybe offloaded"); the payload's ends differ from one
//! packet to the next (an RTP sequence number, an encrypted packet's
//! authentication tag).

use crate::capture::Timestamp;
use crate::decode::PacketView;

/// How close behind a packet its copy comes. Copies arrive microseconds
/// apart (up to 0.75 ms in nDPI's test captures that hold them); a sender
/// repeats a packet (a retransmission) only after a round trip or a timer.
pub const WINDOW_NANOS: i64 = 1_000_000;

/// The mark two copies of a packet share and the next packet of its flow
/// does not (but for a rare collision of its 32 bits). Zero when the packet
/// cannot tell: neither an identification nor a payload (a TCP receiver's
/// duplicate ACKs are the same bytes when the identification is 0, as
/// Linux and macOS send it with don't-fragment set, and over IPv6).
/// `src_is_lo`: which side of the flow sent it.
pub fn mark(pkt: &PacketView<'_>, src_is_lo: bool) -> u32 {
    let m = pkt.marks;
    let payload = pkt.payload;
    if m.ipv4_id == 0 && payload.is_empty() {
        return 0;
    }
    // A few instructions per packet: words at both ends of the payload
    // (an RTP sequence number, an authentication tag) and the fields,
    // folded without a multiplication but the length's.
    let word = |w: Option<&[u8; 4]>| w.map_or(0, |b| u32::from_le_bytes(*b));
    let fields = (u32::from(m.ipv4_id) << 16 | u32::from(m.checksum))
        ^ (payload.len() as u32).wrapping_mul(SPREAD)
        ^ pkt.tcp_seq.rotate_left(7)
        ^ u32::from(src_is_lo) << 31;
    let h = fields ^ word(payload.first_chunk()).rotate_left(13) ^ word(payload.last_chunk());
    // Zero means "cannot tell".
    h.max(1)
}

/// An odd constant with well-spread bits (the 32-bit golden ratio).
const SPREAD: u32 = 0x9e37_79b9;

/// Whether a packet marked `mark` at `ts` is a copy of its flow's last
/// packet, marked `last_mark`, the flow's latest time being `last_seen`.
pub fn is_copy(mark: u32, ts: Timestamp, last_mark: u32, last_seen: Timestamp) -> bool {
    mark != 0 && mark == last_mark && ts.nanos_since(last_seen) <= WINDOW_NANOS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{DuplicateMarks, Fragment, L4Proto};

    fn packet(payload: &[u8], ipv4_id: u16, checksum: u16) -> PacketView<'_> {
        let mut p = PacketView::between(
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            L4Proto::Udp,
            payload,
            Fragment::Whole,
        );
        p.marks = DuplicateMarks { ipv4_id, checksum };
        p
    }

    #[test]
    fn a_copy_is_the_same_packet_from_the_same_side_right_behind() {
        let at = Timestamp(5_000_000_000);
        let first = mark(&packet(b"rtp 1 ... tag 1", 0x1384, 0x8c97), true);
        let copy = mark(&packet(b"rtp 1 ... tag 1", 0x1384, 0x8c97), true);
        assert!(is_copy(copy, Timestamp(at.0 + 25_000), first, at));
        // Too late behind it, from the other side, or another packet.
        assert!(!is_copy(copy, Timestamp(at.0 + 2_000_000), first, at));
        let back = mark(&packet(b"rtp 1 ... tag 1", 0x1384, 0x8c97), false);
        assert!(!is_copy(back, Timestamp(at.0 + 25_000), first, at));
        let next = mark(&packet(b"rtp 2 ... tag 2", 0x1385, 0x785c), true);
        assert!(!is_copy(next, Timestamp(at.0 + 25_000), first, at));
    }

    /// Packets sent from the capturing host, checksum not yet filled in
    /// (the same for every packet of a length) and no identification:
    /// their payloads tell them apart.
    #[test]
    fn offloaded_checksums_do_not_make_packets_copies() {
        let one = mark(&packet(b"\x40quic packet 9 tag a", 0, 0x0052), true);
        let two = mark(&packet(b"\x40quic packet 10tag b", 0, 0x0052), true);
        assert_ne!(one, two);
        // Nor a gateway's RTP with no checksum and a fixed identification.
        let rtp = |seq: u8| mark(&packet(&[0x80, 0x00, 0x00, seq, 1, 2, 3, 4], 1, 0), true);
        assert_ne!(rtp(1), rtp(2));
    }

    #[test]
    fn packets_that_cannot_tell_are_never_copies() {
        // A pure ACK without identification.
        assert_eq!(mark(&packet(b"", 0, 0x551b), true), 0);
        // With an identification, or a payload, it can.
        assert_ne!(mark(&packet(b"", 7, 0x551b), true), 0);
        assert_ne!(mark(&packet(b"x", 0, 0x551b), true), 0);
        let at = Timestamp(0);
        assert!(!is_copy(0, at, 0, at));
    }
}
