//! BitTorrent and Gnutella swarms talk between residential hosts on
//! arbitrary ports, as direct calls do: their flows are named as file
//! sharing and are never a call's, on nDPI's reference captures of them.

mod common;

use common::*;

#[test]
fn swarms_are_file_sharing_not_calls() {
    let Some(dir) = corpus() else { return };
    // Per capture: flows named file sharing at least.
    // targusdataspeed_false_positives.pcap: DHT datagrams to the ports of
    // a speed-test tool.
    for (file, at_least) in [
        ("bittorrent.pcap", 20),
        ("targusdataspeed_false_positives.pcap", 2),
    ] {
        let (records, out) = analyze_ndjson(&dir.join("ndpi").join(file));
        assert!(out.status.success(), "{file}: {out:?}");
        let flows: Vec<_> = records.iter().filter(|r| r["type"] == "flow").collect();
        for f in &flows {
            assert_eq!(f["role"], "other", "{file}: {f}");
        }
        let named = flows.iter().filter(|f| f["app"] == "file_sharing").count();
        assert!(
            named >= at_least,
            "{file}: {named} of {} flows named",
            flows.len()
        );
        assert!(records.iter().all(|r| r["type"] != "call"), "{file}");
    }
}
