//! callpath agrees 100 % with the truth files of the project's own lab
//! captures (samples/, made by samples/make.sh with the truth known by
//! construction). CALLPATH_SAMPLES_DIR checks a freshly generated set.

mod common;

use std::path::PathBuf;

use common::*;

fn samples_dirs() -> Vec<PathBuf> {
    match std::env::var_os("CALLPATH_SAMPLES_DIR") {
        Some(d) => vec![PathBuf::from(d)],
        None => vec![repo().join("samples"), repo().join("samples/rewritten")],
    }
}

/// A capture's meta.json (what the lab knew of it), if it has one.
fn meta_of(cap: &std::path::Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(cap.with_extension("meta.json")).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn captures() -> Vec<PathBuf> {
    let mut caps = Vec::new();
    for dir in samples_dirs() {
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "pcap") {
                caps.push(p);
            }
        }
    }
    caps.sort();
    assert!(!caps.is_empty(), "no sample captures found");
    caps
}

#[test]
fn every_sample_flow_matches_its_truth() {
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for cap in captures() {
        let truth_path = cap.with_extension("truth.jsonl");
        let truth = std::fs::read_to_string(&truth_path)
            .unwrap_or_else(|e| panic!("{}: {e}", truth_path.display()));
        let (records, out) = analyze_ndjson(&cap);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            cap.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let flows = flows_by_id(&records);
        for line in truth.lines().filter(|l| !l.trim().is_empty()) {
            let t: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = flow_id(
                t["l4"].as_str().unwrap(),
                t["a"].as_str().unwrap(),
                t["b"].as_str().unwrap(),
            );
            let want_role = role_of_label(t["role"].as_str().unwrap()).expect("known role");
            let want_app = t["app"].as_str().filter(|a| *a != "none");
            checked += 1;
            match flows.get(&id) {
                None => mismatches.push(format!("{}: {line}: flow missing", cap.display())),
                Some(r) => {
                    let role_ok = r["role"] == want_role;
                    let app_ok = want_role == "other" || r["app"].as_str() == want_app;
                    if !role_ok || !app_ok {
                        mismatches.push(format!(
                            "{}: {} {} <-> {}: want {want_role}/{want_app:?}, got {}/{} ({})",
                            cap.display(),
                            t["l4"],
                            t["a"],
                            t["b"],
                            r["role"],
                            r["app"],
                            r["evidence"]
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} truth flows checked");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Each call whose media went through the TURN server names that server as
/// its relay, and each direct call names no relay.
#[test]
fn calls_name_their_relay() {
    for cap in captures() {
        let Some(meta) = meta_of(&cap) else {
            continue;
        };
        let truth = std::fs::read_to_string(cap.with_extension("truth.jsonl")).unwrap();
        let relayed = truth.contains("\"relay_media\"");
        let direct = truth.contains("\"p2p_media\"");
        let (records, _) = analyze_ndjson(&cap);
        let calls: Vec<_> = records.iter().filter(|r| r["type"] == "call").collect();
        if !relayed && !direct {
            // Only attempts the registrar rejected (lookups-only calls an
            // offline user): no call with a media path.
            assert!(
                calls.iter().all(|c| c["path"] == "not_answered"
                    && c["verdict"]
                        .as_str()
                        .unwrap()
                        .contains("rejected with 404 Not Found")),
                "{}: a call without media: {calls:?}",
                cap.display()
            );
            continue;
        }
        assert_eq!(calls.len(), 1, "{}: {calls:?}", cap.display());
        let call = calls[0];
        let relays = party_endpoints(&call["relays"]);
        if relayed {
            let turn = meta.to_string();
            assert_eq!(call["path"], "relayed", "{}", cap.display());
            assert!(
                relays
                    .iter()
                    .any(|r| turn.contains(endpoint(r).ip().to_string().as_str())),
                "{}: relays {relays:?} do not include the lab's TURN server ({meta})",
                cap.display()
            );
        } else {
            assert_eq!(call["path"], "direct", "{}", cap.display());
            assert!(relays.is_empty(), "{}: {relays:?}", cap.display());
        }
    }
}

/// A STUN answer names the public address of whoever asked: a server's
/// answer to the device names the device's own NAT, and the device's answers
/// to a peer's checks name the peer's. The evidence must say which.
#[test]
fn stun_evidence_says_whose_public_address_it_is() {
    let mut seen = 0;
    for cap in captures() {
        let Some(meta) = meta_of(&cap) else {
            continue;
        };
        let own = meta["roles"]["nat_wan"]["a"].as_str().unwrap().to_string();
        let (records, _) = analyze_ndjson(&cap);
        for flow in records.iter().filter(|r| r["type"] == "flow") {
            for line in flow["evidence"].as_array().unwrap() {
                let line = line.as_str().unwrap();
                for (said, of_device) in [
                    ("it told the device its public address ", true),
                    ("telling it that its public address is ", false),
                ] {
                    if let Some((_, address)) = line.split_once(said) {
                        seen += 1;
                        let ip = endpoint(address).ip().to_string();
                        assert_eq!(ip == own, of_device, "{}: {line}", cap.display());
                    }
                }
            }
        }
    }
    assert!(
        seen > 0 || captures().is_empty(),
        "no STUN answer in the samples"
    );
}

/// A cloud-range copy names the data centre by its new addresses only, in
/// every verdict and piece of evidence: the addresses inside its payloads
/// (STUN attributes, SIP and SDP) moved with its IP headers.
#[test]
fn rewritten_copies_name_only_their_new_range() {
    for cap in captures() {
        let Some(meta) = meta_of(&cap) else {
            continue;
        };
        let Some(old) = meta["rewritten"]["from"].as_str() else {
            continue;
        };
        let old_prefix = old.trim_end_matches("0/24");
        let out = run(&["analyze", "--format", "ndjson", cap.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stdout);
        let stale: Vec<&str> = text.lines().filter(|l| l.contains(old_prefix)).collect();
        assert!(stale.is_empty(), "{}: {stale:?}", cap.display());
    }
}

/// A call lists as lookup servers only the lab's servers (registrar, STUN
/// and TURN, signalling, the group call's SFU), and the other user's addresses its ICE checks
/// went to apart, as candidates checked (one may be the other user's relay
/// address on the TURN server, never the registrar or signalling server).
#[test]
fn calls_list_servers_apart_from_checked_candidates() {
    let mut candidates = 0;
    for cap in captures() {
        let Some(meta) = meta_of(&cap) else {
            continue;
        };
        let ips_of = |keys: &[&str]| -> Vec<String> {
            keys.iter()
                .flat_map(|k| meta["roles"][*k].as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let servers = ips_of(&["turn_server", "registrar", "signalling_server", "sfu"]);
        let signalling = ips_of(&["registrar", "signalling_server", "sfu"]);
        let (records, _) = analyze_ndjson(&cap);
        for call in records.iter().filter(|r| r["type"] == "call") {
            let ips = |key: &str| -> Vec<String> {
                call[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| endpoint(p["endpoint"].as_str().unwrap()).ip().to_string())
                    .collect()
            };
            for ip in ips("lookup_servers") {
                assert!(
                    servers.contains(&ip),
                    "{}: lookup server {ip} is not one of {servers:?}",
                    cap.display()
                );
            }
            for ip in ips("candidates_checked") {
                candidates += 1;
                assert!(
                    !signalling.contains(&ip),
                    "{}: signalling server {ip} listed as a candidate",
                    cap.display()
                );
            }
        }
    }
    assert!(
        candidates > 0 || captures().is_empty(),
        "no checked candidate in the samples"
    );
}
