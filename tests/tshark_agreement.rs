//! Per-flow packet and byte counts equal tshark's conversation statistics
//! (`-z conv,udp` / `-z conv,tcp`) on a set of reference captures covering
//! Ethernet, VLAN, Linux cooked (SLL), raw IP, BSD loopback, PPP, Cisco
//! HDLC with MPLS, PPI, and pcapng. Expectations were computed once with tshark
//! by tests/data/make-tshark-conv.py and are kept in tests/data.

mod common;

use common::*;

#[test]
fn flow_counts_equal_tsharks_conversations() {
    let Some(corpus) = corpus() else { return };
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/tshark-conv.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (capture, convs) in expected.as_object().unwrap() {
        let (records, _) = analyze_ndjson(&corpus.join("ndpi").join(capture));
        // Sum every record of a conversation (a reused port pair makes two).
        let mut totals: std::collections::HashMap<FlowId, (u64, u64)> = Default::default();
        for r in records.iter().filter(|r| r["type"] == "flow") {
            let id = flow_id(
                r["l4"].as_str().unwrap(),
                r["src"].as_str().unwrap(),
                r["dst"].as_str().unwrap(),
            );
            let t = totals.entry(id).or_default();
            t.0 += r["packets"].as_u64().unwrap();
            t.1 += r["bytes"].as_u64().unwrap();
        }
        for c in convs.as_array().unwrap() {
            checked += 1;
            let id = flow_id(
                c["l4"].as_str().unwrap(),
                c["a"].as_str().unwrap(),
                c["b"].as_str().unwrap(),
            );
            let want = (c["packets"].as_u64().unwrap(), c["bytes"].as_u64().unwrap());
            if totals.get(&id) != Some(&want) {
                wrong.push(format!(
                    "{capture} {id:?}: tshark {want:?}, callpath {:?}",
                    totals.get(&id)
                ));
            }
        }
    }
    assert!(checked > 150, "only {checked} conversations checked");
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
