//! A browser softphone speaks SIP over WebSocket (RFC 7118): its opening
//! handshake asks for the `sip` subprotocol, then each frame carries one
//! SIP message, masked by the browser and often cut across segments. The
//! connection is SIP signalling, its dialogs are calls, and the PBX that
//! took it is a SIP server.

mod common;

use common::*;
use serde_json::Value;

const BROWSER: ([u8; 4], u16) = ([192, 168, 1, 50], 43_380);
const PBX: ([u8; 4], u16) = ([198, 51, 100, 8], 8080);
const START: u64 = 1_700_000_000_000_000;

fn sip(first_line: &str, cseq: &str, body: &str) -> Vec<u8> {
    sip_message(
        first_line,
        "WSS df7jal23ls0d.invalid",
        "ws-call-1",
        cseq,
        body,
    )
}

/// A text frame, masked with `key` (a browser's) or not (the server's).
fn frame(text: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mut f = vec![0x81];
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    if text.len() < 126 {
        f.push(mask_bit | text.len() as u8);
    } else {
        f.push(mask_bit | 126);
        f.extend_from_slice(&(text.len() as u16).to_be_bytes());
    }
    match key {
        Some(key) => {
            f.extend_from_slice(&key);
            f.extend(text.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => f.extend_from_slice(text),
    }
    f
}

/// The browser's call through the PBX: handshake, INVITE (its frame cut
/// in two segments), 200 OK whose SDP puts the media at the PBX, ACK, BYE
/// a minute later and its answer. `protocol`: the subprotocol asked for.
fn call(protocol: &str, name: &str) -> Vec<Value> {
    let key = Some([0x35, 0xba, 0x59, 0x9f]);
    let upgrade = format!(
        "GET / HTTP/1.1\r\nHost: pbx.example.org:8080\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Protocol: {protocol}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let switching = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n"
    );
    let invite = frame(
        &sip(
            "INVITE sip:bob@example.org SIP/2.0",
            "1 INVITE",
            &sdp_audio((BROWSER.0, 50_000), 111),
        ),
        key,
    );
    let (invite_a, invite_b) = invite.split_at(100);
    let ok = frame(
        &sip(
            "SIP/2.0 200 OK",
            "1 INVITE",
            &sdp_audio((PBX.0, 30_000), 111),
        ),
        None,
    );
    let ack = frame(&sip("ACK sip:bob@example.org SIP/2.0", "1 ACK", ""), key);
    let bye = frame(&sip("BYE sip:bob@example.org SIP/2.0", "2 BYE", ""), key);
    let bye_ok = frame(&sip("SIP/2.0 200 OK", "2 BYE", ""), None);
    let segments: [(u64, bool, &[u8]); 8] = [
        (0, true, upgrade.as_bytes()),
        (10_000, false, switching.as_bytes()),
        (1_000_000, true, invite_a),
        (1_000_100, true, invite_b),
        (1_900_000, false, &ok),
        (1_950_000, true, &ack),
        (61_000_000, true, &bye),
        (61_100_000, false, &bye_ok),
    ];
    let (mut up, mut down) = (1_u32, 1_u32);
    let frames: Vec<(u64, Vec<u8>)> = segments
        .iter()
        .map(|&(at, from_browser, payload)| {
            let bytes = if from_browser {
                let f = tcp_frame(BROWSER, PBX, up, payload);
                up += payload.len() as u32;
                f
            } else {
                let f = tcp_frame(PBX, BROWSER, down, payload);
                down += payload.len() as u32;
                f
            };
            (START + at, bytes)
        })
        .collect();
    analyze_bytes(&classic_pcap(&frames), name)
}

#[test]
fn a_browser_softphones_websocket_is_sip_signalling_and_its_dialog_a_call() {
    let records = call("sip", "sip-over-websocket");
    let flow = records
        .iter()
        .find(|r| r["type"] == "flow")
        .expect("the connection");
    assert_eq!(flow["app"], "sip_rtp", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    let evidence = flow["evidence"].to_string();
    assert!(
        evidence.contains("SIP over WebSocket (RFC 7118)"),
        "{evidence}"
    );
    // The INVITE, cut across two segments, was read whole.
    assert!(evidence.contains("INVITE"), "{evidence}");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    let c = calls[0];
    assert_eq!(c["path"], "signalling_only", "{c}");
    assert_eq!(
        party_endpoints(&c["announced_media"]),
        ["198.51.100.8:30000"]
    );
    let verdict = c["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("the SIP server's own address"),
        "{verdict}"
    );
    assert!(verdict.contains("SIP over WebSocket"), "{verdict}");
}

#[test]
fn a_websocket_for_another_protocol_carries_no_sip_call() {
    let records = call("chat", "chat-over-websocket");
    assert!(records.iter().all(|r| r["type"] != "call"), "{records:?}");
    let flow = records.iter().find(|r| r["type"] == "flow").unwrap();
    assert_ne!(flow["app"], "sip_rtp", "{flow}");
}
