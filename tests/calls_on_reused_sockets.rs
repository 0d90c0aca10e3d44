//! Consecutive calls of a device that reused its sockets, built from the
//! project's own samples: a call, then the same call again a few seconds
//! later (as `editcap -t` and `mergecap` would make it), on the very same
//! socket pairs. They were one call spanning both, with the times of the
//! registrar flow that lived across them. Each call must stand alone, with
//! its own times; and a pause within one call must not split it.

mod common;

use std::path::{Path, PathBuf};

use common::capture_edit::Capture;
use serde_json::Value;

fn sample(name: &str) -> Capture {
    Capture::read(&common::repo().join("samples").join(name))
}

/// The capture written to a temporary file, analysed with `--threads 1`
/// and `--threads 2` (which must agree): every record.
fn analyze(capture: &Capture) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path: PathBuf = dir.path().join("calls.pcap");
    std::fs::write(&path, capture.bytes()).expect("write capture");
    let one = ndjson(&path, "1");
    assert_eq!(one, ndjson(&path, "2"), "--threads 1 and 2 differ");
    one.lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn ndjson(path: &Path, threads: &str) -> String {
    let out = std::process::Command::new(common::bin())
        .args(["analyze", "--format", "ndjson", "--threads", threads])
        .arg(path)
        .output()
        .expect("run callpath");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn calls(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "call").collect()
}

fn media_flows(records: &[Value]) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| r["type"] == "flow" && matches!(r["role"].as_str(), Some("p2p" | "relay")))
        .collect()
}

fn secs(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// `capture`'s call, then the same call `later` seconds after its start:
/// two calls of `path` each, as long as the call alone, the first over
/// before the second began, each with media of its own.
fn assert_two_calls_like_one(capture: Capture, later: f64, path: &str) {
    let alone = analyze(&capture);
    let [single] = calls(&alone)[..] else {
        panic!("one call in the sample: {alone:?}")
    };
    let twice = capture.clone().merged(capture.shifted(later));
    let records = analyze(&twice);
    let got = calls(&records);
    let paths: Vec<&str> = got.iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [path, path], "{got:#?}");
    for c in &got {
        // Not the span of both calls, nor of the registrar flow.
        assert!(
            (secs(&c["duration"]) - secs(&single["duration"])).abs() < 0.1,
            "call {} lasts {} s, the call alone {} s",
            c["call"],
            c["duration"],
            single["duration"]
        );
        assert_eq!(c["media_flows"], 1, "{c}");
    }
    assert!(secs(&got[0]["end"]) <= secs(&got[1]["start"]), "{got:#?}");
    // The media flow of the socket pair both calls used was split where
    // the second call began, one flow per call.
    let media = media_flows(&records);
    let calls_of_media: Vec<&Value> = media.iter().map(|f| &f["call"]).collect();
    assert_eq!(calls_of_media, [1, 2], "{media:#?}");
    assert_eq!(media[0]["end_reason"], "new_session", "{:#?}", media[0]);
    assert_eq!(
        (&media[0]["src"], &media[0]["dst"]),
        (&media[1]["src"], &media[1]["dst"])
    );
}

/// TURN: a new allocation on the socket pair after the last was released.
#[test]
fn relayed_call_twice_on_the_same_sockets_is_two_calls() {
    assert_two_calls_like_one(sample("relayed-call.pcap"), 25.0, "relayed");
}

/// Plain RTP with the peer: the RTP source starts over after a silence.
#[test]
fn direct_call_twice_on_the_same_sockets_is_two_calls() {
    assert_two_calls_like_one(sample("direct-call.pcap"), 15.0, "direct");
}

/// WebRTC: a new DTLS handshake after media.
#[test]
fn webrtc_call_twice_on_the_same_sockets_is_two_calls() {
    assert_two_calls_like_one(sample("webrtc-call.pcap"), 15.0, "direct");
}

/// WebRTC through TURN: a new allocation opening a new credentials
/// exchange.
#[test]
fn webrtc_relayed_call_twice_on_the_same_sockets_is_two_calls() {
    assert_two_calls_like_one(sample("webrtc-relayed-call.pcap"), 15.0, "relayed");
}

/// A new call as a new call looks: the same sockets, but its own ICE
/// ufrags and SIP Call-ID. The flows are split at its first ICE checks,
/// so each call's media flow holds exactly that call's packets, and its
/// checks go to it.
#[test]
fn a_new_ice_session_on_the_same_sockets_is_a_new_call() {
    let direct = sample("direct-call.pcap");
    let mut second = direct.clone().shifted(15.0);
    // The sample's ICE ufrags and Call-ID (tshark -T fields -e
    // stun.att.username -e sip.Call-ID), each made new.
    for (from, to) in [
        (&b"IOQuR2p"[..], &b"ZZQuR2p"[..]),
        (b"eTlNqQR", b"YYlNqQR"),
        (b"2739891c11b0a99a", b"9999891c11b0a99a"),
    ] {
        assert!(second.replace_bytes(from, to) > 0, "the sample changed");
    }
    let alone = analyze(&direct);
    let records = analyze(&direct.merged(second));
    let got = calls(&records);
    assert_eq!(got.len(), 2, "{got:#?}");
    let media = media_flows(&records);
    let single = media_flows(&alone);
    let packets: Vec<&Value> = media.iter().map(|f| &f["packets"]).collect();
    assert_eq!(packets, [&single[0]["packets"]; 2], "{media:#?}");
    // The checks with the peer's private address, one flow per call.
    let checks: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "flow" && r["dst"] == "192.168.2.10:10040")
        .map(|r| &r["call"])
        .collect();
    assert_eq!(checks, [1, 2]);
}

