//! The state of a live capture at one moment, for periodic output.

/// Counters a live view shows; filled partly by the capture loop (packets,
/// drops) and partly by the analysis (flows, calls).
#[derive(Clone, Debug, Default)]
pub struct LiveStatus {
    pub interface: String,
    /// Wall-clock seconds since the capture started.
    pub elapsed: f64,
    pub packets: u64,
    /// Packets the kernel dropped so far (`pcap_stats`).
    pub kernel_dropped: u64,
    pub active_flows: usize,
    pub flows_written: u64,
    pub calls: u64,
}
