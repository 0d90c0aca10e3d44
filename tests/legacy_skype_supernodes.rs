//! Peer-to-peer era Skype (before its calls moved to Microsoft's cloud)
//! found its directory by probing supernodes from its one UDP
//! socket, a few a second: each probe's first two bytes a message ID one
//! step past the last, its third byte FUNC 0x02, the rest obfuscated (as
//! in nfstream's skype.pcap, 2015, whose supernodes were in
//! Microsoft's network on ports 40001-40033, and in Wireshark's
//! SkypeIRC.cap, 2006, from universities' and homes' machines). Those
//! probes are lookups of Skype's directory, and so are the device's TCP
//! connections to the probed hosts; one probe alone, or a socket whose
//! first bytes do not count up, proves nothing.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: ([u8; 4], u16) = ([192, 168, 1, 34], 13021);
const START: u64 = 1_431_969_652_000_000;

/// A supernode in Microsoft's network (AS8075).
fn supernode(i: u8) -> ([u8; 4], u16) {
    ([157, 55, 130, 140 + i], 40001 + u16::from(i))
}

/// A probe: message ID, FUNC 0x02, then bytes that look random.
fn probe(id: u16, len: usize) -> Vec<u8> {
    let mut p = id.to_be_bytes().to_vec();
    p.push(0x02);
    let mut x = u32::from(id).wrapping_mul(2_654_435_761);
    while p.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p.push(x as u8);
    }
    p
}

/// One probe to each of `hosts` supernodes, five a second, with the IDs
/// `id(i)`.
fn sweep(hosts: u8, id: impl Fn(u16) -> u16) -> Vec<(u64, Vec<u8>)> {
    (0..hosts)
        .map(|i| {
            let n = u16::from(i);
            (
                START + u64::from(i) * 200_000,
                udp_frame(
                    DEVICE,
                    supernode(i),
                    &probe(id(n), 30 + usize::from(i % 16)),
                ),
            )
        })
        .collect()
}

/// A TCP segment between the device's `port` and `host`.
fn tcp(from_device: bool, port: u16, host: ([u8; 4], u16), seq: u32, payload: &[u8]) -> Vec<u8> {
    let device = (DEVICE.0, port);
    if from_device {
        tcp_frame(device, host, seq, payload)
    } else {
        tcp_frame(host, device, seq, payload)
    }
}

fn flows(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "flow").collect()
}

#[test]
fn a_socket_probing_supernodes_in_turn_is_skypes_lookup() {
    let mut frames = sweep(10, |i| 0x9b90 + 2 * i);
    // The device's TCP connection to one of the probed supernodes.
    let at = START + 3_000_000;
    for (n, (from_device, len)) in [(true, 72), (false, 60), (true, 140), (false, 220)]
        .into_iter()
        .enumerate()
    {
        let payload = probe(0x1111 + n as u16, len);
        frames.push((
            at + n as u64 * 50_000,
            tcp(
                from_device,
                50_026,
                supernode(3),
                1 + 1000 * n as u32,
                &payload,
            ),
        ));
    }
    let records = analyze_bytes(&classic_pcap(&frames), "legacy-skype-sweep");
    let flows = flows(&records);
    assert_eq!(flows.len(), 11, "{records:?}");
    for f in &flows {
        assert_eq!(f["app"], "skype_teams", "{f}");
        assert_eq!(f["role"], "lookup", "{f}");
        assert_eq!(f["remote"]["asn"], 8075, "{f}");
    }
    let udp = flows.iter().find(|f| f["l4"] == "udp").unwrap();
    let why = udp["evidence"][0].as_str().unwrap();
    assert!(
        why.contains("legacy Skype's sweep of supernodes: 6 hosts probed in turn from this socket (FUNC 0x02/0x03), message IDs 9b90-9b9a counting up"),
        "{why}"
    );
    let tcp = flows.iter().find(|f| f["l4"] == "tcp").unwrap();
    let why = tcp["evidence"][0].as_str().unwrap();
    assert!(
        why.contains(
            "host 157.55.130.143 was probed by the device's Microsoft Teams / Skype socket"
        ),
        "{why}"
    );
}

#[test]
fn probes_whose_ids_do_not_count_up_are_nobodys() {
    // Random first bytes (an encrypted protocol's) with the same third
    // byte, and a fixed first pair (RTP's version and payload type).
    let random = sweep(10, |i| 0x1234u16.wrapping_mul(i + 7).rotate_left(5));
    let fixed = sweep(10, |_| 0x8000);
    for (name, frames) in [("random-ids", random), ("fixed-ids", fixed)] {
        let records = analyze_bytes(&classic_pcap(&frames), name);
        for f in flows(&records) {
            assert_eq!(f["app"], Value::Null, "{name}: {f}");
            assert_eq!(f["role"], "other", "{name}: {f}");
        }
    }
}

#[test]
fn five_probes_are_not_yet_a_sweep() {
    let records = analyze_bytes(&classic_pcap(&sweep(5, |i| 0x9b90 + 2 * i)), "five-probes");
    for f in flows(&records) {
        assert_eq!(f["role"], "other", "{f}");
    }
}

/// The table gathers the lookups that no call holds per app and network,
/// so that where the directory lived reads at a glance.
#[test]
fn the_table_says_in_whose_network_the_directory_was() {
    let frames = sweep(10, |i| 0x9b90 + 2 * i);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("legacy_skype_supernodes");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sweep.pcap");
    std::fs::write(&path, classic_pcap(&frames)).unwrap();
    let out = run(&["analyze", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let (_, section) = text
        .split_once("OUTSIDE CALLS: lookups (directory, signalling, login, address discovery)\n")
        .unwrap_or_else(|| panic!("no lookups section:\n{text}"));
    let section = section.split("\nFLOWS (").next().unwrap();
    assert!(
        section.contains("  skype_teams: 10 flows with 10 hosts\n"),
        "{section}"
    );
    assert!(
        section.contains(
            "   10 flows    10 hosts  AS8075 Microsoft Corporation (a data-centre network) · in "
        ),
        "{section}"
    );
}

/// The HTML report's lookup section opens with the same per-network view.
#[test]
fn the_report_says_in_whose_network_the_directory_was() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("legacy_skype_supernodes");
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("sweep-report.pcap");
    std::fs::write(&capture, classic_pcap(&sweep(10, |i| 0x9b90 + 2 * i))).unwrap();
    let html = dir.join("sweep-report.html");
    let out = run(&[
        "report",
        capture.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let page = std::fs::read_to_string(&html).unwrap();
    let (_, section) = page
        .split_once(r#"<h3>Outside calls, by app and network</h3>"#)
        .unwrap_or_else(|| panic!("no per-network lookups"));
    let table = section.split("</table>").next().unwrap();
    assert!(
        table.contains(r#"<tr><td>skype_teams</td><td>AS8075 Microsoft Corporation (a data-centre network)</td><td class="r">10</td><td class="r">10</td>"#),
        "{table}"
    );
}
