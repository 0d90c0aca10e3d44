//! Several inputs of which one is missing or cut short: every subcommand
//! writes what the others gave, names the bad input once, and exits 1 (as
//! `analyze` does); `check` never passes a claim with exit 0 then.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn callpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run callpath")
}

fn stderr_lines(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The stderr lines that name `input`, warnings aside (an input out of time
/// order is told so besides its damage).
fn naming(o: &Output, input: &str) -> usize {
    stderr_lines(o)
        .iter()
        .filter(|l| l.starts_with(&format!("callpath: {input}: ")) && !l.contains(": warning: "))
        .count()
}

/// The direct-call sample cut in the middle of a record.
fn truncated(dir: &Path) -> PathBuf {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/direct-call.pcap"))
            .unwrap();
    let path = dir.join("cut.pcap");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    path
}

#[test]
fn report_writes_what_was_read_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.pcap");
    let missing = missing.to_str().unwrap();
    let html = tmp.path().join("r.html");
    let o = callpath(&[
        "report",
        "samples/relayed-call.pcap",
        missing,
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{:?}", stderr_lines(&o));
    assert_eq!(naming(&o, missing), 1, "{:?}", stderr_lines(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("203.0.113.20"), "the relay of the read input");
}

#[test]
fn extract_writes_the_call_from_the_read_inputs_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.pcap");
    let missing = missing.to_str().unwrap();
    let out = tmp.path().join("call.pcapng");
    let o = callpath(&[
        "extract",
        missing,
        "samples/relayed-call.pcap",
        "--call",
        "1",
        "-w",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{:?}", stderr_lines(&o));
    assert_eq!(naming(&o, missing), 1, "{:?}", stderr_lines(&o));
    let again = callpath(&["analyze", "--format", "json", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(doc["calls"][0]["path"], "relayed");
}

#[test]
fn evidence_bundle_lists_the_read_inputs_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.pcap");
    let missing = missing.to_str().unwrap();
    let dir = tmp.path().join("bundle");
    let o = callpath(&[
        "analyze",
        missing,
        "samples/relayed-call.pcap",
        "--evidence",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{:?}", stderr_lines(&o));
    assert_eq!(stderr_lines(&o).len(), 1, "{:?}", stderr_lines(&o));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    assert_eq!(inputs[0]["file"], "samples/relayed-call.pcap");
    assert!(inputs[0]["packets"].as_u64().unwrap() > 0);
}

#[test]
fn check_with_a_missing_or_cut_input_is_not_a_clean_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.pcap");
    let cut = truncated(tmp.path());
    for bad in [missing.to_str().unwrap(), cut.to_str().unwrap()] {
        let o = callpath(&[
            "check",
            "samples/direct-call.pcap",
            bad,
            "--claim",
            "media-p2p",
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        // The verdict for what was read is still given ...
        assert!(out.starts_with("PASS"), "{out}");
        // ... but the run is not clean, and says why.
        assert_eq!(o.status.code(), Some(1), "{bad}: {:?}", stderr_lines(&o));
        assert_eq!(naming(&o, bad), 1, "{:?}", stderr_lines(&o));
        assert!(
            stderr_lines(&o)
                .iter()
                .any(|l| l.contains("the verdicts cover only what was read")),
            "{:?}",
            stderr_lines(&o)
        );
    }
}
