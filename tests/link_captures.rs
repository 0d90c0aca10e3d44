//! Captures taken on other links than Ethernet: Wi-Fi in monitor mode
//! (radiotap), PPI, decrypted 802.11 (airdecap-ng's output), Linux NFLOG
//! and FDDI; and Ethernet frames wrapped as carrier and data-centre
//! switches wrap them (MPLS behind VLAN tags, MPLS pseudowires, 802.1ah,
//! VN-Tag, FabricPath, Arista's timestamp, 802.3 with LLC/SNAP). The lab's direct call,
//! re-framed as those links would have carried it, gives the same flows,
//! roles and call as the Ethernet original; frames that carry no readable
//! packet are counted by why.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::capture_edit::Capture;
use common::{analyze_bytes, classic_pcap_of, repo};
use serde_json::Value;

/// An Ethernet frame as an 802.11 QoS data frame from a station (ToDS),
/// with the LLC/SNAP header that carries its EtherType.
fn as_wifi(ethernet: &[u8], protected: bool) -> Vec<u8> {
    let flags = 0x01 | if protected { 0x40 } else { 0 };
    let mut f = vec![0x88, flags, 0x2c, 0x00];
    f.extend_from_slice(&ethernet[0..6]); // receiver: the access point
    f.extend_from_slice(&ethernet[6..12]); // transmitter: the station
    f.extend_from_slice(&ethernet[0..6]); // destination
    f.extend_from_slice(&[0x00, 0x00, 0x00, 0x00]); // sequence, QoS control
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00]);
    f.extend_from_slice(&ethernet[12..]);
    f
}

/// A radiotap header with TSFT and Flags (FCS at the end, and a bad FCS
/// when `bad_fcs`), then the frame and a checksum.
fn radiotap(frame: &[u8], bad_fcs: bool) -> Vec<u8> {
    let mut h = vec![0, 0, 18, 0, 0x03, 0, 0, 0];
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&[if bad_fcs { 0x50 } else { 0x10 }, 0]);
    h.extend_from_slice(frame);
    h.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    h
}

fn ppi(frame: &[u8]) -> Vec<u8> {
    let mut h = vec![0, 0, 8, 0, 105, 0, 0, 0];
    h.extend_from_slice(frame);
    h
}

/// What must not change with the framing: each flow's ends, packets,
/// role and app, and each call's path and parties.
fn verdicts(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .filter_map(|r| match r["type"].as_str() {
            Some("flow") => Some(format!(
                "flow {} {} {} {} {} {}",
                r["l4"], r["src"], r["dst"], r["packets"], r["role"], r["app"]
            )),
            Some("call") => Some(format!(
                "call {} {} {} {}",
                r["app"], r["path"], r["peers"], r["relays"]
            )),
            _ => None,
        })
        .collect()
}

fn summary(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|r| r["type"] == "summary")
        .expect("a summary")
}

#[test]
fn a_call_captured_on_wifi_reads_as_on_ethernet() {
    let sample = repo().join("samples/direct-call.pcap");
    let original = Capture::read(&sample);
    let expected = verdicts(&analyze_bytes(&original.bytes(), "wifi-ethernet"));
    assert!(
        expected.iter().any(|v| v.contains("\"p2p\"")),
        "{expected:?}"
    );
    let last = original.records.last().unwrap().micros as u64;
    let first = &original.records[0].data;

    for (link, name) in [(127u32, "radiotap"), (192, "ppi"), (105, "ieee80211")] {
        let frame = |wifi: Vec<u8>| match link {
            127 => radiotap(&wifi, false),
            192 => ppi(&wifi),
            _ => wifi,
        };
        let mut frames: Vec<(u64, Vec<u8>)> = original
            .records
            .iter()
            .map(|r| (r.micros as u64, frame(as_wifi(&r.data, false))))
            .collect();
        // A beacon and a frame still encrypted, after the call.
        frames.push((last + 1, frame(vec![0x80, 0x00, 0x00, 0x00])));
        frames.push((last + 2, frame(as_wifi(first, true))));
        let records = analyze_bytes(&classic_pcap_of(link, &frames), &format!("wifi-{name}"));
        assert_eq!(verdicts(&records), expected, "{name}");
        let skipped = &summary(&records)["packets_skipped"];
        assert_eq!(skipped["not_ip"], 1, "{name}: {skipped}");
        assert_eq!(skipped["encrypted_wifi"], 1, "{name}: {skipped}");
    }

    // A frame the radio flagged with a bad checksum is not decoded.
    let mut frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| (r.micros as u64, radiotap(&as_wifi(&r.data, false), false)))
        .collect();
    frames.push((last + 1, radiotap(&as_wifi(first, false), true)));
    let records = analyze_bytes(&classic_pcap_of(127, &frames), "wifi-bad-fcs");
    assert_eq!(verdicts(&records), expected);
    assert_eq!(summary(&records)["packets_skipped"]["bad_fcs"], 1);
}

