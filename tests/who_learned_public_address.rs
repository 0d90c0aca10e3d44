//! Who learned the device's public address. A far end that learned it
//! outside any call (STUN discovery with no call, keep-alives before or
//! after one) is named by every output: the table's "OUTSIDE CALLS"
//! section, the HTML report's "Who learned your public address", and the
//! flow records' `public_address_learned` (JSON and NDJSON, the same on any
//! thread count). A call names every server that told one of its sockets.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// Registration and STUN to the lab's servers (rewritten into Microsoft's
/// range), and two call attempts the registrar rejected: two STUN answers
/// told the device its public address, each while it set up an attempt.
const LOOKUPS_ONLY: &str = "samples/rewritten/lookups-only.pcap";
/// Leaves the SIP signalling out: then no call attempt is seen, and the
/// STUN answers told the device its address outside any call.
const NO_SIP: [&str; 2] = ["--filter", "not port 5060"];
const STUN_SERVER: &str = "52.114.77.20:3478";
const TOLD: [&str; 2] = ["198.51.100.11:10006", "198.51.100.11:10024"];
const SECTION: &str = "OUTSIDE CALLS: who learned your public address";

fn sample(name: &str) -> PathBuf {
    repo().join(name)
}

fn lookups_only() -> String {
    sample(LOOKUPS_ONLY).to_str().unwrap().to_string()
}

