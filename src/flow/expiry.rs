//! When flows are due to end, kept in one-second buckets of packet time (a
//! timer wheel) instead of a scan of the table or a heap ordered on every
//! push. Deadlines are not updated on every packet: when an entry comes
//! due, the flow's real deadline is checked and the entry put back if the
//! flow was active meanwhile, so each flow costs at most one bucket push
//! per timeout period.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::capture::Timestamp;

/// A slot in the flow table plus the generation of the flow in it, so an
/// entry left behind by a finished flow is recognised as stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SlotRef {
    pub slot: u32,
    pub generation: u32,
}

type Entry = (Timestamp, SlotRef);

/// Seconds the wheel spans: more than the longest default timeout (300 s),
/// so deadlines normally land in the wheel; longer ones wait in `later`.
const WHEEL_SECS: usize = 1024;
const NANOS_PER_SEC: i64 = 1_000_000_000;

fn second_of(at: Timestamp) -> i64 {
    at.0.div_euclid(NANOS_PER_SEC)
}

#[derive(Debug)]
pub struct ExpiryQueue {
    /// Bucket `s % WHEEL_SECS` holds the entries due in second `s`, for
    /// `s` from `cursor` to `cursor + WHEEL_SECS - 1`; entries already due
    /// when scheduled go to the cursor's bucket.
    wheel: Vec<Vec<Entry>>,
    /// The earliest second not yet fully handed out.
    cursor: Option<i64>,
    in_wheel: usize,
    /// Entries beyond the wheel's span, earliest first.
    later: BinaryHeap<Reverse<Entry>>,
}

impl Default for ExpiryQueue {
    fn default() -> Self {
        ExpiryQueue {
            wheel: (0..WHEEL_SECS).map(|_| Vec::new()).collect(),
            cursor: None,
            in_wheel: 0,
            later: BinaryHeap::new(),
        }
    }
}

impl ExpiryQueue {
    fn bucket(&mut self, second: i64) -> Option<&mut Vec<Entry>> {
        let index = second.rem_euclid(WHEEL_SECS as i64) as usize;
        self.wheel.get_mut(index)
    }

    /// Queues `slot` to come due at `at`; `now` is the current packet time
    /// (the wheel starts there, so an earlier deadline is not held back).
    pub fn schedule(&mut self, at: Timestamp, slot: SlotRef, now: Timestamp) {
        let cursor = *self.cursor.get_or_insert(second_of(now.min(at)));
        let second = second_of(at).max(cursor);
        if second - cursor >= WHEEL_SECS as i64 {
            self.later.push(Reverse((at, slot)));
        } else if let Some(bucket) = self.bucket(second) {
            bucket.push((at, slot));
            self.in_wheel += 1;
        }
    }

    /// Moves entries from `later` that now fall within the wheel's span.
    fn admit_later(&mut self, cursor: i64) {
        while let Some(Reverse((at, slot))) = self.later.peek().copied() {
            if second_of(at) - cursor >= WHEEL_SECS as i64 {
                break;
            }
            self.later.pop();
            if let Some(bucket) = self.bucket(second_of(at).max(cursor)) {
                bucket.push((at, slot));
                self.in_wheel += 1;
            }
        }
    }

    /// Moves every entry due at `now` (at or before it) into `due`, in no
    /// particular order.
    pub fn take_due(&mut self, now: Timestamp, due: &mut Vec<Entry>) {
        let Some(mut cursor) = self.cursor else {
            return;
        };
        let now_second = second_of(now);
        loop {
            if self.in_wheel == 0 {
                // Nothing to walk through: jump to the next entry or to now.
                let next = self.later.peek().map_or(now_second, |Reverse((at, _))| {
                    second_of(*at).min(now_second)
                });
                cursor = cursor.max(next);
            }
            self.admit_later(cursor);
            if cursor > now_second {
                break;
            }
            let before = due.len();
            if let Some(bucket) = self.bucket(cursor) {
                if cursor < now_second {
                    // Taken, not drained: a bucket's room is given back
                    // rather than kept for a second a full turn away.
                    due.extend(std::mem::take(bucket));
                } else {
                    bucket.retain(|&(at, slot)| {
                        if at <= now {
                            due.push((at, slot));
                            false
                        } else {
                            true
                        }
                    });
                }
            }
            self.in_wheel -= due.len() - before;
            if cursor == now_second {
                break;
            }
            cursor += 1;
        }
        self.cursor = Some(cursor);
    }

