//! Two calls of one device a few seconds apart stay two calls: the bundled
//! direct call followed by the bundled relayed call (6 s of silence between
//! them, new sockets for the second), given as two files and as one
//! capture. They used to make one call "started directly, then moved to
//! relay".

mod common;

use std::path::Path;

use serde_json::Value;

/// The calls' (path, local sockets) of the two samples, checking that
/// the direct sample's media is in call 1 and the relayed one's in call 2.
fn calls(inputs: &[&Path]) -> Vec<(String, Vec<String>)> {
    let (calls, records) = analyze(inputs);
    for f in records.iter().filter(|r| r["type"] == "flow") {
        let want = match f["role"].as_str() {
            Some("p2p") => 1,
            Some("relay") => 2,
            _ => continue,
        };
        assert_eq!(f["call"], want, "{f}");
    }
    calls
}

/// The calls' (path, local sockets) in output order.
fn calls_of(inputs: &[&Path]) -> Vec<(String, Vec<String>)> {
    analyze(inputs).0
}

/// `analyze --format ndjson` of `inputs`: the calls' (path, local
/// sockets) in output order, and every record.
fn analyze(inputs: &[&Path]) -> (Vec<(String, Vec<String>)>, Vec<Value>) {
    let out = std::process::Command::new(common::bin())
        .args(["analyze", "--format", "ndjson"])
        .args(inputs)
        .output()
        .expect("run callpath");
    assert!(out.status.success(), "{out:?}");
    let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let calls = records
        .iter()
        .filter(|r| r["type"] == "call")
        .map(|c| {
            let local = c["local"]
                .as_array()
                .expect("local")
                .iter()
                .map(|l| l.as_str().expect("socket").to_string())
                .collect();
            (c["path"].as_str().expect("path").to_string(), local)
        })
        .collect();
    (calls, records)
}

fn assert_two_calls(got: &[(String, Vec<String>)]) {
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["direct", "relayed"], "{got:?}");
    // Each call has its own media socket.
    let (direct, relayed) = (&got[0].1, &got[1].1);
    assert!(
        direct.contains(&"192.168.1.10:10098".to_string()),
        "{got:?}"
    );
    assert!(
        relayed.contains(&"192.168.1.10:10014".to_string()),
        "{got:?}"
    );
    assert!(
        !relayed.contains(&"192.168.1.10:10098".to_string()),
        "{got:?}"
    );
}

/// A classic pcap file's records after its 24-byte header.
fn records(pcap: &[u8]) -> &[u8] {
    &pcap[24..]
}

#[test]
fn two_files_make_two_calls() {
    let samples = common::repo().join("samples");
    let got = calls(&[
        &samples.join("direct-call.pcap"),
        &samples.join("relayed-call.pcap"),
    ]);
    assert_two_calls(&got);
}

#[test]
fn one_merged_capture_makes_two_calls() {
    let samples = common::repo().join("samples");
    let first = std::fs::read(samples.join("direct-call.pcap")).expect("read sample");
    let second = std::fs::read(samples.join("relayed-call.pcap")).expect("read sample");
    // Same record format (byte order, link type, snap length): the second
    // capture starts after the first ends, so appending its records is the
    // time-ordered merge mergecap would write.
    assert_eq!(
        first[..24],
        second[..24],
        "the samples' pcap headers differ"
    );
    let mut merged = first.clone();
    merged.extend_from_slice(records(&second));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("two-calls.pcap");
    std::fs::write(&path, &merged).expect("write merged capture");
    let got = calls(&[&path]);
    assert_two_calls(&got);
}

/// nDPI's telegram.pcap: a call relayed then direct on one socket, and
/// 8 s after its media ended a second, relayed call from a new socket.
/// They were one call "relayed, then direct", though media ended relayed.
#[test]
fn telegram_second_call_from_a_new_socket_is_its_own_call() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let got = calls_of(&[&corpus.join("ndpi/telegram.pcap")]);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["relayed_then_direct", "relayed"], "{got:?}");
    assert!(
        got[0].1.contains(&"192.168.1.77:23174".to_string()),
        "{got:?}"
    );
    assert!(
        got[1].1.contains(&"192.168.1.77:28150".to_string()),
        "{got:?}"
    );
}

/// The registrar connection carried both calls' INVITEs: both calls list
/// it among their servers, though its flow record names one of them.
#[test]
fn a_signalling_flow_across_two_calls_is_listed_under_both() {
    let samples = common::repo().join("samples");
    let (calls, records) = analyze(&[
        &samples.join("direct-call.pcap"),
        &samples.join("relayed-call.pcap"),
    ]);
    assert_eq!(calls.len(), 2, "{calls:?}");
    let registrar = "203.0.113.10:5060";
    for call in records.iter().filter(|r| r["type"] == "call") {
        let servers: Vec<&str> = call["lookup_servers"]
            .as_array()
            .expect("lookup_servers")
            .iter()
            .filter_map(|p| p["endpoint"].as_str())
            .collect();
        assert!(servers.contains(&registrar), "{call}");
    }
    let flows: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "flow" && r["dst"] == registrar)
        .collect();
    assert_eq!(flows.len(), 1, "one registrar flow: {flows:?}");
    assert!(flows[0]["call"].is_u64(), "{}", flows[0]);
}
