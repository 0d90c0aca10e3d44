//! WhatsApp's chat connection (TCP 5222 or 443) is the control plane of
//! its calls: a lookup. It is told by its stream's first bytes, also when
//! the client writes the edge-routing prologue as a segment of its own,
//! and, in a capture that begins mid-stream, by WhatsApp's published list
//! of its chat servers (single addresses, unlike the Meta network they
//! sit in, which also carries Facebook and Instagram).

mod common;

use common::*;
use etherparse::PacketBuilder;
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 2, 100];

/// Client segments of one TCP connection to `server`:5222, one per
/// payload, 50 ms apart, each answered by an empty acknowledgement.
fn chat_stream(local_port: u16, server: [u8; 4], payloads: &[Vec<u8>]) -> Vec<u8> {
    let start = 1_700_000_000_000_000u64;
    let mut frames = Vec::new();
    let mut seq = 1u32;
    for (i, p) in payloads.iter().enumerate() {
        let at = start + i as u64 * 50_000;
        let out = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(DEVICE, server, 64)
            .tcp(local_port, 5222, seq, 65_535)
            .ack(1)
            .psh();
        let mut f = Vec::new();
        out.write(&mut f, p).unwrap();
        frames.push((at, f));
        seq = seq.wrapping_add(p.len() as u32);
        let ack = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1])
            .ipv4(server, DEVICE, 64)
            .tcp(5222, local_port, 1, 65_535)
            .ack(seq);
        let mut f = Vec::new();
        ack.write(&mut f, &[]).unwrap();
        frames.push((at + 20_000, f));
    }
    classic_pcap(&frames)
}

fn only_flow(records: &[Value]) -> &Value {
    let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert_eq!(flows.len(), 1, "{records:?}");
    flows[0]
}

fn opaque(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(73) ^ seed).collect()
}

#[test]
fn a_prologue_written_alone_still_opens_a_chat_stream() {
    // "ED" 00 01 alone, then the routing data's length and bytes and the
    // "WA" header (nDPI whatsapp.c matches the first 8 bytes across
    // segments), then encrypted frames. The server is not one of the
    // published chat hosts, so only the stream can name the app.
    let mut rest = vec![0x00, 0x00, 0x04, 0x08, 0x09, 0x08, 0x02, b'W', b'A', 5, 2];
    rest.extend(opaque(270, 1));
    let payloads = vec![b"ED\x00\x01".to_vec(), rest, opaque(3, 2), opaque(900, 3)];
    let records = analyze_bytes(
        &chat_stream(44_804, [203, 0, 113, 49], &payloads),
        "wa-split",
    );
    let flow = only_flow(&records);
    assert_eq!(flow["app"], "whatsapp", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(
        flow["evidence"]
            .to_string()
            .contains("WhatsApp chat stream"),
        "{flow}"
    );
}

#[test]
fn a_chat_stream_caught_midway_is_told_by_its_server() {
    let payloads: Vec<Vec<u8>> = (0..6).map(|i| opaque(120 + i * 40, i as u8)).collect();
    // 157.240.20.53: in WhatsApp's published list as 157.240.20.52/31.
    let records = analyze_bytes(
        &chat_stream(49_355, [157, 240, 20, 53], &payloads),
        "wa-mid",
    );
    let flow = only_flow(&records);
    assert_eq!(flow["app"], "whatsapp", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(
        flow["evidence"].to_string().contains("157.240.20.52/31"),
        "{flow}"
    );
}
