//! Packet-size and inter-arrival distributions of a media flow, kept with
//! hdrhistogram. A histogram costs kilobytes, so a flow gets them only once
//! its packets look like media (see `FlowTable::track`): most flows of a
//! capture (DNS, web, probes) never pay for one.

use hdrhistogram::Histogram;

use super::Direction;
use crate::capture::Timestamp;

/// Inter-arrival times are recorded in microseconds, up to ten seconds:
/// media gaps are milliseconds; anything longer is a pause.
const MAX_IAT_US: u64 = 10_000_000;
/// Payload sizes up to the largest UDP payload on an Ethernet path.
const MAX_SIZE: u64 = 2048;
/// One significant figure keeps each histogram a few hundred bytes while
/// still telling 20 ms voice from 40 or 60 ms.
const SIGNIFICANT_FIGURES: u8 = 1;

#[derive(Clone, Debug)]
pub struct FlowHistograms {
    /// Payload sizes per direction.
    pub sizes: [Histogram<u32>; 2],
    /// Inter-arrival times per direction, microseconds.
    pub inter_arrival_us: [Histogram<u32>; 2],
    last_ts: [Option<Timestamp>; 2],
}

fn histogram(max: u64) -> Option<Histogram<u32>> {
    Histogram::new_with_bounds(1, max, SIGNIFICANT_FIGURES).ok()
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

    /// Median payload size of one direction, bytes.
    pub fn median_size(&self, dir: Direction) -> Option<u64> {
        let h = self.sizes.get(dir.index())?;
        (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(0.5)))
    }

    /// Median gap between packets of one direction, in milliseconds.
    pub fn median_gap_ms(&self, dir: Direction) -> Option<f64> {
        let h = self.inter_arrival_us.get(dir.index())?;
        (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(0.5)) as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_every_20_ms_has_a_20_ms_median_gap() {
        let mut h = FlowHistograms::new().unwrap();
        for i in 0..100 {
            h.record(Direction::FromOrig, Timestamp(i * 20_000_000), 160);
        }
        let gap = h.median_gap_ms(Direction::FromOrig).unwrap();
        assert!((18.0..=22.0).contains(&gap), "{gap}");
        let size = h.median_size(Direction::FromOrig).unwrap();
        assert!((150..=170).contains(&size), "{size}");
        assert!(h.median_gap_ms(Direction::FromResp).is_none());
    }
}
