//! `--knowledge-window`: what other flows taught counts for a flow only if
//! it was learned within the window before the flow's last packet.

mod common;

use common::*;

/// The app given to the relayed call's ICE checks towards the relay.
fn ice_check_app(window: Option<&str>) -> String {
    let capture = repo().join("samples/relayed-call.pcap");
    let mut args = vec!["analyze", "--format", "ndjson"];
    if let Some(secs) = window {
        args.extend(["--knowledge-window", secs]);
    }
    let capture = capture.to_str().unwrap();
    args.push(capture);
    let out = run(&args);
    assert!(out.status.success(), "{out:?}");
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let flows = flows_by_id(&records);
    let ice = flows
        .get(&flow_id("udp", "192.168.1.10:10014", "203.0.113.20:49155"))
        .expect("the ICE checks towards the relay are a flow");
    ice["app"].as_str().unwrap_or("").to_string()
}

#[test]
fn the_sdp_behind_a_socket_counts_within_the_window_only() {
    // The SDP that tied the socket to the SIP call came seconds before
    // these checks ended: within the default window, not within one second.
    assert_eq!(ice_check_app(None), "sip_rtp");
    assert_ne!(ice_check_app(Some("1")), "sip_rtp");
}

#[test]
fn a_window_of_nothing_is_refused() {
    let sample = repo().join("samples/relayed-call.pcap");
    let out = run(&[
        "analyze",
        "--knowledge-window",
        "0",
        sample.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("knowledge-window"));
}