/// The same from a socket to another peer port, with no signalling in the
/// capture: two flows on one local socket, 7 s apart; the second's ICE
/// checks name other ufrags.
#[test]
fn a_new_ice_session_from_the_same_socket_is_a_new_call_without_signalling() {
    let direct = sample("direct-call.pcap");
    let mut second = direct
        .clone()
        .shifted(15.0)
        .udp_port_moved(0.0, 10040, 10042);
    for (from, to) in [(&b"IOQuR2p"[..], &b"ZZQuR2p"[..]), (b"eTlNqQR", b"YYlNqQR")] {
        assert!(second.replace_bytes(from, to) > 0, "the sample changed");
    }
    let records = analyze(&direct.merged(second).without_udp_port(5060));
    let got = calls(&records);
    assert_eq!(got.len(), 2, "{got:#?}");
    let media = media_flows(&records);
    let calls_of_media: Vec<&Value> = media.iter().map(|f| &f["call"]).collect();
    assert_eq!(calls_of_media, [1, 2], "{media:#?}");
}

/// The device calls again from the same socket and the peer answers from
/// another port: two flows on one local socket, 7 s apart; the new SIP
/// dialog (an INVITE after the first one's BYE) says a new call began.
#[test]
fn a_new_sip_call_from_the_same_socket_is_a_new_call() {
    let direct = sample("direct-call.pcap");
    let second = direct
        .clone()
        .shifted(15.0)
        .udp_port_moved(0.0, 10040, 10042);
    let records = analyze(&direct.merged(second));
    let got = calls(&records);
    assert_eq!(got.len(), 2, "{got:#?}");
    for c in &got {
        assert_eq!(c["path"], "direct", "{c}");
        assert!(
            c["local"]
                .as_array()
                .unwrap()
                .contains(&Value::from("192.168.1.10:10098")),
            "{c}"
        );
    }
    let media = media_flows(&records);
    let calls_of_media: Vec<&Value> = media.iter().map(|f| &f["call"]).collect();
    assert_eq!(calls_of_media, [1, 2], "{media:#?}");
}

/// 8 s without a packet in the middle of the direct call (hold, mute):
/// its RTP carries on with the same source and sequence. One call, one
/// media flow.
#[test]
fn a_media_pause_is_not_a_new_call() {
    let records = analyze(&sample("direct-call.pcap").paused(5.0, 8.0));
    let got = calls(&records);
    assert_eq!(got.len(), 1, "{got:#?}");
    let media = media_flows(&records);
    assert_eq!(media.len(), 1, "{media:#?}");
    assert_ne!(media[0]["end_reason"], "new_session");
}

/// The same pause, after which the peer's media comes from another port
/// (its NAT mapped it anew): a second flow on the call's socket, 8 s after
/// the first fell silent, with the same RTP source and no new SIP dialog.
/// A gap alone is no new call.
#[test]
fn a_pause_then_media_from_a_new_peer_port_is_not_a_new_call() {
    let records = analyze(
        &sample("direct-call.pcap")
            .paused(5.0, 8.0)
            .udp_port_moved(5.0, 10040, 10042),
    );
    let got = calls(&records);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0]["media_flows"], 2, "{got:#?}");
}

/// The same pause, after which both phones' RTP comes from new sources
/// (a phone resuming from hold may restart its stream), within the one SIP
/// call, which no BYE ended: the SIP dialog says it is one call.
#[test]
fn a_pause_then_new_rtp_sources_within_one_sip_call_is_not_a_new_call() {
    let mut capture = sample("direct-call.pcap").paused(5.0, 8.0);
    for (old, new) in [
        ([0x8c, 0xba, 0x94, 0x81], [0x8c, 0xba, 0x94, 0x82]),
        ([0x77, 0x8c, 0xbf, 0xb9], [0x77, 0x8c, 0xbf, 0xba]),
    ] {
        assert!(
            capture.replace_bytes_after(5.0, &old, &new) > 100,
            "an SSRC of the sample"
        );
    }
    let records = analyze(&capture);
    let got = calls(&records);
    assert_eq!(got.len(), 1, "{got:#?}");
}

/// nDPI's sip.pcap: 25 minutes of registrations and call attempts to two
/// providers; the one call with media (early media after its second
/// INVITE, which was then refused) lasted a few seconds, not as long as
/// the registrar flow. The attempts without media are listed as such.
#[test]
fn sip_pcap_call_lasts_as_long_as_its_own_dialog_and_media() {
    let Some(corpus) = common::corpus() else {
        eprintln!(
            "SKIPPED: sip_pcap_call_lasts_as_long_as_its_own_dialog_and_media needs the corpus"
        );
        return;
    };
    let (records, out) = common::analyze_ndjson(&corpus.join("ndpi/sip.pcap"));
    assert!(out.status.success(), "{out:?}");
    let got = calls(&records);
    let (attempts, with_media): (Vec<&Value>, Vec<&Value>) =
        got.iter().partition(|c| c["path"] == "not_answered");
    assert_eq!(with_media.len(), 1, "{got:#?}");
    let duration = secs(&with_media[0]["duration"]);
    assert!(duration > 1.0 && duration < 10.0, "{}", with_media[0]);
    assert!(
        with_media[0]["verdict"]
            .as_str()
            .unwrap()
            .contains("No one answered the SIP call: it was rejected with 480 Temporarily Unavailable, after it rang; this media came while it was being set up"),
        "{}",
        with_media[0]
    );
    // Cancelled after 32 s without an answer; refused twice with 403 after
    // a credentials challenge.
    let outcomes: Vec<&str> = attempts
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.len(), 3, "{outcomes:#?}");
    assert!(outcomes[0].contains("was cancelled by the caller before it was answered"));
    assert!(outcomes[1..]
        .iter()
        .all(|v| v.contains("was rejected with 403 Forbidden")));
}
