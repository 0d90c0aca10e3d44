//! Settings of an analysis run.

use std::path::PathBuf;
use std::sync::Arc;

use crate::decode::filter::PacketFilter;
use crate::flow::FlowTableConfig;

#[derive(Clone, Debug, Default)]
pub struct AnalysisConfig {
    pub flow_table: FlowTableConfig,
    /// Directory of extra or overriding app signatures.
    pub signatures_dir: Option<PathBuf>,
    /// User geolocation databases, preferred over the embedded one.
    pub geoip: Vec<PathBuf>,
    /// Threads to use (see `ThreadLayout` in `run`); flows are sharded
    /// between the flow workers by a symmetric hash of their address pair.
    pub threads: usize,
    /// How long (seconds of packet time) before a flow's last packet what
    /// other flows taught still counts for it; `None`: the default
    /// (`knowledge::DEFAULT_WINDOW_SECS`).
    pub knowledge_window_secs: Option<u64>,
    /// Only the decoded packets this matches are analysed (`--filter`);
    /// the others are counted as skipped, `filtered_out`.
    pub filter: Option<Arc<PacketFilter>>,
}
