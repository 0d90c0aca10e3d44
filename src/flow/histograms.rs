//! Packet-size and inter-arrival distributions of a flow. A histogram costs
//! kilobytes, so a flow gets them only once it has shown enough packets to
//! possibly be media (see `FlowTableConfig::histogram_after_packets`).

use hdrhistogram::Histogram;

use super::Direction;
use crate::capture::Timestamp;

/// Inter-arrival times are recorded in microseconds, up to an hour.
const MAX_IAT_US: u64 = 3_600_000_000;
/// Payload sizes up to the largest IP datagram.
const MAX_SIZE: u64 = 65_535;

#[derive(Clone, Debug)]
pub struct FlowHistograms {
    /// Payload sizes per direction.
    pub sizes: [Histogram<u32>; 2],
    /// Inter-arrival times per direction, microseconds.
    pub inter_arrival_us: [Histogram<u32>; 2],
    last_ts: [Option<Timestamp>; 2],
}

fn histogram(max: u64) -> Option<Histogram<u32>> {
    // Two significant figures: enough to tell 20 ms voice from 60 ms, and
    // small (about 1.5 KiB each).
    Histogram::new_with_bounds(1, max, 2).ok()
}

impl FlowHistograms {
    pub fn new() -> Option<FlowHistograms> {
        Some(FlowHistograms {
            sizes: [histogram(MAX_SIZE)?, histogram(MAX_SIZE)?],
            inter_arrival_us: [histogram(MAX_IAT_US)?, histogram(MAX_IAT_US)?],
            last_ts: [None, None],
        })
    }

    pub fn record(&mut self, dir: Direction, ts: Timestamp, payload_len: usize) {
        let i = dir.index();
        if let Some(h) = self.sizes.get_mut(i) {
            h.saturating_record((payload_len as u64).clamp(1, MAX_SIZE));
        }
        if let Some(Some(prev)) = self.last_ts.get(i) {
            let gap_us = (ts.nanos_since(*prev).max(0) / 1000) as u64;
            if let Some(h) = self.inter_arrival_us.get_mut(i) {
                h.saturating_record(gap_us.clamp(1, MAX_IAT_US));
            }
        }
        if let Some(slot) = self.last_ts.get_mut(i) {
            *slot = Some(ts);
        }
    }

    /// Median payload size over both directions' histograms, the larger one.
    pub fn median_size(&self, dir: Direction) -> Option<u64> {
        let h = self.sizes.get(dir.index())?;
        (!h.is_empty()).then(|| h.value_at_quantile(0.5))
    }

    /// Median gap between packets of one direction, in milliseconds.
    pub fn median_gap_ms(&self, dir: Direction) -> Option<f64> {
        let h = self.inter_arrival_us.get(dir.index())?;
        (!h.is_empty()).then(|| h.value_at_quantile(0.5) as f64 / 1000.0)
    }
}
