//! A call agent controlling a media gateway with Megaco/H.248 (text form,
//! UDP 2944) is the signalling of the calls the gateway bridges: a
//! lookup of the "other VoIP" family, told by its message header.

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
