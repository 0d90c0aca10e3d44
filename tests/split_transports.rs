//! A forwarding server is told apart from a peer by how it carries media,
//! even when it forwards only one voice: the lab's two-party call through
//! Janus (samples/sfu-call.pcap, a documentation-range address no list
//! names) has the device publish its voice on one ICE-checked connection
//! and receive the other party's on another, each one way. A peer's ICE
//! makes media symmetric on one connection; RTP without ICE (an old SIP
//! phone sending from one port and receiving on another) proves nothing.

mod common;

use common::capture_edit::Capture;
use common::*;
use serde_json::Value;

const SFU: &str = "203.0.113.40";

fn sfu_call() -> Value {
    analyze_json(&repo().join("samples/sfu-call.pcap"), &[])
}

#[test]
fn both_connections_of_a_two_party_call_through_an_sfu_are_relayed() {
    let doc = sfu_call();
    let media: Vec<&Value> = doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["l4"] == "udp" && f["dst"].as_str().unwrap().starts_with(SFU))
        .collect();
    assert_eq!(media.len(), 2, "{media:?}");
    for f in media {
        assert_eq!(f["role"], "relay", "{f}");
        let why = f["evidence"][0].as_str().unwrap();
        assert!(
            why.contains("a forwarding server's separate publish and subscribe transports (SFU)"),
            "{why}"
        );
    }
}

#[test]
fn the_call_is_relayed_and_the_servers_api_is_its_signalling() {
    let doc = sfu_call();
    let calls = doc["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call["path"], "relayed", "{call}");
    assert!(call["peers"].as_array().unwrap().is_empty(), "{call}");
    let verdict = call["verdict"].as_str().unwrap();
    assert!(
        verdict.ends_with("A forwarding server (SFU): it took the device's media on one connection and sent it the other side's on another."),
        "{verdict}"
    );
    // The API connection goes to the host whose public address the device
    // told in its ICE answers, but it is no candidate.
    assert_call_through_lab_sfu(call, SFU);
}

/// RTP from `from` to `to`, one way, `count` packets every 20 ms.
fn rtp_one_way(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    ssrc: u32,
    count: u16,
) -> Vec<(u64, Vec<u8>)> {
    (0..count)
        .map(|n| {
            let mut rtp = vec![0x80, 0];
            rtp.extend_from_slice(&n.to_be_bytes());
            rtp.extend_from_slice(&(u32::from(n) * 160).to_be_bytes());
            rtp.extend_from_slice(&ssrc.to_be_bytes());
            rtp.resize(172, 0xd5);
            (
                1_700_000_000_000_000 + u64::from(n) * 20_000,
                udp_frame(from, to, &rtp),
            )
        })
        .collect()
}

#[test]
fn one_way_rtp_each_way_without_ice_stays_direct() {
    let device = ([192, 168, 1, 10], 4000);
    let mut frames = rtp_one_way(device, ([198, 51, 100, 12], 5000), 0x1111_1111, 500);
    frames.extend(rtp_one_way(
        ([198, 51, 100, 12], 5002),
        device,
        0x2222_2222,
        500,
    ));
    frames.sort_by_key(|(at, _)| *at);
    let records = analyze_bytes(&classic_pcap(&frames), "asymmetric-rtp");
    let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert_eq!(flows.len(), 2, "{records:?}");
    for f in flows {
        assert_eq!(f["role"], "p2p", "{f}");
    }
}

/// The same call with the server on the device's own local network (its
/// address, in headers and in the HTTP API's text, moved into 172.16/12):
/// both ends private, and the server checks first as full ICE does. The
/// host that served the call's API is the far end on every connection.
#[test]
fn on_a_local_network_the_server_is_the_far_end_of_both_connections() {
    let mut capture = Capture::read(&repo().join("samples/sfu-call.pcap"));
    let (moved, moved_in_stun) = capture.move_ipv4([203, 0, 113, 40], [172, 16, 11, 40]);
    assert!(moved > 100 && moved_in_stun > 0, "{moved} {moved_in_stun}");
    let records = analyze_bytes(&capture.bytes(), "sfu-call-lan");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
    let relays = party_endpoints(&calls[0]["relays"]);
    assert_eq!(relays.len(), 2, "{relays:?}");
    assert!(
        relays.iter().all(|r| r.starts_with("172.16.11.40:")),
        "{relays:?}"
    );
}

/// A STUN Binding request with PRIORITY (an ICE connectivity check).
fn ice_check(from: ([u8; 4], u16), to: ([u8; 4], u16), id: u8) -> Vec<u8> {
    let mut m = vec![0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&[id; 12]);
    m.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x1e, 0xff]);
    udp_frame(from, to, &m)
}

/// An ICE-checked connection on which only `from` sends media, starting
/// `at` microseconds.
fn one_way_call(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    ssrc: u32,
    at: u64,
) -> Vec<(u64, Vec<u8>)> {
    let mut frames = vec![
        (at, ice_check(from, to, 1)),
        (at + 1_000, ice_check(to, from, 2)),
    ];
    for (t, frame) in rtp_one_way(from, to, ssrc, 500) {
        frames.push((t - 1_700_000_000_000_000 + at + 10_000, frame));
    }
    frames
}

/// Two one-way connections with one host count as a server's transports
/// only while they carry the call together: a peer who could not send
/// (no microphone) in one call and one who could not receive in another
/// call hours later are no forwarding server.
#[test]
fn one_way_connections_tell_a_server_only_when_they_run_together() {
    let device_out = ([192, 168, 1, 10], 4000);
    let device_in = ([192, 168, 1, 10], 4002);
    let (peer_a, peer_b) = (([198, 51, 100, 12], 5000), ([198, 51, 100, 12], 5002));
    let start = 1_700_000_000_000_000;
    for (later, want) in [(2_000_000, "relay"), (7_200_000_000, "p2p")] {
        let mut frames = one_way_call(device_out, peer_a, 0x1111_1111, start);
        frames.extend(one_way_call(peer_b, device_in, 0x2222_2222, start + later));
        frames.sort_by_key(|(at, _)| *at);
        let records = analyze_bytes(&classic_pcap(&frames), "one-way-pair");
        let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
        assert_eq!(flows.len(), 2, "{records:?}");
        for f in flows {
            assert_eq!(f["role"], want, "{later}: {f}");
        }
    }
}
