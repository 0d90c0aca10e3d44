//! Meta's relays (WhatsApp's, and Messenger's too) take STUN messages of
//! their own types on UDP 3478: the device sends 0x0800 alone and 0x0801
//! (and 0x0804), the relay answers 0x0802 (and 0x0805). They begin with
//! byte 0x08, outside the range RFC 9443 gives STUN, and their class bits
//! read "request" whichever way they go.

mod common;

use common::*;

const DEVICE: ([u8; 4], u16) = ([192, 168, 1, 10], 46_652);
const RELAY: ([u8; 4], u16) = ([203, 0, 113, 30], 3478);

/// The device asking a relay three times, 200 ms apart, and the relay
/// answering each with the same transaction ID (as frames 196-205 of a
/// WhatsApp video call do), from `start` microseconds.
fn relay_kept_ready(start: u64) -> Vec<(u64, Vec<u8>)> {
    let mut frames = Vec::new();
    for n in 0..3u8 {
        let at = start + u64::from(n) * 200_000;
        let ask = stun(
            0x0801,
            n,
            &stun_attribute(0x4003, &[1, 0, 0, 0, 0x12, 0x9d, 0x71, 0xdf, 0x68]),
        );
        let answer = stun(
            0x0802,
            n,
            &stun_attribute(0x4002, &[0, 0, 1, 0x6b, 0x8e, 4, 0x77, 0x7c]),
        );
        frames.push((at, udp_frame(DEVICE, RELAY, &ask)));
        frames.push((at + 15_000, udp_frame(RELAY, DEVICE, &answer)));
    }
    frames
}

/// Without media the exchange keeps a relay ready: a lookup, said so. Its
/// first two datagrams share the bytes where OpenVPN has its session ID,
/// after a byte that reads as OpenVPN's hard reset: no VPN tunnel.
#[test]
fn relay_messages_are_a_lookup_not_a_vpn() {
    let records = analyze_bytes(
        &classic_pcap(&relay_kept_ready(1_700_000_000_000_000)),
        "meta-ready",
    );
    let flow = flow_with(&records, "203.0.113.30:3478");
    assert!(flow.get("tunnel").is_none(), "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap()
            .starts_with("Meta relay messages"),
        "{flow}"
    );
}

/// Media after the exchange goes through the relay, which answered Meta's
/// relay messages: only Meta's relays do (on a port other than 3478 too,
/// where the port alone would not tell).
#[test]
fn media_after_relay_messages_is_relayed() {
    let relay = ([203, 0, 113, 30], 3480);
    let mut frames: Vec<(u64, Vec<u8>)> = relay_kept_ready(1_700_000_000_000_000)
        .into_iter()
        .map(|(at, f)| (at, retarget(&f, relay)))
        .collect();
    frames.extend(rtp_both_ways(
        DEVICE,
        relay,
        120,
        150,
        1_700_000_001_000_000,
        80,
    ));
    let records = analyze_bytes(&classic_pcap(&frames), "meta-media");
    let flow = flow_with(&records, "203.0.113.30:3480");
    assert_eq!(flow["role"], "relay", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap()
            .contains("answered Meta's relay messages"),
        "{flow}"
    );
}

/// The frame moved from the relay's port 3478 to `to`'s, either way.
fn retarget(frame: &[u8], to: ([u8; 4], u16)) -> Vec<u8> {
    let payload = &frame[14 + 20 + 8..];
    if frame[14 + 12..14 + 16] == RELAY.0 {
        udp_frame(to, DEVICE, payload)
    } else {
        udp_frame(DEVICE, to, payload)
    }
}
