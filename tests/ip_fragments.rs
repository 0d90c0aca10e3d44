//! Fragmented UDP datagrams are dissected whole: the lab's direct call with
//! every UDP datagram over a small MTU cut into IPv4 fragments (its SIP
//! messages and their SDP among them) gives the same apps, roles and call
//! as the original, whichever order the later fragments come in; a
//! datagram whose later fragments are missing is still counted; `extract`
//! writes the later fragments of a call's datagrams.

mod common;

use std::collections::BTreeSet;

use common::capture_edit::Capture;
use common::{analyze_bytes, classic_pcap, repo};
use serde_json::Value;

/// IPv4 header checksum (RFC 791).
fn checksum(header: &[u8]) -> [u8; 2] {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    (!(sum as u16)).to_be_bytes()
}

/// An Ethernet frame of IPv4 UDP cut into fragments of at most `per`
/// bytes of IP payload (a multiple of 8); other frames as they are.
fn fragmented(frame: &[u8], per: usize) -> Vec<Vec<u8>> {
    let is_udp_v4 = frame.get(12..14) == Some(&[0x08, 0x00]) && frame.get(23) == Some(&17);
    let ihl = usize::from(frame.get(14).map_or(0, |b| b & 0x0f)) * 4;
    let payload = frame.get(14 + ihl..).unwrap_or_default();
    if !is_udp_v4 || payload.len() <= per {
        return vec![frame.to_vec()];
    }
    payload
        .chunks(per)
        .enumerate()
        .map(|(i, part)| {
            let mut header = frame[14..14 + ihl].to_vec();
            let more = (i + 1) * per < payload.len();
            let flags_offset = ((i * per / 8) as u16) | if more { 0x2000 } else { 0 };
            header[2..4].copy_from_slice(&((ihl + part.len()) as u16).to_be_bytes());
            header[6..8].copy_from_slice(&flags_offset.to_be_bytes());
            header[10..12].copy_from_slice(&[0, 0]);
            let sum = checksum(&header);
            header[10..12].copy_from_slice(&sum);
            let mut f = frame[..14].to_vec();
            f.extend_from_slice(&header);
            f.extend_from_slice(part);
            f
        })
        .collect()
}

/// Each flow's ends, app, role and call, and each call's app and path.
fn verdicts(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .filter_map(|r| match r["type"].as_str() {
            Some("flow") => Some(format!(
                "flow {} {} {} {} {} {}",
                r["l4"], r["src"], r["dst"], r["app"], r["role"], r["call"]
            )),
            Some("call") => Some(format!("call {} {} {}", r["app"], r["path"], r["peers"])),
            _ => None,
        })
        .collect()
}

fn frames_of(capture: &Capture, cut: impl Fn(&[u8]) -> Vec<Vec<u8>>) -> Vec<(u64, Vec<u8>)> {
    capture
        .records
        .iter()
        .flat_map(|r| cut(&r.data).into_iter().map(move |f| (r.micros as u64, f)))
        .collect()
}

#[test]
fn a_call_cut_into_fragments_reads_as_the_whole() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let expected = verdicts(&analyze_bytes(&original.bytes(), "unfragmented"));
    assert!(
        expected
            .iter()
            .any(|v| v.contains("sip_rtp") && v.contains("lookup")),
        "{expected:?}"
    );
    // In order, and with the later fragments of each datagram reversed.
    let in_order = frames_of(&original, |f| fragmented(f, 256));
    let reversed = frames_of(&original, |f| {
        let mut parts = fragmented(f, 256);
        parts[1..].reverse();
        parts
    });
    assert!(in_order.len() > original.records.len());
    for (frames, name) in [(in_order, "fragments"), (reversed, "fragments-reversed")] {
        let records = analyze_bytes(&classic_pcap(&frames), name);
        assert_eq!(verdicts(&records), expected, "{name}");
        let summary = records.iter().find(|r| r["type"] == "summary").unwrap();
        assert_eq!(
            summary["packets_decoded"].as_u64(),
            Some(frames.len() as u64)
        );
        assert_eq!(summary["flow_table"]["fragments_unattributed"], 0);
    }
}

#[test]
fn a_datagram_missing_fragments_is_still_counted() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    // Every fragmented datagram loses its last fragment.
    let frames = frames_of(&original, |f| {
        let mut parts = fragmented(f, 256);
        if parts.len() > 1 {
            parts.pop();
        }
        parts
    });
    let records = analyze_bytes(&classic_pcap(&frames), "fragments-missing");
    let summary = records.iter().find(|r| r["type"] == "summary").unwrap();
    assert_eq!(
        summary["packets_decoded"].as_u64(),
        Some(frames.len() as u64)
    );
    let flow_packets: u64 = records
        .iter()
        .filter(|r| r["type"] == "flow")
        .map(|r| r["packets"].as_u64().unwrap())
        .sum();
    assert_eq!(flow_packets, frames.len() as u64);
}

/// Later fragments whose first fragment was not captured have no flow:
/// they are skipped as such, and counted once (read = decoded + skipped),
/// on any number of threads.
#[test]
fn later_fragments_without_their_first_are_skipped_once() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let frames = frames_of(&original, |f| {
        let mut parts = fragmented(f, 256);
        if parts.len() > 1 {
            parts.remove(0);
        }
        parts
    });
    // The pieces kept of each datagram cut in more than one.
    let orphans: u64 = original
        .records
        .iter()
        .map(|r| fragmented(&r.data, 256).len() as u64)
        .filter(|&n| n > 1)
        .map(|n| n - 1)
        .sum();
    assert!(orphans > 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-first-fragments.pcap");
    std::fs::write(&path, classic_pcap(&frames)).unwrap();
    for threads in ["1", "2", "3"] {
        let out = common::run(&[
            "analyze",
            "--format",
            "json",
            "--threads",
            threads,
            path.to_str().unwrap(),
        ]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let summary = &doc["summary"];
        let skipped: u64 = summary["packets_skipped"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(
            summary["packets_skipped"]["fragment_without_first"],
            orphans
        );
        assert_eq!(
            summary["packets_decoded"].as_u64().unwrap() + skipped,
            frames.len() as u64,
            "threads {threads}"
        );
    }
}

/// `extract` (and evidence bundles, which find frames the same way)
/// writes a call's later fragments too, though they carry no ports: the
/// frames written are those its flows count, and analysed alone they give
/// the call again.
#[test]
fn extract_writes_the_later_fragments_of_a_call() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let frames = frames_of(&original, |f| fragmented(f, 256));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fragments.pcap");
    std::fs::write(&path, classic_pcap(&frames)).unwrap();
    let doc = common::analyze_json(&path, &[]);
    let call_packets = common::flow_packets(&doc, |f| f["call"] == 1);
    let written = dir.path().join("call1.pcapng");
    common::extract_call(&path, 1, &written);
    let again = common::analyze_json(&written, &[]);
    assert_eq!(again["summary"]["packets_read"], call_packets);
    assert_eq!(again["calls"][0]["path"], doc["calls"][0]["path"]);
    assert_eq!(again["calls"][0]["app"], doc["calls"][0]["app"]);
}
