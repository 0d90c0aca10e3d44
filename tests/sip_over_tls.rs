//! SIP over TLS ("sips", RFC 3261 §26.2): a phone's signalling sealed in
//! TLS to its provider's port 5061, its media plain RTP. Nothing of SIP
//! can be read, so the port and the TLS framing name the protocol; the
//! connection is the call's signalling, never media.

mod common;

use common::*;
use serde_json::Value;

const PHONE: ([u8; 4], u16) = ([192, 168, 1, 50], 40_123);
const PHONE_RTP: ([u8; 4], u16) = ([192, 168, 1, 50], 10_000);
const GATEWAY_RTP: ([u8; 4], u16) = ([198, 51, 100, 9], 20_000);
const START: u64 = 1_700_000_000_000_000;

/// A TLS record of `kind` (22 handshake, 23 application data) with `len`
/// bytes of body, the first of them `first`.
fn record(kind: u8, first: u8, len: usize) -> Vec<u8> {
    let mut r = vec![kind, 3, 3];
    r.extend_from_slice(&(len as u16).to_be_bytes());
    r.push(first);
    r.resize(5 + len, 0x5a);
    r
}

/// The phone's TLS connection to `server` (a ClientHello, the answer,
/// sealed records each way for a minute), then RTP with the gateway.
fn call(server: ([u8; 4], u16)) -> Vec<Value> {
    let mut frames = vec![
        (START, tcp_frame(PHONE, server, 1, &record(22, 1, 200))),
        (
            START + 30_000,
            tcp_frame(server, PHONE, 1, &record(22, 2, 1200)),
        ),
    ];
    for i in 0..6u32 {
        let t = START + 100_000 + u64::from(i) * 10_000_000;
        frames.push((
            t,
            tcp_frame(PHONE, server, 300 + i * 400, &record(23, 0, 380)),
        ));
        frames.push((
            t + 40_000,
            tcp_frame(server, PHONE, 1300 + i * 600, &record(23, 0, 560)),
        ));
    }
    frames.extend(rtp_both_ways(
        PHONE_RTP,
        GATEWAY_RTP,
        0,
        160,
        START + 2_000_000,
        500,
    ));
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), &format!("sips-{}", server.1))
}

fn flow_to(records: &[Value], port: u16) -> &Value {
    records
        .iter()
        .find(|r| {
            r["type"] == "flow" && (r["dst"].as_str().unwrap().ends_with(&format!(":{port}")))
        })
        .unwrap_or_else(|| panic!("no flow to port {port}: {records:?}"))
}

#[test]
fn tls_to_port_5061_is_the_calls_sip_signalling() {
    let records = call(([198, 51, 100, 8], 5061));
    let tls = flow_to(&records, 5061);
    assert_eq!(tls["app"], "sip_rtp", "{tls}");
    assert_eq!(tls["role"], "lookup", "{tls}");
    let evidence = tls["evidence"].to_string();
    assert!(evidence.contains("SIP over TLS"), "{evidence}");
    let media = flow_to(&records, 20_000);
    assert_eq!(media["app"], "sip_rtp");
    assert!(tls["call"].is_u64(), "the signalling joins the call: {tls}");
    assert_eq!(tls["call"], media["call"]);
}

#[test]
fn tls_to_another_port_is_not_named_sip() {
    let records = call(([198, 51, 100, 8], 8443));
    let tls = flow_to(&records, 8443);
    assert_ne!(tls["app"], "sip_rtp", "{tls}");
}
