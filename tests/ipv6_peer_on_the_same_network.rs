//! Two laptops on one network with global IPv6 addresses (one /64, no
//! NAT) call each other, the capture taken on one of them. Address scope
//! cannot tell which end of their flow is the capture's device, and the
//! other laptop learns its address too, from the device's answers to its
//! ICE checks. A STUN server told only the device its address: that end
//! is the device, whichever laptop sent first (as in a 2023 student
//! capture of a Signal video call, which read the other laptop as the
//! device and the device as its peer). The call then says the peer is on
//! the device's own network: its address's country and network are where
//! that network is, not where a far party is.

mod common;

use common::{analyze_bytes, classic_pcap, stun, stun_attribute};
use serde_json::Value;
use std::net::Ipv6Addr;

const DEVICE: ([u16; 8], u16) = ([0x2001, 0xdb8, 0x6a8, 1, 0, 0, 0, 0xb995], 37_673);
const DEVICE_DISCOVERY: ([u16; 8], u16) = ([0x2001, 0xdb8, 0x6a8, 1, 0, 0, 0, 0xb995], 46_328);
const OTHER_LAPTOP: ([u16; 8], u16) = ([0x2001, 0xdb8, 0x6a8, 1, 0, 0, 0, 0x990b], 56_034);
const STUN_SERVER: ([u16; 8], u16) = ([0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 0x19], 3478);
const START: u64 = 1_700_000_000_000_000;

fn octets(a: [u16; 8]) -> [u8; 16] {
    Ipv6Addr::new(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]).octets()
}

fn udp6(a: ([u16; 8], u16), b: ([u16; 8], u16), payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv6(octets(a.0), octets(b.0), 64)
        .udp(a.1, b.1)
        .write(&mut frame, payload)
        .unwrap();
    frame
}

/// XOR-MAPPED-ADDRESS of an IPv6 endpoint in a message whose transaction
/// ID is twelve bytes `id` (`common::stun`).
fn xor_mapped6(addr: ([u16; 8], u16), id: u8) -> Vec<u8> {
    let mut v = vec![0, 2];
    v.extend_from_slice(&(addr.1 ^ 0x2112).to_be_bytes());
    let mut key = vec![0x21, 0x12, 0xa4, 0x42];
    key.extend_from_slice(&[id; 12]);
    v.extend(octets(addr.0).iter().zip(key).map(|(a, k)| a ^ k));
    stun_attribute(0x0020, &v)
}

/// An ICE connectivity check: USERNAME, PRIORITY and ICE-CONTROLLING.
fn ice_check(id: u8, username: &str) -> Vec<u8> {
    let mut attributes = stun_attribute(0x0006, username.as_bytes());
    attributes.extend(stun_attribute(0x0024, &[0x6e, 0x7f, 0x1e, 0xff]));
    attributes.extend(stun_attribute(0x802a, &[7; 8]));
    stun(0x0001, id, &attributes)
}

fn capture() -> Vec<u8> {
    capture_with(OTHER_LAPTOP)
}

/// The same call with the other party at `other`.
fn capture_with(other: ([u16; 8], u16)) -> Vec<u8> {
    let mut frames = vec![
        // The device asks the STUN server its address, and is told.
        (
            START,
            udp6(DEVICE_DISCOVERY, STUN_SERVER, &stun(0x0001, 1, &[])),
        ),
        (
            START + 30_000,
            udp6(
                STUN_SERVER,
                DEVICE_DISCOVERY,
                &stun(0x0101, 1, &xor_mapped6(DEVICE_DISCOVERY, 1)),
            ),
        ),
    ];
    // The other laptop checks first; each answers the other's check.
    let checks = START + 1_000_000;
    frames.push((checks, udp6(other, DEVICE, &ice_check(2, "dEvI:oThR"))));
    frames.push((
        checks + 2_000,
        udp6(DEVICE, other, &stun(0x0101, 2, &xor_mapped6(other, 2))),
    ));
    frames.push((
        checks + 4_000,
        udp6(DEVICE, other, &ice_check(3, "oThR:dEvI")),
    ));
    frames.push((
        checks + 6_000,
        udp6(other, DEVICE, &stun(0x0101, 3, &xor_mapped6(DEVICE, 3))),
    ));
    // Then voice both ways for six seconds, the other laptop first.
    for n in 0..300u16 {
        let at = checks + 20_000 + u64::from(n) * 20_000;
        for (from, to, ssrc, lag) in [
            (other, DEVICE, 0x5eed_0001u32, 0),
            (DEVICE, other, 0x0eaf_0eaf, 1_000),
        ] {
            let mut rtp = vec![0x80, 111];
            rtp.extend_from_slice(&n.to_be_bytes());
            rtp.extend_from_slice(&(u32::from(n) * 960).to_be_bytes());
            rtp.extend_from_slice(&ssrc.to_be_bytes());
            rtp.resize(120, 0xd5);
            frames.push((at + lag, udp6(from, to, &rtp)));
        }
    }
    frames.sort_by_key(|(at, _)| *at);
    classic_pcap(&frames)
}

#[test]
fn the_end_a_stun_server_told_its_address_is_the_device() {
    let records = analyze_bytes(&capture(), "ipv6-same-network");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    let call = calls[0];
    assert_eq!(call["path"], "direct", "{call}");
    let local = call["local"].to_string();
    assert!(local.contains("2001:db8:6a8:1::b995"), "{call}");
    assert!(!local.contains("990b"), "{call}");
    let peers = call["peers"].to_string();
    assert!(peers.contains("[2001:db8:6a8:1::990b]:56034"), "{call}");
    // The peer is on the device's own network, whatever its address's
    // country says.
    let verdict = call["verdict"].as_str().unwrap_or_default();
    assert!(
        verdict.contains("on your device's own network (the same IPv6 /64)"),
        "{call}"
    );
}

/// A peer elsewhere (another /64) is no neighbour.
#[test]
fn a_peer_in_another_network_is_not_called_a_neighbour() {
    let elsewhere = ([0x2001, 0xdb8, 0x77, 2, 0, 0, 0, 0x990b], 56_034);
    let records = analyze_bytes(&capture_with(elsewhere), "ipv6-elsewhere");
    let call = records
        .iter()
        .find(|r| r["type"] == "call")
        .unwrap_or_else(|| panic!("{records:?}"));
    assert!(
        call["peers"]
            .to_string()
            .contains("[2001:db8:77:2::990b]:56034"),
        "{call}"
    );
    assert!(!call.to_string().contains("own network"), "{call}");
}
