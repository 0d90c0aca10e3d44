//! TURN inside TLS to a server no vendor list names (a self-hosted coturn
//! on TCP 443: the fallback of WebRTC on a network that drops UDP). Its
//! records are opaque; what makes it the call's relay is evidence about
//! the server, either its name (`turn.example.org`) or the call's own
//! signalling, whose relay candidates sit on that host. Without either,
//! a steady TLS stream stays unexplained rather than called a relay.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 1, 10];
const PEER: [u8; 4] = [198, 51, 100, 12];
/// The TURN server (a documentation address: no list knows it).
const TURN: [u8; 4] = [203, 0, 113, 20];
const START: u64 = 1_700_000_000_000_000;

/// A segment between the device's `port` and the TURN server's 443.
fn tls_segment(from_device: bool, port: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let (device, turn) = ((DEVICE, port), (TURN, 443));
    if from_device {
        tcp_frame(device, turn, seq, payload)
    } else {
        tcp_frame(turn, device, seq, payload)
    }
}

/// A TLS 1.2 ClientHello, with a server name extension when `sni` is given.
fn client_hello(sni: Option<&str>) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x42; 32]);
    body.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0]);
    let mut extensions = Vec::new();
    if let Some(name) = sni {
        let mut entry = vec![0];
        entry.extend_from_slice(&(name.len() as u16).to_be_bytes());
        entry.extend_from_slice(name.as_bytes());
        let mut list = (entry.len() as u16).to_be_bytes().to_vec();
        list.extend(entry);
        extensions.extend_from_slice(&[0, 0]);
        extensions.extend_from_slice(&(list.len() as u16).to_be_bytes());
        extensions.extend(list);
    }
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend(extensions);
    let mut hello = vec![1];
    hello.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hello.extend(body);
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&(hello.len() as u16).to_be_bytes());
    record.extend(hello);
    record
}

/// The device's TLS connection to the TURN server on 443: its hello, then
/// application-data records both ways every 20 ms for `secs` seconds, as
/// a voice call's media through the relay.
fn turn_over_tls(sni: Option<&str>, secs: u64, from: u64) -> Vec<(u64, Vec<u8>)> {
    let port = 50_200;
    let hello = client_hello(sni);
    let mut frames = vec![(from, tls_segment(true, port, 1, &hello))];
    let (mut seq_out, mut seq_in) = (1 + hello.len() as u32, 1u32);
    for i in 0..secs * 50 {
        let at = from + 10_000 + i * 20_000;
        for outgoing in [true, false] {
            let mut record = vec![0x17, 0x03, 0x03, 0x00, 0x90];
            record.extend((0..0x90u32).map(|b| (b.wrapping_mul(29) ^ i as u32) as u8));
            let seq = if outgoing { &mut seq_out } else { &mut seq_in };
            let frame = tls_segment(outgoing, port, *seq, &record);
            *seq = seq.wrapping_add(record.len() as u32);
            frames.push((at + if outgoing { 0 } else { 7_000 }, frame));
        }
    }
    frames
}

/// A SIP INVITE over UDP whose SDP offers the device's relay candidate on
/// the TURN server (as a WebRTC or SIP client with ICE announces it).
fn invite_with_relay_candidate() -> Vec<u8> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 203.0.113.20\r\nt=0 0\r\n\
               m=audio 49170 RTP/AVP 0\r\n\
               a=candidate:1 1 UDP 16777215 203.0.113.20 49170 typ relay raddr 198.51.100.11 rport 50200\r\n";
    let sip = format!(
        "INVITE sip:b@example.org SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1\r\n\
         From: <sip:a@example.org>;tag=1\r\nTo: <sip:b@example.org>\r\nCall-ID: turn-tls-1\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:a@192.168.1.10:5060>\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    udp_frame((DEVICE, 5060), (PEER, 5060), sip.as_bytes())
}

fn turn_flow(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|r| r["type"] == "flow" && r["dst"] == "203.0.113.20:443")
        .expect("the flow to the TURN server")
}

fn calls(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "call").collect()
}

#[test]
fn tls_media_to_a_server_named_turn_is_relayed() {
    let records = analyze_bytes(
        &classic_pcap(&turn_over_tls(Some("turn.example.org"), 20, START)),
        "turn-tls-named",
    );
    let flow = turn_flow(&records);
    assert_eq!(flow["app"], "webrtc_generic", "{flow}");
    assert_eq!(flow["role"], "relay", "{flow}");
    let evidence = flow["evidence"].to_string();
    assert!(
        evidence.contains("turn.example.org, a TURN server's name"),
        "{evidence}"
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
}

#[test]
fn a_short_tls_exchange_with_a_turn_server_is_a_lookup() {
    let records = analyze_bytes(
        &classic_pcap(&turn_over_tls(Some("turn.example.org"), 1, START)),
        "turn-tls-short",
    );
    assert_eq!(turn_flow(&records)["role"], "lookup");
    assert!(calls(&records).is_empty(), "{records:?}");
}

#[test]
fn a_name_that_only_begins_like_turn_says_nothing() {
    let records = analyze_bytes(
        &classic_pcap(&turn_over_tls(Some("turner.example.org"), 20, START)),
        "turn-tls-turner",
    );
    let flow = turn_flow(&records);
    assert_eq!(flow["role"], "other", "{flow}");
    assert!(calls(&records).is_empty(), "{records:?}");
}

#[test]
fn tls_media_to_the_host_of_the_calls_relay_candidate_is_relayed() {
    let mut frames = vec![(START, invite_with_relay_candidate())];
    frames.extend(turn_over_tls(None, 20, START + 200_000));
    let records = analyze_bytes(&classic_pcap(&frames), "turn-tls-candidate");
    let flow = turn_flow(&records);
    assert_eq!(flow["role"], "relay", "{flow}");
    let evidence = flow["evidence"].to_string();
    assert!(
        evidence.contains("holds the TURN relayed address 203.0.113.20:49170"),
        "{evidence}"
    );
    assert!(
        evidence.contains("a relay candidate in the call's SDP"),
        "{evidence}"
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
}

#[test]
fn without_a_name_or_a_relay_candidate_a_steady_tls_stream_is_not_a_call() {
    let records = analyze_bytes(
        &classic_pcap(&turn_over_tls(None, 20, START)),
        "turn-tls-unknown",
    );
    assert_eq!(turn_flow(&records)["role"], "other");
    assert!(calls(&records).is_empty(), "{records:?}");
}
