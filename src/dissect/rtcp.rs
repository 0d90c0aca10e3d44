//! RTCP compound packets (RFC 3550 §6): walk each packet by its length
//! field, and read SR/RR report blocks.
//!
//! SRTCP (RFC 3711 §3.4) keeps the first packet's 8-byte header clear and
//! encrypts the rest, then appends an index and auth tag. The walk then
//! yields the first packet and stops where the ciphertext no longer looks
//! like RTCP; report blocks of an encrypted packet are meaningless.

use crate::dissect::Probe;

/// Sender report (RFC 3550 §6.4.1).
pub const SR: u8 = 200;
/// Receiver report (RFC 3550 §6.4.2).
pub const RR: u8 = 201;
/// Source description (RFC 3550 §6.5).
pub const SDES: u8 = 202;
/// Goodbye (RFC 3550 §6.6).
pub const BYE: u8 = 203;
/// Application-defined (RFC 3550 §6.7).
pub const APP: u8 = 204;
/// Transport-layer feedback (RFC 4585).
pub const RTPFB: u8 = 205;
/// Payload-specific feedback (RFC 4585).
pub const PSFB: u8 = 206;
/// Extended reports (RFC 3611).
pub const XR: u8 = 207;
/// Last packet type in the IANA registry we accept (213, SNM).
pub const LAST_KNOWN_PT: u8 = 213;

const REPORT_BLOCK_LEN: usize = 24;
/// SR sender info: NTP (8), RTP timestamp (4), packet and octet counts.
const SENDER_INFO_LEN: usize = 20;

/// One packet of a compound RTCP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    pub packet_type: u8,
    /// The 5-bit count field (report count, source count or subtype).
    pub count: u8,
    /// Sender SSRC: the first word after the header, when the packet type
    /// has one (SDES and BYE only when their count is non-zero).
    pub ssrc: Option<u32>,
    /// Everything after the 4-byte common header up to the declared
    /// length (includes the SSRC word and any padding).
    pub body: &'a [u8],
}

/// A reception report block (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Fraction lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative packets lost (24-bit signed).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units.
    pub jitter: u32,
}

impl<'a> RtcpPacket<'a> {
    /// Report blocks of an SR or RR; empty for other types. Stops at the
    /// first block that does not fit.
    pub fn report_blocks(&self) -> impl Iterator<Item = ReportBlock> + 'a {
        let start = match self.packet_type {
            SR => 4 + SENDER_INFO_LEN,
            RR => 4,
            _ => usize::MAX,
        };
        let count = if start == usize::MAX {
            0
        } else {
            usize::from(self.count)
        };
        let blocks = self.body.get(start..).unwrap_or(&[]);
        blocks
            .chunks_exact(REPORT_BLOCK_LEN)
            .take(count)
            .filter_map(report_block)
    }

    pub fn is_sender_report(&self) -> bool {
        self.packet_type == SR
    }
}

fn report_block(b: &[u8]) -> Option<ReportBlock> {
    let ssrc = be32(b, 0)?;
    let lost_word = be32(b, 4)?;
    let fraction_lost = (lost_word >> 24) as u8;
    // Sign-extend the 24-bit cumulative loss.
    let cumulative_lost = ((lost_word << 8) as i32) >> 8;
    Some(ReportBlock {
        ssrc,
        fraction_lost,
        cumulative_lost,
        highest_seq: be32(b, 8)?,
        jitter: be32(b, 12)?,
    })
}

/// Iterator over a compound RTCP datagram.
#[derive(Clone, Debug)]
pub struct RtcpIter<'a> {
    rest: &'a [u8],
}

impl RtcpIter<'_> {
    /// Bytes not consumed (non-empty after a stop on malformed data).
    pub fn remainder(&self) -> &[u8] {
        self.rest
    }
}

/// Walks the packets of a compound RTCP datagram.
pub fn packets(payload: &[u8]) -> RtcpIter<'_> {
    RtcpIter { rest: payload }
}

impl<'a> Iterator for RtcpIter<'a> {
    type Item = RtcpPacket<'a>;

    fn next(&mut self) -> Option<RtcpPacket<'a>> {
        let (pkt, rest) = split_packet(self.rest)?;
        self.rest = rest;
        Some(pkt)
    }
}

fn split_packet(buf: &[u8]) -> Option<(RtcpPacket<'_>, &[u8])> {
    let b0 = *buf.first()?;
    let packet_type = *buf.get(1)?;
    if b0 >> 6 != 2 || !(SR..=LAST_KNOWN_PT).contains(&packet_type) {
        return None;
    }
    let words = usize::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?));
    let total = (words + 1) * 4;
    let (pkt, rest) = buf.split_at_checked(total)?;
    let body = pkt.get(4..)?;
    let count = b0 & 0x1F;
    let ssrc = match packet_type {
        SDES | BYE if count == 0 => None,
        _ => be32(body, 0),
    };
    Some((
        RtcpPacket {
            packet_type,
            count,
            ssrc,
            body,
        },
        rest,
    ))
}

