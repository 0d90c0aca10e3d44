//! Which end of a SIP flow is the phone, where address scope cannot say
//! (both inside one operator's or company's network) and ports mislead:
//! an ISP box's phone listens on 5060 while the operator's proxy answers
//! on 5062 (Wireshark's nb6-telephone.pcap). The phone is the end whose
//! SDP announced media at its own address (a proxy forwards the other
//! party's, or its media gateway's), or the end that registered; its SIP
//! flow then belongs to its call.

mod common;

use common::*;
use serde_json::Value;

const PHONE: [u8; 4] = [10, 251, 23, 139];
const PROXY: ([u8; 4], u16) = ([172, 22, 75, 71], 5062);
const GATEWAY: ([u8; 4], u16) = ([109, 3, 79, 137], 44_344);
const START: u64 = 1_388_604_231_000_000;

/// A SIP message with an SDP body whose media is at `media`.
fn with_sdp(first_line: &str, media: ([u8; 4], u16)) -> Vec<u8> {
    let sdp = sdp_audio(media, 8);
    format!(
        "{first_line}\r\nVia: SIP/2.0/UDP 10.251.23.139:5060;branch=z9hG4bK1\r\n\
         From: <sip:0101@ims.example.net>;tag=1\r\nTo: <sip:147@ims.example.net>\r\n\
         Call-ID: nb6-like-1\r\nCSeq: 1 INVITE\r\nContact: <sip:0101@10.251.23.139:5060>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

fn call_with_a_proxy_on_5062(register: bool) -> Vec<Value> {
    let phone_sip = (PHONE, 5060);
    let phone_rtp = (PHONE, 35_560);
    let mut frames = Vec::new();
    if register {
        let register = b"REGISTER sip:ims.example.net SIP/2.0\r\nCall-ID: reg-1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
        frames.push((START - 1_000_000, udp_frame(phone_sip, PROXY, register)));
    } else {
        frames.push((
            START,
            udp_frame(
                phone_sip,
                PROXY,
                &with_sdp("INVITE sip:147@ims.example.net SIP/2.0", phone_rtp),
            ),
        ));
    }
    frames.push((
        START + 300_000,
        udp_frame(PROXY, phone_sip, &with_sdp("SIP/2.0 200 OK", GATEWAY)),
    ));
    frames.extend(rtp_both_ways(
        phone_rtp,
        GATEWAY,
        8,
        250,
        START + 400_000,
        172,
    ));
    frames.sort_by_key(|(t, _)| *t);
    let name = if register {
        "sip-proxy-register"
    } else {
        "sip-proxy-invite"
    };
    analyze_bytes(&classic_pcap(&frames), name)
}

#[test]
fn the_end_that_announced_its_own_media_is_the_phone() {
    let records = call_with_a_proxy_on_5062(false);
    let call = the_call(&records);
    assert_eq!(
        texts(&call["local"]),
        ["10.251.23.139:35560", "10.251.23.139:5060"],
        "{call}"
    );
    assert_eq!(
        party_endpoints(&call["lookup_servers"]),
        ["172.22.75.71:5062"],
        "{call}"
    );
}

#[test]
fn the_end_that_registered_is_the_phone() {
    let records = call_with_a_proxy_on_5062(true);
    let call = the_call(&records);
    assert!(
        texts(&call["local"]).contains(&"10.251.23.139:5060"),
        "{call}"
    );
}
