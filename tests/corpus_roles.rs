//! On the hand-labelled flows of the nDPI reference captures, roles reach
//! a macro-F1 of at least 0.95 over p2p/relay/lookup, apps are right for
//! at least 95 % of call flows, and no flow labelled "none" is called media.
//! (The same grading as ../shared/corpus/score-roles.py.)

mod common;

use std::collections::HashMap;

use common::*;

#[test]
fn labelled_call_flows_are_classified() {
    let Some(corpus) = corpus() else { return };
    let labels = std::fs::read_to_string(corpus.join("labels.jsonl")).unwrap();
    let mut by_capture: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let l: serde_json::Value = serde_json::from_str(line).unwrap();
        by_capture
            .entry(l["pcap"].as_str().unwrap().to_string())
            .or_default()
            .push(l);
    }
    let roles = ["p2p", "relay", "lookup"];
    let (mut tp, mut fp, mut fn_) = (HashMap::new(), HashMap::new(), HashMap::new());
    let (mut app_total, mut app_ok) = (0, 0);
    let mut none_called_media = Vec::new();
    for (capture, labels) in &by_capture {
        let (records, out) = analyze_ndjson(&corpus.join("ndpi").join(capture));
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{capture}: {:?}",
            out.status
        );
        let flows = flows_by_id(&records);
        for l in labels {
            let Some(want) = role_of_label(l["role"].as_str().unwrap()) else {
                continue;
            };
            let (a, b) = (l["a"].as_str().unwrap(), l["b"].as_str().unwrap());
            // One label in the file has an address its tool printed malformed.
            if std::panic::catch_unwind(|| flow_id("udp", a, b)).is_err() {
                continue;
            }
            let got = flows.get(&flow_id(l["l4"].as_str().unwrap(), a, b));
            let have: &'static str = got
                .and_then(|r| r["role"].as_str())
                .and_then(|r| roles.iter().find(|x| **x == r).copied())
                .unwrap_or("other");
            if have == want {
                *tp.entry(want).or_insert(0) += 1;
            } else {
                *fn_.entry(want).or_insert(0) += 1;
                *fp.entry(have).or_insert(0) += 1;
            }
            if want == "other" && (have == "p2p" || have == "relay") {
                none_called_media.push(format!("{capture} {a} {b}"));
            }
            if roles.contains(&want) {
                app_total += 1;
                if got.and_then(|r| r["app"].as_str()) == l["app"].as_str() {
                    app_ok += 1;
                }
            }
        }
    }
    let f1 = |r: &str| {
        let (t, p, n) = (
            *tp.get(r).unwrap_or(&0) as f64,
            *fp.get(r).unwrap_or(&0) as f64,
            *fn_.get(r).unwrap_or(&0) as f64,
        );
        if t == 0.0 {
            0.0
        } else {
            2.0 * t / (2.0 * t + p + n)
        }
    };
    let macro_f1 = roles.iter().map(|r| f1(r)).sum::<f64>() / 3.0;
    let app_acc = app_ok as f64 / app_total as f64;
    eprintln!("macroF1 {macro_f1:.3}, app accuracy {app_acc:.3} ({app_ok}/{app_total})");
    assert!(macro_f1 >= 0.95, "macro F1 {macro_f1:.3}");
    assert!(app_acc >= 0.95, "app accuracy {app_acc:.3}");
    assert!(
        none_called_media.is_empty(),
        "non-call flows called media: {none_called_media:?}"
    );
}

/// Viber's app opens TCP 443 connections (handshake and close, no payload)
/// to the relays it talks to on UDP 7985-7987: nothing in those connections
/// names the app, the host's answers on Viber's server port do.
#[test]
fn a_host_that_answered_on_an_apps_server_port_names_its_other_connections() {
    let Some(corpus) = corpus() else { return };
    let (records, out) = analyze_ndjson(&corpus.join("ndpi/viber.pcap"));
    assert_eq!(out.status.code(), Some(0));
    let flows = flows_by_id(&records);
    for (local, relay) in [
        ("192.168.0.17:33744", "18.201.4.3:443"),
        ("192.168.0.17:45424", "18.201.4.32:443"),
    ] {
        let f = &flows[&flow_id("tcp", local, relay)];
        assert_eq!(f["app"], "viber", "{f}");
        assert_eq!(f["role"], "lookup", "{f}");
        let evidence = f["evidence"].to_string();
        assert!(
            evidence.contains("answered from Viber server port 798") && evidence.contains("/udp"),
            "{evidence}"
        );
    }
}

/// Cloud gaming streams over the same protocols as a call (STUN, RTP from
/// an ICE-lite server): named by its server's DNS name, it is the
/// service's stream, not a call relayed by NVIDIA.
#[test]
fn a_cloud_gaming_stream_is_not_a_call() {
    let Some(corpus) = corpus() else { return };
    let (records, out) = analyze_ndjson(&corpus.join("ndpi/geforcenow.pcapng"));
    assert!(out.status.success(), "{out:?}");
    assert!(!records.iter().any(|r| r["type"] == "call"), "{records:?}");
    let flows: Vec<&serde_json::Value> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert!(!flows.is_empty());
    for flow in flows {
        assert_eq!(flow["app"], "game_streaming", "{flow}");
        assert_eq!(flow["role"], "other", "{flow}");
        assert!(
            flow["evidence"].to_string().contains("not a call"),
            "{flow}"
        );
    }
}
