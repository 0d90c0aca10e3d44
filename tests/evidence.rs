//! The evidence bundle: manifest, flows and calls, and a verdict re-derived
//! from the listed frames alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use callpath::capture::{CaptureFile, PcapngWriter};
use serde_json::Value;

fn callpath(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn flows(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("flows.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn bundle(sample: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("evidence");
    let o = callpath(&[
        "analyze",
        sample,
        "--format",
        "json",
        "-o",
        tmp.path().join("out.json").to_str().unwrap(),
        "--evidence",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (tmp, dir)
}

#[test]
fn manifest_names_inputs_versions_and_databases() {
    let (_tmp, dir) = bundle("samples/relayed-call.pcap");
    let m = read_json(&dir.join("manifest.json"));
    assert_eq!(m["callpath_version"], env!("CARGO_PKG_VERSION"));
    let sig = m["signatures_version"].as_str().unwrap();
    assert!(sig.starts_with("sha256:") && sig.len() == 7 + 64, "{sig}");
    let input = &m["inputs"][0];
    assert_eq!(input["file"], "samples/relayed-call.pcap");
    // Independent SHA-256 of the file (sha2 is a dependency of callpath).
    use sha2::Digest;
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/relayed-call.pcap"))
            .unwrap();
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(input["sha256"], want.as_str());
    assert_eq!(input["packets"], 888);
    let geo = m["geolocation"].as_array().unwrap();
    assert!(!geo.is_empty());
    assert!(geo[0]["build_date"].as_str().unwrap().len() == 10);

    let calls = read_json(&dir.join("calls.json"));
    let call = &calls[0];
    assert_eq!(call["path"], "relayed");
    assert!(!call["evidence_frames"].as_array().unwrap().is_empty());
    assert_eq!(flows(&dir).len(), m["flows"].as_u64().unwrap() as usize);
}

/// Cuts the listed frames of one flow out of `capture` into a new pcapng.
fn cut(capture: &Path, frames: &[u64], out: &Path) -> usize {
    let cap = CaptureFile::open(capture).unwrap();
    let mut w = PcapngWriter::new(std::fs::File::create(out).unwrap()).unwrap();
    cap.read(|pkt, _| {
        if frames.binary_search(&pkt.frame).is_ok() {
            w.write(&pkt).unwrap();
        }
    });
    let n = w.frames as usize;
    w.finish().unwrap();
    n
}

fn listed_frames(flow: &Value) -> Vec<u64> {
    let mut v: Vec<u64> = flow["frames"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["ranges"].as_array().unwrap().clone())
        .flat_map(|r| r[0].as_u64().unwrap()..=r[1].as_u64().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn relay_verdict_is_rederived_from_the_listed_frames_alone() {
    for (sample, role) in [
        ("samples/relayed-call.pcap", "relay"),
        ("samples/direct-call.pcap", "p2p"),
    ] {
        let (tmp, dir) = bundle(sample);
        let all = flows(&dir);
        let flow = all
            .iter()
            .find(|f| f["role"] == role)
            .unwrap_or_else(|| panic!("no {role} flow in {sample}"));
        let frames = listed_frames(flow);
        assert_eq!(frames.len() as u64, flow["packets"].as_u64().unwrap());
        // The named evidence frames are among them.
        for e in flow["evidence_frames"].as_array().unwrap() {
            assert!(frames.contains(&e["frame"].as_u64().unwrap()));
        }
        let cut_path = tmp.path().join("cut.pcapng");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(sample);
        assert_eq!(cut(&src, &frames, &cut_path), frames.len());

        let o = callpath(&["analyze", cut_path.to_str().unwrap(), "--format", "json"]);
        assert_eq!(o.status.code(), Some(0));
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        let again = doc["flows"].as_array().unwrap();
        assert_eq!(again.len(), 1, "{sample}: only the cut flow remains");
        assert_eq!(again[0]["src"], flow["src"]);
        assert_eq!(again[0]["dst"], flow["dst"]);
        assert_eq!(again[0]["packets"], flow["packets"]);
        assert_eq!(
            again[0]["role"], role,
            "{sample}: {:?}",
            again[0]["evidence"]
        );
    }
}

#[test]
fn evidence_refuses_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    let o = callpath(&["analyze", "-", "--evidence", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// The manifest's `reproduce` line carries the options that changed the
/// findings, so running it gives the bundle's flows again.
#[test]
fn the_reproduce_line_repeats_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("evidence");
    let out = tmp.path().join("out.json");
    let o = callpath(&[
        "analyze",
        "samples/relayed-call.pcap",
        "--udp-timeout",
        "5",
        "--threads",
        "2",
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
        "--evidence",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let m = read_json(&dir.join("manifest.json"));
    let line = m["reproduce"].as_str().unwrap();
    assert_eq!(
        line,
        "callpath analyze --format json --udp-timeout 5 samples/relayed-call.pcap"
    );
    let words: Vec<&str> = line.split(' ').skip(1).collect();
    let again = callpath(&words);
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    let flows_of = |json: &[u8]| -> Value {
        let v: Value = serde_json::from_slice(json).unwrap();
        v["flows"].clone()
    };
    assert_eq!(
        flows_of(&again.stdout),
        flows_of(&std::fs::read(&out).unwrap())
    );
}
