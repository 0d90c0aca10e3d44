//! A SIP call the capture holds only the signalling of (captured where
//! the media does not pass, such as at a proxy) is still a call: its
//! record says the path cannot be told, and names the SIP server. A dialog
//! whose media the capture holds under another device (both phones
//! captured, the media between them) makes no second call. What the
//! other side's SDP said is kept: where it put the media, and what that
//! host is when the signalling tells (the SIP server itself, or a media
//! gateway in its network).

mod common;

use common::*;
use serde_json::Value;

const PHONE: [u8; 4] = [192, 168, 1, 20];
const OTHER_PHONE: [u8; 4] = [192, 168, 1, 30];
const PROXY: ([u8; 4], u16) = ([198, 51, 100, 5], 5060);
const START: u64 = 1_700_000_000_000_000;

fn sip(first_line: &str, cseq: &str, body: &str) -> Vec<u8> {
    sip_message(
        first_line,
        "UDP 192.168.1.20:5060",
        "only-signalling-1",
        cseq,
        body,
    )
}

/// The phone's call through the proxy: INVITE, 200 OK whose SDP puts
/// the other side's media at `answer_at`, ACK, then BYE a minute later;
/// with `register`, the phone registered with the proxy first; with
/// `media`, the phone's voice to another phone on its network, captured
/// too.
fn call(media: bool, answer_at: ([u8; 4], u16), register: bool, name: &str) -> Vec<Value> {
    call_from(PHONE, media, answer_at, register, name)
}

/// `call`, from a phone at `phone_ip`.
fn call_from(
    phone_ip: [u8; 4],
    media: bool,
    answer_at: ([u8; 4], u16),
    register: bool,
    name: &str,
) -> Vec<Value> {
    let phone = (phone_ip, 5060);
    let offer = sdp_audio((phone_ip, 40_000), 0);
    let answer = sdp_audio(answer_at, 0);
    let mut frames = Vec::new();
    if register {
        let register = sip("REGISTER sip:example.org SIP/2.0", "1 REGISTER", "");
        frames.push((START - 2_000_000, udp_frame(phone, PROXY, &register)));
        let ok = sip("SIP/2.0 200 OK", "1 REGISTER", "");
        frames.push((START - 1_900_000, udp_frame(PROXY, phone, &ok)));
    }
    frames.extend([
        (
            START,
            udp_frame(
                phone,
                PROXY,
                &sip("INVITE sip:bob@example.org SIP/2.0", "1 INVITE", &offer),
            ),
        ),
        (
            START + 900_000,
            udp_frame(PROXY, phone, &sip("SIP/2.0 200 OK", "1 INVITE", &answer)),
        ),
        (
            START + 950_000,
            udp_frame(
                phone,
                PROXY,
                &sip("ACK sip:bob@example.org SIP/2.0", "1 ACK", ""),
            ),
        ),
        (
            START + 60_000_000,
            udp_frame(
                phone,
                PROXY,
                &sip("BYE sip:bob@example.org SIP/2.0", "2 BYE", ""),
            ),
        ),
        (
            START + 60_100_000,
            udp_frame(PROXY, phone, &sip("SIP/2.0 200 OK", "2 BYE", "")),
        ),
    ]);
    if media {
        // Captured as the other phone's flow: it spoke first.
        frames.extend(rtp_both_ways(
            (OTHER_PHONE, 42_000),
            (phone_ip, 40_000),
            0,
            2_900,
            START + 1_000_000,
            172,
        ));
    }
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
}

fn calls(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "call").collect()
}

#[test]
fn an_answered_dialog_without_media_is_a_call_whose_path_is_unknown() {
    let records = call(false, (OTHER_PHONE, 42_000), false, "signalling-only");
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    let c = calls[0];
    assert_eq!(c["path"], "signalling_only", "{c}");
    assert_eq!(c["app"], "sip_rtp", "{c}");
    assert!(
        c["verdict"].as_str().unwrap().contains("cannot be told"),
        "{c}"
    );
    assert_eq!(party_endpoints(&c["lookup_servers"]), ["198.51.100.5:5060"]);
    let flow = records.iter().find(|r| r["type"] == "flow").unwrap();
    assert_eq!(flow["call"], c["call"], "{flow}");
}

#[test]
fn the_other_sides_sdp_says_where_the_media_was_set_up() {
    // A private address: the other phone, or a server, cannot be told.
    let records = call(false, (OTHER_PHONE, 42_000), false, "sdp-private");
    let c = calls(&records)[0];
    assert_eq!(
        party_endpoints(&c["announced_media"]),
        ["192.168.1.30:42000"]
    );
    let verdict = c["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("Its SDP put the other side's media at 192.168.1.30:42000"),
        "{verdict}"
    );
    assert!(verdict.contains("cannot be told"), "{verdict}");
    let evidence = c["evidence"].to_string();
    assert!(
        evidence.contains("SDP from the device: its media at 192.168.1.20:40000"),
        "{evidence}"
    );

    // Another host in the proxy's network: its media gateway.
    let records = call(false, ([198, 51, 100, 77], 30_000), false, "sdp-gateway");
    let c = calls(&records)[0];
    assert_eq!(
        party_endpoints(&c["announced_media"]),
        ["198.51.100.77:30000"]
    );
    assert_eq!(c["path"], "signalling_only", "{c}");
    let verdict = c["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("a media gateway, not the other phone"),
        "{verdict}"
    );
    // Unless the phone is in that network too: the other phone may be
    // its neighbour.
    let records = call_from(
        [198, 51, 100, 20],
        false,
        ([198, 51, 100, 77], 30_000),
        false,
        "sdp-neighbour",
    );
    let verdict = calls(&records)[0]["verdict"].as_str().unwrap().to_string();
    assert!(verdict.contains("cannot be told"), "{verdict}");

    // The proxy's own address: through the proxy when the device
    // registered with it, else the host may be the other phone itself.
    let records = call(false, ([198, 51, 100, 5], 30_000), true, "sdp-registrar");
    let verdict = calls(&records)[0]["verdict"].as_str().unwrap().to_string();
    assert!(
        verdict.contains("the SIP server's own address"),
        "{verdict}"
    );
    assert!(verdict.contains("pass through that server"), "{verdict}");
    let records = call(false, ([198, 51, 100, 5], 30_000), false, "sdp-signaller");
    let verdict = calls(&records)[0]["verdict"].as_str().unwrap().to_string();
    assert!(
        verdict.contains("a phone called directly, or a server"),
        "{verdict}"
    );
}

#[test]
fn a_dialog_whose_media_another_device_holds_is_no_second_call() {
    let records = call(true, (OTHER_PHONE, 42_000), false, "signalling-with-media");
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "direct", "{}", calls[0]);
}
