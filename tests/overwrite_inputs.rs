//! An output path that is one of the inputs (the same name, another
//! spelling, a symbolic or hard link) is refused before anything is
//! written: exit 2, one line, the capture untouched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn callpath(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(args)
        .output()
        .expect("run callpath")
}

fn copy_sample(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/relayed-call.pcap"),
        &to,
    )
    .unwrap();
    to
}

fn assert_refused(args: &[&str], capture: &Path, original: &[u8]) {
    let o = callpath(args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
    assert!(lines[0].contains("refusing to overwrite"), "{}", lines[0]);
    assert!(o.stdout.is_empty(), "{args:?}: nothing analysed");
    assert_eq!(
        std::fs::read(capture).unwrap(),
        original,
        "{args:?}: the capture is untouched"
    );
}

#[test]
fn output_equal_to_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let capture = copy_sample(dir.path(), "copy.pcap");
    let original = std::fs::read(&capture).unwrap();
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/direct-call.pcap");
    let (c, other) = (capture.to_str().unwrap(), other.to_str().unwrap());
    let respelled = dir.path().join(".").join("copy.pcap");
    let respelled = respelled.to_str().unwrap();
    let hard = dir.path().join("hard.pcap");
    std::fs::hard_link(&capture, &hard).unwrap();
    let hard = hard.to_str().unwrap();
    let sym = dir.path().join("sym.pcap");
    std::os::unix::fs::symlink(&capture, &sym).unwrap();
    let sym = sym.to_str().unwrap();

    assert_refused(&["analyze", c, "-o", c], &capture, &original);
    assert_refused(&["analyze", other, c, "-o", respelled], &capture, &original);
    assert_refused(&["analyze", c, "-o", hard], &capture, &original);
    assert_refused(
        &["analyze", other, "--geoip", c, "-o", sym],
        &capture,
        &original,
    );
    assert_refused(&["report", other, c, "-o", sym], &capture, &original);
    assert_refused(
        &["extract", c, "--call", "1", "-w", respelled],
        &capture,
        &original,
    );
}

#[test]
fn evidence_bundle_over_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // A capture that happens to carry a bundle file's name.
    let capture = copy_sample(dir.path(), "flows.ndjson");
    let original = std::fs::read(&capture).unwrap();
    let c = capture.to_str().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_refused(&["analyze", c, "--evidence", d], &capture, &original);
    let html = dir.path().join("r.html");
    assert_refused(
        &["report", c, "-o", html.to_str().unwrap(), "--evidence", d],
        &capture,
        &original,
    );
    assert!(!html.exists(), "no report written either");
}

#[test]
fn a_different_output_file_is_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let capture = copy_sample(dir.path(), "copy.pcap");
    let out = dir.path().join("copy.txt");
    let o = callpath(&[
        "analyze",
        capture.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(std::fs::read_to_string(&out).unwrap().contains("FLOWS"));
}
