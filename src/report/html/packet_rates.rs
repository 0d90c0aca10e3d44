//! Packets per second of chosen flows, counted by reading their capture a
//! second time (see [`crate::analysis::FlowFrames`]). Each series has at
//! most [`MAX_BUCKETS`] buckets; a flow longer than that many seconds gets
//! wider buckets, so memory stays bounded whatever the capture.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::analysis::{FlowFrames, FrameRules};
use crate::error::CaptureError;
use crate::report::FlowRecord;

pub const MAX_BUCKETS: usize = 600;

/// Packets counted per bucket from the flow's first packet.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSeries {
    /// Bucket width in seconds (1 unless the flow is longer than
    /// [`MAX_BUCKETS`] seconds).
    pub bucket_secs: u32,
    pub start: f64,
    pub counts: Vec<u32>,
}

impl RateSeries {
    fn for_record(r: &FlowRecord) -> RateSeries {
        let span = r.duration.max(0.0).ceil() as u64 + 1;
        let bucket_secs = span.div_ceil(MAX_BUCKETS as u64).max(1) as u32;
        let buckets = (span.div_ceil(u64::from(bucket_secs)) as usize).clamp(1, MAX_BUCKETS);
        RateSeries {
            bucket_secs,
            start: r.first_seen,
            counts: vec![0; buckets],
        }
    }

    fn count(&mut self, at: f64) {
        let i = ((at - self.start).max(0.0) / f64::from(self.bucket_secs)) as usize;
        let last = self.counts.len().saturating_sub(1);
        if let Some(c) = self.counts.get_mut(i.min(last)) {
            *c = c.saturating_add(1);
        }
    }

    /// Packets per second in each bucket.
    pub fn per_second(&self) -> impl Iterator<Item = f64> + '_ {
        let w = f64::from(self.bucket_secs);
        self.counts.iter().map(move |c| f64::from(*c) / w)
    }
}

/// Series by index into the records they were computed for.
pub type PacketRates = HashMap<usize, RateSeries>;

/// Counts the packets of every record for which `chosen` is true in the
/// captures `inputs` (the same files, in the same order, and the frames
/// the analysis counted: `rules`).
pub fn packet_rates(
    inputs: &[PathBuf],
    records: &[FlowRecord],
    chosen: impl Fn(&FlowRecord) -> bool,
    rules: FrameRules<'_>,
) -> Result<PacketRates, CaptureError> {
    let mut frames = FlowFrames::new(records, &chosen, rules);
    let mut rates: PacketRates = records
        .iter()
        .enumerate()
        .filter(|(_, r)| chosen(r))
        .map(|(i, r)| (i, RateSeries::for_record(r)))
        .collect();
    if frames.is_empty() {
        return Ok(rates);
    }
    for path in inputs {
        frames.scan_file(path, |i, pkt| {
            if let Some(series) = rates.get_mut(&i) {
                series.count(pkt.ts.as_secs_f64());
            }
        })?;
    }
    Ok(rates)
}
