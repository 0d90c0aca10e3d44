//! `--filter`: only the packets an expression matches are analysed, the
//! others are counted as skipped (`filtered_out`), on any number of
//! threads; `extract` and evidence bundles find frames with the same
//! filter; an expression callpath cannot read is a usage error.

mod common;

use common::{repo, run};
use serde_json::Value;

const SAMPLE: &str = "samples/relayed-call.pcap";

fn ndjson(args: &[&str]) -> Vec<Value> {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn analyze(extra: &[&str]) -> Vec<Value> {
    let sample = repo().join(SAMPLE);
    let mut args = vec!["analyze", "--format", "ndjson", sample.to_str().unwrap()];
    args.extend_from_slice(extra);
    ndjson(&args)
}

fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

fn packets(flows: &[&Value]) -> u64 {
    flows.iter().map(|f| f["packets"].as_u64().unwrap()).sum()
}

#[test]
fn only_matching_packets_are_analysed_and_the_rest_counted() {
    let all = analyze(&[]);
    let all_flows = of_type(&all, "flow");
    // The sample's signalling (port 5060) and ICMP are left out; the
    // relayed media and its checks are kept, as is the call's verdict.
    let filter = "udp and not port 5060";
    let kept = analyze(&["--filter", filter]);
    let kept_flows = of_type(&kept, "flow");
    let expected: Vec<&Value> = all_flows
        .iter()
        .copied()
        .filter(|f| f["l4"] == "udp" && !f["src"].as_str().unwrap().ends_with(":5060"))
        .collect();
    assert!(!expected.is_empty() && expected.len() < all_flows.len());
    let ends = |flows: &[&Value]| -> Vec<(String, String, u64)> {
        let mut v: Vec<_> = flows
            .iter()
            .map(|f| {
                (
                    f["src"].to_string(),
                    f["dst"].to_string(),
                    f["packets"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(ends(&kept_flows), ends(&expected));
    let summary = of_type(&kept, "summary")[0];
    assert_eq!(
        summary["packets_skipped"]["filtered_out"].as_u64(),
        Some(packets(&all_flows) - packets(&expected)),
        "{summary}"
    );
    assert_eq!(
        summary["packets_decoded"].as_u64(),
        Some(packets(&expected))
    );
    let relays = |records: &[Value]| of_type(records, "call")[0]["relays"].clone();
    assert_eq!(relays(&kept), relays(&all));

    // The same records on several threads (the reading thread and the
    // workers both decode, and both apply the filter).
    for threads in ["2", "3"] {
        assert_eq!(
            analyze(&["--filter", filter, "--threads", threads]),
            kept,
            "{threads}"
        );
    }
}

#[test]
fn extract_finds_the_frames_the_filtered_analysis_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("call.pcapng");
    let sample = repo().join(SAMPLE);
    // One direction only: the frames back would double it without the filter.
    let filter = "src host 192.168.1.10";
    let o = run(&[
        "extract",
        sample.to_str().unwrap(),
        "--call",
        "1",
        "-f",
        filter,
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let filtered = analyze(&["-f", filter]);
    let call_packets = packets(
        &of_type(&filtered, "flow")
            .into_iter()
            .filter(|f| f["call"] == 1)
            .collect::<Vec<_>>(),
    );
    let again = ndjson(&["analyze", "--format", "ndjson", out.to_str().unwrap()]);
    assert_eq!(
        of_type(&again, "summary")[0]["packets_read"].as_u64(),
        Some(call_packets)
    );
}

#[test]
fn a_filter_callpath_cannot_read_is_a_usage_error() {
    let sample = repo().join(SAMPLE);
    for bad in ["host 1.2.3", "vlan 100", "port 53 and"] {
        let o = run(&["analyze", sample.to_str().unwrap(), "--filter", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("cannot read the filter at"), "{bad}: {err}");
        assert!(o.stdout.is_empty(), "{bad}");
    }
}
