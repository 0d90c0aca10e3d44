//! `report`, `check` and `extract` take the options that shape an analysis
//! (timeouts, flow cap, knowledge window, databases, signatures) as
//! `analyze` does: with the same options they see the same flows, calls
//! and call numbers.

mod common;

use common::*;

const OPTIONS: [&str; 8] = [
    "--udp-timeout",
    "30",
    "--geoip",
    "data/geo/callpath-geo.mmdb",
    "--signatures",
    "signatures",
    "--knowledge-window",
    "600",
];

fn callpath_in_repo(args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run callpath")
}

#[test]
fn every_subcommand_takes_the_analysis_options() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let evidence = dir.path().join("evidence");
    let pcapng = dir.path().join("call.pcapng");
    let sample = "samples/relayed-call.pcap";
    let runs: [Vec<&str>; 4] = [
        vec!["analyze", sample, "--format", "json"],
        vec![
            "report",
            sample,
            "-o",
            html.to_str().unwrap(),
            "--evidence",
            evidence.to_str().unwrap(),
        ],
        vec!["check", sample, "--claim", "media-p2p"],
        vec![
            "extract",
            sample,
            "--call",
            "1",
            "-w",
            pcapng.to_str().unwrap(),
        ],
    ];
    for args in runs {
        let mut all = args.clone();
        all.extend_from_slice(&OPTIONS);
        let out = callpath_in_repo(&all);
        // check exits 1 on a FAIL; 2 would be a usage error.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The report's evidence names the options that shaped it.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("manifest.json")).unwrap())
            .unwrap();
    let line = manifest["reproduce"].as_str().unwrap();
    assert!(
        line.contains("--udp-timeout 30")
            && line.contains("--knowledge-window 600")
            && line.contains("--geoip data/geo/callpath-geo.mmdb")
            && line.contains("--signatures signatures"),
        "{line}"
    );
}

/// A call's number depends on the options: `extract` given the options of
/// the `analyze` run writes that run's call.
#[test]
fn extract_with_the_same_options_finds_the_same_call() {
    let dir = tempfile::tempdir().unwrap();
    // Two calls in one run: the direct and the relayed sample together.
    let direct = repo().join("samples/direct-call.pcap");
    let relayed = repo().join("samples/relayed-call.pcap");
    let (d, r) = (direct.to_str().unwrap(), relayed.to_str().unwrap());
    let out = run(&["analyze", "--format", "json", "--udp-timeout", "30", d, r]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = v["calls"].as_array().unwrap();
    assert!(calls.len() >= 2, "{calls:?}");
    let second = calls.last().unwrap();
    let pcapng = dir.path().join("call.pcapng");
    let n = second["call"].to_string();
    let out = run(&[
        "extract",
        d,
        r,
        "--call",
        &n,
        "-w",
        pcapng.to_str().unwrap(),
        "--udp-timeout",
        "30",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (records, _) = analyze_ndjson(&pcapng);
    let relay = second["relays"][0]["endpoint"].as_str().unwrap();
    assert!(
        records
            .iter()
            .any(|r| r["type"] == "flow" && (r["dst"] == relay || r["src"] == relay)),
        "the extracted call has no flow to its relay {relay}"
    );
}
