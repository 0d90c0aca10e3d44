//! A dual-stack device checks its ICE candidates over IPv4 and IPv6 with
//! one ufrag: flows from both of its addresses are one device's, and a
//! call gathers them. The project's WebRTC call, with the device's checks
//! to the peer's private candidate moved to IPv6 (as on a network that
//! gives both), keeps one call that now lists the IPv6 checks; copies of
//! a call on other IPv4 addresses (a capture replayed with new
//! addresses) stay calls of their own.

mod common;

use common::capture_edit::Capture;
use common::{analyze_bytes, repo};
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 1, 10];
/// The peer's private host candidate, which the device checked.
const PEER_HOST: [u8; 4] = [192, 168, 2, 10];
/// A unique-local address (RFC 4193), so that address scope alone tells
/// the device's end of each flow, as 192.168.1.10 does.
const DEVICE_V6: [u8; 16] = [0xfd, 0, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
const PEER_V6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// The Ethernet/IPv4/UDP frame between `a` and `b` (either way) as the
/// same datagram over IPv6 between `a6` and `b6`; other frames as they
/// are. The UDP checksum is left out (zero), which no reader checks.
fn over_ipv6(frame: &[u8], (a, a6): ([u8; 4], [u8; 16]), (b, b6): ([u8; 4], [u8; 16])) -> Vec<u8> {
    let is_udp_v4 =
        frame.len() > 14 + 20 + 8 && frame[12..14] == [0x08, 0x00] && frame[14 + 9] == 17;
    if !is_udp_v4 {
        return frame.to_vec();
    }
    let ip = &frame[14..];
    let (src, dst): ([u8; 4], [u8; 4]) = (
        ip[12..16].try_into().unwrap(),
        ip[16..20].try_into().unwrap(),
    );
    let map = |x: [u8; 4]| {
        if x == a {
            Some(a6)
        } else if x == b {
            Some(b6)
        } else {
            None
        }
    };
    let (Some(src6), Some(dst6)) = (map(src), map(dst)) else {
        return frame.to_vec();
    };
    let header = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let mut udp = ip[header..total].to_vec();
    udp[6..8].copy_from_slice(&[0, 0]);
    let mut out = frame[..12].to_vec();
    out.extend_from_slice(&[0x86, 0xdd]);
    out.extend_from_slice(&[0x60, 0, 0, 0]);
    out.extend_from_slice(&(udp.len() as u16).to_be_bytes());
    out.extend_from_slice(&[17, 64]);
    out.extend_from_slice(&src6);
    out.extend_from_slice(&dst6);
    out.extend_from_slice(&udp);
    out
}

fn sample() -> Capture {
    Capture::read(&repo().join("samples").join("webrtc-call.pcap"))
}

fn dual_stack() -> Capture {
    let mut capture = sample();
    for r in &mut capture.records {
        r.data = over_ipv6(&r.data, (DEVICE, DEVICE_V6), (PEER_HOST, PEER_V6));
    }
    capture
}

fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

#[test]
fn a_devices_ipv6_checks_join_its_ipv4_call() {
    let records = analyze_bytes(&dual_stack().bytes(), "dual-stack");
    let v6: Vec<&Value> = of_type(&records, "flow")
        .into_iter()
        .filter(|f| f["src"].as_str().unwrap().starts_with('['))
        .collect();
    assert_eq!(v6.len(), 1, "{records:?}");
    assert_eq!(v6[0]["role"], "lookup", "{}", v6[0]);
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    let call = calls[0];
    assert_eq!(v6[0]["call"], call["call"], "{}", v6[0]);
    assert_eq!(call["path"], "direct");
    let local = call["local"].to_string();
    assert!(local.contains("[fd00:db8:1::10]:50643"), "{local}");
    assert!(local.contains("192.168.1.10:50643"), "{local}");
    // The same as the IPv4-only call otherwise.
    let plain = analyze_bytes(&sample().bytes(), "dual-stack-plain");
    let plain_call = of_type(&plain, "call")[0];
    for key in ["app", "path", "start", "end"] {
        assert_eq!(call[key], plain_call[key], "{key}");
    }
}

#[test]
fn copies_on_other_ipv4_addresses_stay_apart() {
    let mut copy = sample().shifted(2.0);
    assert!(copy.replace_bytes(&DEVICE, &[192, 168, 1, 11]) > 0);
    let records = analyze_bytes(&sample().merged(copy).bytes(), "dual-stack-copies");
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 2, "{records:?}");
    for call in calls {
        let local = call["local"].to_string();
        assert!(
            local.contains("192.168.1.10:") != local.contains("192.168.1.11:"),
            "{local}"
        );
    }
}

