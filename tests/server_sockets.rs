//! A far socket that took datagrams from two sockets of one device is a
//! server's: a peer's ICE socket answers the one socket it checked, while
//! a media edge (Tencent Meeting's, inside China Mobile's network, on UDP
//! 8000) takes a device's control connection on one socket and its plain
//! RTP on another. Without that, media to an address in an access network
//! reads as peer-to-peer.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 1, 10];
const OTHER_DEVICE: [u8; 4] = [192, 168, 1, 11];
const EDGE: ([u8; 4], u16) = ([198, 51, 100, 77], 8000);
const START: u64 = 1_700_000_000_000_000;

/// Ten seconds of voice between `DEVICE:50002` and the edge, after
/// `opener` (if any) sent the edge an opaque datagram and got answers.
fn capture(opener: Option<[u8; 4]>, name: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    if let Some(host) = opener {
        let control = (host, 50_000);
        for n in 0..20u64 {
            // No dissector reads these: a vendor's own framing.
            let mut up = vec![0x36, 0x01, 0x63, 0x00, 0x00, 0x00, 0x00, 0x03];
            up.extend((0..80u8).map(|i| i.wrapping_mul(37) ^ n as u8));
            frames.push((START + n * 100_000, udp_frame(control, EDGE, &up)));
            let down: Vec<u8> = up.iter().map(|b| b ^ 0x5a).collect();
            frames.push((
                START + n * 100_000 + 30_000,
                udp_frame(EDGE, control, &down),
            ));
        }
    }
    frames.extend(rtp_both_ways(
        (DEVICE, 50_002),
        EDGE,
        111,
        500,
        START + 3_000_000,
        120,
    ));
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
}

fn media_flow(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|r| r["type"] == "flow" && r["src"] == "192.168.1.10:50002")
        .unwrap_or_else(|| panic!("no media flow: {records:?}"))
}

#[test]
fn a_socket_the_device_reached_twice_is_a_server() {
    let records = capture(Some(DEVICE), "server-socket-twice");
    let flow = media_flow(&records);
    assert_eq!(flow["role"], "relay", "{flow}");
    let why = flow["evidence"][0].as_str().unwrap();
    assert!(
        why.contains("192.168.1.10:50000") && why.contains("server's socket"),
        "{why}"
    );
    let call = records.iter().find(|r| r["type"] == "call").unwrap();
    assert_eq!(call["path"], "relayed", "{call}");
}

#[test]
fn media_to_a_socket_reached_once_stays_direct() {
    let records = capture(None, "server-socket-once");
    assert_eq!(media_flow(&records)["role"], "p2p");
}

#[test]
fn another_device_reaching_the_socket_proves_nothing() {
    let records = capture(Some(OTHER_DEVICE), "server-socket-other-device");
    assert_eq!(media_flow(&records)["role"], "p2p");
}
