//! Settings of an analysis run.

use std::path::PathBuf;

use crate::flow::FlowTableConfig;

#[derive(Clone, Debug, Default)]
pub struct AnalysisConfig {
    pub flow_table: FlowTableConfig,
    /// Directory of extra or overriding app signatures.
    pub signatures_dir: Option<PathBuf>,
    /// User geolocation databases, preferred over the embedded one.
    pub geoip: Vec<PathBuf>,
    /// Worker threads (flows sharded by a symmetric hash of the 5-tuple).
    pub threads: usize,
}
