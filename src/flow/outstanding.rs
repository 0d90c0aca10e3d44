//! Flows not classified yet, counted by the epoch (a fixed stretch of the
//! analysis clock) of their last packet. What other flows taught callpath
//! counts for a flow only if it was learned in the few epochs before the
//! flow's last one (see `Knowledge`); the earliest epoch still counted
//! here tells which facts no verdict to come can see, so they can be
//! forgotten and memory stays flat on long captures, whatever the threads.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::capture::Timestamp;

/// Epochs the counts cover before they wrap. Counts of epochs this far
/// apart share a place, which can only make an epoch look occupied when it
/// is not: the answer errs towards keeping facts.
const RING: usize = 64;

#[derive(Debug)]
pub struct Outstanding {
    epoch_nanos: i64,
    counts: Box<[AtomicU64]>,
    /// The earliest epoch any flow entered (`i64::MAX` before the first).
    lowest: AtomicI64,
}

impl Outstanding {
    /// Epochs of `epoch_nanos` (at least 1) of the analysis clock.
    pub fn new(epoch_nanos: i64) -> Outstanding {
        Outstanding {
            epoch_nanos: epoch_nanos.max(1),
            counts: (0..RING).map(|_| AtomicU64::new(0)).collect(),
            lowest: AtomicI64::new(i64::MAX),
        }
    }

    pub fn epoch_of(&self, t: Timestamp) -> i64 {
        t.0.div_euclid(self.epoch_nanos)
    }

    /// The first moment of `epoch`.
    pub fn epoch_start(&self, epoch: i64) -> Timestamp {
        Timestamp(epoch.saturating_mul(self.epoch_nanos))
    }

    /// The count of `epoch` (always there: the place is below RING).
    fn count(&self, epoch: i64) -> Option<&AtomicU64> {
        self.counts.get(epoch.rem_euclid(RING as i64) as usize)
    }

    /// A flow whose last packet fell in `epoch` awaits its verdict.
    pub fn enter(&self, epoch: i64) {
        if let Some(c) = self.count(epoch) {
            c.fetch_add(1, Ordering::AcqRel);
        }
        self.lowest.fetch_min(epoch, Ordering::AcqRel);
    }

    /// The earliest epoch any flow entered, if one has.
    pub fn lowest_entered(&self) -> Option<i64> {
        Some(self.lowest.load(Ordering::Acquire)).filter(|&e| e != i64::MAX)
    }

    /// That flow has had its verdict (or moved on to a later epoch, which
    /// it entered first, so it is never counted nowhere).
    pub fn leave(&self, epoch: i64) {
        // Never below zero, even if a caller leaves twice: a stray count
        // only keeps facts longer.
        if let Some(c) = self.count(epoch) {
            let _ = c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        }
    }

    /// The earliest epoch from `from` to `to` with a flow awaiting its
    /// verdict, or `to` if none. No flow may wait in an epoch before
    /// `from`, and flows entering meanwhile enter at `to` or later (the
    /// caller's bound on the clock of packets still unread).
    pub fn earliest(&self, from: i64, to: i64) -> i64 {
        // Past RING epochs every place has been looked at: all empty,
        // nothing awaits a verdict.
        (from..to)
            .take(RING)
            .find(|&e| self.count(e).is_none_or(|c| c.load(Ordering::Acquire) > 0))
            .unwrap_or(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_epoch_with_a_flow_waiting() {
        let o = Outstanding::new(10);
        assert_eq!(o.epoch_of(Timestamp(25)), 2);
        assert_eq!(o.epoch_of(Timestamp(-1)), -1);
        assert_eq!(o.epoch_start(3), Timestamp(30));
        assert_eq!(o.earliest(0, 9), 9);
        o.enter(4);
        o.enter(6);
        assert_eq!(o.earliest(0, 9), 4);
        assert_eq!(o.earliest(0, 3), 3);
        o.leave(4);
        assert_eq!(o.earliest(0, 9), 6);
        o.leave(6);
        o.leave(6);
        assert_eq!(o.earliest(0, 9), 9);
    }

    #[test]
    fn wrapped_counts_keep_more_not_less() {
        let o = Outstanding::new(1);
        o.enter(RING as i64 + 5);
        // Epoch 5 shares a place with RING + 5: it looks occupied.
        assert_eq!(o.earliest(0, 1000), 5);
        // A span longer than the ring, nothing waiting: the bound itself.
        o.leave(RING as i64 + 5);
        assert_eq!(o.earliest(0, 1000), 1000);
    }
}
