//! Who runs a call app's server when the network it sits in is another
//! company's: Meta's WhatsApp relays inside ISPs' networks, Signal's relays
//! in Google's cloud. The far end's network says where the server is and
//! whose network it is; the app's company answers for the server too.

mod common;

use common::*;
use serde_json::Value;

const DEVICE: ([u8; 4], u16) = ([192, 168, 1, 10], 50_000);
/// In Google Cloud's customer range 34.65.0.0/16 (signatures/google_meet.toml).
const SIGNAL_RELAY: ([u8; 4], u16) = ([34, 65, 20, 30], 10_000);
/// In AS12874 Fastweb's network (Italy), a home connection's address.
const PEER: ([u8; 4], u16) = ([93, 33, 47, 58], 57_604);

fn records_with_relay_and_peer() -> Vec<Value> {
    let start = 1_700_000_000_000_000u64;
    let mut frames = vec![(
        start,
        udp_frame(
            ([192, 168, 1, 1], 53),
            (DEVICE.0, 53_000),
            &dns_answer("turn3.voip.signal.org", SIGNAL_RELAY.0),
        ),
    )];
    frames.extend(rtp_both_ways(
        DEVICE,
        SIGNAL_RELAY,
        111,
        400,
        start + 500_000,
        120,
    ));
    frames.extend(rtp_both_ways(
        (DEVICE.0, 50_002),
        PEER,
        111,
        400,
        start + 9_000_000,
        120,
    ));
    analyze_bytes(&classic_pcap(&frames), "service-operator")
}

/// A relay the device resolved as Signal's, in Google's cloud: Google
/// operates the network, Signal runs the relay, and both answer to US law.
#[test]
fn relay_in_a_cloud_names_the_app_company() {
    let records = records_with_relay_and_peer();
    let relay = flow_with(&records, "34.65.20.30:10000");
    assert_eq!(relay["role"], "relay", "{relay}");
    assert_eq!(relay["app"], "signal", "{relay}");
    assert_eq!(relay["remote"]["operator"], "Google", "{relay}");
    let service = &relay["service_operator"];
    assert_eq!(service["app"], "signal", "{relay}");
    assert_eq!(service["operator"], "Signal", "{relay}");
    assert_eq!(service["operator_country"], "US", "{relay}");
    assert!(
        service["summary"]
            .as_str()
            .unwrap()
            .starts_with("a Signal server, run by Signal: home US"),
        "{relay}"
    );
}

/// A peer is a person's device: no company runs it, whatever app the call
/// was.
#[test]
fn a_peer_has_no_service_operator() {
    let records = records_with_relay_and_peer();
    let peer = flow_with(&records, "93.33.47.58:57604");
    assert_eq!(peer["role"], "p2p", "{peer}");
    assert!(peer.get("service_operator").is_none(), "{peer}");
}

