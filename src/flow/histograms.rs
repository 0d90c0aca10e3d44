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

/// One histogram, counting in 16 bits until one of its buckets is full and
/// in 32 bits from then on: half the memory for all but the longest
/// streams (65,535 packets of one size or gap), and the same counts, so
/// the same medians, as 32 bits from the start.
#[derive(Clone, Debug)]
enum Counts {
    Narrow(Histogram<u16>),
    Wide(Histogram<u32>),
}

impl Counts {
    fn new(max: u64) -> Option<Counts> {
        Histogram::new_with_bounds(1, max, SIGNIFICANT_FIGURES)
            .ok()
            .map(Counts::Narrow)
    }

    fn record(&mut self, value: u64) {
        match self {
            Counts::Narrow(h) if h.count_at(value) == u16::MAX => {
                let mut wide = Histogram::<u32>::new_from(h);
                for bucket in h.iter_recorded() {
                    wide.saturating_record_n(
                        bucket.value_iterated_to(),
                        u32::from(bucket.count_at_value()),
                    );
                }
                wide.saturating_record(value);
                *self = Counts::Wide(wide);
            }
            Counts::Narrow(h) => h.saturating_record(value),
            Counts::Wide(h) => h.saturating_record(value),
        }
    }

    /// The median, as the middle of its bucket; `None` when empty.
    fn median(&self) -> Option<u64> {
        match self {
            Counts::Narrow(h) => {
                (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(0.5)))
            }
            Counts::Wide(h) => {
                (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(0.5)))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct FlowHistograms {
    /// Payload sizes per direction.
    sizes: [Counts; 2],
    /// Inter-arrival times per direction, microseconds.
    inter_arrival_us: [Counts; 2],
    last_ts: [Option<Timestamp>; 2],
}

impl FlowHistograms {
    pub fn new() -> Option<FlowHistograms> {
        Some(FlowHistograms {
            sizes: [Counts::new(MAX_SIZE)?, Counts::new(MAX_SIZE)?],
            inter_arrival_us: [Counts::new(MAX_IAT_US)?, Counts::new(MAX_IAT_US)?],
            last_ts: [None, None],
        })
    }

    pub fn record(&mut self, dir: Direction, ts: Timestamp, payload_len: usize) {
        let i = dir.index();
        if let Some(h) = self.sizes.get_mut(i) {
            h.record((payload_len as u64).clamp(1, MAX_SIZE));
        }
        if let Some(Some(prev)) = self.last_ts.get(i) {
            let gap_us = (ts.nanos_since(*prev).max(0) / 1000) as u64;
            if let Some(h) = self.inter_arrival_us.get_mut(i) {
                h.record(gap_us.clamp(1, MAX_IAT_US));
            }
        }
        if let Some(slot) = self.last_ts.get_mut(i) {
            *slot = Some(ts);
        }
    }

    /// Median payload size of one direction, bytes.
    pub fn median_size(&self, dir: Direction) -> Option<u64> {
        self.sizes.get(dir.index())?.median()
    }

    /// Median gap between packets of one direction, in milliseconds.
    pub fn median_gap_ms(&self, dir: Direction) -> Option<f64> {
        let us = self.inter_arrival_us.get(dir.index())?.median()?;
        Some(us as f64 / 1000.0)
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

    /// Past 65,535 values in one bucket the counts widen to 32 bits and
    /// the median stays what a 32-bit histogram gives.
    #[test]
    fn a_full_bucket_widens_without_changing_the_median() {
        let mut narrow = Counts::new(MAX_SIZE).unwrap();
        let mut wide = Histogram::<u32>::new_with_bounds(1, MAX_SIZE, SIGNIFICANT_FIGURES).unwrap();
        // A long call: mostly 160-byte voice, some larger and smaller frames.
        let mut x = 12345u64;
        for i in 0..200_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let value = match i % 7 {
                0 => 1 + (x >> 33) % MAX_SIZE,
                1 | 2 => 90 + (x >> 40) % 30,
                _ => 160,
            };
            narrow.record(value);
            wide.saturating_record(value);
            if i == 60_000 {
                assert!(matches!(narrow, Counts::Narrow(_)));
            }
        }
        assert!(matches!(narrow, Counts::Wide(_)));
        let Counts::Wide(widened) = &narrow else {
            unreachable!()
        };
        assert_eq!(widened.len(), wide.len());
        for q in [0.1, 0.5, 0.9, 0.99] {
            assert_eq!(
                widened.value_at_quantile(q),
                wide.value_at_quantile(q),
                "{q}"
            );
        }
        assert_eq!(
            narrow.median(),
            Some(wide.median_equivalent(wide.value_at_quantile(0.5)))
        );
    }
}