/// The frame as NFLOG would log it: header (IPv4, version 0, group 5),
/// a packet-header attribute, then the payload attribute with the IP
/// packet (lengths and types little-endian, padded to four bytes).
fn nflog(ethernet: &[u8]) -> Vec<u8> {
    let ip = &ethernet[14..];
    let mut f = vec![2, 0, 0, 5];
    f.extend_from_slice(&8u16.to_le_bytes());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&[0x08, 0x00, 0x03, 0x00]);
    f.extend_from_slice(&((4 + ip.len()) as u16).to_le_bytes());
    f.extend_from_slice(&9u16.to_le_bytes());
    f.extend_from_slice(ip);
    f.resize(f.len().next_multiple_of(4), 0);
    f
}

#[test]
fn a_call_logged_through_nflog_reads_as_on_ethernet() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let expected = verdicts(&analyze_bytes(&original.bytes(), "nflog-ethernet"));
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .filter(|r| r.data[12..14] == [0x08, 0x00])
        .map(|r| (r.micros as u64, nflog(&r.data)))
        .collect();
    assert_eq!(frames.len(), original.records.len(), "all IPv4");
    let records = analyze_bytes(&classic_pcap_of(239, &frames), "nflog");
    assert_eq!(verdicts(&records), expected);
}

/// A classic pcap header may say, in the link-type field's top bits, that
/// every frame ends with its FCS (here 4 bytes: two 16-bit words, and the
/// bit that says the length is given); the link type is the low bits.
#[test]
fn ethernet_frames_with_their_fcs_read_as_without() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let expected = verdicts(&analyze_bytes(&original.bytes(), "without-fcs"));
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| {
            let mut f = r.data.clone();
            f.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
            (r.micros as u64, f)
        })
        .collect();
    let link_field = (2 << 28) | (1 << 26) | 1;
    let records = analyze_bytes(&classic_pcap_of(link_field, &frames), "with-fcs");
    assert_eq!(verdicts(&records), expected);
    assert_eq!(summary(&records)["packets_skipped"], serde_json::json!({}));
}

const LLC_SNAP: [u8; 6] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00];

/// An Ethernet frame (destination, source, EtherType, body) wrapped as
/// `how` says, still an Ethernet frame unless `how` is "fddi".
fn wrapped(ethernet: &[u8], how: &str) -> Vec<u8> {
    let (macs, ether_type, body) = (&ethernet[..12], &ethernet[12..14], &ethernet[14..]);
    let mut f = macs.to_vec();
    let vlan = [0x81, 0x00, 0x00, 0x64];
    let mpls_label = [0x00, 0x01, 0x21, 0x40]; // label 18, bottom of stack
    match how {
        "vlan-mpls" => {
            f.extend_from_slice(&vlan);
            f.extend_from_slice(&[0x88, 0x47]);
            f.extend_from_slice(&mpls_label);
            f.extend_from_slice(body);
        }
        "mpls-pseudowire" => {
            f.extend_from_slice(&[0x88, 0x47, 0x00, 0x01, 0x20, 0x40]);
            f.extend_from_slice(&mpls_label);
            f.extend_from_slice(&[0x00, 0x00, 0x00, 0x07]); // control word
            f.extend_from_slice(ethernet);
        }
        "pbb" => {
            f.extend_from_slice(&[0x88, 0xe7, 0x00, 0x01, 0x00, 0x00]);
            f.extend_from_slice(macs);
            f.extend_from_slice(&vlan);
            f.extend_from_slice(ether_type);
            f.extend_from_slice(body);
        }
        "vn-tag" => {
            f.extend_from_slice(&[0x89, 0x26, 0x80, 0x01, 0x00, 0x02]);
            f.extend_from_slice(ether_type);
            f.extend_from_slice(body);
        }
        "fabricpath" => {
            f.extend_from_slice(&[0x89, 0x03, 0x00, 0x3f]);
            f.extend_from_slice(ethernet);
        }
        "arista-timestamp" => {
            // Subtype 1, version 0x0010 (TAI, 64-bit), seconds, nanoseconds.
            f.extend_from_slice(&[0xd2, 0x8b, 0x00, 0x01, 0x00, 0x10]);
            f.extend_from_slice(&[0x5c, 0xee, 0xed, 0x57, 0x38, 0x4f, 0x59, 0xc8]);
            f.extend_from_slice(ether_type);
            f.extend_from_slice(body);
        }
        "llc-snap" => {
            f.extend_from_slice(&((LLC_SNAP.len() + 2 + body.len()) as u16).to_be_bytes());
            f.extend_from_slice(&LLC_SNAP);
            f.extend_from_slice(ether_type);
            f.extend_from_slice(body);
        }
        "fddi" => {
            f = vec![0x50];
            f.extend_from_slice(macs);
            f.extend_from_slice(&LLC_SNAP);
            f.extend_from_slice(ether_type);
            f.extend_from_slice(body);
        }
        other => panic!("no framing {other}"),
    }
    f
}

