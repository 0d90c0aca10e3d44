//! Connectivity checks with the other party's candidate addresses: told
//! apart from STUN servers (listed as "checked, no media", not as lookup
//! servers), and counted among those who learned the device's public
//! address when the device sent them its checks. Runs on the nDPI
//! reference captures; skipped with a message when they are absent.

mod common;

use common::*;
use serde_json::Value;

/// The flow record between `a` and `b` (either way round).
fn flow<'a>(doc: &'a Value, a: &str, b: &str) -> &'a Value {
    doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            let (s, d) = (f["src"].as_str().unwrap(), f["dst"].as_str().unwrap());
            (s == a && d == b) || (s == b && d == a)
        })
        .unwrap_or_else(|| panic!("no flow {a} <-> {b}"))
}

/// WhatsApp's peer checks are Binding requests that carry only a
/// MESSAGE-INTEGRITY: signed with a key the two ends agreed on, they are
/// checks with the peer's candidate (here a carrier-grade NAT address that
/// never carried media), not address discovery with a server.
#[test]
fn signed_binding_requests_are_checks_with_a_candidate() {
    let Some(dir) = corpus() else { return };
    let doc = analyze_json(&dir.join("ndpi/stun_wa_call.pcapng"), &[]);
    let candidate = "10.82.40.241:40436";
    let f = flow(&doc, "192.168.12.156:49526", candidate);
    assert_eq!(f["role"], "lookup", "{f}");
    let evidence = f["evidence"][0].as_str().unwrap();
    assert!(
        evidence.starts_with("ICE connectivity checks without media"),
        "{evidence}"
    );
    let call = doc["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| Some(&c["call"]) == f.get("call"))
        .unwrap_or_else(|| panic!("the checks are in no call: {f}"));
    assert!(
        party_endpoints(&call["candidates_checked"]).contains(&candidate),
        "{call}"
    );
    assert!(
        !party_endpoints(&call["lookup_servers"]).contains(&candidate),
        "{call}"
    );
    // The peer the checks went on to reach is a peer, with its checks.
    let media = flow(&doc, "192.168.12.156:49526", "93.33.118.87:41107");
    assert_eq!(media["role"], "p2p", "{media}");
    assert!(
        media["evidence"][0]
            .as_str()
            .unwrap()
            .ends_with("after ICE connectivity checks on this 5-tuple"),
        "{media}"
    );
}

/// A public candidate address the device checked (and which answered,
/// but carried no media) saw the device's public address as a peer would.
#[test]
fn a_checked_candidate_learned_the_public_address() {
    let Some(dir) = corpus() else { return };
    let doc = analyze_json(&dir.join("ndpi/stun_signal.pcapng"), &[]);
    let line = "18.195.131.143:54054 (candidate address, received the device's connectivity checks and answered)";
    let learned: Vec<&str> = doc["calls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["public_address_learned_by"].as_array().unwrap())
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(learned.contains(&line), "{learned:?}");
}

/// The table lists each checked candidate with where it is, as it lists
/// servers, and says once what "checked, no media" means.
#[test]
fn the_table_says_where_checked_candidates_are() {
    let Some(dir) = corpus() else { return };
    let capture = dir.join("ndpi/stun_wa_call.pcapng");
    let out = run(&["analyze", capture.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("  Checked, no media: 10.82.40.241:40436  private network (RFC 1918)"),
        "{text}"
    );
    assert_eq!(
        text.matches("(\"checked, no media\": ").count(),
        1,
        "{text}"
    );
}

/// A TURN server whose host also holds the other party's relayed address
/// (Teams' relays allocate on their own address) answered the device's
/// plain STUN: a server, listed among the lookups, not a checked candidate
/// however its address reached the device as someone's public one (the
/// device's answer to a check from the relayed address tells it so).
#[test]
fn a_turn_server_is_no_candidate_for_holding_a_relayed_address() {
    const START: u64 = 1_700_000_000_000_000;
    let device = ([192, 168, 1, 10], 5000);
    let server = ([203, 0, 113, 20], 3478);
    let relayed = ([203, 0, 113, 20], 49_155);
    let peer = ([198, 51, 100, 12], 6000);
    let mut check = stun_attribute(0x0006, b"abcd:efgh");
    check.extend(stun_attribute(0x0024, &[0x6e, 0, 0x1e, 0xff]));
    let mut frames = vec![
        (START, udp_frame(device, server, &stun(0x0001, 1, &[]))),
        (
            START + 30_000,
            udp_frame(
                server,
                device,
                &stun(0x0101, 1, &xor_mapped(([198, 51, 100, 11], 5000))),
            ),
        ),
        (
            START + 100_000,
            udp_frame(relayed, device, &stun(0x0001, 2, &check)),
        ),
        (
            START + 101_000,
            udp_frame(device, relayed, &stun(0x0101, 2, &xor_mapped(relayed))),
        ),
    ];
    frames.extend(rtp_both_ways(device, peer, 0, 500, START + 200_000, 172));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "turn-host-stun");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    let checked = party_endpoints(&calls[0]["candidates_checked"]);
    let lookups = party_endpoints(&calls[0]["lookup_servers"]);
    assert_eq!(checked, ["203.0.113.20:49155"], "{}", calls[0]);
    assert_eq!(lookups, ["203.0.113.20:3478"], "{}", calls[0]);
}