/// The peer's public address, where the device's media went.
const PEER_PUBLIC: [u8; 4] = [198, 51, 100, 12];

/// The whole ICE side of the call over IPv6: the checks to the peer's
/// host candidate from one of the device's addresses, the media from
/// `media_from` (the device's other address).
fn all_ipv6(media_from: [u8; 16]) -> Capture {
    let peer6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12,
    ];
    let mut capture = dual_stack();
    for r in &mut capture.records {
        r.data = over_ipv6(&r.data, (DEVICE, media_from), (PEER_PUBLIC, peer6));
    }
    capture
}

#[test]
fn temporary_ipv6_addresses_of_one_network_are_one_device() {
    // RFC 8981 temporary addresses share the /64 of the stable one.
    let temporary: [u8; 16] = [
        0xfd, 0, 0x0d, 0xb8, 0, 1, 0, 0, 0x5c, 0x3e, 0x11, 0x07, 0x9a, 0x2b, 0x40, 0x21,
    ];
    let records = analyze_bytes(&all_ipv6(temporary).bytes(), "dual-stack-temporary");
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    let local = calls[0]["local"].to_string();
    assert!(local.contains("[fd00:db8:1::10]:50643"), "{local}");
    assert!(
        local.contains("[fd00:db8:1:0:5c3e:1107:9a2b:4021]:50643"),
        "{local}"
    );

    // Another network's address is another device as far as callpath can
    // tell: the checks stay out of its call.
    let elsewhere: [u8; 16] = [0xfd, 0, 0x0d, 0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20];
    let records = analyze_bytes(&all_ipv6(elsewhere).bytes(), "dual-stack-elsewhere");
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    let local = calls[0]["local"].to_string();
    assert!(!local.contains("fd00:db8:1::10"), "{local}");
}

/// Global IPv6 at both ends (no NAT, as on most IPv6 networks): scope no
/// longer tells the device's end. The agent whose checks also came from
/// the device's private IPv4 address does: the media flow is the
/// device's, its call the one of its IPv4 flows, the far end the peer.
#[test]
fn a_global_ipv6_end_is_the_device_when_its_agent_checked_from_inside() {
    let device6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let peer6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12,
    ];
    for peer_first in [false, true] {
        let mut capture = sample();
        for r in &mut capture.records {
            r.data = over_ipv6(&r.data, (DEVICE, device6), (PEER_PUBLIC, peer6));
        }
        if peer_first {
            // The peer's first check reaches the device before the
            // device's own first packet to it.
            let first_to_device = capture
                .records
                .iter()
                .position(|r| {
                    r.data.len() > 38 && r.data[12..14] == [0x86, 0xdd] && r.data[38..54] == device6
                })
                .expect("a packet to the device over IPv6");
            let first_v6 = capture
                .records
                .iter()
                .position(|r| r.data[12..14] == [0x86, 0xdd])
                .unwrap();
            let moved = capture.records.remove(first_to_device);
            let at = capture.records[first_v6].micros - 1;
            capture.records.insert(
                first_v6,
                common::capture_edit::Record {
                    micros: at,
                    ..moved
                },
            );
        }
        let records = analyze_bytes(&capture.bytes(), "dual-stack-global");
        let calls = of_type(&records, "call");
        assert_eq!(calls.len(), 1, "{peer_first}: {records:?}");
        let local = calls[0]["local"].to_string();
        assert!(local.contains("[2001:db8:1::10]:"), "{peer_first}: {local}");
        assert!(local.contains("192.168.1.10:"), "{peer_first}: {local}");
        let peers = calls[0]["peers"].to_string();
        assert!(peers.contains("[2001:db8:3::12]:"), "{peer_first}: {peers}");
    }
}

/// The lab's dual-stack call (samples/webrtc-dual-stack-call.pcap,
/// Chromium on networks with global IPv6 and NATed IPv4): checks over
/// both, media directly over IPv6. One call, from A's two addresses, with
/// B's IPv6 address as the peer.
#[test]
fn the_labs_dual_stack_call_is_one_call_from_both_addresses() {
    let records = analyze_bytes(
        &Capture::read(&repo().join("samples/webrtc-dual-stack-call.pcap")).bytes(),
        "dual-stack-lab",
    );
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    let call = calls[0];
    assert_eq!(call["path"], "direct", "{call}");
    let local = call["local"].to_string();
    assert!(local.contains("[2001:db8:1::10]:"), "{local}");
    assert!(local.contains("192.168.1.10:"), "{local}");
    let peers = call["peers"].to_string();
    assert!(peers.contains("[2001:db8:2::10]:"), "{peers}");
}
