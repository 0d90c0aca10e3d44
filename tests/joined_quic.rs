//! A QUIC connection the capture joined after its handshake (begun
//! before the capture, or moved to a new address, as browsers move their
//! connection to meet.google.com) shows only short-header packets: no
//! Initial names it QUIC. Its pace can look like video, and its server is
//! a call app's by name, yet it is the app's web client loading, no media.

mod common;

use common::*;

const DEVICE: ([u8; 4], u16) = ([192, 168, 1, 10], 35_040);
const WEB: ([u8; 4], u16) = ([203, 0, 113, 50], 443);

/// 20 s of traffic with the web server, 70 datagrams a second, most of
/// them from the server and large; `datagram(n, to_server)` makes each.
fn session(datagram: impl Fn(u32, bool) -> Vec<u8>) -> Vec<u8> {
    let start = 1_700_000_000_000_000u64;
    let resolver = ([192, 168, 1, 1], 53);
    let mut frames = vec![(
        start,
        udp_frame(
            resolver,
            ([192, 168, 1, 10], 53_000),
            &dns_answer("meet.google.com", WEB.0),
        ),
    )];
    for n in 0..1400u32 {
        let at = start + 100_000 + u64::from(n) * 14_300;
        let to_server = n % 3 == 0;
        let (from, to) = if to_server {
            (DEVICE, WEB)
        } else {
            (WEB, DEVICE)
        };
        frames.push((at, udp_frame(from, to, &datagram(n, to_server))));
    }
    classic_pcap(&frames)
}

/// A short header: first byte 0x40-0x7f (its low bits protected, so they
/// vary), the connection ID the other end chose (8 bytes towards the
/// server, none towards the client), then protected bytes.
fn short_header(n: u32, to_server: bool) -> Vec<u8> {
    let mut d = vec![0x40 | (n.wrapping_mul(37) & 0x3f) as u8];
    if to_server {
        d.extend_from_slice(&[0xfa, 0xc8, 0x23, 0x1b, 0xd4, 0x67, 0xb2, 0x9c]);
    }
    let len = if to_server { 120 } else { 1200 };
    while d.len() < len {
        d.extend_from_slice(&n.wrapping_mul(2_654_435_761).to_be_bytes());
    }
    d
}

#[test]
fn joined_quic_is_no_media() {
    let records = analyze_bytes(&session(short_header), "joined-quic");
    let flow = flow_with(&records, "203.0.113.50:443");
    assert_eq!(flow["app"], "google_meet", "{flow}");
    assert_ne!(flow["role"], "relay", "{flow}");
    assert!(records.iter().all(|r| r["type"] != "call"), "{records:?}");
}

/// The same pace with bytes that repeat no connection ID (an app's own
/// encrypted media framing) still reads as media through the server.
#[test]
fn opaque_stream_to_the_same_server_is_media() {
    let opaque = |n: u32, to_server: bool| {
        let mut d = short_header(n, to_server);
        d[1..9].copy_from_slice(&[(n >> 8) as u8, n as u8, 7, 7, 7, 7, 7, 7]);
        d
    };
    let records = analyze_bytes(&session(opaque), "opaque-stream");
    assert_eq!(
        flow_with(&records, "203.0.113.50:443")["role"],
        "relay",
        "{records:?}"
    );
}
