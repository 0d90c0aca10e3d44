//! A conference server is told apart from a peer by the voices it sends,
//! not by its address: the lab's group call (samples/group-call.pcap, three
//! Chromium users in a Janus VideoRoom on a documentation-range address no
//! vendor list or data-centre network names) has the device publish its
//! voice on one connection and receive the two others on a second one.

mod common;

use common::*;
use serde_json::Value;

const SFU: &str = "203.0.113.40";

fn group_call() -> Value {
    analyze_json(&repo().join("samples/group-call.pcap"), &[])
}

/// The media flows with the SFU, by the first line of their evidence.
fn media_evidence(doc: &Value) -> Vec<(String, String)> {
    doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["l4"] == "udp" && f["dst"].as_str().unwrap().starts_with(SFU))
        .filter(|f| f["role"] == "relay")
        .map(|f| {
            (
                f["dst"].as_str().unwrap().to_string(),
                f["evidence"][0].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_connection_that_brings_several_voices_is_relayed() {
    let doc = group_call();
    let media = media_evidence(&doc);
    assert_eq!(media.len(), 2, "{media:?}");
    assert!(
        media
            .iter()
            .any(|(_, why)| why
                .starts_with("the far end sent 2 audio streams (SSRCs) at the same time")),
        "{media:?}"
    );
}

/// The connection the device publishes its own voice on carries one voice
/// only; the same host's forwarding on the other connection makes it a
/// server there too, though it checked back like an ICE peer and sent the
/// first packet.
#[test]
fn the_connection_the_device_publishes_on_is_relayed_too() {
    let doc = group_call();
    let media = media_evidence(&doc);
    assert!(
        media.iter().any(|(_, why)| why.contains(
            "on another flow: a conference server, which takes each participant's media"
        )),
        "{media:?}"
    );
    // The device is the lab's user A on both, never the server.
    for f in doc["flows"].as_array().unwrap() {
        if f["role"] == "relay" {
            assert!(
                f["src"].as_str().unwrap().starts_with("192.168.1.10:"),
                "{f}"
            );
        }
    }
}

#[test]
fn the_call_is_relayed_by_the_conference_server() {
    let doc = group_call();
    let calls = doc["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    // Its API is the call's signalling, not a candidate address, and it
    // answered the device's checks as the server it is.
    assert_call_through_lab_sfu(call, SFU);
}
