//! Telegram, Signal, WhatsApp and others build their calls on libwebrtc,
//! whose ICE checks and media alone only say "WebRTC". When a call's
//! sockets also spoke a vendor's own protocol, its WebRTC flows are that
//! vendor's; a STUN server that merely sits in a vendor's address range
//! (Google's public STUN servers serve every WebRTC app) names nothing.
//! The first case is built from the project's own WebRTC sample (a direct
//! call whose device socket 192.168.1.10:50643 first asks a STUN server),
//! the others from packets made here.

mod common;

use common::capture_edit::{Capture, Record};
use common::*;
use serde_json::Value;

const SOCKET: ([u8; 4], u16) = ([192, 168, 1, 10], 50_643);

fn sample() -> Capture {
    Capture::read(&repo().join("samples").join("webrtc-call.pcap"))
}

fn records(capture: &Capture, name: &str) -> Vec<Value> {
    analyze_bytes(&capture.bytes(), name)
}

fn media_flow(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|r| r["type"] == "flow" && r["role"] == "p2p")
        .unwrap_or_else(|| panic!("a direct media flow: {records:?}"))
}

fn call_app(records: &[Value]) -> String {
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls[0]["app"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_vendor_spoken_on_the_calls_socket_names_its_webrtc_flows() {
    // Half a second in, the call's socket asks Telegram's relay for an
    // allocation and is told its realm, "telegram.org".
    let relay = ([91, 108, 9, 35], 1400);
    let mut capture = sample();
    let at = capture.first_micros() + 500_000;
    let request = stun(0x0003, 7, &[]);
    let answer = stun(0x0113, 7, &stun_attribute(0x0014, b"telegram.org"));
    capture.records.push(Record {
        micros: at,
        data: udp_frame(SOCKET, relay, &request),
    });
    capture.records.push(Record {
        micros: at + 40_000,
        data: udp_frame(relay, SOCKET, &answer),
    });
    capture.records.sort_by_key(|r| r.micros);
    let records = records(&capture, "vendor-webrtc");
    let media = media_flow(&records);
    assert_eq!(media["app"], "telegram", "{media}");
    let evidence = media["evidence"].to_string();
    assert!(
        evidence.contains("WebRTC on a socket or with a peer of the call's Telegram flows"),
        "{evidence}"
    );
    assert_eq!(call_app(&records), "telegram");
}

const START: u64 = 1_700_000_000_000_000;
const PEER: ([u8; 4], u16) = ([198, 51, 100, 40], 61_000);

/// A STUN request from `socket` to `server` and its answer carrying
/// `answer_attributes`, `at` microseconds in.
fn stun_exchange(
    socket: ([u8; 4], u16),
    server: ([u8; 4], u16),
    method: u16,
    answer_attributes: &[u8],
    at: u64,
) -> Vec<(u64, Vec<u8>)> {
    vec![
        (START + at, udp_frame(socket, server, &stun(method, 1, &[]))),
        (
            START + at + 30_000,
            udp_frame(server, socket, &stun(method | 0x0100, 1, answer_attributes)),
        ),
    ]
}

/// ICE checks each way between `socket` and the peer, with libwebrtc's
/// network-cost attribute, and with `media` ten seconds of Opus both
/// ways, a packet every 20 ms.
fn webrtc_leg(socket: ([u8; 4], u16), media: bool) -> Vec<(u64, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut check_attributes = stun_attribute(0x0006, b"abcd:efgh");
    check_attributes.extend(stun_attribute(0xc057, &[0, 1, 0, 10]));
    for n in 0..3u64 {
        let at = START + 200_000 + n * 50_000;
        for (i, (from, to)) in [(socket, PEER), (PEER, socket)].into_iter().enumerate() {
            let id = 10 + 10 * i as u8 + n as u8;
            let sent = at + 20_000 * i as u64;
            frames.push((
                sent,
                udp_frame(from, to, &stun(0x0001, id, &check_attributes)),
            ));
            frames.push((sent + 10_000, udp_frame(to, from, &stun(0x0101, id, &[]))));
        }
    }
    if media {
        frames.extend(rtp_both_ways(socket, PEER, 111, 500, START + 400_000, 120));
    }
    frames
}

fn analyze_frames(mut frames: Vec<(u64, Vec<u8>)>, name: &str) -> Vec<Value> {
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
}

#[test]
fn a_peer_checked_from_a_vendors_socket_ties_another_socket_to_it() {
    // Socket A is told its realm by Telegram's relay and checks the peer;
    // socket B checks the same peer and carries the media: B's flows are
    // Telegram's through the peer they share with A.
    let a = ([192, 168, 12, 169], 40_906);
    let b = ([192, 168, 12, 169], 42_405);
    let realm = stun_attribute(0x0014, b"telegram.org");
    let mut frames = stun_exchange(a, ([91, 108, 9, 35], 1400), 0x0003, &realm, 0);
    frames.extend(webrtc_leg(a, false));
    frames.extend(webrtc_leg(b, true));
    let records = analyze_frames(frames, "peer-tied-webrtc");
    let media = media_flow(&records);
    assert_eq!(media["src"], "192.168.12.169:42405", "{media}");
    assert_eq!(media["app"], "telegram", "{media}");
    assert_eq!(call_app(&records), "telegram");
}

#[test]
fn a_stun_server_in_a_vendor_range_does_not_name_the_call() {
    // A WebRTC app asks Google's public STUN server for its address, then
    // checks and calls a peer from the same socket: the STUN server's
    // address names that flow Google Meet's, but not the call.
    let mut frames = stun_exchange(SOCKET, ([74, 125, 250, 10], 19_302), 0x0001, &[], 0);
    frames.extend(webrtc_leg(SOCKET, true));
    let records = analyze_frames(frames, "google-stun-webrtc");
    let stun_flow = records
        .iter()
        .find(|r| r["type"] == "flow" && r["dst"] == "74.125.250.10:19302")
        .expect("the STUN flow");
    assert_eq!(stun_flow["app"], "google_meet", "{stun_flow}");
    let media = media_flow(&records);
    assert_eq!(media["app"], "webrtc_generic", "{media}");
    assert_eq!(call_app(&records), "webrtc_generic");
}
