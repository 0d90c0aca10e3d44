//! A TLS client that names no server (no SNI) still learns whom it talks
//! to from the server's certificate, which TLS 1.2 sends in clear: the
//! flow carries that name and, when the name is an app's, the app. A
//! name the device resolved by DNS stays first: a certificate may cover
//! many services, the device asked for one.
//!
//! tests/data/edge.kakao.com.der is a self-signed certificate the project
//! made for this test: `openssl req -x509 -newkey ec -pkeyopt
//! ec_paramgen_curve:prime256v1 -nodes -subj "/O=Kakao/CN=edge.kakao.com"`.

mod common;

use common::*;
use etherparse::PacketBuilder;
use serde_json::Value;

const DEVICE: [u8; 4] = [10, 24, 82, 188];
const SERVER: [u8; 4] = [110, 76, 143, 50];

fn record(content: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// A ClientHello without extensions, so without a server name.
fn client_hello() -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x42; 32]);
    body.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0, 0, 0]);
    record(22, &handshake(1, &body))
}

/// ServerHello and Certificate (with the test certificate), then
/// ServerHelloDone, in one record.
fn server_handshake() -> Vec<u8> {
    let der = std::fs::read(repo().join("tests/data/edge.kakao.com.der")).unwrap();
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[0x24; 32]);
    hello.extend_from_slice(&[0, 0xc0, 0x2f, 0, 0, 0]);
    let mut list = (der.len() as u32).to_be_bytes()[1..].to_vec();
    list.extend_from_slice(&der);
    let mut certificate = (list.len() as u32).to_be_bytes()[1..].to_vec();
    certificate.extend_from_slice(&list);
    let mut messages = handshake(2, &hello);
    messages.extend(handshake(11, &certificate));
    messages.extend(handshake(14, &[]));
    record(22, &messages)
}

/// One TLS connection: the client's hello, the server's handshake in
/// segments of 200 bytes, then application data each way.
fn tls_connection(port: u16, start: u64) -> Vec<(u64, Vec<u8>)> {
    let mut frames = Vec::new();
    let (mut seq_c, mut seq_s) = (1u32, 1u32);
    let mut send =
        |from_device: bool, at: u64, payload: &[u8], frames: &mut Vec<(u64, Vec<u8>)>| {
            let (src, dst, sport, dport, seq) = if from_device {
                (DEVICE, SERVER, port, 8080, &mut seq_c)
            } else {
                (SERVER, DEVICE, 8080, port, &mut seq_s)
            };
            let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
                .ipv4(src, dst, 64)
                .tcp(sport, dport, *seq, 65_535)
                .ack(1)
                .psh();
            let mut f = Vec::new();
            b.write(&mut f, payload).unwrap();
            *seq = seq.wrapping_add(payload.len() as u32);
            frames.push((at, f));
        };
    send(true, start, &client_hello(), &mut frames);
    for (i, chunk) in server_handshake().chunks(200).enumerate() {
        send(false, start + 30_000 + i as u64 * 100, chunk, &mut frames);
    }
    for n in 0..6u64 {
        let data = record(23, &[0x5a; 90]);
        send(n % 2 == 0, start + 100_000 + n * 40_000, &data, &mut frames);
    }
    frames
}

fn flow_from(records: &[Value], port: u16) -> &Value {
    let src = format!("10.24.82.188:{port}");
    records
        .iter()
        .find(|r| r["type"] == "flow" && r["src"] == src.as_str())
        .unwrap_or_else(|| panic!("no flow from {src}: {records:?}"))
}

#[test]
fn a_servers_certificate_names_a_flow_without_sni() {
    let records = analyze_bytes(
        &classic_pcap(&tls_connection(32_968, 1_700_000_000_000_000)),
        "cert",
    );
    let flow = flow_from(&records, 32_968);
    assert_eq!(flow["server_name"], "edge.kakao.com", "{flow}");
    assert_eq!(flow["app"], "kakaotalk", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(
        flow["evidence"]
            .to_string()
            .contains("server certificate name edge.kakao.com"),
        "{flow}"
    );
}

#[test]
fn a_name_the_device_resolved_comes_before_the_certificates() {
    // The device first resolved the server as talk.example.net.
    let start = 1_700_000_000_000_000u64;
    let dns = dns_answer("talk.example.net", SERVER);
    let mut frames = vec![(
        start,
        udp_frame(([10, 24, 82, 1], 53), (DEVICE, 40_000), &dns),
    )];
    frames.extend(tls_connection(58_857, start + 50_000));
    let records = analyze_bytes(&classic_pcap(&frames), "cert-dns");
    let flow = flow_from(&records, 58_857);
    assert_eq!(flow["server_name"], "talk.example.net", "{flow}");
    assert_ne!(flow["app"], "kakaotalk", "{flow}");
}
