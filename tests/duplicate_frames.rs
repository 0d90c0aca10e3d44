//! A capture that holds each packet twice (a mirror port copying both
//! directions of a link, or one packet captured on both sides of a
//! router) counts each once: the lab's direct call with every frame
//! copied right behind itself, or copied with its TTL one less, gives the
//! original's flows, packet counts, roles and call, and says how many
//! copies it skipped; `--keep-duplicates` counts them; `extract` writes
//! the frames the flows count; `tcpdump -i any` across a bridge as well.

mod common;

use common::capture_edit::Capture;
use common::{
    analyze_bytes, analyze_json, classic_pcap, classic_pcap_of, extract_call, flow_packets, repo,
    run,
};
use serde_json::Value;

/// Flow lines (endpoints, packets, bytes, role) and call lines, sorted.
fn counted(records: &[Value]) -> Vec<String> {
    counted_with(records, true)
}

/// `counted`, with or without the bytes (frame lengths, which another
/// link type changes).
fn counted_with(records: &[Value], bytes: bool) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .filter_map(|r| match r["type"].as_str() {
            Some("flow") => Some(format!(
                "{} {} {} {} {} {}",
                r["l4"],
                r["src"],
                r["dst"],
                r["packets"],
                if bytes { &r["bytes"] } else { &Value::Null },
                r["role"]
            )),
            Some("call") => Some(format!("call {} {}", r["app"], r["path"])),
            _ => None,
        })
        .collect();
    lines.sort();
    lines
}

/// The lab's direct call with every frame copied 20 us behind itself,
/// written into `dir`; and the original.
fn mirrored_capture(dir: &tempfile::TempDir) -> (Capture, std::path::PathBuf) {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let path = dir.path().join("mirrored.pcap");
    std::fs::write(&path, classic_pcap(&with_copies(&original, 20, |_| {}))).unwrap();
    (original, path)
}

fn summary(records: &[Value]) -> &Value {
    records.iter().find(|r| r["type"] == "summary").unwrap()
}

/// Each frame, then its copy `gap_micros` later, changed by `edit`.
fn with_copies(
    capture: &Capture,
    gap_micros: u64,
    edit: impl Fn(&mut [u8]),
) -> Vec<(u64, Vec<u8>)> {
    capture
        .records
        .iter()
        .flat_map(|r| {
            let mut copy = r.data.clone();
            edit(&mut copy);
            [
                (r.micros as u64, r.data.clone()),
                (r.micros as u64 + gap_micros, copy),
            ]
        })
        .collect()
}

/// An IPv4 frame's TTL one less, its header checksum mended as a router
/// would (RFC 1624).
fn routed(frame: &mut [u8]) {
    if frame.get(12..14) != Some(&[0x08, 0x00]) {
        return;
    }
    frame[14 + 8] -= 1;
    let sum = u16::from_be_bytes([frame[14 + 10], frame[14 + 11]]);
    let (mended, carry) = sum.overflowing_add(0x0100);
    let mended = mended + u16::from(carry);
    frame[14 + 10..14 + 12].copy_from_slice(&mended.to_be_bytes());
}

#[test]
fn copies_right_behind_their_packet_are_counted_once() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let expected = analyze_bytes(&original.bytes(), "original");
    let frames = original.records.len() as u64;
    for (name, copies) in [
        ("mirrored", with_copies(&original, 20, |_| {})),
        (
            "both-sides-of-a-router",
            with_copies(&original, 150, routed),
        ),
    ] {
        let records = analyze_bytes(&classic_pcap(&copies), name);
        assert_eq!(counted(&records), counted(&expected), "{name}");
        let s = summary(&records);
        let skipped = s["packets_skipped"]["duplicate"].as_u64().unwrap_or(0);
        // Every copy but those that cannot tell (no payload, no IPv4 id).
        assert!(skipped > frames * 9 / 10, "{name}: {skipped} of {frames}");
        assert_eq!(
            s["packets_decoded"].as_u64().unwrap() + skipped,
            2 * frames,
            "{name}"
        );
    }
}

#[test]
fn keep_duplicates_counts_every_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (original, path) = mirrored_capture(&dir);
    let doc = analyze_json(&path, &["--keep-duplicates"]);
    assert_eq!(
        flow_packets(&doc, |_| true),
        2 * original.records.len() as u64
    );
    assert!(doc["summary"]["packets_skipped"].get("duplicate").is_none());
}

/// A copy more than a millisecond behind is a packet sent again, not a
/// copy: counted.
#[test]
fn a_packet_sent_again_later_is_not_a_copy() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let mut resent = with_copies(&original, 5_000, |_| {});
    resent.sort_by_key(|(micros, _)| *micros);
    let records = analyze_bytes(&classic_pcap(&resent), "resent");
    assert!(summary(&records)["packets_skipped"]
        .get("duplicate")
        .is_none());
}

/// `extract` writes the frames the call's flows count: no copies.
#[test]
fn extract_leaves_the_copies_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path) = mirrored_capture(&dir);
    let call_packets = flow_packets(&analyze_json(&path, &[]), |f| f["call"] == 1);
    assert!(call_packets > 0);
    let written = dir.path().join("call1.pcapng");
    extract_call(&path, 1, &written);
    let again = analyze_json(&written, &["--keep-duplicates"]);
    assert_eq!(flow_packets(&again, |_| true), call_packets);
}

/// The HTML report says how many packets it analysed and why it skipped
/// the others: the copies among them.
#[test]
fn the_report_says_what_was_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (original, path) = mirrored_capture(&dir);
    let html = dir.path().join("report.html");
    let out = run(&[
        "report",
        "-o",
        html.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(html).unwrap();
    let read = format!("{} packets read", 2 * original.records.len());
    assert!(html.contains(&read), "{read}");
    assert!(html.contains("copies of the packet just before them on their flow"));
}

/// An Ethernet frame as Linux's cooked capture v2 (`tcpdump -i any`) shows
/// it on interface `ifindex`: protocol, interface, ARPHRD_ETHER, packet
/// type "to us", the source MAC, then the IP packet.
fn sll2(ethernet: &[u8], ifindex: u32) -> Vec<u8> {
    let mut f = ethernet[12..14].to_vec();
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&ifindex.to_be_bytes());
    f.extend_from_slice(&[0x00, 0x01, 0x00, 0x06]);
    f.extend_from_slice(&ethernet[6..12]);
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&ethernet[14..]);
    f
}

/// `tcpdump -i any` on a host with a bridge (a container's or a virtual
/// machine's network) sees each packet on the bridge's port and again on
/// the bridge, microseconds apart, as a network namespace behind a Linux
/// bridge shows: counted once.
#[test]
fn any_interface_captures_count_a_bridged_packet_once() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let expected = analyze_bytes(&original.bytes(), "one-interface");
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .flat_map(|r| {
            let at = r.micros as u64;
            [(at, sll2(&r.data, 7)), (at + 4, sll2(&r.data, 5))]
        })
        .collect();
    let records = analyze_bytes(&classic_pcap_of(276, &frames), "any");
    assert_eq!(
        counted_with(&records, false),
        counted_with(&expected, false)
    );
}
