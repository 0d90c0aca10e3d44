//! A SIP call that never began is still listed: an INVITE that was
//! rejected, cancelled, refused for want of credentials or never
//! answered makes a `not_answered` call whose verdict says which, and who
//! placed it. An INVITE sent again with credentials is the same attempt,
//! and an attempt later answered is an ordinary call.

mod common;

use common::*;
use serde_json::Value;

const PHONE: ([u8; 4], u16) = ([192, 168, 1, 20], 5060);
const PROXY: ([u8; 4], u16) = ([198, 51, 100, 5], 5060);
const START: u64 = 1_700_000_000_000_000;

/// One SIP message of dialog `call_id`, `at` microseconds into the
/// capture, sent from `from` to `to`.
type Message = (
    u64,
    ([u8; 4], u16),
    ([u8; 4], u16),
    &'static str,
    &'static str,
);

/// An INVITE, and the proxy's challenge for credentials.
const CHALLENGED: [Message; 2] = [
    (0, PHONE, PROXY, INVITE, "1 INVITE"),
    (
        80_000,
        PROXY,
        PHONE,
        "SIP/2.0 407 Proxy Authentication Required",
        "1 INVITE",
    ),
];

fn analyze(call_id: &str, messages: &[Message], name: &str) -> Vec<Value> {
    analyze_bytes(&classic_pcap(&frames(call_id, messages)), name)
}

/// The frames of `messages`; an INVITE offers the phone's media.
fn frames(call_id: &str, messages: &[Message]) -> Vec<(u64, Vec<u8>)> {
    messages
        .iter()
        .map(|&(at, from, to, first_line, cseq)| {
            let body = if first_line.starts_with("INVITE") {
                sdp_audio((PHONE.0, 40_000), 0)
            } else {
                String::new()
            };
            let sip = sip_message(first_line, "UDP 192.168.1.20:5060", call_id, cseq, &body);
            (START + at, udp_frame(from, to, &sip))
        })
        .collect()
}

fn calls(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "call").collect()
}

fn verdict(call: &Value) -> &str {
    call["verdict"].as_str().unwrap_or_default()
}

const INVITE: &str = "INVITE sip:bob@example.org SIP/2.0";
const ACK: &str = "ACK sip:bob@example.org SIP/2.0";

#[test]
fn a_call_rejected_after_a_credentials_challenge_is_one_attempt() {
    let records = analyze(
        "attempt-busy",
        &[
            CHALLENGED[0],
            CHALLENGED[1],
            (90_000, PHONE, PROXY, ACK, "1 ACK"),
            (100_000, PHONE, PROXY, INVITE, "2 INVITE"),
            (300_000, PROXY, PHONE, "SIP/2.0 180 Ringing", "2 INVITE"),
            (9_000_000, PROXY, PHONE, "SIP/2.0 486 Busy Here", "2 INVITE"),
            (9_050_000, PHONE, PROXY, ACK, "2 ACK"),
        ],
        "attempt-busy",
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    let c = calls[0];
    assert_eq!(c["path"], "not_answered", "{c}");
    assert_eq!(c["app"], "sip_rtp", "{c}");
    assert!(
        verdict(c).starts_with(
            "A call your device placed was rejected with 486 Busy Here, after it rang;"
        ),
        "{c}"
    );
    assert!(verdict(c).contains("no media of it was captured"), "{c}");
    // From the first INVITE to the last message.
    assert!((c["duration"].as_f64().unwrap() - 9.05).abs() < 1e-6, "{c}");
    assert_eq!(
        c["lookup_servers"][0]["endpoint"], "198.51.100.5:5060",
        "{c}"
    );
    // The signalling flow is the call's.
    let sip = records
        .iter()
        .find(|r| r["type"] == "flow" && r["app"] == "sip_rtp")
        .expect("the SIP flow");
    assert_eq!(sip["call"], c["call"], "{sip}");
}

#[test]
fn a_call_to_the_device_cancelled_while_ringing() {
    let records = analyze(
        "attempt-cancel",
        &[
            (0, PROXY, PHONE, INVITE, "1 INVITE"),
            (50_000, PHONE, PROXY, "SIP/2.0 180 Ringing", "1 INVITE"),
            (
                4_000_000,
                PROXY,
                PHONE,
                "CANCEL sip:bob@example.org SIP/2.0",
                "1 CANCEL",
            ),
            (4_020_000, PHONE, PROXY, "SIP/2.0 200 OK", "1 CANCEL"),
            (
                4_030_000,
                PHONE,
                PROXY,
                "SIP/2.0 487 Request Terminated",
                "1 INVITE",
            ),
        ],
        "attempt-cancel",
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "not_answered", "{}", calls[0]);
    assert!(
        verdict(calls[0]).starts_with(
            "A call to your device was cancelled by the caller before it was answered, after it rang;"
        ),
        "{}",
        calls[0]
    );
}

#[test]
fn a_challenge_never_answered_with_credentials_and_an_unanswered_invite() {
    let refused = analyze(
        "attempt-407",
        &[
            CHALLENGED[0],
            CHALLENGED[1],
            (90_000, PHONE, PROXY, ACK, "1 ACK"),
        ],
        "attempt-407",
    );
    let calls_refused = calls(&refused);
    assert_eq!(calls_refused.len(), 1, "{refused:?}");
    assert!(
        verdict(calls_refused[0]).contains(
            "was refused for want of credentials (407 Proxy Authentication Required) and not tried again"
        ),
        "{}",
        calls_refused[0]
    );
    let silent = analyze(
        "attempt-silent",
        &[
            (0, PHONE, PROXY, INVITE, "1 INVITE"),
            (500_000, PHONE, PROXY, INVITE, "1 INVITE"),
            (1_500_000, PHONE, PROXY, INVITE, "1 INVITE"),
        ],
        "attempt-silent",
    );
    let calls_silent = calls(&silent);
    assert_eq!(calls_silent.len(), 1, "{silent:?}");
    assert!(
        verdict(calls_silent[0]).contains("was not answered: no answer to it was captured"),
        "{}",
        calls_silent[0]
    );
}

#[test]
fn an_attempt_answered_after_the_challenge_is_an_ordinary_call() {
    let records = analyze(
        "answered",
        &[
            CHALLENGED[0],
            CHALLENGED[1],
            (100_000, PHONE, PROXY, INVITE, "2 INVITE"),
            (2_000_000, PROXY, PHONE, "SIP/2.0 200 OK", "2 INVITE"),
            (2_050_000, PHONE, PROXY, ACK, "2 ACK"),
        ],
        "answered",
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "signalling_only", "{}", calls[0]);
}

#[test]
fn another_devices_media_at_the_time_hides_no_attempt() {
    let mut frames = frames(
        "busy-beside",
        &[
            (0, PHONE, PROXY, INVITE, "1 INVITE"),
            (2_000_000, PROXY, PHONE, "SIP/2.0 486 Busy Here", "1 INVITE"),
            (2_050_000, PHONE, PROXY, ACK, "1 ACK"),
        ],
    );
    // Another phone of the network in a call meanwhile.
    frames.extend(rtp_both_ways(
        ([192, 168, 1, 30], 42_000),
        ([198, 51, 100, 40], 30_000),
        0,
        500,
        START,
        172,
    ));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "attempt-beside-a-call");
    let calls = calls(&records);
    assert_eq!(calls.len(), 2, "{records:?}");
    assert!(
        calls.iter().any(|c| c["path"] == "not_answered"
            && verdict(c)
                .starts_with("A call your device placed was rejected with 486 Busy Here;")),
        "{calls:?}"
    );
}