/// WhatsApp's relay 93.57.123.227:3478 in nDPI's stun_wa_call.pcapng sits
/// in Fastweb's network (an Italian ISP), which the database says is all
/// it knows: the relay is still Meta's, and the verdict, the call's relay
/// list and the operator claim say so. Its relays in Meta's own network
/// need no such word.
#[test]
fn meta_relay_in_an_isp_network_is_run_by_meta() {
    let Some(corpus) = corpus() else { return };
    let capture = corpus.join("ndpi/stun_wa_call.pcapng");
    let (records, out) = analyze_ndjson(&capture);
    assert!(out.status.success(), "{out:?}");
    let relay = flow_with(&records, "93.57.123.227:3478");
    assert_eq!(relay["role"], "relay", "{relay}");
    assert_eq!(relay["remote"]["operator_country"], "IT", "{relay}");
    assert_eq!(relay["service_operator"]["operator"], "Meta", "{relay}");
    assert_eq!(
        relay["service_operator"]["operator_country"], "US",
        "{relay}"
    );
    let regimes = relay["service_operator"]["operator_jurisdiction"].to_string();
    assert!(regimes.contains("us-cloud-act"), "{relay}");
    let meta_own = flow_with(&records, "157.240.203.62:3478");
    assert_eq!(meta_own["remote"]["operator"], "Meta", "{meta_own}");
    assert!(meta_own.get("service_operator").is_none(), "{meta_own}");

    let call = records
        .iter()
        .find(|r| r["type"] == "call" && party_endpoints(&r["relays"]) == ["93.57.123.227:3478"])
        .expect("the call relayed through the ISP-hosted relay");
    let verdict = call["verdict"].as_str().unwrap();
    assert!(
        verdict.contains("a WhatsApp server, run by Meta: home US (CLOUD Act, FISA 702)"),
        "{verdict}"
    );
    assert_eq!(call["relays"][0]["service_operator"]["operator"], "Meta");

    let csv = run(&["analyze", "--format", "csv", capture.to_str().unwrap()]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (dst, service) = (at("dst"), at("service_operator"));
    let row = lines
        .map(csv_fields)
        .find(|cols| cols[dst] == "93.57.123.227:3478")
        .unwrap();
    assert_eq!(row[service], "Meta (US)", "{row:?}");

    let check = run(&[
        "check",
        "--claim",
        "no-operator:US",
        capture.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains(
            "run by Meta, which answers to US: flow udp 192.168.12.156:46652 -> 93.57.123.227:3478"
        ),
        "{text}"
    );
}

/// Media through a host in an ISP's network (Proximus, Belgium) that
/// answered the device's Meta relay messages (STUN types 0x0801/0x0802,
/// which WhatsApp and Messenger share): no app is named, but the relay's
/// protocol is Meta's, and so is the relay.
#[test]
fn meta_relay_messages_name_meta_whatever_the_app() {
    let relay = ([194, 78, 99, 163], 3480);
    let start = 1_700_000_000_000_000u64;
    let mut frames = Vec::new();
    for n in 0..3u8 {
        let at = start + u64::from(n) * 200_000;
        let ask = stun(0x0801, n, &[]);
        let answer = stun(0x0802, n, &[]);
        frames.push((at, udp_frame(DEVICE, relay, &ask)));
        frames.push((at + 15_000, udp_frame(relay, DEVICE, &answer)));
    }
    frames.extend(rtp_both_ways(
        DEVICE,
        relay,
        120,
        150,
        start + 1_000_000,
        80,
    ));
    let records = analyze_bytes(&classic_pcap(&frames), "service-operator-meta");
    let flow = flow_with(&records, "194.78.99.163:3480");
    assert_eq!(flow["role"], "relay", "{flow}");
    assert_ne!(flow["app"], "whatsapp", "{flow}");
    assert_eq!(flow["remote"]["asn"], 5432, "{flow}");
    assert_eq!(flow["service_operator"]["operator"], "Meta", "{flow}");
    assert!(
        flow["service_operator"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("a Meta relay server, run by Meta: home US"),
        "{flow}"
    );
}

/// NDJSON's hand-written records (service operators, call laws) read the
/// same as the JSON document's, which serde writes.
#[test]
fn ndjson_and_json_write_the_same_records() {
    let Some(corpus) = corpus() else { return };
    let capture = corpus.join("ndpi/stun_wa_call.pcapng");
    let (records, out) = analyze_ndjson(&capture);
    assert!(out.status.success(), "{out:?}");
    let doc = analyze_json(&capture, &[]);
    let of_type =
        |t: &str| -> Vec<Value> { records.iter().filter(|r| r["type"] == t).cloned().collect() };
    assert_eq!(Value::from(of_type("flow")), doc["flows"]);
    assert_eq!(Value::from(of_type("call")), doc["calls"]);
    assert!(doc["calls"][0]["laws"]["media_servers"].is_array(), "{doc}");
}

/// imo's servers in nDPI's imo.pcap sit in hosting networks; PageBites,
/// the Californian company behind imo, runs them.
#[test]
fn imo_servers_are_run_by_its_company() {
    let Some(dir) = corpus() else { return };
    let (records, _) = analyze_ndjson(&dir.join("ndpi/imo.pcap"));
    let servers: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "flow" && r["app"] == "imo" && r["role"] != "p2p")
        .collect();
    assert!(!servers.is_empty(), "{records:?}");
    for f in servers.iter().filter(|f| f["remote"]["special"].is_null()) {
        let service = &f["service_operator"];
        assert_eq!(service["operator"], "imo (PageBites)", "{f}");
        assert_eq!(service["legal_entity"], "PageBites, Inc.", "{f}");
        assert_eq!(service["operator_country"], "US", "{f}");
        assert!(
            service["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("an imo server, run by imo (PageBites): home US")),
            "{f}"
        );
    }
}
