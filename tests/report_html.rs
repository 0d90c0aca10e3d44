//! `callpath report`: a self-contained HTML file, checked as text and, when
//! Chromium is installed (Debian package `chromium`), as the DOM a browser
//! builds from it, plus a screenshot under target/.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";

fn callpath(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn calls_of(sample: &str) -> Vec<Value> {
    let o = callpath(&["analyze", sample, "--format", "json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    doc["calls"].as_array().unwrap().clone()
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_html");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn render(sample: &str, name: &str) -> (PathBuf, String) {
    let path = out_dir().join(name);
    let o = callpath(&["report", sample, "-o", path.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let html = std::fs::read_to_string(&path).unwrap();
    (path, html)
}

/// Nothing in the page makes the browser fetch anything.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
        "//fonts",
    ] {
        assert!(!lower.contains(bad), "report contains {bad:?}");
    }
    assert!(lower.contains("content-security-policy"));
    assert!(lower.contains("<svg class=\"map\""));
    assert!(html.contains("Natural Earth"));
}

fn chromium(args: &[&str]) -> Option<std::process::Output> {
    if !Path::new(CHROMIUM).exists() {
        eprintln!(
            "skipping the browser check: {CHROMIUM} not installed (Debian package `chromium`)"
        );
        return None;
    }
    let profile = tempfile::tempdir().unwrap();
    let profile_arg = format!("--user-data-dir={}", profile.path().display());
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        &profile_arg,
    ])
    .args(args);
    Some(cmd.output().unwrap())
}

fn check_in_browser(path: &Path, calls: &[Value], expect: &[&str]) {
    let url = format!("file://{}", path.display());
    let Some(o) = chromium(&["--dump-dom", &url]) else {
        return;
    };
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(
        dom.contains("Where the calls went"),
        "empty DOM: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for call in calls {
        let verdict = call["verdict"].as_str().unwrap();
        assert!(dom.contains(verdict), "verdict missing: {verdict}");
        for party in call["relays"]
            .as_array()
            .unwrap()
            .iter()
            .chain(call["peers"].as_array().unwrap())
        {
            let endpoint = party["endpoint"].as_str().unwrap();
            let summary = party["summary"].as_str().unwrap();
            assert!(dom.contains(endpoint), "endpoint missing: {endpoint}");
            assert!(dom.contains(summary), "far-end summary missing: {summary}");
        }
    }
    for text in expect {
        assert!(dom.contains(text), "missing: {text}");
    }
}

fn screenshot(path: &Path, png: &Path, width: u32) {
    let url = format!("file://{}", path.display());
    let size = format!("--window-size={width},2400");
    let shot = format!("--screenshot={}", png.display());
    if chromium(&[&size, &shot, &url]).is_none() {
        return;
    }
    let bytes = std::fs::read(png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 20_000, "screenshot suspiciously small");
}

#[test]
fn relayed_call_report() {
    let sample = "samples/relayed-call.pcap";
    let (path, html) = render(sample, "relayed-call.html");
    assert_self_contained(&html);
    let calls = calls_of(sample);
    assert_eq!(calls.len(), 1);
    assert!(html.contains("203.0.113.20:3478"));
    check_in_browser(
        &path,
        &calls,
        &[
            "203.0.113.20:3478",
            "documentation range (RFC 5737/3849), not geolocated",
            "Packets per second",
            "Media quality",
        ],
    );
    screenshot(&path, &out_dir().join("relayed-call.png"), 1000);
}

#[test]
fn cloud_range_report_names_country_operator_and_law() {
    let sample = "samples/rewritten/relayed-call.pcap";
    let (path, html) = render(sample, "rewritten-relayed-call.html");
    assert_self_contained(&html);
    let calls = calls_of(sample);
    check_in_browser(
        &path,
        &calls,
        &[
            "52.114.77.20:3478",
            "in IE",
            "run by Microsoft (home US)",
            "CLOUD Act",
            "GDPR",
        ],
    );
    // The map marks Ireland as a relay country.
    assert!(
        html.contains(r#"<g class="pin relay"><title>IE:"#),
        "no IE relay pin"
    );
    // What "IE" rests on: the network's registration, not a measurement.
    assert!(
        html.contains("countries as each network registered or declared them"),
        "the geolocation data's basis is not said"
    );
    screenshot(
        &path,
        &out_dir().join("rewritten-relayed-call-phone.png"),
        390,
    );
}

#[test]
fn direct_call_report() {
    let sample = "samples/direct-call.pcap";
    let (path, html) = render(sample, "direct-call.html");
    assert_self_contained(&html);
    let calls = calls_of(sample);
    assert_eq!(calls[0]["path"], "direct");
    check_in_browser(&path, &calls, &["198.51.100.12:10040", "peer (direct)"]);
}
