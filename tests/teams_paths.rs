//! What a Microsoft Teams call's packets say about its path, as its
//! servers and clients really send them: an MS-TURN Allocate answer names
//! the allocated address in MAPPED-ADDRESS and the device's own in
//! XOR-MAPPED-ADDRESS; Teams clients send media from UDP 50000-50059, so a
//! peer on such a port is no server; and a relay that carried only RTCP
//! reports carried none of the call's media.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: [u8; 4] = [192, 168, 1, 12];
const PUBLIC: ([u8; 4], u16) = ([198, 51, 100, 11], 31_561);
/// In Microsoft's Teams media range (52.112.0.0/14).
const TURN: ([u8; 4], u16) = ([52, 114, 250, 141], 3478);
const ALLOCATED: ([u8; 4], u16) = ([52, 114, 250, 141], 3480);
/// The other party, at home.
const PEER: [u8; 4] = [203, 0, 113, 16];
const START: u64 = 1_700_000_000_000_000;

/// An address attribute of type `kind`, XOR-ed with the magic cookie.
fn xor_address(kind: u16, addr: ([u8; 4], u16)) -> Vec<u8> {
    let mut attribute = xor_mapped(addr);
    attribute[..2].copy_from_slice(&kind.to_be_bytes());
    attribute
}

/// A plain MAPPED-ADDRESS attribute.
fn mapped(addr: ([u8; 4], u16)) -> Vec<u8> {
    let mut v = vec![0, 1];
    v.extend_from_slice(&addr.1.to_be_bytes());
    v.extend_from_slice(&addr.0);
    stun_attribute(0x0001, &v)
}

/// An RTCP receiver report with one report block.
fn rtcp_report() -> Vec<u8> {
    let mut r = vec![0x81, 201, 0, 7];
    r.extend_from_slice(&0x0eaf_0eafu32.to_be_bytes());
    r.resize(32, 0);
    r
}

/// Teams ICE connectivity checks (MS-IMPLEMENTATION-VERSION 3) each
/// way, and their answers.
fn teams_checks(device: ([u8; 4], u16), peer: ([u8; 4], u16)) -> Vec<Vec<u8>> {
    let version = stun_attribute(0x8070, &3u32.to_be_bytes());
    let check = |username: &[u8], tie_breaker: u16| {
        let mut c = stun_attribute(0x0006, username);
        c.extend(stun_attribute(0x0024, &0x6e00_1eff_u32.to_be_bytes()));
        c.extend(stun_attribute(tie_breaker, &7u64.to_be_bytes()));
        c.extend(version.clone());
        c.extend(stun_attribute(0x0008, &[0x5a; 20]));
        c
    };
    let answer = |to: ([u8; 4], u16)| {
        let mut a = version.clone();
        a.extend(xor_mapped(to));
        a
    };
    vec![
        udp_frame(device, peer, &stun(0x0001, 1, &check(b"peer:mine", 0x802a))),
        udp_frame(peer, device, &stun(0x0101, 1, &answer(PUBLIC))),
        udp_frame(peer, device, &stun(0x0001, 2, &check(b"mine:peer", 0x8029))),
        udp_frame(device, peer, &stun(0x0101, 2, &answer((peer.0, peer.1)))),
    ]
}

fn flow<'a>(records: &'a [Value], src: &str, dst: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["type"] == "flow" && r["src"] == src && r["dst"] == dst)
        .unwrap_or_else(|| panic!("no flow {src} -> {dst} in {records:?}"))
}

#[test]
fn an_ms_turn_allocate_answer_tells_the_device_its_xor_mapped_address() {
    let device = (DEVICE, PUBLIC.1);
    let mut answer = stun_attribute(0x000d, &60u32.to_be_bytes());
    answer.extend(mapped(ALLOCATED));
    // XOR-MAPPED-ADDRESS by its number in the drafts MS-TURN follows.
    answer.extend(xor_address(0x8020, PUBLIC));
    let frames = vec![
        (START, udp_frame(device, TURN, &stun(0x0003, 1, &[]))),
        (
            START + 30_000,
            udp_frame(TURN, device, &stun(0x0103, 1, &answer)),
        ),
    ];
    let records = analyze_bytes(&classic_pcap(&frames), "ms-turn-allocate");
    let f = flow(&records, "192.168.1.12:31561", "52.114.250.141:3478");
    assert_eq!(
        f["public_address_learned"]["address"], "198.51.100.11:31561",
        "{f}"
    );
    assert_eq!(
        f["public_address_learned"]["by"], "52.114.250.141:3478",
        "{f}"
    );
}

#[test]
fn a_peer_sending_from_a_teams_client_port_is_a_peer() {
    let (device, peer) = ((DEVICE, 50_019), (PEER, 50_002));
    let mut frames: Vec<(u64, Vec<u8>)> = Vec::new();
    for (n, frame) in teams_checks(device, peer).into_iter().enumerate() {
        frames.push((START + n as u64 * 20_000, frame));
    }
    frames.extend(rtp_both_ways(device, peer, 111, 300, START + 100_000, 120));
    let records = analyze_bytes(&classic_pcap(&frames), "teams-client-port");
    let f = flow(&records, "192.168.1.12:50019", "203.0.113.16:50002");
    assert_eq!(f["app"], "skype_teams", "{f}");
    assert_eq!(f["role"], "p2p", "{f}");
    let call = records
        .iter()
        .find(|r| r["type"] == "call")
        .expect("a call");
    assert_eq!(call["path"], "direct", "{call}");
}

#[test]
fn a_relay_that_carried_only_rtcp_reports_carried_no_media() {
    let (device, peer) = ((DEVICE, 50_010), (PEER, 50_004));
    let turn_socket = (DEVICE, 50_011);
    let mut frames: Vec<(u64, Vec<u8>)> = Vec::new();
    for (n, frame) in teams_checks(device, peer).into_iter().enumerate() {
        frames.push((START + n as u64 * 20_000, frame));
    }
    // A standard allocation and channel on another socket, then RTCP
    // reports sent through the channel while the media goes direct.
    let mut allocated = xor_address(0x0016, ALLOCATED);
    allocated.extend(xor_mapped(PUBLIC));
    let channel = {
        let mut c = stun_attribute(0x000c, &[0x40, 0x00, 0, 0]);
        c.extend(xor_address(0x0012, peer));
        c
    };
    let control = [
        udp_frame(turn_socket, TURN, &stun(0x0003, 2, &[])),
        udp_frame(TURN, turn_socket, &stun(0x0103, 2, &allocated)),
        udp_frame(turn_socket, TURN, &stun(0x0009, 3, &channel)),
        udp_frame(TURN, turn_socket, &stun(0x0109, 3, &[])),
    ];
    for (n, frame) in control.into_iter().enumerate() {
        frames.push((START + 50_000 + n as u64 * 10_000, frame));
    }
    for n in 0..5u64 {
        let mut data = vec![0x40, 0x00, 0, 32];
        data.extend(rtcp_report());
        frames.push((
            START + 200_000 + n * 50_000,
            udp_frame(turn_socket, TURN, &data),
        ));
    }
    frames.extend(rtp_both_ways(device, peer, 111, 300, START + 100_000, 120));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "rtcp-through-turn");
    let relay = flow(&records, "192.168.1.12:50011", "52.114.250.141:3478");
    assert_eq!(relay["role"], "lookup", "{relay}");
    let call = records
        .iter()
        .find(|r| r["type"] == "call")
        .expect("a call");
    assert_eq!(call["path"], "direct", "{call}");
    assert!(call["relays"].as_array().unwrap().is_empty(), "{call}");
}
