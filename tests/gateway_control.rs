//! A call agent controlling a media gateway with Megaco/H.248 (text form,
//! UDP 2944) is the signalling of the calls the gateway bridges: a
//! lookup of the "other VoIP" family, told by its message header. The
//! gateway's answers name its own media ports (Local descriptors): a
//! call whose media go there goes through the gateway, a relay, even on
//! a private network.

mod common;

use common::*;

#[test]
fn megaco_between_agent_and_gateway_is_signalling() {
    let agent = ([10, 23, 1, 42], 2944);
    let gateway = ([10, 35, 40, 22], 2944);
    let start = 1_700_000_000_000_000u64;
    let mut frames = Vec::new();
    for n in 0..10u64 {
        let request = format!(
            "!/1 [10.23.1.42]:2944\nT={}{{C=-{{AV=DS/1/5{{AT{{M}}}}}}}}",
            7000 + n
        );
        let reply = format!("!/1 <gw1>\nP={}{{C=-{{AV=DS/1/5}}}}", 7000 + n);
        frames.push((
            start + n * 500_000,
            udp_frame(agent, gateway, request.as_bytes()),
        ));
        frames.push((
            start + n * 500_000 + 3_000,
            udp_frame(gateway, agent, reply.as_bytes()),
        ));
    }
    let records = analyze_bytes(&classic_pcap(&frames), "megaco");
    let flows: Vec<_> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert_eq!(flows.len(), 1, "{records:?}");
    assert_eq!(flows[0]["app"], "other_voip", "{}", flows[0]);
    assert_eq!(flows[0]["role"], "lookup", "{}", flows[0]);
    assert!(
        flows[0]["evidence"].to_string().contains("Megaco (H.248)"),
        "{}",
        flows[0]
    );
}

#[test]
fn media_to_a_gateways_announced_port_is_relayed() {
    let agent = ([10, 35, 40, 22], 2944);
    let gateway = ([10, 23, 1, 42], 2944);
    let phone = ([10, 35, 60, 100], 15_580);
    let gateway_media = ([10, 23, 1, 52], 16_756);
    let start = 1_700_000_000_000_000u64;
    let add = "!/1 [10.35.40.22]:2944\nT=42{C=${A=RTP/${M{O{MO=RC},L{v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/AVP 8\r\n}}}}}";
    let reply = "!/1 <mg1>\nP=42{C=7{A=RTP/1{M{L{v=0\r\nc=IN IP4 10.23.1.52\r\nm=audio 16756 RTP/AVP 8\r\n}}}}}";
    let mut frames = vec![
        (start, udp_frame(agent, gateway, add.as_bytes())),
        (start + 4_000, udp_frame(gateway, agent, reply.as_bytes())),
    ];
    // Five seconds of G.711 both ways, a packet every 20 ms.
    frames.extend(rtp_both_ways(
        phone,
        gateway_media,
        8,
        250,
        start + 500_000,
        172,
    ));
    let records = analyze_bytes(&classic_pcap(&frames), "megaco-gateway");
    let media = records
        .iter()
        .find(|r| r["type"] == "flow" && r["src"] == "10.35.60.100:15580")
        .expect("the media flow");
    assert_eq!(media["role"], "relay", "{media}");
    assert!(
        media["evidence"]
            .to_string()
            .contains("media gateway's port"),
        "{media}"
    );
    let calls: Vec<_> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["path"], "relayed");
}

/// A Skinny message: length, header version 0x14, id, data.
fn skinny(id: u32, data: &[u8]) -> Vec<u8> {
    let mut m = (data.len() as u32 + 4).to_le_bytes().to_vec();
    m.extend_from_slice(&0x14u32.to_le_bytes());
    m.extend_from_slice(&id.to_le_bytes());
    m.extend_from_slice(data);
    m
}

#[test]
fn rtp_a_skinny_call_manager_set_up_is_a_skinny_calls() {
    let phone = ([192, 0, 2, 58], 32_144);
    let other_phone = ([192, 0, 2, 50], 17_718);
    let manager = [192, 0, 2, 12];
    let start = 1_700_000_000_000_000u64;
    // StartMediaTransmission (0x8A) to the phone: conference and party
    // ids, address type 0, the other phone's address in 16 bytes, its
    // port, then packet size and codec (G.711 u-law).
    let mut data = vec![1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
    data.extend_from_slice(&other_phone.0);
    data.extend_from_slice(&[0; 12]);
    data.extend_from_slice(&u32::from(other_phone.1).to_le_bytes());
    data.extend_from_slice(&[20, 0, 0, 0, 4, 0, 0, 0]);
    let keepalive = skinny(0x0000, &[]);
    let mut frames = Vec::new();
    for (i, payload) in [keepalive.clone(), skinny(0x008a, &data), keepalive]
        .iter()
        .enumerate()
    {
        let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1])
            .ipv4(manager, phone.0, 64)
            .tcp(2000, 49_399, 1 + 100 * i as u32, 65_535)
            .ack(1)
            .psh();
        let mut f = Vec::new();
        b.write(&mut f, payload).unwrap();
        frames.push((start + i as u64 * 10_000, f));
    }
    frames.extend(rtp_both_ways(
        phone,
        other_phone,
        0,
        150,
        start + 100_000,
        172,
    ));
    let records = analyze_bytes(&classic_pcap(&frames), "skinny-media");
    let media = records
        .iter()
        .find(|r| r["type"] == "flow" && r["l4"] == "udp")
        .expect("the RTP flow");
    assert_eq!(media["app"], "other_voip", "{media}");
    assert_eq!(media["role"], "p2p", "{media}");
    assert!(
        media["evidence"]
            .to_string()
            .contains("RTP address in Skinny call set-up"),
        "{media}"
    );
}
