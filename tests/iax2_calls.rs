//! IAX2 calls (UDP 4569): full frames set the top bit, as RTP's version
//! does, and a codec's 0xFF fill after a mini frame's 4-byte header looks
//! like a Telegram reflector ping (a 16-byte tag, then 0xFF). Neither may
//! take the flow from IAX2 (Wireshark's h223-over-iax.pcap read as a
//! Telegram call with two RTP streams).

mod common;

use common::*;
use serde_json::Value;

const PHONE: ([u8; 4], u16) = ([192, 168, 2, 120], 4566);
const SERVER: ([u8; 4], u16) = ([82, 110, 36, 84], 4569);
const START: u64 = 1_700_000_000_000_000;

/// A full frame (RFC 5456 section 8.1.2): source call with the F bit,
/// destination call, timestamp, sequence numbers, type and subclass.
fn full_frame(src_call: u16, dst_call: u16, ts: u32, seq: (u8, u8), kind: (u8, u8)) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&(0x8000 | src_call).to_be_bytes());
    p.extend_from_slice(&dst_call.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&[seq.0, seq.1, kind.0, kind.1]);
    p
}

/// A mini frame: source call, 16-bit timestamp, then voice whose first
/// 84 bytes are fill, as in h223-over-iax.pcap frame 1644.
fn mini_frame(src_call: u16, ts: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&src_call.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend([0xff; 84]);
    p.extend((0..76u8).map(|i| i.wrapping_mul(37) ^ (ts as u8)));
    p
}

#[test]
fn an_iax2_call_stays_iax2() {
    const IAX: u8 = 6;
    const CONTROL: u8 = 4;
    // NEW, ACK, ACCEPT, ACK, ANSWER, ACK: the call set up.
    let setup = [
        (SERVER, PHONE, full_frame(4, 0, 1, (0, 0), (IAX, 1))),
        (PHONE, SERVER, full_frame(23, 4, 1, (0, 1), (IAX, 4))),
        (PHONE, SERVER, full_frame(23, 4, 8, (0, 1), (IAX, 7))),
        (SERVER, PHONE, full_frame(4, 23, 8, (1, 1), (IAX, 4))),
        (PHONE, SERVER, full_frame(23, 4, 31, (1, 1), (CONTROL, 4))),
        (SERVER, PHONE, full_frame(4, 23, 31, (1, 2), (IAX, 4))),
    ];
    let mut frames: Vec<(u64, Vec<u8>)> = setup
        .iter()
        .enumerate()
        .map(|(i, (a, b, p))| (START + i as u64 * 5_000, udp_frame(*a, *b, p)))
        .collect();
    for i in 0..200u16 {
        let at = START + 40_000 + u64::from(i) * 20_000;
        frames.push((at, udp_frame(SERVER, PHONE, &mini_frame(4, i * 20))));
        frames.push((
            at + 3_000,
            udp_frame(PHONE, SERVER, &mini_frame(23, i * 20)),
        ));
    }
    let records = analyze_bytes(&classic_pcap(&frames), "iax2-call");
    let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert_eq!(flows.len(), 1, "{records:?}");
    let flow = flows[0];
    assert_eq!(flow["app"], "other_voip", "{flow}");
    assert!(
        texts(&flow["evidence"]).iter().any(|e| e.contains("IAX2")),
        "{flow}"
    );
    assert!(
        flow["media"]["rtp_packets"].as_u64().unwrap_or(0) == 0
            && flow["media"]["streams"]
                .as_array()
                .is_none_or(Vec::is_empty),
        "IAX2 frames counted as RTP: {flow}"
    );
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["app"], "other_voip");
}
