//! Zoom's native client sends a direct call's media in its own framing:
//! a peer-to-peer hello (1F 02 01 with the peer's address and a UUID),
//! then media encapsulations with RTP inside. A flow that only repeats
//! hellos nobody answers is a connection attempt, however steady its
//! pace; one that carries the encapsulated media is direct media.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 12, 156];
const ZOOM_STUN: ([u8; 4], u16) = ([206, 247, 87, 213], 3478);

/// A hello as nDPI's zoom.c describes it: type 1F 02 01, a 24-byte
/// header, the peer's address and a UUID, each after a 32-bit length,
/// then four zero bytes.
fn hello(peer: &str) -> Vec<u8> {
    let mut h = vec![0x1f, 0x02, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00];
    h.resize(24, 0x07);
    h.extend_from_slice(&(peer.len() as u32).to_be_bytes());
    h.extend_from_slice(peer.as_bytes());
    let uuid = "AF065D88-AA9B-4A81-80A4-B85CD341B921";
    h.extend_from_slice(&(uuid.len() as u32).to_be_bytes());
    h.extend_from_slice(uuid.as_bytes());
    h.extend_from_slice(&[0, 0, 0, 0]);
    h
}

/// A video encapsulation: type 0x10, header, a frame-info block at 20,
/// then RTP (version 2, payload type 98) at 24.
fn video(seq: u16, len: usize) -> Vec<u8> {
    let mut v = vec![0x10, 0x01, 0x00, 0xfb];
    v.resize(20, 0x11);
    v.extend_from_slice(&[0x02, 0x01, 0x0a, 0x10]);
    v.extend_from_slice(&[0x80, 98]);
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    v.extend_from_slice(&0x5eed_1234u32.to_be_bytes());
    v.resize(len, 0x3c);
    v
}

/// A STUN Binding request (RFC 5389) with a transaction ID from `n`.
fn binding_request(n: u32) -> Vec<u8> {
    let mut m = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&n.to_be_bytes());
    m.extend_from_slice(&[0x5a; 8]);
    m
}

/// One device socket: Binding requests to Zoom's STUN server, then
/// hellos to a peer, and when `answered` the peer's hellos and three
/// seconds of video both ways (30 packets a second each).
fn p2p_attempt(local_port: u16, peer: ([u8; 4], u16), answered: bool) -> Vec<(u64, Vec<u8>)> {
    let start = 1_700_000_000_000_000u64;
    let local = (DEVICE, local_port);
    let peer_text = format!("{}.{}.{}.{}", peer.0[0], peer.0[1], peer.0[2], peer.0[3]);
    let mut frames = Vec::new();
    for n in 0..4u32 {
        let at = start + u64::from(n) * 250_000;
        frames.push((at, udp_frame(local, ZOOM_STUN, &binding_request(n))));
    }
    // Hellos every 17 ms for two seconds.
    for n in 0..120u64 {
        let at = start + 1_000_000 + n * 17_000;
        frames.push((at, udp_frame(local, peer, &hello(&peer_text))));
        if answered && n < 4 {
            frames.push((at + 5_000, udp_frame(peer, local, &hello("192.168.12.156"))));
        }
    }
    if answered {
        for n in 0..90u16 {
            let at = start + 1_200_000 + u64::from(n) * 33_000;
            frames.push((at, udp_frame(local, peer, &video(n, 780))));
            frames.push((at + 9_000, udp_frame(peer, local, &video(n, 1_100))));
        }
    }
    frames
}

#[test]
fn encapsulated_media_is_direct_and_lone_hellos_are_attempts() {
    let mut frames = p2p_attempt(39_065, ([192, 168, 1, 226], 46_757), true);
    frames.extend(p2p_attempt(42_208, ([10, 78, 14, 178], 47_312), false));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "zoom-p2p");

    let media = flow_with(&records, "192.168.1.226:46757");
    assert_eq!(media["app"], "zoom", "{media}");
    assert_eq!(media["role"], "p2p", "{media}");
    let evidence = media["evidence"].to_string();
    assert!(
        evidence.contains("178 RTP/SRTP packets") && evidence.contains("Zoom peer-to-peer framing"),
        "{evidence}"
    );

    // 120 hellos at ~59 a second look like a stream, but are only asks.
    let attempt = flow_with(&records, "10.78.14.178:47312");
    assert_eq!(attempt["app"], "zoom", "{attempt}");
    assert_eq!(attempt["role"], "lookup", "{attempt}");
    assert!(
        attempt["evidence"].to_string().contains("hellos"),
        "{attempt}"
    );

    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["path"], "direct");
    let peers = calls[0]["peers"].to_string();
    assert!(peers.contains("192.168.1.226:46757"), "{peers}");
    assert!(!peers.contains("10.78.14.178"), "{peers}");
}
