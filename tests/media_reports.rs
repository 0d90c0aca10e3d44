//! RTCP, the media's own reports, travels beside the RTP (on the next port)
//! to the same host. A flow of RTCP alone is no media, but it is no lookup
//! either: the call lists its host as the peer or relay the media went to,
//! never as a lookup server.

mod common;

use common::*;
use serde_json::Value;

const PHONE_RTP: ([u8; 4], u16) = ([192, 168, 1, 50], 10_000);
const PHONE_RTCP: ([u8; 4], u16) = ([192, 168, 1, 50], 10_001);
const PEER_RTP: ([u8; 4], u16) = ([198, 51, 100, 20], 30_000);
const PEER_RTCP: ([u8; 4], u16) = ([198, 51, 100, 20], 30_001);
const START: u64 = 1_700_000_000_000_000;

/// An RTCP receiver report (version 2, one report block) from `ssrc`.
fn receiver_report(ssrc: u32) -> Vec<u8> {
    let mut r = vec![0x81, 201, 0, 7];
    r.extend_from_slice(&ssrc.to_be_bytes());
    r.extend_from_slice(&0x5eed_0001u32.to_be_bytes());
    r.extend_from_slice(&[0; 20]);
    r
}

#[test]
fn rtcp_beside_the_media_is_not_a_lookup_server() {
    let mut frames = rtp_both_ways(PHONE_RTP, PEER_RTP, 0, 250, START, 160);
    for i in 0..5u64 {
        let t = START + 200_000 + i * 1_000_000;
        frames.push((
            t,
            udp_frame(PHONE_RTCP, PEER_RTCP, &receiver_report(0x0eaf_0eaf)),
        ));
        frames.push((
            t + 10_000,
            udp_frame(PEER_RTCP, PHONE_RTCP, &receiver_report(0x5eed_0001)),
        ));
    }
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "media-reports");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    let call = calls[0];
    assert_eq!(call["path"], "direct", "{call}");
    assert_eq!(party_endpoints(&call["peers"]), ["198.51.100.20:30000"]);
    assert_eq!(
        party_endpoints(&call["lookup_servers"]),
        Vec::<&str>::new(),
        "the peer's RTCP port is no lookup server: {call}"
    );
    let rtcp = records
        .iter()
        .find(|r| r["type"] == "flow" && r["dst"] == "198.51.100.20:30001")
        .expect("the RTCP flow");
    assert_eq!(rtcp["call"], call["call"], "{rtcp}");
}
