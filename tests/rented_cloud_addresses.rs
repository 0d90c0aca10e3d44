//! A call protocol to an address in a calling vendor's own network names
//! the vendor's app (Google Meet for Google's AS15169), but the same ASN
//! also holds the machines Google rents to its cloud customers: Signal's
//! call relays run there, and a call through them is no Google Meet call.
//! The lab's relayed WebRTC call (samples/webrtc-relayed-call.pcap), its
//! TURN server moved to one address of each kind and its signalling left
//! out, shows the difference.

mod common;

use common::capture_edit::Capture;
use common::*;
use serde_json::Value;

const TURN: [u8; 4] = [203, 0, 113, 20];

/// The relayed media flow's app with the TURN server at `to`, and the
/// page's signalling left out (its SDP would name the app itself).
fn relay_app(to: [u8; 4], name: &str) -> String {
    let mut capture =
        Capture::read(&repo().join("samples/webrtc-relayed-call.pcap")).without_tcp_port(8080);
    let (plain, _) = capture.move_ipv4(TURN, to);
    assert!(plain > 0);
    let records = analyze_bytes(&capture.bytes(), name);
    let relays: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "flow" && r["role"] == "relay")
        .collect();
    assert_eq!(relays.len(), 1, "{records:?}");
    let remote = &relays[0]["remote"];
    assert_eq!(remote["asn"], 15169, "{remote}");
    relays[0]["app"].as_str().unwrap().to_string()
}

#[test]
fn a_call_through_googles_own_address_is_google_meet() {
    // 142.250.8.10: in Google's own 142.250.0.0/15 (goog.json), not a
    // cloud customer's. (Addresses as long as the lab's in dotted text,
    // which the SDP carries.)
    assert_eq!(
        relay_app([142, 250, 8, 10], "turn-at-google"),
        "google_meet"
    );
}

#[test]
fn a_call_through_a_google_cloud_customers_address_is_not() {
    // 35.214.22.21: beside the Google Cloud customer's machine where a
    // Signal call's relay answered (cloud.json's 35.208.0.0/13).
    assert_eq!(
        relay_app([35, 214, 22, 21], "turn-at-google-cloud"),
        "webrtc_generic"
    );
}