fn table(capture: &Path, extra: &[&str]) -> String {
    let mut args = vec!["analyze", capture.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", capture.display());
    String::from_utf8(out.stdout).unwrap()
}

/// The table's section on learners outside calls, up to the flows.
fn outside_section(text: &str) -> Option<&str> {
    let (_, after) = text.split_once(SECTION)?;
    after.split("\nFLOWS (").next()
}

/// (far end, address told, call) of every flow record that says its far
/// end learned the device's public address.
fn learned(flows: &[Value]) -> Vec<(String, String, Value)> {
    flows
        .iter()
        .filter(|r| r["type"] == "flow")
        .filter_map(|r| {
            let l = r.get("public_address_learned")?;
            Some((
                l["by"].as_str().unwrap().to_string(),
                l["address"].as_str().unwrap().to_string(),
                r["call"].clone(),
            ))
        })
        .collect()
}

fn ndjson(capture: &Path, threads: &str) -> Vec<u8> {
    let out = run(&[
        "analyze",
        "--format",
        "ndjson",
        "--threads",
        threads,
        capture.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", capture.display());
    out.stdout
}

#[test]
fn the_table_names_the_server_that_learned_it_outside_calls() {
    let text = table(&sample(LOOKUPS_ONLY), &NO_SIP);
    assert!(text.contains("CALLS: none found"), "{text}");
    let section = outside_section(&text).unwrap_or_else(|| panic!("no {SECTION:?}:\n{text}"));
    // Its far end's country, network and operator, as elsewhere.
    assert!(
        section.contains(&format!(
            "  {STUN_SERVER}  IE (GDPR, e-Evidence) · AS8075 Microsoft Corporation · operator home US"
        )),
        "{section}"
    );
    assert!(
        section.contains(&format!("told the device it is {}, {}", TOLD[0], TOLD[1])),
        "{section}"
    );
    // After the calls, before the flows.
    let calls = text.find("CALLS: none found").unwrap();
    assert!(calls < text.find(SECTION).unwrap());
}

#[test]
fn each_call_attempt_names_the_server_that_learned_it_while_it_was_set_up() {
    let text = table(&sample(LOOKUPS_ONLY), &[]);
    assert!(
        text.starts_with("CALLS (2; all attempts no one answered)"),
        "{text}"
    );
    assert!(!text.contains("OUTSIDE CALLS"), "{text}");
    for told in TOLD {
        assert!(
            text.contains(&format!(
                "Who learned your public address: {STUN_SERVER} (STUN server, told the device it is {told})"
            )),
            "{text}"
        );
    }
    // Only the STUN server: the SIP registrar told the device nothing.
    assert!(!text.contains("52.114.77.10:5060 (STUN server"), "{text}");
}

#[test]
fn the_table_has_no_such_section_when_nothing_learned_it_outside_calls() {
    for name in [
        "samples/rewritten/relayed-call.pcap",
        "samples/direct-call.pcap",
        "samples/webrtc-call.pcap",
    ] {
        let text = table(&sample(name), &[]);
        assert!(!text.contains("OUTSIDE CALLS"), "{name}:\n{text}");
        assert!(text.contains("Who learned your public address:"), "{name}");
    }
}

#[test]
fn flow_records_name_who_learned_it_in_json_and_ndjson() {
    let capture = lookups_only();
    let mut args = vec!["analyze", "--format", "ndjson", &capture];
    args.extend_from_slice(&NO_SIP);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    let records: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut args = vec!["analyze", "--format", "json", &capture];
    args.extend_from_slice(&NO_SIP);
    let json = run(&args);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let json_flows = doc["flows"].as_array().unwrap();
    for flows in [&records[..], &json_flows[..]] {
        let mut found = learned(flows);
        found.sort_by(|a, b| a.1.cmp(&b.1));
        let expected: Vec<(String, String, Value)> = TOLD
            .iter()
            .map(|t| (STUN_SERVER.to_string(), t.to_string(), Value::Null))
            .collect();
        assert_eq!(found, expected);
    }
    // A flow whose far end learned nothing carries no such field.
    let (records, _) = analyze_ndjson(&sample(LOOKUPS_ONLY));
    let sip = records
        .iter()
        .find(|r| r["type"] == "flow" && r["dst"] == "52.114.77.10:5060")
        .expect("the registration flow");
    assert!(sip.get("public_address_learned").is_none(), "{sip}");
}

/// CSV has a column for it: the address each STUN server told the device,
/// empty on the registration flow.
#[test]
fn csv_has_a_column_for_it() {
    let out = run(&["analyze", "--format", "csv", &lookups_only()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (dst, told) = (at("dst"), at("public_address_learned"));
    assert_eq!(header.last(), Some(&"evidence"));
    let mut found: Vec<(String, String)> = lines
        .map(csv_fields)
        .inspect(|cols| assert_eq!(cols.len(), header.len(), "{cols:?}"))
        .map(|cols| (cols[dst].clone(), cols[told].clone()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("52.114.77.10:5060".to_string(), String::new()),
            (STUN_SERVER.to_string(), TOLD[0].to_string()),
            (STUN_SERVER.to_string(), TOLD[1].to_string()),
        ]
    );
}

#[test]
fn a_call_flow_that_told_the_device_is_in_its_call() {
    // The relay's TURN answer told the device its address; the call lists it.
    let (records, _) = analyze_ndjson(&sample("samples/rewritten/relayed-call.pcap"));
    let found = learned(&records);
    assert!(
        found.contains(&(
            STUN_SERVER.to_string(),
            "198.51.100.11:50308".to_string(),
            Value::from(1)
        )),
        "{found:?}"
    );
    assert!(
        found.iter().all(|(_, _, call)| !call.is_null()),
        "{found:?}"
    );
}

#[test]
fn the_html_report_lists_them_as_outside_calls() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("who_learned_public_address");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lookups-only.html");
    let capture = lookups_only();
    let mut args = vec!["report", &capture, "-o", path.to_str().unwrap()];
    args.extend_from_slice(&NO_SIP);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&path).unwrap();
    let (_, section) = html
        .split_once(r#"<section id="learned">"#)
        .expect("the learned section");
    let section = section.split("</section>").next().unwrap();
    assert!(section.contains("Who learned your public address"));
    assert!(section.contains("Outside calls"), "{section}");
    assert!(section.contains(STUN_SERVER), "{section}");
    for told in TOLD {
        assert!(section.contains(told), "{section}");
    }
    assert!(
        section.contains("AS8075 Microsoft Corporation"),
        "{section}"
    );
    // Nothing says or implies that no one learned it.
    for wrong in ["no one", "No STUN", "no STUN"] {
        assert!(!section.contains(wrong), "{wrong:?} in {section}");
    }
}

#[test]
fn the_html_report_says_no_one_only_when_no_one_did() {
    // With a call, every learner in it: the outside part says none.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("who_learned_public_address");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("relayed-call.html");
    let capture = sample("samples/rewritten/relayed-call.pcap");
    let out = run(&[
        "report",
        capture.to_str().unwrap(),
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&path).unwrap();
    let (_, section) = html.split_once(r#"<section id="learned">"#).unwrap();
    let section = section.split("</section>").next().unwrap();
    assert!(
        section.contains("52.114.77.20:3478 (TURN server"),
        "{section}"
    );
    assert!(!section.contains("<h3>Outside calls</h3>"), "{section}");
    assert!(
        section.contains("Outside the calls, no STUN answer told the device"),
        "{section}"
    );
}

#[test]
fn ndjson_is_the_same_on_one_and_two_threads() {
    let mut captures = vec![sample(LOOKUPS_ONLY)];
    if let Some(corpus) = corpus() {
        for name in ["stun.pcap", "stun_signal.pcapng", "stun_zoom.pcapng"] {
            captures.push(corpus.join("ndpi").join(name));
        }
    }
    for cap in captures {
        let one = ndjson(&cap, "1");
        assert!(
            String::from_utf8_lossy(&one).contains("\"public_address_learned\":"),
            "{}",
            cap.display()
        );
        assert_eq!(one, ndjson(&cap, "2"), "{}", cap.display());
    }
}

/// nDPI's STUN captures: discovery by several apps, none in a call.
#[test]
fn corpus_stun_captures_name_their_learners_outside_calls() {
    let Some(corpus) = corpus() else {
        eprintln!(
            "SKIPPED: corpus_stun_captures_name_their_learners_outside_calls needs the corpus"
        );
        return;
    };
    let ndpi = corpus.join("ndpi");
    let text = table(&ndpi.join("stun.pcap"), &[]);
    let section = outside_section(&text).unwrap_or_else(|| panic!("stun.pcap:\n{text}"));
    for (server, told) in [
        ("74.125.247.128:3478", "93.47.225.225:23616"),
        ("87.47.100.17:3478", "5.37.217.126:37257"),
        (
            "[2600:1900:4160:5999:0:19::]:3478",
            "[2001:b07:a3d:c112:48a1:1094:1227:281e]:48094",
        ),
    ] {
        assert!(
            section.contains(&format!("  {server}  ")),
            "{server}: {section}"
        );
        assert!(
            section.contains(&format!("told the device it is {told}")),
            "{told}: {section}"
        );
    }
    assert!(section.contains("AS15169 Google LLC"), "{section}");
    // An answer naming an address inside the local network (two devices of
    // one network checking each other) is not a public address.
    assert!(!section.contains("10.206.50.239"), "{section}");

    let text = table(&ndpi.join("stun_zoom.pcapng"), &[]);
    let section = outside_section(&text).unwrap_or_else(|| panic!("stun_zoom:\n{text}"));
    assert!(section.contains("  134.224.90.111:8801  "), "{section}");
    assert!(
        section.contains("told the device it is 93.33.105.111:8466 (zoom, 2 flows)"),
        "{section}"
    );
}

/// nDPI's Signal call: each of the call's sockets asked Google's STUN
/// server and Signal's TURN server, and both told it its public address.
#[test]
fn a_call_names_every_server_that_told_one_of_its_sockets() {
    let Some(corpus) = corpus() else {
        eprintln!(
            "SKIPPED: a_call_names_every_server_that_told_one_of_its_sockets needs the corpus"
        );
        return;
    };
    let (records, _) = analyze_ndjson(&corpus.join("ndpi").join("stun_signal.pcapng"));
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 2);
    for (call, turn) in calls
        .iter()
        .zip(["35.158.183.167:3478", "35.158.122.211:3478"])
    {
        let learned = texts(&call["public_address_learned_by"]);
        for server in [turn, "172.253.121.127:19302"] {
            assert!(
                learned.iter().any(|l| l.starts_with(&format!(
                    "{server} (STUN server, told the device it is 93.47.225.19:"
                ))),
                "call {}: {server} missing from {learned:?}",
                call["call"]
            );
        }
    }
}

/// A call that several far ends learned the address in lists them one per
/// line under the heading; one alone stays on the heading's line.
#[test]
fn the_table_lists_several_learners_one_per_line() {
    let text = table(&sample("samples/group-call.pcap"), &[]);
    let (_, after) = text
        .split_once("  Who learned your public address:\n")
        .unwrap_or_else(|| panic!("no list:\n{text}"));
    let listed: Vec<&str> = after
        .lines()
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert_eq!(listed.len(), 2, "{text}");
    assert!(
        listed.iter().all(|l| l.starts_with("    203.0.113.40:")),
        "{listed:?}"
    );
    let one = table(&sample("samples/webrtc-relayed-call.pcap"), &[]);
    assert!(
        one.contains("  Who learned your public address: 203.0.113.20:3478 (TURN server"),
        "{one}"
    );
}

/// Two parties on one local network (the lab's WebRTC call with B's
/// router address moved into A's network, in headers, STUN and text):
/// the direct media flow has private addresses at both ends. The end a
/// server outside told its public address (A's, by the STUN server) is
/// the device, so the call keeps A's signalling; and the peer, which saw
/// only A's private address, learned no public one.
#[test]
fn a_peer_on_the_same_local_network_is_told_apart_and_learns_nothing_public() {
    use common::capture_edit::Capture;
    let mut capture = Capture::read(&repo().join("samples/webrtc-call.pcap"));
    let (moved, moved_in_stun) = capture.move_ipv4([198, 51, 100, 12], [192, 168, 1, 200]);
    assert!(moved > 100 && moved_in_stun > 0, "{moved} {moved_in_stun}");
    let records = analyze_bytes(&capture.bytes(), "same-lan-call");
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = calls[0];
    assert_eq!(call["path"], "direct", "{call}");
    assert_eq!(party_endpoints(&call["peers"]).len(), 1, "{call}");
    assert!(
        party_endpoints(&call["peers"])[0].starts_with("192.168.1.200:"),
        "{call}"
    );
    assert!(
        party_endpoints(&call["lookup_servers"])
            .iter()
            .any(|s| s.starts_with("203.0.113.30:")),
        "the call keeps A's signalling: {call}"
    );
    let learned = texts(&call["public_address_learned_by"]);
    assert!(
        learned.iter().all(|l| !l.starts_with("192.168.1.200")),
        "{learned:?}"
    );
}
