//! A Zoom client opens each of a meeting's connections to a multimedia
//! router (UDP 8801) with binding messages under the screen-share media
//! type (13) and no RTP inside, in meetings where nobody shares (nDPI's
//! zoom2.pcap, Princeton's zoom_test.pcap). They are no media: a
//! connection that carried only them and keep-alives is a lookup, and one
//! that carried audio is the meeting's relay.

mod common;

use common::*;

const DEVICE: ([u8; 4], u16) = ([192, 168, 1, 10], 57_953);
const ROUTER: ([u8; 4], u16) = ([203, 0, 113, 60], 8801);
const START: u64 = 1_700_000_000_000_000;

/// Zoom's SFU header: type, sequence, a session word, direction (0 to
/// Zoom, 4 from Zoom), then the body.
fn sfu(kind: u8, seq: u16, from_zoom: bool, body: &[u8]) -> Vec<u8> {
    let mut d = vec![kind];
    d.extend_from_slice(&seq.to_be_bytes());
    d.extend_from_slice(&[0x4f, 0x83, 0x7a, 0x00, if from_zoom { 4 } else { 0 }]);
    d.extend_from_slice(body);
    d
}

/// The handshake, three binding messages each way, then a keep-alive
/// request and reply each second for ten seconds.
fn setup() -> Vec<(u64, Vec<u8>)> {
    let mut frames = vec![
        (
            START,
            udp_frame(DEVICE, ROUTER, &sfu(1, 2, false, &[0; 40])),
        ),
        (
            START + 20_000,
            udp_frame(ROUTER, DEVICE, &sfu(2, 1, true, &[0; 30])),
        ),
    ];
    for n in 0..3u16 {
        let mut bind = vec![13, 0x65, 0x0a, 0, n as u8, 0, 0, 0x0c, 1, 0x0d, 0xa7, 0xa2];
        bind.extend_from_slice(&[0x89, 0x33, 0x05, 0x48, 0xfd, 0xb5, 0x56, 0xc5, 0, 0, 0, 3]);
        bind.extend_from_slice(b"\x00\x00\x00\x16data_bind_replace_flag\x02\x00\x00");
        let at = START + 40_000 + u64::from(n) * 30_000;
        frames.push((at, udp_frame(DEVICE, ROUTER, &sfu(5, n, false, &bind))));
        frames.push((
            at + 10_000,
            udp_frame(ROUTER, DEVICE, &sfu(5, n, true, &bind)),
        ));
    }
    for s in 0..10u16 {
        let at = START + 200_000 + u64::from(s) * 1_000_000;
        frames.push((
            at,
            udp_frame(DEVICE, ROUTER, &sfu(3, s, false, &[0, 0, 0, 1, 0x21])),
        ));
        frames.push((
            at + 15_000,
            udp_frame(ROUTER, DEVICE, &sfu(4, s, true, &[0, 0, 0, 1, 0x21])),
        ));
    }
    frames
}

#[test]
fn binding_messages_are_no_media() {
    let records = analyze_bytes(&classic_pcap(&setup()), "zoom-setup");
    let flow = flow_with(&records, "203.0.113.60:8801");
    assert_eq!(flow["app"], "zoom", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(records.iter().all(|r| r["type"] != "call"), "{records:?}");
}

/// The same connection then carrying audio (media type 15, its RTP 19
/// bytes in) for three seconds: the meeting's media, through the router.
#[test]
fn audio_after_the_binding_messages_is_relayed() {
    let mut frames = setup();
    for n in 0..150u16 {
        let mut audio = vec![15];
        audio.extend_from_slice(&[0; 18]);
        audio.extend_from_slice(&[0x80, 0x70]);
        audio.extend_from_slice(&n.to_be_bytes());
        audio.extend_from_slice(&(u32::from(n) * 960).to_be_bytes());
        audio.extend_from_slice(&[0, 0, 0xbe, 0xef]);
        audio.resize(120, 0x5a);
        let at = START + 300_000 + u64::from(n) * 20_000;
        frames.push((
            at,
            udp_frame(DEVICE, ROUTER, &sfu(5, 10 + n, false, &audio)),
        ));
    }
    frames.sort_by_key(|(at, _)| *at);
    let records = analyze_bytes(&classic_pcap(&frames), "zoom-audio");
    assert_eq!(
        flow_with(&records, "203.0.113.60:8801")["role"],
        "relay",
        "{records:?}"
    );
}

/// A meeting where nobody speaks or shows video: the router and the client
/// trade datagrams of the bandwidth media type (21), 1,036 bytes filled
/// with a repeated byte (as in a student's 2023 capture of a Zoom meeting,
/// 2,415 of them over 3.5 minutes), and the client sends RTCP reports.
/// Megabytes, yet no media: the flow stays a lookup, no call, and its
/// evidence says what they were rather than "keep-alives".
#[test]
fn bandwidth_probes_are_no_media_and_are_named() {
    let mut frames = setup();
    for n in 0..200u16 {
        let mut probe = vec![21, 1, 0, 0, 0, 0, 0, 0, 0x33, 1, 0x0d, 4];
        probe.extend_from_slice(&n.to_be_bytes());
        probe.resize(1_028, 1); // and 8 bytes of SFU header
        let at = START + 300_000 + u64::from(n) * 50_000;
        let from_zoom = n % 2 == 0;
        let frame = if from_zoom {
            udp_frame(ROUTER, DEVICE, &sfu(5, 10 + n, true, &probe))
        } else {
            udp_frame(DEVICE, ROUTER, &sfu(5, 10 + n, false, &probe))
        };
        frames.push((at, frame));
    }
    // And the device's RTCP receiver reports (media type 34, RTCP 16
    // bytes in), as a muted client sends them.
    for n in 0..5u16 {
        let mut rtcp = vec![34];
        rtcp.extend_from_slice(&[0; 15]);
        rtcp.extend_from_slice(&[0x81, 0xc9, 0x00, 0x07, 0x0e, 0xaf, 0x0e, 0xaf]);
        rtcp.resize(48, 0);
        let at = START + 310_000 + u64::from(n) * 1_000_000;
        frames.push((
            at,
            udp_frame(DEVICE, ROUTER, &sfu(5, 300 + n, false, &rtcp)),
        ));
    }
    frames.sort_by_key(|(at, _)| *at);
    let records = analyze_bytes(&classic_pcap(&frames), "zoom-bandwidth");
    let flow = flow_with(&records, "203.0.113.60:8801");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(records.iter().all(|r| r["type"] != "call"), "{records:?}");
    let evidence = flow["evidence"].to_string();
    assert!(
        evidence.contains(
            "200 bandwidth feedback and probe datagrams (Zoom media type 21, no RTP inside), 5 RTCP reports (Zoom media types 33-35) and keep-alives; no audio, video or screen share"
        ),
        "{evidence}"
    );
    assert!(
        !evidence.contains("handshake and keep-alives, no media"),
        "{evidence}"
    );
}
