//! Zoom's peer-to-peer calls announce their framing with a hello (1F 02
//! 01); a capture begun mid-call has none. Its media encapsulations then
//! prove the framing by the RTP stream each carries at its type's offset
//! (audio 15 at byte 19, video 16 at 20 or 24, as in nDPI's
//! zoom_p2p.pcapng): one SSRC with
//! consecutive sequence numbers over eight packets. Random bytes that
//! begin with the same type byte keep no such stream.

mod common;

use common::*;
use serde_json::Value;

const A: ([u8; 4], u16) = ([192, 168, 12, 156], 39_065);
const B: ([u8; 4], u16) = ([192, 168, 1, 226], 46_757);
const START: u64 = 1_700_000_000_000_000;

/// A Zoom audio media encapsulation (type 15): 19 bytes of Zoom header,
/// then an RTP header (Opus, PT 113) and 60 bytes of voice.
fn zoom_audio(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x0f, 0x01, 0x00, 0xfb, 0x90, 0x16, 0x11, 0x04, 0x01, 0x00];
    p.resize(19, 0x05);
    p.extend_from_slice(&[0x80, 113]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.resize(p.len() + 60, 0xa5);
    p
}

/// A Zoom video media encapsulation (type 16) with a frame-info block
/// (byte 20 = 0x02), its RTP at byte 24, as zoom_p2p.pcapng's: the bytes
/// where an OpenVPN server's hard reset (opcode 2, key 0) keeps its
/// session ID are the same in every packet.
fn zoom_video(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x10, 0x01, 0x00, 0xfb, 0x90, 0x1c, 0x18, 0x0c, 0x01, 0x00];
    p.resize(20, 0x00);
    p.extend_from_slice(&[0x02, 0x01, 0x13, 0x04, 0x90, 0x62]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xbe, 0xde, 0x00, 0x00]);
    p.resize(p.len() + 400, 0x5a);
    p
}

fn flows(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "flow").collect()
}

#[test]
fn zoom_media_without_its_hello_is_a_zoom_p2p_call() {
    let mut frames = Vec::new();
    for n in 0..150u16 {
        let at = START + u64::from(n) * 20_000;
        frames.push((at, udp_frame(A, B, &zoom_video(22_250 + n, 0x0100_0801))));
        frames.push((
            at + 3_000,
            udp_frame(B, A, &zoom_audio(9_000 + n, 0x1271_d001)),
        ));
    }
    let records = analyze_bytes(&classic_pcap(&frames), "zoom-p2p-mid-call");
    let flows = flows(&records);
    assert_eq!(flows.len(), 1, "{records:?}");
    assert_eq!(flows[0]["app"], "zoom", "{}", flows[0]);
    assert_eq!(flows[0]["role"], "p2p", "{}", flows[0]);
    let evidence = flows[0]["evidence"].to_string();
    assert!(
        evidence.contains("the hello came before the capture"),
        "{evidence}"
    );
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "direct", "{}", calls[0]);
}

#[test]
fn bytes_that_only_begin_like_zoom_media_are_not_zoom() {
    let mut frames = Vec::new();
    let mut x: u32 = 7;
    for n in 0..150u16 {
        let mut p = zoom_audio(n, 0);
        // Everything after the type byte at random: no stream to follow.
        for b in p.iter_mut().skip(1) {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 16) as u8;
        }
        frames.push((START + u64::from(n) * 20_000, udp_frame(A, B, &p)));
    }
    let records = analyze_bytes(&classic_pcap(&frames), "zoom-p2p-look-alike");
    let flows = flows(&records);
    assert_eq!(flows.len(), 1, "{records:?}");
    assert_ne!(flows[0]["app"], "zoom", "{}", flows[0]);
}
