//! SIP over TCP: a message longer than one segment (an INVITE with its
//! SDP, as IMS phones send them over TCP) is read once its last segment
//! has come, its dialog and SDP with it.

mod common;

use common::*;

const PHONE: ([u8; 4], u16) = ([192, 168, 101, 3], 40_762);
const PROXY: ([u8; 4], u16) = ([10, 4, 128, 21], 5060);
const START: u64 = 1_700_000_000_000_000;

fn message(first_line: &str, media: ([u8; 4], u16), padding: usize) -> Vec<u8> {
    // Long headers, as an IMS phone's (Security-Verify, P-headers...).
    let mut filler = format!("P-Filler: {}\r\n", "x".repeat(padding));
    if first_line.starts_with("SIP/") {
        // The proxy names itself, as Kamailio's answers do.
        filler.push_str("Server: kamailio (5.5.2 (x86_64/linux))\r\n");
    }
    let sdp = sdp_audio(media, 0);
    format!(
        "{first_line}\r\nVia: SIP/2.0/TCP 192.168.101.3:40762;branch=z9hG4bK1\r\n\
         From: <sip:001010123456789@ims.example>;tag=a\r\nTo: <tel:0198765432100>{}\r\n\
         Call-ID: tcp-call-1\r\nCSeq: 1 INVITE\r\n{filler}\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        if first_line.starts_with("SIP/") {
            ";tag=b"
        } else {
            ""
        },
        sdp.len()
    )
    .into_bytes()
}

/// Five seconds of voice each way between the phone and the proxy's
/// media port, from `at`.
fn voice(at: u64) -> Vec<(u64, Vec<u8>)> {
    rtp_both_ways((PHONE.0, 50_016), (PROXY.0, 31_238), 0, 250, at, 172)
}

#[test]
fn an_invite_over_two_segments_is_read() {
    let invite = message("INVITE tel:0198765432100 SIP/2.0", (PHONE.0, 50_016), 1500);
    // Cut inside its SDP: the first segment's Content-Length promises more.
    let (first, second) = invite.split_at(invite.len() - 40);
    let answer = message("SIP/2.0 200 OK", (PROXY.0, 31_238), 10);
    let mut frames = vec![
        (START, tcp_frame(PHONE, PROXY, 1, first)),
        (
            START + 1_000,
            tcp_frame(PHONE, PROXY, 1 + first.len() as u32, second),
        ),
        (START + 200_000, tcp_frame(PROXY, PHONE, 1, &answer)),
    ];
    frames.extend(voice(START + 300_000));
    let records = analyze_bytes(&classic_pcap(&frames), "sip-over-tcp");
    let signalling = flow_with(&records, "10.4.128.21:5060");
    let evidence = signalling["evidence"][0].as_str().unwrap_or_default();
    assert!(
        evidence.contains("INVITE") && evidence.contains("1 call begun by INVITE, answered"),
        "{signalling}"
    );
    // The SDP of the cut INVITE was read: the answer's media address is
    // the proxy's own, and the call's media runs through it.
    let calls: Vec<_> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(signalling["call"], calls[0]["call"], "{signalling}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
}

#[test]
fn a_message_never_finished_is_dropped_quietly() {
    let invite = message("INVITE tel:0198765432100 SIP/2.0", (PHONE.0, 50_016), 1500);
    let first = &invite[..1200];
    let frames = vec![
        (START, tcp_frame(PHONE, PROXY, 1, first)),
        // Then bytes that make no SIP message with it.
        (START + 1_000, tcp_frame(PHONE, PROXY, 1201, &[0xff; 1300])),
    ];
    let records = analyze_bytes(&classic_pcap(&frames), "sip-over-tcp-cut");
    let signalling = flow_with(&records, "10.4.128.21:5060");
    assert_eq!(signalling["app"], "sip_rtp", "{signalling}");
    assert!(records.iter().all(|r| r["type"] != "call"), "{records:?}");
}

/// The segments of an INVITE whose first part was sent again: whole (a
/// retransmission after a lost acknowledgement), then overlapping the
/// rest (a sender that re-segmented what it sent again).
#[test]
fn segments_sent_again_are_taken_once() {
    let invite = message("INVITE tel:0198765432100 SIP/2.0", (PHONE.0, 50_016), 1500);
    // Cut in the SDP before its m= line: bytes taken twice would take
    // its place.
    let cut = invite.len() - 60;
    let first = &invite[..cut];
    let overlap = &invite[cut - 30..];
    let answer = message("SIP/2.0 200 OK", (PROXY.0, 31_238), 10);
    let mut frames = vec![
        (START, tcp_frame(PHONE, PROXY, 1, first)),
        (START + 250_000, tcp_frame(PHONE, PROXY, 1, first)),
        (
            START + 500_000,
            tcp_frame(PHONE, PROXY, 1 + (cut - 30) as u32, overlap),
        ),
        (START + 700_000, tcp_frame(PROXY, PHONE, 1, &answer)),
    ];
    frames.extend(voice(START + 800_000));
    let records = analyze_bytes(&classic_pcap(&frames), "sip-over-tcp-again");
    let media = flow_with(&records, "10.4.128.21:31238");
    let evidence = texts(&media["evidence"]).join(" | ");
    assert!(
        evidence.contains(
            "192.168.101.3:50016 also carried sip_rtp (address announced in SDP (call tcp-call-1))"
        ),
        "{media}"
    );
}
