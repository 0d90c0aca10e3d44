//! Packet-size and inter-arrival distributions of a media flow, with
//! hdrhistogram's buckets. A flow gets them only once its packets look
//! like media (see `FlowTable::track`), and each distribution keeps only
//! the buckets it uses, in a short sorted list: a voice stream fills a
//! handful of the 144 (sizes) or 336 (gaps) buckets of its range. A distribution that
//! spreads over more buckets than the list can hold in less memory moves
//! to a full hdrhistogram; either way the counts, so the medians, are
//! those of a plain hdrhistogram.

use std::sync::OnceLock;

use hdrhistogram::Histogram;

use super::Direction;
use crate::capture::Timestamp;

/// Inter-arrival times are recorded in microseconds, up to ten seconds:
/// media gaps are milliseconds; anything longer is a pause.
const MAX_IAT_US: u64 = 10_000_000;
/// Payload sizes up to the largest UDP payload on an Ethernet path.
const MAX_SIZE: u64 = 2048;
/// One significant figure still tells 20 ms voice from 40 or 60 ms.
const SIGNIFICANT_FIGURES: u8 = 1;

/// What a distribution measures, which sets its range.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Size,
    Gap,
}

impl Kind {
    fn max(self) -> u64 {
        match self {
            Kind::Size => MAX_SIZE,
            Kind::Gap => MAX_IAT_US,
        }
    }

    /// An empty histogram with this kind's bounds, shared by every flow and
    /// used only for its bucket arithmetic.
    fn layout(self) -> Option<&'static Histogram<u8>> {
        static SIZE: OnceLock<Option<Histogram<u8>>> = OnceLock::new();
        static GAP: OnceLock<Option<Histogram<u8>>> = OnceLock::new();
        let cell = match self {
            Kind::Size => &SIZE,
            Kind::Gap => &GAP,
        };
        cell.get_or_init(|| Histogram::new_with_bounds(1, self.max(), SIGNIFICANT_FIGURES).ok())
            .as_ref()
    }

    /// Most buckets the sorted list holds: beyond it, a full histogram of
    /// 16-bit counts is smaller than the list's 8 bytes a bucket.
    fn sparse_limit(self) -> usize {
        self.layout().map_or(0, |h| h.distinct_values() / 4)
    }
}

/// A full histogram, counting in 16 bits until one of its buckets is full
/// and in 32 bits from then on: the same counts, so the same medians, as
/// 32 bits from the start.
#[derive(Clone, Debug)]
enum Dense {
    Narrow(Histogram<u16>),
    Wide(Histogram<u32>),
}

impl Dense {
    /// A full histogram holding the buckets of a sorted list.
    fn from_sparse(kind: Kind, buckets: &[(u32, u32)]) -> Option<Dense> {
        let narrow = buckets.iter().all(|&(_, n)| n <= u32::from(u16::MAX));
        let mut dense = if narrow {
            Dense::Narrow(Histogram::new_with_bounds(1, kind.max(), SIGNIFICANT_FIGURES).ok()?)
        } else {
            Dense::Wide(Histogram::new_with_bounds(1, kind.max(), SIGNIFICANT_FIGURES).ok()?)
        };
        for &(value, n) in buckets {
            match &mut dense {
                Dense::Narrow(h) => h.saturating_record_n(u64::from(value), n as u16),
                Dense::Wide(h) => h.saturating_record_n(u64::from(value), n),
            }
        }
        Some(dense)
    }

    fn record(&mut self, value: u64) {
        match self {
            Dense::Narrow(h) if h.count_at(value) == u16::MAX => {
                let mut wide = Histogram::<u32>::new_from(h);
                for bucket in h.iter_recorded() {
                    wide.saturating_record_n(
                        bucket.value_iterated_to(),
                        u32::from(bucket.count_at_value()),
                    );
                }
                wide.saturating_record(value);
                *self = Dense::Wide(wide);
            }
            Dense::Narrow(h) => h.saturating_record(value),
            Dense::Wide(h) => h.saturating_record(value),
        }
    }

    /// The median, as the middle of its bucket; `None` when empty.
    fn median(&self) -> Option<u64> {
        match self {
            Dense::Narrow(h) => {
                (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(0.5)))
            }
            Dense::Wide(h) => {
                (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(0.5)))
            }
        }
    }
}

