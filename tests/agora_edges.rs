//! Apps built on Agora's SDK open their calls by asking several of
//! Agora's edge servers at once, each handshake naming its server the way
//! a TLS SNI does (`<address>.edge.agora.io`): each such exchange is the
//! call platform's control plane, a lookup, and the edge is named.

mod common;

use common::*;

/// An edge handshake as nDPI's sd_rtn.c reads it, then key-exchange tags.
fn handshake(name: &str) -> Vec<u8> {
    let mut p = vec![0x00, 0x5a, 0x38, 0x4c, 0x00, 0x00, 0x21, 0, 0, 0, 0, 0];
    p.extend_from_slice(&[0x04, b'S', b'N', b'I']);
    p.extend_from_slice(&(name.len() as u16).to_be_bytes());
    p.push(0);
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(b"PDMD\0\0CPTO\x81\0NONC");
    p.resize(240, 0x6b);
    p
}

#[test]
fn edge_handshakes_are_named_lookups() {
    let device = ([192, 168, 2, 100], 44_131);
    let start = 1_700_000_000_000_000u64;
    let mut frames = Vec::new();
    for (i, (edge, name)) in [
        ([23, 248, 186, 179], "23-248-186-179.edge.agora.io"),
        ([104, 166, 161, 75], "104-166-161-75.edge.agora.io"),
    ]
    .into_iter()
    .enumerate()
    {
        let server = (edge, 8130);
        for n in 0..12u64 {
            let at = start + i as u64 * 3_000 + n * 8_000;
            frames.push((at, udp_frame(device, server, &handshake(name))));
            if n % 4 == 0 {
                frames.push((at + 4_000, udp_frame(server, device, &[0x7au8; 520])));
            }
        }
    }
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "agora-edges");
    let flows: Vec<_> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert_eq!(flows.len(), 2, "{records:?}");
    for f in flows {
        assert_eq!(f["app"], "agora", "{f}");
        assert_eq!(f["role"], "lookup", "{f}");
        let name = f["server_name"].as_str().unwrap_or_default();
        assert!(name.ends_with(".edge.agora.io"), "{f}");
        // The edges sit in a hosting network (Zenlayer's, in nDPI's
        // capture); Agora runs them, and its parent's home is China.
        let service = &f["service_operator"];
        assert_eq!(service["operator"], "Agora", "{f}");
        assert_eq!(service["operator_country"], "CN", "{f}");
        let summary = service["summary"].as_str().unwrap_or_default();
        assert!(
            summary.starts_with("an Agora SD-RTN server, run by Agora: home CN"),
            "{f}"
        );
    }
}
