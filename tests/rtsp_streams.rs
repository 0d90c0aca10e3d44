//! An IP camera's RTSP session uses a call's protocols (SDP in DESCRIBE
//! answers, RTP streams set up by SETUP): its control connection and its
//! streams are `media_streaming`, never a call nor a call's signalling.

mod common;

use common::*;
use etherparse::PacketBuilder;
use serde_json::Value;

const VIEWER: [u8; 4] = [192, 168, 1, 20];
const CAMERA: [u8; 4] = [192, 168, 1, 30];
const VIEWER_RTSP_PORT: u16 = 50_000;
const VIEWER_RTP_PORT: u16 = 55_664;
const CAMERA_RTP_PORT: u16 = 6_970;

fn tcp(from_viewer: bool, seq: u32, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_viewer {
        (VIEWER, CAMERA, VIEWER_RTSP_PORT, 554)
    } else {
        (CAMERA, VIEWER, 554, VIEWER_RTSP_PORT)
    };
    let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(src, dst, 64)
        .tcp(sport, dport, seq, 65_535)
        .ack(1)
        .psh();
    let mut frame = Vec::new();
    builder.write(&mut frame, payload).unwrap();
    frame
}

fn rtp(seq: u16, payload_type: u8) -> Vec<u8> {
    let mut payload = vec![0x80, payload_type, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xf0, 0x0d];
    payload[2..4].copy_from_slice(&seq.to_be_bytes());
    payload[4..8].copy_from_slice(&(u32::from(seq) * 3_000).to_be_bytes());
    payload.extend_from_slice(&[0x55; 400]);
    let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1])
        .ipv4(CAMERA, VIEWER, 64)
        .udp(CAMERA_RTP_PORT, VIEWER_RTP_PORT);
    let mut frame = Vec::new();
    builder.write(&mut frame, &payload).unwrap();
    frame
}

/// A viewer's SETUP, the camera's answer and PLAY, then 20 s of the
/// camera's RTP stream (one packet every 40 ms) with `payload_type`.
fn camera_session(payload_type: u8) -> Vec<u8> {
    let start = 1_700_000_000_000_000u64;
    let setup = format!(
        "SETUP rtsp://192.168.1.30/stream1/trackID=0 RTSP/1.0\r\nCSeq: 3\r\n\
         Transport: RTP/AVP;unicast;client_port={VIEWER_RTP_PORT}-{}\r\n\r\n",
        VIEWER_RTP_PORT + 1
    );
    let answer = format!(
        "RTSP/1.0 200 OK\r\nCSeq: 3\r\nSession: 12345678\r\n\
         Transport: RTP/AVP;unicast;client_port={VIEWER_RTP_PORT}-{};server_port={CAMERA_RTP_PORT}-{}\r\n\r\n",
        VIEWER_RTP_PORT + 1,
        CAMERA_RTP_PORT + 1
    );
    let play = "PLAY rtsp://192.168.1.30/stream1 RTSP/1.0\r\nCSeq: 4\r\nSession: 12345678\r\n\r\n";
    let mut frames = vec![
        (start, tcp(true, 1, setup.as_bytes())),
        (start + 2_000, tcp(false, 1, answer.as_bytes())),
        (
            start + 4_000,
            tcp(true, 1 + setup.len() as u32, play.as_bytes()),
        ),
    ];
    for i in 0..500u16 {
        frames.push((start + 10_000 + u64::from(i) * 40_000, rtp(i, payload_type)));
    }
    classic_pcap(&frames)
}

#[test]
fn a_camera_stream_is_not_a_call() {
    // Dynamic (H.264-like) and static (G.711-like) payload types: neither
    // makes the stream a call once RTSP set it up.
    for payload_type in [96u8, 0] {
        let records = analyze_bytes(
            &camera_session(payload_type),
            &format!("rtsp-{payload_type}"),
        );
        assert!(
            !records.iter().any(|r| r["type"] == "call"),
            "payload type {payload_type}: {records:?}"
        );
        let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
        assert_eq!(flows.len(), 2, "{flows:?}");
        for flow in flows {
            assert_eq!(flow["app"], "media_streaming", "{flow}");
            assert_eq!(flow["role"], "other", "{flow}");
        }
    }
}

/// nDPI's RTSP capture (VLC's server): its DESCRIBE answers carry SDP in
/// segments of their own, which once read as WebRTC signalling.
#[test]
fn rtsp_control_with_sdp_is_not_call_signalling() {
    let Some(corpus) = corpus() else { return };
    let (records, out) = analyze_ndjson(&corpus.join("ndpi/rtsp.pcap"));
    assert!(out.status.success(), "{out:?}");
    assert!(!records.iter().any(|r| r["type"] == "call"));
    let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert!(
        flows
            .iter()
            .filter(|f| f["app"] == "media_streaming")
            .count()
            >= 6,
        "{flows:?}"
    );
    for flow in flows {
        assert_eq!(flow["role"], "other", "{flow}");
        assert_ne!(flow["app"], "webrtc_generic", "{flow}");
    }
}
