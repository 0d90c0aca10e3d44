//! IAX2 (RFC 5456), Asterisk's signalling-and-media-in-one protocol on
//! UDP 4569.
//!
//! * Full frame (§8.1.1, 12-byte header): F=1 + 15-bit source call number,
//!   R + 15-bit destination call number, 32-bit timestamp, outbound and
//!   inbound sequence numbers, frame type, subclass (C bit 0x80: the low
//!   7 bits are a power-of-two exponent).
//! * Mini frame (§8.1.2): F=0 + 15-bit source call, 16-bit timestamp, then
//!   voice data — iax.pcap frames 7+ are mini frames of call 4.
//! * Meta frames (§8.1.3) start with a zero 16-bit word.

use crate::dissect::Probe;

/// IANA port (RFC 5456 §9).
pub const PORT: u16 = 4569;
/// Full-frame header length.
pub const FULL_HEADER_LEN: usize = 12;

/// Frame types (RFC 5456 §8.2).
pub mod frame_type {
    pub const DTMF_END: u8 = 1;
    pub const VOICE: u8 = 2;
    pub const VIDEO: u8 = 3;
    pub const CONTROL: u8 = 4;
    pub const NULL: u8 = 5;
    pub const IAX: u8 = 6;
    pub const TEXT: u8 = 7;
    pub const IMAGE: u8 = 8;
    pub const HTML: u8 = 9;
    pub const COMFORT_NOISE: u8 = 10;
    pub const MODEM: u8 = 11;
    pub const DTMF_BEGIN: u8 = 12;
}

/// IAX control subclasses we name (RFC 5456 §8.4).
pub mod iax_subclass {
    pub const NEW: u8 = 1;
    pub const PING: u8 = 2;
    pub const PONG: u8 = 3;
    pub const ACK: u8 = 4;
    pub const HANGUP: u8 = 5;
    pub const REJECT: u8 = 6;
    pub const ACCEPT: u8 = 7;
    pub const REGREQ: u8 = 13;
    pub const POKE: u8 = 30;
    /// Highest subclass defined by RFC 5456 (CALLTOKEN = 0x28).
    pub const MAX: u8 = 0x28;
}

/// One IAX2 datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iax2Frame {
    Full {
        src_call: u16,
        dst_call: u16,
        /// Retransmission flag (R bit).
        retransmitted: bool,
        timestamp: u32,
        oseqno: u8,
        iseqno: u8,
        frame_type: u8,
        /// Raw subclass byte (C bit included).
        subclass: u8,
    },
    Mini {
        src_call: u16,
        timestamp: u16,
    },
    /// Meta frame (video or trunk); `video` is the V bit.
    Meta {
        video: bool,
    },
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Parses the IAX2 header.
pub fn parse(payload: &[u8]) -> Option<Iax2Frame> {
    let w0 = be16(payload, 0)?;
    if w0 & 0x8000 != 0 {
        let hdr = payload.get(..FULL_HEADER_LEN)?;
        let w1 = be16(hdr, 2)?;
        let frame_type = *hdr.get(10)?;
        if !(frame_type::DTMF_END..=frame_type::DTMF_BEGIN).contains(&frame_type) {
            return None;
        }
        return Some(Iax2Frame::Full {
            src_call: w0 & 0x7fff,
            dst_call: w1 & 0x7fff,
            retransmitted: w1 & 0x8000 != 0,
            timestamp: u32::from_be_bytes(hdr.get(4..8)?.try_into().ok()?),
            oseqno: *hdr.get(8)?,
            iseqno: *hdr.get(9)?,
            frame_type,
            subclass: *hdr.get(11)?,
        });
    }
    if w0 == 0 {
        let b2 = *payload.get(2)?;
        return Some(Iax2Frame::Meta {
            video: b2 & 0x80 != 0,
        });
    }
    Some(Iax2Frame::Mini {
        src_call: w0,
        timestamp: be16(payload, 2)?,
    })
}

/// Whether `payload` is a full frame (of any type). Out of line: callers
/// ask only of packets on IAX2's port, off the path of every other.
#[inline(never)]
pub fn is_full_frame(payload: &[u8]) -> bool {
    matches!(parse(payload), Some(Iax2Frame::Full { .. }))
}

/// Certain: a full IAX-control frame (type 6) with a defined subclass.
/// Unsure: other full frames, mini and meta frames (a mini frame is any
/// 4+ bytes with the top bit clear — meaningful only on port 4569 and with
/// a matching full-frame call number).
pub fn probe(payload: &[u8]) -> Probe {
    match parse(payload) {
        Some(Iax2Frame::Full {
            frame_type: frame_type::IAX,
            subclass,
            ..
        }) if (1..=iax_subclass::MAX).contains(&subclass) => Probe::Certain,
        Some(_) => Probe::Unsure,
        None => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // iax.pcap frame 1: 82.110.36.84:4569 → 192.168.2.120:4566, NEW.
    const NEW: &str = "8004000000000001000006010b020002010c343432303838323035313535020c34343737383232363739343904000a02656eff04000000020c0200001f040b0c55d6";
    // iax.pcap frame 2: ACK from call 23 to call 4.
    const ACK: &str = "801700040000000100010604";
    // iax.pcap frame 7 (first 24 of 164 bytes): mini frame, call 4, ts 0x38.
    const MINI: &str = "00040038d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5";

    #[test]
    fn real_frames() {
        assert_eq!(
            parse(&hex(NEW)),
            Some(Iax2Frame::Full {
                src_call: 4,
                dst_call: 0,
                retransmitted: false,
                timestamp: 1,
                oseqno: 0,
                iseqno: 0,
                frame_type: 6,
                subclass: 1
            })
        );
        assert!(matches!(
            parse(&hex(ACK)),
            Some(Iax2Frame::Full {
                src_call: 23,
                dst_call: 4,
                subclass: iax_subclass::ACK,
                ..
            })
        ));
        assert_eq!(
            parse(&hex(MINI)),
            Some(Iax2Frame::Mini {
                src_call: 4,
                timestamp: 0x38
            })
        );
        assert_eq!(probe(&hex(NEW)), Probe::Certain);
        assert_eq!(probe(&hex(MINI)), Probe::Unsure);
        assert!(is_full_frame(&hex(NEW)) && is_full_frame(&hex(ACK)));
        assert!(!is_full_frame(&hex(MINI)));
    }

    #[test]
    fn other_protocols_not_for_us() {
        // discord.pcap frame 37: RTP (top bit set, "frame type" byte 0x00).
        assert_eq!(
            probe(&hex("9067c1de7d5403a500023c07bede0003")),
            Probe::NotForUs
        );
        // h323.pcap frame 59: RAS GRQ starts 0x02 → would be a mini frame of
        // call 0x0220; a short RAS message is at best Unsure, never Certain.
        assert_ne!(
            probe(&hex("02200000060008914a0004001102007c")),
            Probe::Certain
        );
        assert_eq!(probe(&hex("80")), Probe::NotForUs);
        assert!(!is_full_frame(&hex("9067c1de7d5403a500023c07bede0003")));
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [NEW, ACK, MINI] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse(&p[..n]);
                let _ = probe(&p[..n]);
            }
        }
        let mut seed: u64 = 19;
        for n in 0..3000 {
            let g: Vec<u8> = (0..n % 20)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            let _ = parse(&g);
            let _ = probe(&g);
        }
    }
}
