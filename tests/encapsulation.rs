//! Traffic seen through a tunnel (a cloud mirror's VXLAN, GRE, a Teredo
//! client) or behind an extra capture header (Apple's PKTAP) is analysed
//! as the flows it carries: the same calls, flows and verdicts as the
//! traffic without them.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// The classic pcap records of a little-endian, microsecond, Ethernet
/// capture (the bundled samples): each record's header and frame.
fn records(pcap: &[u8]) -> Vec<(&[u8], &[u8])> {
    assert_eq!(
        pcap.get(0..4),
        Some(&[0xd4, 0xc3, 0xb2, 0xa1][..]),
        "sample format"
    );
    assert_eq!(pcap.get(20..24), Some(&[1, 0, 0, 0][..]), "Ethernet");
    let mut out = Vec::new();
    let mut at = 24;
    while let Some(header) = pcap.get(at..at + 16) {
        let caplen = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
        out.push((header, &pcap[at + 16..at + 16 + caplen]));
        at += 16 + caplen;
    }
    out
}

/// The sample with every frame wrapped by `wrap`, record lengths adjusted,
/// as a capture of link type `link`.
fn rewrap(pcap: &[u8], link: u32, wrap: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = pcap[..20].to_vec();
    out.extend_from_slice(&link.to_le_bytes());
    for (header, frame) in records(pcap) {
        let wrapped = wrap(frame);
        let grown = (wrapped.len() - frame.len()) as u32;
        out.extend_from_slice(&header[..8]);
        for field in [8, 12] {
            let len = u32::from_le_bytes(header[field..field + 4].try_into().unwrap());
            out.extend_from_slice(&(len + grown).to_le_bytes());
        }
        out.extend_from_slice(&wrapped);
    }
    out
}

/// An Ethernet frame carrying an IPv4 datagram of `protocol` between two
/// tunnel endpoints (documentation addresses) with `body`.
fn outer_ipv4(protocol: u8, body: &[u8]) -> Vec<u8> {
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = (20 + body.len()) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, protocol, 0, 0];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(body);
    frame
}

/// `frame` mirrored through VXLAN (UDP to 4789, network identifier 42).
fn vxlan(frame: &[u8]) -> Vec<u8> {
    let mut udp = vec![0xc3, 0x50, 0x12, 0xb5, 0, 0, 0, 0];
    let len = (8 + 8 + frame.len()) as u16;
    udp[4..6].copy_from_slice(&len.to_be_bytes());
    udp.extend_from_slice(&[0x08, 0, 0, 0, 0, 0, 42, 0]);
    udp.extend_from_slice(frame);
    outer_ipv4(17, &udp)
}

/// `frame`'s IP datagram carried by GRE with a key (protocol IPv4 or IPv6
/// from the frame's EtherType).
fn gre(frame: &[u8]) -> Vec<u8> {
    let mut body = vec![0x20, 0, frame[12], frame[13], 0, 0, 0, 7];
    body.extend_from_slice(&frame[14..]);
    outer_ipv4(47, &body)
}

/// What must not change: each flow's endpoints, packets, app, role and
/// call, and the calls.
fn essentials(records: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = records
        .iter()
        .filter(|r| r["type"] == "flow" || r["type"] == "call")
        .map(|r| {
            if r["type"] == "flow" {
                format!(
                    "flow {} {} {} {} {} {} {}",
                    r["l4"], r["src"], r["dst"], r["packets"], r["app"], r["role"], r["call"]
                )
            } else {
                format!(
                    "call {} {} {} {} {}",
                    r["app"], r["path"], r["verdict"], r["flows"], r["media_flows"]
                )
            }
        })
        .collect();
    out.sort();
    out
}

fn analyze_bytes(dir: &Path, name: &str, pcap: &[u8]) -> Vec<Value> {
    let path = dir.join(name);
    std::fs::write(&path, pcap).unwrap();
    let (records, out) = analyze_ndjson(&path);
    assert!(out.status.success(), "{name}: {out:?}");
    records
}

