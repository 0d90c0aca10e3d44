//! A lookup joins a call by time alone when nothing else ties it to the
//! call. A call that reads only as WebRTC (a browser's Messenger call) is
//! of no vendor, so every vendor's lookup around it used to join, and a
//! background Teams connection put Microsoft among the companies that
//! served the call. When the call's servers are known, a vendor's lookup
//! joins only if the same company runs it.

mod common;

use common::*;
use serde_json::Value;

const START: u64 = 1_700_000_000_000_000;
const SOCKET: ([u8; 4], u16) = ([192, 168, 1, 10], 50_700);
/// In Meta's network (AS32934), outside WhatsApp's published relays.
const META_RELAY: ([u8; 4], u16) = ([157, 240, 16, 128], 40_003);

/// ICE checks, then six seconds of voice, through a relay in Meta's
/// network: a WebRTC call of no named app.
fn webrtc_call_through_meta() -> Vec<(u64, Vec<u8>)> {
    let mut ice = stun_attribute(0x0006, b"a1b2:c3d4");
    ice.extend(stun_attribute(0x802a, &[0x11; 8]));
    let mut frames = vec![
        (START, udp_frame(SOCKET, META_RELAY, &stun(0x0001, 1, &ice))),
        (
            START + 30_000,
            udp_frame(
                META_RELAY,
                SOCKET,
                &stun(0x0101, 1, &xor_mapped(([198, 51, 100, 7], 50_700))),
            ),
        ),
    ];
    frames.extend(rtp_both_ways(
        SOCKET,
        META_RELAY,
        111,
        300,
        START + 100_000,
        120,
    ));
    frames
}

/// A TLS-looking exchange on TCP from the device's `port` to `server`,
/// two seconds into the call.
fn tcp_lookup(port: u16, server: ([u8; 4], u16), first: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let device = (SOCKET.0, port);
    let at = START + 2_000_000;
    vec![
        (at, tcp_frame(device, server, 1, first)),
        (
            at + 40_000,
            tcp_frame(server, device, 1, &[0x17, 3, 3, 0, 40, 0x5a]),
        ),
    ]
}

fn analyze(extra: Vec<(u64, Vec<u8>)>, name: &str) -> Vec<Value> {
    let mut frames = webrtc_call_through_meta();
    frames.extend(extra);
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
}

#[test]
fn another_companys_lookup_stays_out_of_the_call() {
    // Microsoft's Teams range (52.112.0.0/14): the app reads skype_teams.
    let teams = ([52, 113, 194, 132], 443);
    let records = analyze(
        tcp_lookup(50_800, teams, &[0x17, 3, 3, 0, 64, 1]),
        "background-teams",
    );
    let call = the_call(&records);
    let relay = flow_with(&records, "157.240.16.128:40003");
    assert_eq!(relay["role"], "relay", "{relay}");
    assert_eq!(relay["call"], call["call"], "{relay}");
    let teams = flow_with(&records, "52.113.194.132:443");
    assert_eq!(teams["app"], "skype_teams", "{teams}");
    assert!(teams["call"].is_null(), "{teams}");
    assert!(!call.to_string().contains("Microsoft"), "{call}");
}

#[test]
fn a_lookup_run_by_the_relays_company_joins_the_call() {
    // WhatsApp's chat port on one of its published addresses: Meta's too.
    let whatsapp = ([157, 240, 16, 52], 5222);
    let hello = [0x45, 0x44, 0, 1, 0, 0, 4, 8, 0, 0];
    let records = analyze(tcp_lookup(50_801, whatsapp, &hello), "meta-lookup");
    let call = the_call(&records);
    let lookup = flow_with(&records, "157.240.16.52:5222");
    assert_eq!(lookup["app"], "whatsapp", "{lookup}");
    assert_eq!(lookup["role"], "lookup", "{lookup}");
    assert_eq!(lookup["call"], call["call"], "{lookup}");
}
