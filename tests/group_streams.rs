//! RTP sent to a multicast group (IPTV, a phone system's multicast
//! paging) has many receivers and no party answering: it is not a call,
//! and the group is not a peer that learned the device's address.

mod common;

use common::*;
use etherparse::PacketBuilder;
use serde_json::Value;

/// 10 s of RTP from a LAN host to `group` (one packet every 20 ms).
fn stream_to(group: [u8; 4], payload_type: u8) -> Vec<u8> {
    let start = 1_700_000_000_000_000u64;
    let frames: Vec<(u64, Vec<u8>)> = (0..500u16)
        .map(|i| {
            let mut rtp = vec![0x80, payload_type];
            rtp.extend_from_slice(&(1000 + i).to_be_bytes());
            rtp.extend_from_slice(&(u32::from(i) * 160).to_be_bytes());
            rtp.extend_from_slice(&[0, 0, 0x12, 0x34]);
            rtp.extend_from_slice(&[0x55; 160]);
            let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [1, 0, 0x5e, 1, 1, 1])
                .ipv4([192, 168, 1, 5], group, 16)
                .udp(40_000, 5_004);
            let mut frame = Vec::new();
            builder.write(&mut frame, &rtp).unwrap();
            (start + u64::from(i) * 20_000, frame)
        })
        .collect();
    classic_pcap(&frames)
}

#[test]
fn rtp_to_a_multicast_group_is_not_a_call() {
    for (group, payload_type) in [([239, 1, 1, 1], 33u8), ([224, 0, 1, 116], 0)] {
        let records = analyze_bytes(&stream_to(group, payload_type), "multicast");
        assert!(!records.iter().any(|r| r["type"] == "call"), "{records:?}");
        let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
        assert_eq!(flows.len(), 1, "{flows:?}");
        assert_eq!(flows[0]["role"], "other", "{}", flows[0]);
        assert!(
            flows[0]["evidence"].to_string().contains("multicast"),
            "{}",
            flows[0]
        );
    }
}