    /// The earliest entry whatever its time (for eviction), removed.
    pub fn pop_earliest(&mut self) -> Option<Entry> {
        if self.in_wheel > 0 {
            let cursor = self.cursor?;
            for second in cursor..cursor + WHEEL_SECS as i64 {
                let Some(bucket) = self.bucket(second) else {
                    continue;
                };
                let Some(i) = (0..bucket.len()).min_by_key(|&i| bucket.get(i).copied()) else {
                    continue;
                };
                let entry = bucket.swap_remove(i);
                self.in_wheel -= 1;
                return Some(entry);
            }
        }
        self.later.pop().map(|Reverse(e)| e)
    }

    pub fn len(&self) -> usize {
        self.in_wheel + self.later.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        for bucket in &mut self.wheel {
            bucket.clear();
        }
        self.cursor = None;
        self.in_wheel = 0;
        self.later.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: f64) -> Timestamp {
        Timestamp((secs * 1e9) as i64)
    }

    fn slot(n: u32) -> SlotRef {
        SlotRef {
            slot: n,
            generation: 0,
        }
    }

    fn due(q: &mut ExpiryQueue, now: f64) -> Vec<u32> {
        let mut out = Vec::new();
        q.take_due(at(now), &mut out);
        let mut slots: Vec<u32> = out.iter().map(|(_, s)| s.slot).collect();
        slots.sort_unstable();
        slots
    }

    #[test]
    fn hands_out_what_is_due_and_keeps_the_rest() {
        let mut q = ExpiryQueue::default();
        q.schedule(at(100.2), slot(1), at(0.0));
        q.schedule(at(100.7), slot(2), at(0.0));
        q.schedule(at(220.0), slot(3), at(0.0));
        assert_eq!(due(&mut q, 99.0), Vec::<u32>::new());
        assert_eq!(due(&mut q, 100.5), vec![1]);
        assert_eq!(due(&mut q, 150.0), vec![2]);
        assert_eq!(q.len(), 1);
        // A deadline already past when scheduled is due at once.
        q.schedule(at(120.0), slot(4), at(0.0));
        assert_eq!(due(&mut q, 150.0), vec![4]);
        assert_eq!(due(&mut q, 1e6), vec![3]);
        assert!(q.is_empty());
    }

    #[test]
    fn deadlines_beyond_the_wheel_and_clock_jumps() {
        let mut q = ExpiryQueue::default();
        q.schedule(at(10.0), slot(1), at(0.0));
        q.schedule(at(10.0 + 5000.0), slot(2), at(0.0));
        q.schedule(at(10.0 + 1e9), slot(3), at(0.0));
        assert_eq!(due(&mut q, 4000.0), vec![1]);
        assert_eq!(due(&mut q, 5009.0), Vec::<u32>::new());
        assert_eq!(due(&mut q, 5010.0), vec![2]);
        assert_eq!(due(&mut q, 2e9), vec![3]);
        // Negative packet times (before 1970) work the same way.
        q.schedule(at(-50.5), slot(4), at(0.0));
        assert_eq!(due(&mut q, 2e9), vec![4]);
    }

    #[test]
    fn earliest_entry_first_for_eviction() {
        let mut q = ExpiryQueue::default();
        q.schedule(at(30.0), slot(1), at(0.0));
        q.schedule(at(20.5), slot(2), at(0.0));
        q.schedule(at(20.1), slot(3), at(0.0));
        q.schedule(at(9000.0), slot(4), at(0.0));
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_earliest())
            .map(|(_, s)| s.slot)
            .collect();
        assert_eq!(order, vec![3, 2, 1, 4]);
    }
}
