//! Tencent Meeting's uplink header (see src/dissect/tencent.rs): the client
//! puts `08 02 00 00` and a session ID before each RTP/RTCP packet it sends
//! its media edge, and the edge answers plain. The header once read as an
//! OpenVPN reset (the call hidden as a "VPN tunnel"); now it names the app,
//! and the edge is a server: a relay when the channel carries media, a
//! lookup when it carries only reports and control messages.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: ([u8; 4], u16) = ([192, 168, 39, 11], 62_412);
// A documentation address standing for the edge (in captures: China
// Mobile's network).
const EDGE: ([u8; 4], u16) = ([198, 51, 100, 89], 8000);
const START: u64 = 1_700_000_000_000_000;
const SESSION: [u8; 9] = [0x08, 0x02, 0x00, 0x00, 0x06, 0xea, 0x46, 0x0b, 0xf6];

fn rtp(sequence: u16, timestamp: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 111];
    p.extend(sequence.to_be_bytes());
    p.extend(timestamp.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.resize(120, 0x55);
    p
}

/// A receiver report from the edge about `ssrc`.
fn receiver_report(ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x81, 0xc9, 0x00, 0x07];
    p.extend(ssrc.to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    p.resize(32, 0);
    p
}

/// Ten seconds: the device's packets in the uplink header, the edge's
/// plain. `media`: voice both ways every 20 ms; otherwise a control
/// message in RTP's shape (timestamp 0) every second and the edge's
/// reports.
fn meeting(media: bool, name: &str) -> Vec<Value> {
    let mut frames = Vec::new();
    let wrap = |inner: Vec<u8>| [SESSION.to_vec(), inner].concat();
    for n in 0..500u16 {
        let at = START + u64::from(n) * 20_000;
        if media {
            let up = rtp(n, 9_000 + u32::from(n) * 160, 0xd6e6_6177);
            frames.push((at, udp_frame(DEVICE, EDGE, &wrap(up))));
            let down = rtp(n, 70_000 + u32::from(n) * 160, 0x0102_0304);
            frames.push((at + 5_000, udp_frame(EDGE, DEVICE, &down)));
        } else if n % 50 == 0 {
            let control = rtp(n / 50, 0, 0xd6e6_6177);
            frames.push((at, udp_frame(DEVICE, EDGE, &wrap(control))));
            let report = receiver_report(0xd6e6_6177);
            frames.push((at + 5_000, udp_frame(EDGE, DEVICE, &report)));
        }
    }
    analyze_bytes(&classic_pcap(&frames), name)
}

fn the_flow(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|r| r["type"] == "flow")
        .unwrap_or_else(|| panic!("no flow: {records:?}"))
}

#[test]
fn media_in_the_uplink_header_goes_through_the_edge() {
    let records = meeting(true, "tencent-media");
    let flow = the_flow(&records);
    assert_eq!(flow["app"], "tencent_meeting", "{flow}");
    assert_eq!(flow["role"], "relay", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap()
            .contains("uplink header"),
        "{flow}"
    );
    let call = records.iter().find(|r| r["type"] == "call").unwrap();
    assert_eq!(call["path"], "relayed", "{call}");
    assert_eq!(party_endpoints(&call["relays"]), ["198.51.100.89:8000"]);
}

#[test]
fn reports_and_control_alone_are_a_lookup_not_a_tunnel() {
    let records = meeting(false, "tencent-control");
    let flow = the_flow(&records);
    assert_eq!(flow["app"], "tencent_meeting", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(flow["tunnel"].is_null(), "{flow}");
    assert!(!records.iter().any(|r| r["type"] == "call"), "{records:?}");
}
