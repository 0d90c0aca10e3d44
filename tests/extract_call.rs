//! `callpath extract`: one call's frames as pcapng, analysed again.

use std::process::Command;

use serde_json::Value;

fn callpath(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// `extract SAMPLE --call N -w TO`.
fn extract(sample: &str, call: &str, to: &str) -> std::process::Output {
    callpath(&["extract", sample, "--call", call, "-w", to])
}

fn json(args: &[&str]) -> Value {
    let o = callpath(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn extracted_call_has_the_call_flows_and_the_same_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("call.pcapng");
    let o = extract("samples/relayed-call.pcap", "1", out.to_str().unwrap());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        &std::fs::read(&out).unwrap()[..4],
        &[0x0a, 0x0d, 0x0d, 0x0a]
    );

    let whole = json(&["analyze", "samples/relayed-call.pcap", "--format", "json"]);
    let cut = json(&["analyze", out.to_str().unwrap(), "--format", "json"]);
    let call_flows = |doc: &Value| {
        let mut v: Vec<(String, String, u64, String)> = doc["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["call"] == 1)
            .map(|f| {
                (
                    f["src"].as_str().unwrap().to_string(),
                    f["dst"].as_str().unwrap().to_string(),
                    f["packets"].as_u64().unwrap(),
                    f["role"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    // Only call flows were written: nothing else is in the cut capture.
    assert_eq!(
        cut["flows"].as_array().unwrap().len(),
        call_flows(&cut).len()
    );
    assert_eq!(call_flows(&cut), call_flows(&whole));
    assert_eq!(cut["calls"][0]["path"], whole["calls"][0]["path"]);
    assert_eq!(cut["calls"][0]["path"], "relayed");
}

#[test]
fn unknown_call_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("x.pcapng");
    let o = extract("samples/relayed-call.pcap", "7", out.to_str().unwrap());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no call 7"));
}

/// `-w -` writes the call to standard output (to pipe into tshark or
/// Wireshark), byte for byte what `-w FILE` writes; `analyze -o -` and
/// `report -o -` write to standard output too, and no file named `-`.
#[test]
fn a_dash_writes_to_standard_output() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("call.pcapng");
    let to_file = extract("samples/direct-call.pcap", "1", file.to_str().unwrap());
    assert_eq!(to_file.status.code(), Some(0));
    let piped = extract("samples/direct-call.pcap", "1", "-");
    assert_eq!(piped.status.code(), Some(0));
    assert_eq!(piped.stdout, std::fs::read(&file).unwrap());
    assert!(
        String::from_utf8_lossy(&piped.stderr).contains("to standard output"),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    let report = callpath(&["report", "samples/direct-call.pcap", "-o", "-"]);
    assert_eq!(report.status.code(), Some(0));
    assert!(report.stdout.starts_with(b"<!doctype html>"));
    let analysis = callpath(&["analyze", "samples/direct-call.pcap", "-o", "-"]);
    assert!(analysis.stdout.starts_with(b"CALLS (1)"));
    assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("-")
        .exists());
}