/// One distribution.
#[derive(Clone, Debug)]
enum Counts {
    /// (lowest value of a bucket, values counted in it), in value order.
    Sparse(Vec<(u32, u32)>),
    Dense(Box<Dense>),
}

impl Counts {
    fn record(&mut self, kind: Kind, value: u64) {
        let value = value.clamp(1, kind.max());
        match self {
            Counts::Sparse(buckets) => {
                let Some(layout) = kind.layout() else { return };
                // The range ends far below 2^32.
                let lowest = layout.lowest_equivalent(value) as u32;
                match buckets.binary_search_by_key(&lowest, |&(v, _)| v) {
                    Ok(i) => {
                        if let Some((_, n)) = buckets.get_mut(i) {
                            *n = n.saturating_add(1);
                        }
                    }
                    Err(i) if buckets.len() < kind.sparse_limit() => {
                        buckets.insert(i, (lowest, 1));
                    }
                    Err(_) => {
                        if let Some(mut dense) = Dense::from_sparse(kind, buckets) {
                            dense.record(value);
                            *self = Counts::Dense(Box::new(dense));
                        }
                    }
                }
            }
            Counts::Dense(h) => h.record(value),
        }
    }

    /// The median, as the middle of its bucket (hdrhistogram's
    /// `median_equivalent(value_at_quantile(0.5))`); `None` when empty.
    fn median(&self, kind: Kind) -> Option<u64> {
        let buckets = match self {
            Counts::Sparse(buckets) => buckets,
            Counts::Dense(h) => return h.median(),
        };
        let total: u64 = buckets.iter().map(|&(_, n)| u64::from(n)).sum();
        if total == 0 {
            return None;
        }
        let target = ((0.5 * total as f64).ceil() as u64).max(1);
        let layout = kind.layout()?;
        let mut seen = 0u64;
        buckets.iter().find_map(|&(lowest, n)| {
            seen += u64::from(n);
            (seen >= target)
                .then(|| layout.median_equivalent(layout.highest_equivalent(u64::from(lowest))))
        })
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

impl Default for FlowHistograms {
    fn default() -> Self {
        FlowHistograms {
            sizes: [Counts::Sparse(Vec::new()), Counts::Sparse(Vec::new())],
            inter_arrival_us: [Counts::Sparse(Vec::new()), Counts::Sparse(Vec::new())],
            last_ts: [None, None],
        }
    }
}

impl FlowHistograms {
    pub fn record(&mut self, dir: Direction, ts: Timestamp, payload_len: usize) {
        let i = dir.index();
        if let Some(h) = self.sizes.get_mut(i) {
            h.record(Kind::Size, payload_len as u64);
        }
        if let Some(Some(prev)) = self.last_ts.get(i) {
            let gap_us = (ts.nanos_since(*prev).max(0) / 1000) as u64;
            if let Some(h) = self.inter_arrival_us.get_mut(i) {
                h.record(Kind::Gap, gap_us);
            }
        }
        if let Some(slot) = self.last_ts.get_mut(i) {
            *slot = Some(ts);
        }
    }

    /// Median payload size of one direction, bytes.
    pub fn median_size(&self, dir: Direction) -> Option<u64> {
        self.sizes.get(dir.index())?.median(Kind::Size)
    }

    /// Median gap between packets of one direction, in milliseconds.
    pub fn median_gap_ms(&self, dir: Direction) -> Option<f64> {
        let us = self.inter_arrival_us.get(dir.index())?.median(Kind::Gap)?;
        Some(us as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 32-bit hdrhistogram of the same range: the reference medians.
    fn plain(kind: Kind) -> Histogram<u32> {
        Histogram::new_with_bounds(1, kind.max(), SIGNIFICANT_FIGURES).unwrap()
    }

    fn plain_median(h: &Histogram<u32>) -> u64 {
        h.median_equivalent(h.value_at_quantile(0.5))
    }

    /// Values of a long stream: mostly one size (or gap), some spread
    /// over `spread` values around it and across the range.
    fn stream(kind: Kind, n: u64, spread: u64) -> impl Iterator<Item = u64> {
        let mut x = 12345u64;
        (0..n).map(move |i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match i % 7 {
                0 => 1 + (x >> 33) % kind.max(),
                1 | 2 => 90 + (x >> 40) % spread,
                _ => 160,
            }
        })
    }

    #[test]
    fn voice_every_20_ms_has_a_20_ms_median_gap() {
        let mut h = FlowHistograms::default();
        for i in 0..100 {
            h.record(Direction::FromOrig, Timestamp(i * 20_000_000), 160);
        }
        let gap = h.median_gap_ms(Direction::FromOrig).unwrap();
        assert!((18.0..=22.0).contains(&gap), "{gap}");
        let size = h.median_size(Direction::FromOrig).unwrap();
        assert!((150..=170).contains(&size), "{size}");
        assert!(h.median_gap_ms(Direction::FromResp).is_none());
        assert!(matches!(h.sizes[0], Counts::Sparse(_)));
    }

    /// Whether the buckets stay in the short list or move to a full
    /// histogram, every median is a plain hdrhistogram's.
    #[test]
    fn sparse_and_full_counts_give_hdrhistogram_medians() {
        for kind in [Kind::Size, Kind::Gap] {
            for (n, spread) in [(1, 1), (2, 1), (50, 3), (999, 10), (5000, 400)] {
                let mut counts = Counts::Sparse(Vec::new());
                let mut reference = plain(kind);
                for (i, v) in stream(kind, n, spread).enumerate() {
                    counts.record(kind, v);
                    reference.saturating_record(v.clamp(1, kind.max()));
                    if i % 97 == 0 || i as u64 == n - 1 {
                        assert_eq!(
                            counts.median(kind),
                            Some(plain_median(&reference)),
                            "{kind:?} {n} {spread} after {i}"
                        );
                    }
                }
            }
            assert_eq!(Counts::Sparse(Vec::new()).median(kind), None);
        }
        let mut few = Counts::Sparse(Vec::new());
        let mut many = Counts::Sparse(Vec::new());
        for v in stream(Kind::Gap, 1000, 3) {
            few.record(Kind::Gap, v % 100);
        }
        for v in stream(Kind::Gap, 5000, 400) {
            many.record(Kind::Gap, v);
        }
        assert!(matches!(few, Counts::Sparse(_)));
        assert!(matches!(many, Counts::Dense(_)));
    }

    /// Past 65,535 values in one bucket the counts widen to 32 bits and
    /// the median stays what a 32-bit histogram gives.
    #[test]
    fn a_full_bucket_widens_without_changing_the_median() {
        let mut counts = Counts::Sparse(Vec::new());
        let mut reference = plain(Kind::Size);
        for (i, value) in stream(Kind::Size, 200_000, 30).enumerate() {
            counts.record(Kind::Size, value);
            reference.saturating_record(value);
            if i == 60_000 {
                assert!(matches!(&counts, Counts::Dense(d) if matches!(**d, Dense::Narrow(_))));
            }
        }
        let Counts::Dense(dense) = &counts else {
            panic!("a spread of sizes moves to a full histogram")
        };
        let Dense::Wide(widened) = &**dense else {
            panic!("65,535 values in one bucket widen the counts")
        };
        assert_eq!(widened.distinct_values(), reference.distinct_values());
        for q in [0.1, 0.5, 0.9, 0.99] {
            assert_eq!(
                widened.value_at_quantile(q),
                reference.value_at_quantile(q),
                "{q}"
            );
        }
        assert_eq!(counts.median(Kind::Size), Some(plain_median(&reference)));
    }

    /// A list whose counts are past 16 bits moves straight to 32-bit counts.
    #[test]
    fn a_list_with_large_counts_moves_to_wide_counts() {
        let dense = Dense::from_sparse(Kind::Size, &[(160, 70_000), (200, 3)]).unwrap();
        assert!(matches!(dense, Dense::Wide(_)));
        assert_eq!(
            dense.median(),
            Some(plain_median(&{
                let mut h = plain(Kind::Size);
                h.saturating_record_n(160, 70_000);
                h.saturating_record_n(200, 3);
                h
            }))
        );
    }
}
