//! A capture started during a call misses the TURN allocation and the
//! ChannelBind, yet the relayed media must still read as relayed: each
//! ChannelData frame that fills its datagram (up to padding) and carries
//! STUN or media proves itself. Bytes that merely start like ChannelData
//! (a QUIC short header, 0x40-0x4f) do not.

mod common;

use common::capture_edit::Capture;
use common::*;
use serde_json::Value;

fn calls(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "call").collect()
}

/// One call, relayed by the lab's TURN server alone.
fn assert_one_call_relayed_by_the_lab_turn_server(records: &[Value]) {
    let calls = calls(records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
    assert_eq!(
        party_endpoints(&calls[0]["relays"]),
        ["203.0.113.20:3478"],
        "{}",
        calls[0]
    );
}

/// The lab's relayed call (samples/relayed-call.pcap, its lab addresses:
/// no vendor range to name the relay), cut to frames 200-600: its
/// Allocate and ChannelBinds (frames 2-38) and its Refresh are gone.
#[test]
fn relayed_call_captured_mid_call_is_still_relayed() {
    let cut = Capture::read(&repo().join("samples/relayed-call.pcap")).between(200, 600);
    let records = analyze_bytes(&cut.bytes(), "mid-call-turn");
    assert_one_call_relayed_by_the_lab_turn_server(&records);
    let turn = records
        .iter()
        .find(|r| r["type"] == "flow" && r["dst"] == "203.0.113.20:3478" && r["role"] == "relay")
        .unwrap_or_else(|| panic!("no relay flow to the TURN server: {records:?}"));
    assert!(
        turn["evidence"][0]
            .as_str()
            .unwrap()
            .contains("bound before the capture began"),
        "{turn}"
    );
}

/// The lab's WebRTC call relayed by its TURN server (samples/
/// webrtc-relayed-call.pcap), cut to its last 70 %: the first datagrams
/// are ChannelData 0x4000 carrying SRTCP, whose bytes also read as an
/// OpenVPN server's hard reset (opcode 8, key 0) with a random-looking
/// session ID. They are TURN, not a VPN tunnel.
#[test]
fn channel_data_is_no_openvpn_reset() {
    let cut = Capture::read(&repo().join("samples/webrtc-relayed-call.pcap")).between(360, 1200);
    let records = analyze_bytes(&cut.bytes(), "mid-call-not-vpn");
    assert!(
        records.iter().all(|r| r.get("tunnel").is_none()),
        "{records:?}"
    );
    assert_one_call_relayed_by_the_lab_turn_server(&records);
}

/// Datagrams whose first bytes read as channel 0x4xxx but whose length
/// field does not frame them (as a QUIC short header's connection ID
/// would), or whose content is neither STUN nor media, are no TURN.
#[test]
fn look_alike_datagrams_are_no_channel_data() {
    let client = ([192, 168, 1, 10], 50_000);
    let server = ([203, 0, 113, 40], 3478);
    let mut frames = Vec::new();
    for n in 0..200u16 {
        let at = 1_700_000_000_000_000 + u64::from(n) * 20_000;
        // Length field 0x0100 in a 172-byte datagram: not framed.
        let mut unframed = vec![0x40, 0x01, 0x01, 0x00, 0x80, 0x00];
        unframed.resize(172, 0xd5);
        frames.push((at, udp_frame(client, server, &unframed)));
        // Framed, but carrying bytes that are neither STUN nor RTP.
        let mut framed = vec![0x40, 0x01, 0x00, 0xa8];
        framed.resize(172, 0x17);
        frames.push((at + 5_000, udp_frame(server, client, &framed)));
    }
    let records = analyze_bytes(&classic_pcap(&frames), "mid-call-look-alike");
    let flow = records
        .iter()
        .find(|r| r["type"] == "flow")
        .expect("one flow");
    assert_ne!(flow["role"], "relay", "{flow}");
    assert!(calls(&records).is_empty(), "{records:?}");
}

/// Media to a far end's port 3478, where STUN/TURN servers listen, in a
/// capture that shows no allocation, no STUN and no vendor (a WhatsApp
/// relay on an ISP's network, joined mid-call): relayed. The same media
/// to an ephemeral port is a peer's.
#[test]
fn media_to_the_stun_port_is_relayed() {
    let device = ([192, 168, 1, 10], 46_652);
    for (port, role) in [(3478, "relay"), (41_000, "p2p")] {
        let far = ([203, 0, 113, 30], port);
        let frames = rtp_both_ways(device, far, 120, 200, 1_700_000_000_000_000, 80);
        let records = analyze_bytes(&classic_pcap(&frames), &format!("mid-call-port-{port}"));
        let flow = records
            .iter()
            .find(|r| r["type"] == "flow")
            .expect("one flow");
        assert_eq!(flow["role"], role, "{flow}");
        if role == "relay" {
            assert!(
                flow["evidence"][0]
                    .as_str()
                    .unwrap()
                    .contains("where STUN/TURN servers listen"),
                "{flow}"
            );
        }
    }
}

/// A capture begun mid-call after the peer's own ICE checks: the device's
/// consent checks, each answered, and its media, to a peer in an ISP's
/// network (Proximus, AS5432) that never checks back within the capture.
/// A far end that only answered is an ICE-lite server in a data centre,
/// but in an access network it is a peer.
#[test]
fn a_peer_whose_checks_were_missed_is_still_a_peer() {
    const START: u64 = 1_700_000_000_000_000;
    let device = ([192, 168, 1, 10], 50_000);
    let peer = ([109, 142, 0, 20], 49_674);
    let mut check = stun_attribute(0x0006, b"abcd:efgh");
    check.extend(stun_attribute(0x0024, &[0x6e, 0, 0x1e, 0xff]));
    check.extend(stun_attribute(0x802a, &[0, 0, 0, 0, 0, 0, 0, 1]));
    let mut frames = rtp_both_ways(device, peer, 120, 300, START, 120)
        .into_iter()
        .filter(|(_, f)| f[14 + 12..14 + 16] == device.0)
        .collect::<Vec<_>>();
    for n in 0..3u8 {
        let at = START + 5_000 + u64::from(n) * 2_000_000;
        frames.push((at, udp_frame(device, peer, &stun(0x0001, n, &check))));
        frames.push((
            at + 30_000,
            udp_frame(
                peer,
                device,
                &stun(0x0101, n, &xor_mapped(([198, 51, 100, 11], 50_000))),
            ),
        ));
    }
    frames.sort_by_key(|(at, _)| *at);
    let records = analyze_bytes(&classic_pcap(&frames), "mid-call-missed-checks");
    let flow = records
        .iter()
        .find(|r| r["type"] == "flow" && r["role"] != "other")
        .unwrap_or_else(|| panic!("no call flow: {records:?}"));
    assert_eq!(flow["remote"]["asn"], 5432, "{flow}");
    assert_eq!(flow["role"], "p2p", "{flow}");
}
