//! A call forced onto TCP 443 (a network that drops UDP) reaches the
//! vendor's media relay with TURN inside TLS: opaque records, but at a
//! voice call's steady pace, to an address the vendor publishes for its
//! media relays. That flow is relayed media, and the call is found; a
//! short exchange with the same relay stays a lookup.

mod common;

use common::*;
use etherparse::PacketBuilder;
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 1, 10];
/// In Microsoft's published Teams media range 52.112.0.0/14.
const RELAY: [u8; 4] = [52, 113, 10, 20];

/// TLS application-data records both ways, one each way every 20 ms, for
/// `secs` seconds.
fn tls_stream(secs: u64) -> Vec<u8> {
    let start = 1_700_000_000_000_000u64;
    let mut frames = Vec::new();
    let (mut seq_out, mut seq_in) = (1u32, 1u32);
    for i in 0..secs * 50 {
        for outgoing in [true, false] {
            let mut record = vec![0x17, 0x03, 0x03, 0x00, 0xa0];
            record.extend((0..160u32).map(|b| (b.wrapping_mul(31) ^ i as u32) as u8));
            let (src, dst, sport, dport, seq) = if outgoing {
                (DEVICE, RELAY, 50_123, 443, &mut seq_out)
            } else {
                (RELAY, DEVICE, 443, 50_123, &mut seq_in)
            };
            let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4(src, dst, 64)
                .tcp(sport, dport, *seq, 65_535)
                .ack(1)
                .psh();
            let mut frame = Vec::new();
            builder.write(&mut frame, &record).unwrap();
            *seq = seq.wrapping_add(record.len() as u32);
            let at = start + i * 20_000 + if outgoing { 0 } else { 9_000 };
            frames.push((at, frame));
        }
    }
    classic_pcap(&frames)
}

fn relay_flow(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|r| r["type"] == "flow" && r["dst"] == "52.113.10.20:443")
        .expect("the flow to the relay")
}

#[test]
fn a_steady_tls_stream_to_a_media_relay_is_relayed_media() {
    let records = analyze_bytes(&tls_stream(20), "tcp-relay");
    let flow = relay_flow(&records);
    assert_eq!(flow["app"], "skype_teams", "{flow}");
    assert_eq!(flow["role"], "relay", "{flow}");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
}

#[test]
fn a_short_exchange_with_a_media_relay_is_a_lookup() {
    let records = analyze_bytes(&tls_stream(1), "tcp-relay-short");
    let flow = relay_flow(&records);
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(!records.iter().any(|r| r["type"] == "call"), "{records:?}");
}

/// A Binding request carrying MS-VERSION (0x8008), Teams' STUN attribute.
fn teams_binding_request() -> Vec<u8> {
    let mut m = vec![0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42];
    m.extend_from_slice(&[0x3c; 12]);
    m.extend_from_slice(&[0x80, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x06]);
    m
}

#[test]
fn a_call_sockets_short_exchange_with_a_relay_is_a_lookup() {
    // The same socket first spoke Teams' STUN to the relay's UDP port:
    // that names the app more strongly than the relay's address does,
    // and the TCP connection is still the relay's, not other traffic.
    let stun = udp_frame((DEVICE, 50_123), (RELAY, 3478), &teams_binding_request());
    let mut capture = classic_pcap(&[(1_699_999_999_000_000, stun)]);
    let tls = tls_stream(1);
    capture.extend_from_slice(&tls[24..]);
    let records = analyze_bytes(&capture, "tcp-relay-socket");
    let flow = relay_flow(&records);
    assert_eq!(flow["app"], "skype_teams", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    let evidence = flow["evidence"].to_string();
    assert!(
        evidence.contains("from a call socket of the app to its servers"),
        "{evidence}"
    );
}