#[test]
fn a_call_through_vxlan_or_gre_reads_as_the_call_itself() {
    let dir = tempfile::tempdir().unwrap();
    for sample in ["relayed-call.pcap", "webrtc-call.pcap"] {
        let plain = std::fs::read(repo().join("samples").join(sample)).unwrap();
        let expected = essentials(&analyze_bytes(dir.path(), sample, &plain));
        assert!(
            expected.iter().any(|l| l.starts_with("call")),
            "{expected:?}"
        );
        for (tunnel, wrap) in [("vxlan", vxlan as fn(&[u8]) -> Vec<u8>), ("gre", gre)] {
            let name = format!("{tunnel}-{sample}");
            let got = essentials(&analyze_bytes(dir.path(), &name, &rewrap(&plain, 1, wrap)));
            assert_eq!(got, expected, "{name}");
        }
    }
}

/// `frame` behind a PKTAP header as macOS writes it (108 bytes, little
/// endian: length, record type 1, the frame's link type 1, Ethernet; the
/// interface and the sending process's name).
fn pktap(frame: &[u8]) -> Vec<u8> {
    let mut header = vec![0u8; 108];
    header[0] = 108;
    header[4] = 1;
    header[8] = 1;
    header[12..15].copy_from_slice(b"en0");
    header[56..64].copy_from_slice(b"WhatsApp");
    header.extend_from_slice(frame);
    header
}

#[test]
fn a_call_captured_with_pktap_headers_reads_as_the_call_itself() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(repo().join("samples/direct-call.pcap")).unwrap();
    let expected = essentials(&analyze_bytes(dir.path(), "plain.pcap", &plain));
    assert!(
        expected.iter().any(|l| l.starts_with("call")),
        "{expected:?}"
    );
    // LINKTYPE_PKTAP, and Darwin's own number for it.
    for link in [258, 149] {
        let name = format!("pktap-{link}.pcap");
        let got = essentials(&analyze_bytes(
            dir.path(),
            &name,
            &rewrap(&plain, link, pktap),
        ));
        assert_eq!(got, expected, "{name}");
    }
}

/// The flows of a corpus capture, as "l4 a b" with the lower endpoint first.
fn flow_names(records: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = flows_by_id(records)
        .keys()
        .map(|(l4, a, b)| format!("{l4} {a} {b}"))
        .collect();
    names.sort();
    names
}

#[test]
fn corpus_tunnels_show_the_flows_inside() {
    let Some(corpus) = corpus() else { return };
    // A mirror session in VXLAN (tshark: vxlan, then eth:ip:tcp and dns).
    let (records, out) = analyze_ndjson(&corpus.join("ndpi/vxlan.pcap"));
    assert!(out.status.success(), "{out:?}");
    let names = flow_names(&records);
    assert!(
        names.contains(&"tcp 10.10.20.4:45228 157.240.224.35:443".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"udp 8.8.8.8:53 10.10.20.4:44437".to_string()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains(":4789")), "{names:?}");
    // SIP over PPTP: GRE version 1 carrying PPP.
    let (records, _) = analyze_ndjson(&corpus.join("ndpi/gre.pcapng"));
    let flows = flows_by_id(&records);
    let sip = flows
        .get(&flow_id(
            "udp",
            "192.168.10.210:5060",
            "192.168.103.40:5060",
        ))
        .unwrap_or_else(|| panic!("{:?}", flows.keys()));
    assert_eq!(sip["app"], "sip_rtp", "{sip}");
    // Teredo: IPv6 inside UDP from port 3544, with origin indications.
    let (records, _) = analyze_ndjson(&corpus.join("ndpi/teredo.pcap"));
    let names = flow_names(&records);
    assert!(
        names.contains(
            &"icmpv6 [2001:0:c288:1c4c:20f3:359b:46f9:3f46]:0 [2002:c288:1c4c::c288:1c4d]:0"
                .to_string()
        ),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with("udp")), "{names:?}");
}