/// Whether a payload is RTCP: version 2, first packet type 200–213 and
/// its length within the datagram. `Certain` when every packet's length
/// chains exactly to the end of the datagram and SR/RR report blocks fit;
/// `Unsure` when only the first packet is sound (e.g. SRTCP, whose tail is
/// encrypted).
pub fn probe(payload: &[u8]) -> Probe {
    let mut it = packets(payload);
    let Some(first) = it.next() else {
        return Probe::NotForUs;
    };
    let mut all_sound = report_blocks_fit(&first);
    for p in it.by_ref() {
        all_sound &= report_blocks_fit(&p);
    }
    if it.remainder().is_empty() && all_sound {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

fn report_blocks_fit(p: &RtcpPacket<'_>) -> bool {
    let fixed = match p.packet_type {
        SR => 4 + SENDER_INFO_LEN,
        RR => 4,
        _ => return true,
    };
    fixed + usize::from(p.count) * REPORT_BLOCK_LEN <= p.body.len()
}

fn be32(buf: &[u8], off: usize) -> Option<u32> {
    let end = off.checked_add(4)?;
    Some(u32::from_be_bytes(buf.get(off..end)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // rtcp_multiple_pkts_in_the_same_datagram.pcap frames 3 (SR + SDES)
    // and 4 (RR + SDES).
    const SR_SDES: &str = "81c8000c5d931534dd3ac17452808c820000faa0000001910000faa001932db4000000010000000000000000000000000000000081ca000e5d931534010835643933313533340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f6e2e636f6d000000";
    const RR_SDES: &str = "81c9000701932db45d931534000000010000bf8b00000006c1704d610004051c81ca000e01932db40107313933326462340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f6e2e636f6d00000000";

    #[test]
    fn compound_sr_sdes() {
        let b = hex(SR_SDES);
        let p: Vec<_> = packets(&b).collect();
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].packet_type, p[0].count), (SR, 1));
        assert_eq!(p[0].ssrc, Some(0x5d931534));
        assert_eq!(p[0].body.len(), 48);
        assert_eq!((p[1].packet_type, p[1].count), (SDES, 1));
        assert_eq!(p[1].ssrc, Some(0x5d931534));
        let rb: Vec<_> = p[0].report_blocks().collect();
        assert_eq!(
            rb,
            vec![ReportBlock {
                ssrc: 0x01932db4,
                fraction_lost: 0,
                cumulative_lost: 1,
                highest_seq: 0,
                jitter: 0
            }]
        );
        assert_eq!(p[1].report_blocks().count(), 0);
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn compound_rr_sdes() {
        let b = hex(RR_SDES);
        let p: Vec<_> = packets(&b).collect();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].packet_type, RR);
        assert_eq!(p[0].ssrc, Some(0x01932db4));
        // Wireshark: source 0x5d931534, lost 1, highest seq 49035, jitter 6.
        let rb: Vec<_> = p[0].report_blocks().collect();
        assert_eq!(
            rb,
            vec![ReportBlock {
                ssrc: 0x5d931534,
                fraction_lost: 0,
                cumulative_lost: 1,
                highest_seq: 49_035,
                jitter: 6
            }]
        );
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn negative_loss_and_srtcp_tail() {
        let mut b = hex(RR_SDES);
        // Cumulative lost = -1 (0xffffff, duplicates).
        b[13..16].copy_from_slice(&[0xff, 0xff, 0xff]);
        assert_eq!(
            packets(&b)
                .next()
                .unwrap()
                .report_blocks()
                .next()
                .unwrap()
                .cumulative_lost,
            -1
        );
        // SRTCP-like: the RR then 14 bytes of index + tag.
        let mut s = hex(RR_SDES)[..32].to_vec();
        s.extend_from_slice(&[0x80, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
        let mut it = packets(&s);
        assert_eq!(it.next().unwrap().packet_type, RR);
        assert!(it.next().is_none());
        assert_eq!(it.remainder().len(), 14);
        assert_eq!(probe(&s), Probe::Unsure);
    }

    #[test]
    fn probe_rejects() {
        let mut b = hex(SR_SDES);
        b[1] = 199;
        assert_eq!(probe(&b), Probe::NotForUs);
        let mut b = hex(SR_SDES);
        b[0] = 0x41;
        assert_eq!(probe(&b), Probe::NotForUs);
        // First length past the end.
        let b = hex(SR_SDES);
        assert_eq!(probe(&b[..40]), Probe::NotForUs);
        // RTP is not RTCP.
        assert_eq!(
            probe(&hex("80a201110009e8860000164600700000")),
            Probe::NotForUs
        );
        // RR claiming 3 blocks in a body of one: not Certain.
        let mut b = hex(RR_SDES);
        b[0] = 0x83;
        assert_eq!(probe(&b), Probe::Unsure);
        assert_eq!(packets(&b).next().unwrap().report_blocks().count(), 1);
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        for h in [SR_SDES, RR_SDES] {
            let b = hex(h);
            for n in 0..=b.len() {
                let _ = probe(&b[..n]);
                for p in packets(&b[..n]) {
                    let _ = p.report_blocks().count();
                }
            }
        }
        let mut x: u32 = 7;
        let mut buf = [0u8; 80];
        for _ in 0..5000 {
            for v in buf.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *v = (x >> 16) as u8;
            }
            buf[0] = 0x80 | (buf[0] & 0x3f);
            buf[1] = 200 + (buf[1] % 14);
            buf[2] = 0;
            let n = (x as usize) % (buf.len() + 1);
            let _ = probe(&buf[..n]);
            for p in packets(&buf[..n]) {
                assert!(p.body.len() + 4 <= n);
                let _ = p.report_blocks().count();
            }
        }
    }
}
