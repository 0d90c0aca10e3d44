//! A conference server that mixes (an MCU) carries a two-party call on one
//! symmetric, ICE-checked connection, as a peer would, and from an address
//! no vendor list or data-centre network names (the lab's Janus
//! AudioBridge in samples/mcu-call.pcap, a documentation-range address).
//! What gives it away is that the device reached it by name: its HTTPS API
//! was asked for conference.example.net, and a peer's device is never
//! reached by a name the device looked up.

mod common;

use common::capture_edit::Capture;
use common::*;
use serde_json::Value;

const MIXER: &str = "203.0.113.40";
const NAME: &[u8] = b"conference.example.net";

fn mcu_call() -> Value {
    analyze_json(&repo().join("samples/mcu-call.pcap"), &[])
}

fn media_flow(doc: &Value) -> &Value {
    let media: Vec<&Value> = doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["l4"] == "udp" && f["dst"].as_str().unwrap().starts_with(MIXER))
        .collect();
    assert_eq!(media.len(), 1, "{media:?}");
    media[0]
}

#[test]
fn media_to_a_host_the_device_reached_by_name_is_relayed() {
    let doc = mcu_call();
    let f = media_flow(&doc);
    assert_eq!(f["role"], "relay", "{f}");
    let why = f["evidence"][0].as_str().unwrap();
    assert!(
        why.contains(
            "is the address of conference.example.net, a name the device looked up or connected to"
        ),
        "{why}"
    );
    let calls = doc["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call["path"], "relayed", "{call}");
    assert!(call["peers"].as_array().unwrap().is_empty(), "{call}");
    // What answered the device's checks on the media connection is the
    // server that relayed it, not a STUN server.
    let learned = texts(&call["public_address_learned_by"]);
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert!(
        learned[0].contains("(media server, told the device it is 198.51.100.11:"),
        "{learned:?}"
    );
}

#[test]
fn the_servers_https_connections_are_the_calls_signalling() {
    let doc = mcu_call();
    let api: Vec<&Value> = doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["l4"] == "tcp")
        .collect();
    assert_eq!(api.len(), 2, "{api:?}");
    for f in api {
        assert_eq!(f["dst"], format!("{MIXER}:8089"), "{f}");
        assert_eq!(f["role"], "lookup", "{f}");
        assert_eq!(f["app"], "webrtc_generic", "{f}");
        assert_eq!(f["call"], 1, "{f}");
        let why = f["evidence"][0].as_str().unwrap();
        assert!(
            why.contains("host 203.0.113.40 answered the ICE checks of a WebRTC"),
            "{why}"
        );
        // Said once, not again as the app's evidence.
        assert_eq!(f["evidence"].as_array().unwrap().len(), 1, "{f}");
    }
}

/// The same capture with the server's name turned into an mDNS one (how
/// WebRTC hides a peer's address on the device's own network; in any
/// case): no server name, so the symmetric ICE-checked stream reads as a
/// peer's.
#[test]
fn an_mdns_name_is_no_servers() {
    let mut capture = Capture::read(&repo().join("samples/mcu-call.pcap"));
    let mdns = b"conference.examp.LOCAL";
    assert_eq!(mdns.len(), NAME.len());
    assert!(capture.replace_bytes(NAME, mdns) > 0);
    let records = analyze_bytes(&capture.bytes(), "mcu-call-mdns");
    let media: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "flow" && r["l4"] == "udp")
        .collect();
    assert_eq!(media.len(), 1, "{records:?}");
    assert_eq!(media[0]["role"], "p2p", "{}", media[0]);
}
