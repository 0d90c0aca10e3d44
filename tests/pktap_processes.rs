//! Captures made on a Mac on the `pktap` interface (`tcpdump -i pktap,en0`):
//! the kernel writes before every packet which process sent or received
//! it. The lab's direct call, re-written so, keeps its flows, roles and
//! path; each flow names its process, the call lists them, and a process
//! name a signature knows names the app of the call traffic.

mod common;

use std::process::Command;

use common::capture_edit::Capture;
use common::{bin, classic_pcap_of, repo};
use serde_json::Value;

/// LINKTYPE_PKTAP.
const PKTAP: u32 = 258;

/// A PKTAP header (xnu bsd/net/pktap.h, packed, little-endian: 108 bytes,
/// record type 1, the packet's link type) naming the process `pid`, `comm`
/// (0 and "" for the kernel's own packets), then the Ethernet frame.
fn pktap_frame(ethernet: &[u8], pid: i32, comm: &str) -> Vec<u8> {
    let mut f = vec![0u8; 108];
    f[..4].copy_from_slice(&108u32.to_le_bytes());
    f[4..8].copy_from_slice(&1u32.to_le_bytes());
    f[8..12].copy_from_slice(&1u32.to_le_bytes());
    f[12..15].copy_from_slice(b"en0");
    f[52..56].copy_from_slice(&pid.to_le_bytes());
    f[56..56 + comm.len()].copy_from_slice(comm.as_bytes());
    f.extend_from_slice(ethernet);
    f
}

fn is_sip(ethernet: &[u8]) -> bool {
    let Some(ip) = ethernet.get(14..) else {
        return false;
    };
    if ip.first().map(|b| b >> 4) != Some(4) || ip.get(9) != Some(&17) {
        return false;
    }
    let at = usize::from(ip[0] & 0x0f) * 4;
    let port = |i: usize| u16::from_be_bytes([ip[at + i], ip[at + i + 1]]);
    port(0) == 5060 || port(2) == 5060
}

fn analyze(capture: &[u8], name: &str, format: &str) -> String {
    let dir = std::env::temp_dir().join(format!("callpath-pktap-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcap");
    std::fs::write(&path, capture).unwrap();
    let out = Command::new(bin())
        .args(["analyze", "--format", format])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn records(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

#[test]
fn each_flow_names_its_process_on_the_mac() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    // The first packet is the kernel's own (no process): the capture is
    // still read for processes. SIP from a softphone callpath has no
    // signature for; everything else from Signal.
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (pid, comm) = match (i, is_sip(&r.data)) {
                (0, _) => (0, ""),
                (_, true) => (700, "baresip"),
                (_, false) => (844, "Signal"),
            };
            (r.micros as u64, pktap_frame(&r.data, pid, comm))
        })
        .collect();
    let capture = classic_pcap_of(PKTAP, &frames);
    let tagged = records(&analyze(&capture, "tags", "ndjson"));
    let plain = records(&analyze(&original.bytes(), "plain", "ndjson"));
    let (flows, plain_flows) = (of_type(&tagged, "flow"), of_type(&plain, "flow"));
    assert_eq!(flows.len(), plain_flows.len());
    for (f, p) in flows.iter().zip(&plain_flows) {
        for key in ["src", "dst", "packets", "role", "call"] {
            assert_eq!(f[key], p[key], "{key}: {f}");
        }
        let sip = f["src"].as_str().unwrap().ends_with(":5060");
        let (pid, name) = if sip {
            (700, "baresip")
        } else {
            (844, "Signal")
        };
        let app = &f["device_app"];
        assert_eq!(app["source"], "macOS PKTAP header", "{f}");
        assert_eq!(
            (app["pid"].as_i64(), app["name"].as_str()),
            (Some(pid), Some(name)),
            "{f}"
        );
        assert!(app.get("uid").is_none(), "{f}");
        let expected_app = match (sip, p["role"].as_str()) {
            (_, Some("other")) | (true, _) => p["app"].clone(),
            (false, _) => Value::from("signal"),
        };
        assert_eq!(f["app"], expected_app, "{f}");
    }
    let calls = of_type(&tagged, "call");
    assert_eq!(calls.len(), 1, "{tagged:?}");
    assert_eq!(calls[0]["app"], "signal");
    assert_eq!(calls[0]["path"], of_type(&plain, "call")[0]["path"]);
    let mut apps: Vec<&str> = calls[0]["device_apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    apps.sort_unstable();
    assert_eq!(
        apps,
        ["Signal (macOS process 844)", "baresip (macOS process 700)"]
    );
    let table = analyze(&capture, "table", "table");
    assert!(
        table.contains("App on the device (its own capture says): "),
        "{table}"
    );
}
