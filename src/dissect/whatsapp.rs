//! WhatsApp chat/signalling stream start (TCP 443 and 5222).
//!
//! The client opens its own framed protocol, not TLS:
//! * `"WA"`, protocol major, minor (e.g. `57 41 01 05` = WA 1.5 in
//!   whatsapp_voice_and_message.pcap frame 4 and whatsapp_login_chat.pcap
//!   frame 8; current clients use Noise with e.g. 5.2/6.x), then frames with
//!   a 3-byte big-endian length (frame 4: `00 00 17` = the 23-byte stream
//!   start carrying "Android-2.12.84").
//! * With an edge-routing prologue: `"ED" 00 01`, a 3-byte length, routing
//!   data, then the `"WA"` header (WhatsApp Noise; whatsmeow's and
//!   whatsapp-rust's edge-routing pre-intro; nDPI whatsapp.c matches its
//!   first 8 bytes `45 44 00 01 00 00 04 08`). Clients may write the four
//!   prologue bytes as a segment of their own, which is why nDPI matches
//!   the sequence across segments.
//!
//! Calls themselves are STUN/SRTP on UDP 3478 (see FINDINGS.md); this only
//! marks the signalling connection.

use crate::dissect::Probe;

/// The edge-routing prologue, `"ED"` 00 01.
pub const ROUTING_PREFIX: [u8; 4] = *b"ED\x00\x01";

fn be24(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at + 3)?;
    Some(usize::from(*s.first()?) << 16 | usize::from(*s.get(1)?) << 8 | usize::from(*s.get(2)?))
}

/// Probes a `"WA" maj min` header at the start of `p`.
fn probe_wa(p: &[u8]) -> Probe {
    if !p.starts_with(b"WA") {
        return Probe::NotForUs;
    }
    match p.get(2) {
        None => return Probe::Unsure,
        Some(1..=9) => {}
        Some(_) => return Probe::NotForUs,
    }
    if p.len() < 4 {
        return Probe::Unsure;
    }
    match be24(p, 4) {
        // A first frame that is present and not absurd.
        Some(len) if len > 0 && len <= 0x10_0000 => Probe::Certain,
        Some(_) => Probe::NotForUs,
        None => Probe::Unsure,
    }
}

/// Probes the first client→server payload of a TCP stream.
pub fn probe_tcp_stream_start(payload: &[u8]) -> Probe {
    if payload.starts_with(&ROUTING_PREFIX) {
        // The prologue written alone: nothing else begins a stream so.
        if payload.len() == ROUTING_PREFIX.len() {
            return Probe::Certain;
        }
        let Some(len) = be24(payload, 4) else {
            return Probe::Unsure;
        };
        let Some(after) = 7usize.checked_add(len) else {
            return Probe::NotForUs;
        };
        return match payload.get(after..) {
            Some(rest) if !rest.is_empty() => match probe_wa(rest) {
                Probe::NotForUs => Probe::NotForUs,
                _ => Probe::Certain,
            },
            // Routing data split across segments: the prefix alone.
            _ => Probe::Unsure,
        };
    }
    probe_wa(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // whatsapp_voice_and_message.pcap frame 4: 10.8.0.1:35480 →
    // 184.173.179.46:443 (first 60 of 177 bytes).
    const ANDROID: &str = "57410105000017f80501a59189fc0f416e64726f69642d322e31322e3834000019f8029cf804f801fc0770726976616379";
    // whatsapp_login_chat.pcap frame 8: 192.168.2.4:49206 → 158.85.58.15:5222.
    const IPHONE: &str =
        "5741010500001af80501a59189fc126950686f6e652d322e31322e322d35323232000019f8029cf804f801";

    #[test]
    fn real_stream_starts() {
        assert_eq!(probe_tcp_stream_start(&hex(ANDROID)), Probe::Certain);
        assert_eq!(probe_tcp_stream_start(&hex(IPHONE)), Probe::Certain);
        assert_eq!(probe_tcp_stream_start(b"WA"), Probe::Unsure);
    }

    #[test]
    fn routing_prologue() {
        // Constructed: "ED" 00 01, 3-byte length 4, routing bytes 08 09 08
        // 02 (nDPI whatsapp.c's sequence begins 45 44 00 01 00 00 04 08),
        // then WA 5.2.
        let p = hex("4544000100000408090802574105020001");
        assert_eq!(probe_tcp_stream_start(&p), Probe::Certain);
        assert_eq!(probe_tcp_stream_start(&p[..9]), Probe::Unsure);
        // The prologue as a segment of its own, and the rest after it.
        assert_eq!(probe_tcp_stream_start(&p[..4]), Probe::Certain);
        assert_eq!(probe_tcp_stream_start(&p[..3]), Probe::NotForUs);
        let bad = hex("45440001000004112233441603010000");
        assert_eq!(probe_tcp_stream_start(&bad), Probe::NotForUs);
        // The old reading of the prologue (a byte ED) is not it.
        assert_eq!(
            probe_tcp_stream_start(&hex("ed0001000004aabbccdd57410603000010")),
            Probe::NotForUs
        );
    }

    #[test]
    fn other_protocols_not_for_us() {
        // whatsapp_login_chat.pcap frame 18: TLS application data to Apple.
        assert_eq!(
            probe_tcp_stream_start(&hex("1703030778be1e23e04a109ac8ab2209")),
            Probe::NotForUs
        );
        // Server's reply (frame 6 of whatsapp_voice_and_message.pcap).
        assert_eq!(
            probe_tcp_stream_start(&hex("000005f803013a91000003f8019c8000")),
            Probe::NotForUs
        );
        assert_eq!(
            probe_tcp_stream_start(b"GET / HTTP/1.1\r\n"),
            Probe::NotForUs
        );
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [ANDROID, IPHONE, "4544000100000408090802574105020001"] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = probe_tcp_stream_start(&p[..n]);
            }
        }
        let mut seed: u64 = 13;
        for n in 0..3000 {
            let mut g: Vec<u8> = (0..n % 30)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            match n % 3 {
                0 if g.len() >= 4 => g[..4].copy_from_slice(&ROUTING_PREFIX),
                1 if g.len() >= 2 => g[..2].copy_from_slice(b"WA"),
                _ => {}
            }
            let _ = probe_tcp_stream_start(&g);
        }
    }
}
