//! Whose law reaches a call's servers: per country, the regimes that
//! follow a relay's or lookup server's location, its network operator's
//! home and the home of the company running the app's server there.

mod common;

use common::*;
use serde_json::Value;

fn only_call(capture: &str) -> (Value, String) {
    let path = repo().join(capture);
    let doc = analyze_json(&path, &[]);
    let calls = doc["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{doc}");
    let table = run(&["analyze", path.to_str().unwrap()]);
    (calls[0].clone(), String::from_utf8(table.stdout).unwrap())
}

fn countries(reach: &Value) -> Vec<(&str, Vec<&str>)> {
    reach
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["country"].as_str().unwrap(), texts(&r["because"])))
        .collect()
}

/// The rewritten sample's TURN relay sits in Microsoft's network in
/// Ireland: Irish (EU) law by its place, US law by Microsoft's home.
#[test]
fn relayed_call_names_the_relay_country_and_the_operator_home() {
    let (call, table) = only_call("samples/rewritten/relayed-call.pcap");
    assert_eq!(
        countries(&call["laws"]["media_servers"]),
        [
            ("IE", vec!["server location"]),
            ("US", vec!["home of Microsoft, the network's operator"]),
        ],
        "{call}"
    );
    let us = &call["laws"]["media_servers"][1];
    assert_eq!(
        texts(&us["regimes"]),
        ["us-cloud-act", "us-fisa-702"],
        "{us}"
    );
    assert!(
        table.contains(
            "  Whose law reaches its servers:\n    media:   IE (GDPR, e-Evidence): server location; US (CLOUD Act, FISA 702): home of Microsoft, the network's operator\n"
        ),
        "{table}"
    );
}

/// Peer-to-peer media crossed no server: no law over a relay, and the
/// table says so; its servers in documentation ranges (the lab's
/// addresses) have no place to give a law.
#[test]
fn direct_call_has_no_media_server_law() {
    let (call, table) = only_call("samples/direct-call.pcap");
    assert_eq!(call["path"], "direct", "{call}");
    assert!(
        call["laws"]["media_servers"].as_array().unwrap().is_empty(),
        "{call}"
    );
    assert!(
        table.contains("    media:   none: no server carried it\n"),
        "{table}"
    );
}

/// WhatsApp's relay in an Italian ISP's network: Italy's law by its place
/// and the network's registration, and the US's as the home of Meta, which
/// runs it (see tests/service_operator.rs).
#[test]
fn app_company_home_reaches_a_relay_in_an_isp_network() {
    let Some(corpus) = corpus() else { return };
    let doc = analyze_json(&corpus.join("ndpi/stun_wa_call.pcapng"), &[]);
    let call = doc["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| party_endpoints(&c["relays"]) == ["93.57.123.227:3478"])
        .unwrap();
    assert_eq!(
        countries(&call["laws"]["media_servers"]),
        [
            (
                "IT",
                vec!["server location", "where the network's ASN is registered"]
            ),
            ("US", vec!["home of Meta, which runs the app's server"]),
        ],
        "{call}"
    );
    // Meta's own STUN servers in the US: one country, both reasons.
    assert_eq!(
        countries(&call["laws"]["lookup_servers"]),
        [(
            "US",
            vec!["server location", "home of Meta, the network's operator"]
        )],
        "{call}"
    );
}
