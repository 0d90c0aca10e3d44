//! The Analysis methods live capture uses (`tick`, `write_flow_updates`,
//! `refresh`, `set_capture`), driven from a capture file so they are
//! checked without libpcap.

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use callpath::analysis::{Analysis, AnalysisConfig};
use callpath::capture::{CaptureFile, Timestamp};
use callpath::report::json::NdjsonSink;
use callpath::report::live_status::LiveStatus;
use callpath::report::CaptureStats;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn records(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn of_type<'a>(records: &'a [serde_json::Value], t: &str) -> Vec<&'a serde_json::Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

#[test]
fn updates_for_long_open_flows_then_clock_ends_them_and_summary_carries_capture() {
    let out = Shared::default();
    let sink = Box::new(NdjsonSink::new(Box::new(out.clone())));
    let mut analysis = Analysis::new(&AnalysisConfig::default(), sink).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/relayed-call.pcap");
    let mut last = Timestamp(0);
    CaptureFile::open(&path).unwrap().read(|pkt, _| {
        last = last.max(pkt.ts);
        analysis.packet(pkt);
    });
    let open = analysis.active_flows();
    assert!(open > 0);

    analysis.write_flow_updates(1.0);
    // Refresh flushes the NDJSON writer so the updates are visible now.
    analysis.refresh(LiveStatus::default());
    let records = out.records();
    let updates = of_type(&records, "flow_update");
    assert!(!updates.is_empty() && updates.len() <= open);
    for u in &updates {
        assert!(u["duration"].as_f64().unwrap() >= 1.0, "{u}");
        assert_eq!(u["end_reason"], "open");
    }
    // A threshold longer than the capture selects no flow.
    analysis.write_flow_updates(1e6);
    analysis.refresh(LiveStatus::default());
    assert_eq!(of_type(&out.records(), "flow_update").len(), updates.len());

    // With no packets, moving the clock past every timeout ends every flow.
    let before = of_type(&out.records(), "flow").len();
    analysis.tick(last.plus_secs(3600));
    assert_eq!(analysis.active_flows(), 0);
    analysis.refresh(LiveStatus::default());
    let ended = of_type(&out.records(), "flow").len() - before;
    assert_eq!(ended, open);
    // The call those flows made is written too, not held until the end.
    assert!(!of_type(&out.records(), "call").is_empty());

    analysis.set_capture(CaptureStats {
        interface: "veth0".into(),
        received: 888,
        queue: "none",
        ..Default::default()
    });
    let summary = analysis.finish().unwrap();
    assert_eq!(
        summary.flows as usize,
        of_type(&out.records(), "flow").len()
    );
    let written = out.records();
    let s = of_type(&written, "summary");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["capture"]["interface"], "veth0");
    assert_eq!(s[0]["capture"]["received"], 888);
}