/// The framings `wrapped` knows, with their pcap link type.
const WRAPPINGS: [(&str, u32); 8] = [
    ("vlan-mpls", 1),
    ("mpls-pseudowire", 1),
    ("pbb", 1),
    ("vn-tag", 1),
    ("fabricpath", 1),
    ("arista-timestamp", 1),
    ("llc-snap", 1),
    ("fddi", 10),
];

fn wrapped_capture(original: &Capture, how: &str, link: u32) -> Vec<u8> {
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| (r.micros as u64, wrapped(&r.data, how)))
        .collect();
    classic_pcap_of(link, &frames)
}

#[test]
fn a_call_mirrored_from_a_carrier_or_data_centre_port_reads_as_on_ethernet() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let expected = verdicts(&analyze_bytes(&original.bytes(), "wrapped-ethernet"));
    for (how, link) in WRAPPINGS {
        let records = analyze_bytes(&wrapped_capture(&original, how, link), how);
        assert_eq!(verdicts(&records), expected, "{how}");
        let summary = summary(&records);
        assert_eq!(summary["packets_skipped"], serde_json::json!({}), "{how}");
    }
}

/// The re-framed captures are what Wireshark reads as Wi-Fi, NFLOG and the
/// wrapped links: tshark finds every IP packet of the original in them
/// (skipped without tshark).
#[test]
fn tshark_reads_the_reframed_captures_as_their_links() {
    let sample = repo().join("samples/direct-call.pcap");
    let original = Capture::read(&sample);
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| (r.micros as u64, radiotap(&as_wifi(&r.data, false), false)))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wifi.pcap");
    std::fs::write(&path, classic_pcap_of(127, &frames)).unwrap();
    let count = |file: &std::path::Path, filter: &str| -> Option<usize> {
        let out = Command::new("tshark")
            .args(["-r"])
            .arg(file)
            .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).lines().count())
    };
    let Some(ip_in_original) = count(&sample, "ip") else {
        eprintln!("SKIPPED: tshark not available");
        return;
    };
    assert!(ip_in_original > 0);
    assert_eq!(count(&path, "wlan && ip"), Some(ip_in_original));
    // And the NFLOG one as NFLOG.
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| (r.micros as u64, nflog(&r.data)))
        .collect();
    let path = dir.path().join("nflog.pcap");
    std::fs::write(&path, classic_pcap_of(239, &frames)).unwrap();
    assert_eq!(count(&path, "nflog && ip"), Some(ip_in_original));
    // And the wrapped frames with the tags Wireshark names.
    for ((how, link), filter) in WRAPPINGS.into_iter().zip([
        "vlan && mpls && ip",
        "mpls && pwethcw && ip",
        "ieee8021ah && ip",
        "vntag && ip",
        "cfp && ip",
        "avsp && ip",
        "llc && ip",
        "fddi && ip",
    ]) {
        let path = dir.path().join(format!("{how}.pcap"));
        std::fs::write(&path, wrapped_capture(&original, how, link)).unwrap();
        assert_eq!(count(&path, filter), Some(ip_in_original), "{how}");
    }
}
