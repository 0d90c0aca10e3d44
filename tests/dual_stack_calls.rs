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

/// The device's MAC address and its router's: the source and destination
/// of the device's first IPv4 frame.
fn device_and_router_macs(capture: &Capture) -> ([u8; 6], [u8; 6]) {
    let frame = capture
        .records
        .iter()
        .map(|r| &r.data)
        .find(|d| d.len() > 34 && d[12..14] == [0x08, 0x00] && d[26..30] == DEVICE)
        .expect("a frame from the device");
    (
        frame[6..12].try_into().unwrap(),
        frame[0..6].try_into().unwrap(),
    )
}

/// A STUN Binding request from `from_mac`'s [2001:db8:1::77]:50700 to a
/// STUN server over IPv6, and its answer, in the middle of the call: an
/// address lookup with no ufrag, from a temporary address no check used.
fn ipv6_lookup_during_call(from_mac: [u8; 6]) -> Capture {
    let mut capture = sample();
    let (_, router) = device_and_router_macs(&capture);
    let device6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77,
    ];
    let server6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ];
    let mut answer_attr = vec![0, 2];
    answer_attr.extend_from_slice(&(50_700u16 ^ 0x2112).to_be_bytes());
    let key = [0x21, 0x12, 0xa4, 0x42].iter().chain(&[0xab; 12]);
    answer_attr.extend(device6.iter().zip(key).map(|(a, k)| a ^ k));
    let frame = |src_mac, dst_mac, src, dst, sport, dport, payload: &[u8]| {
        let mut f = Vec::new();
        etherparse::PacketBuilder::ethernet2(src_mac, dst_mac)
            .ipv6(src, dst, 64)
            .udp(sport, dport)
            .write(&mut f, payload)
            .unwrap();
        f
    };
    let stun = |class: u16, attributes: &[u8]| {
        let mut m = class.to_be_bytes().to_vec();
        m.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
        m.extend_from_slice(&[0xab; 12]);
        m.extend_from_slice(attributes);
        m
    };
    let mut answer = 0x0020u16.to_be_bytes().to_vec();
    answer.extend_from_slice(&(answer_attr.len() as u16).to_be_bytes());
    answer.extend(answer_attr);
    let middle = capture.records[capture.records.len() / 2].micros;
    capture.records.push(common::capture_edit::Record {
        micros: middle,
        data: frame(
            from_mac,
            router,
            device6,
            server6,
            50_700,
            3478,
            &stun(0x0001, &[]),
        ),
    });
    capture.records.push(common::capture_edit::Record {
        micros: middle + 30_000,
        data: frame(
            router,
            from_mac,
            server6,
            device6,
            3478,
            50_700,
            &stun(0x0101, &answer),
        ),
    });
    capture.records.sort_by_key(|r| r.micros);
    capture
}

/// A dual-stack device's lookup over IPv6 carries no ICE check: its MAC
/// address, the one its IPv4 call's frames left with, shows it is the
/// same device, and the lookup joins the call. Another machine's on the
/// same network (another MAC) stays out.
#[test]
fn a_lookup_from_the_devices_mac_over_ipv6_joins_its_call() {
    let (device_mac, _) = device_and_router_macs(&sample());
    let records = analyze_bytes(&ipv6_lookup_during_call(device_mac).bytes(), "same-mac");
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    let local = calls[0]["local"].to_string();
    assert!(local.contains("[2001:db8:1::77]:50700"), "{local}");
    let lookup = of_type(&records, "flow")
        .into_iter()
        .find(|f| f["src"] == "[2001:db8:1::77]:50700")
        .expect("the IPv6 lookup");
    assert_eq!(lookup["role"], "lookup", "{lookup}");
    assert_eq!(lookup["call"], calls[0]["call"], "{lookup}");

    let other_mac = [0x02, 0x42, 0xac, 0x11, 0x00, 0x09];
    assert_ne!(other_mac, device_mac);
    let records = analyze_bytes(&ipv6_lookup_during_call(other_mac).bytes(), "other-mac");
    let calls = of_type(&records, "call");
    let local = calls[0]["local"].to_string();
    assert!(!local.contains("2001:db8:1::77"), "{local}");
}

/// The capture as a Linux cooked ("any" interface) capture: each frame's
/// header says whether the capturing host sent it (packet type 4) or
/// received it (0), and names the sender's MAC only.
fn as_linux_cooked(capture: &Capture, host_mac: [u8; 6]) -> Vec<u8> {
    let frames: Vec<(u64, Vec<u8>)> = capture
        .records
        .iter()
        .map(|r| {
            let (dst, src) = (&r.data[0..6], &r.data[6..12]);
            let packet_type: u8 = if src == host_mac {
                4
            } else if dst == host_mac {
                0
            } else {
                3
            };
            let mut sll = vec![0, packet_type, 0, 1, 0, 6];
            sll.extend_from_slice(src);
            sll.extend_from_slice(&[0, 0]);
            sll.extend_from_slice(&r.data[12..]);
            (r.micros as u64, sll)
        })
        .collect();
    common::classic_pcap_of(113, &frames)
}

/// In a Linux cooked capture the header names no receiver, but says
/// which packets the capturing host sent or received: the lookup joins
/// the call whichever end spoke first.
#[test]
fn in_a_linux_cooked_capture_the_capturing_host_ties_its_addresses() {
    let (device_mac, _) = device_and_router_macs(&sample());
    for answer_first in [false, true] {
        let mut capture = ipv6_lookup_during_call(device_mac);
        if answer_first {
            let is_v6 = |r: &common::capture_edit::Record| r.data[12..14] == [0x86, 0xdd];
            let at: Vec<usize> = (0..capture.records.len())
                .filter(|&i| is_v6(&capture.records[i]))
                .collect();
            let (request, answer) = (at[0], at[1]);
            let t = capture.records[request].micros;
            capture.records[request].micros = capture.records[answer].micros;
            capture.records[answer].micros = t;
            capture.records.sort_by_key(|r| r.micros);
        }
        let records = analyze_bytes(&as_linux_cooked(&capture, device_mac), "cooked");
        let calls = of_type(&records, "call");
        assert_eq!(calls.len(), 1, "answer first: {answer_first}: {records:?}");
        let local = calls[0]["local"].to_string();
        assert!(
            local.contains("[2001:db8:1::77]:50700"),
            "answer first: {answer_first}: {local}"
        );
    }
}
