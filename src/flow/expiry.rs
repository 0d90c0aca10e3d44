//! When flows are due to end, kept as a min-heap of deadlines instead of a
//! scan of the table. Deadlines are not updated on every packet: when an
//! entry comes due, the flow's real deadline is checked and the entry put
//! back if the flow was active meanwhile, so each flow costs at most one
//! heap operation per timeout period.

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

#[derive(Debug, Default)]
pub struct ExpiryQueue {
    heap: BinaryHeap<Reverse<(Timestamp, SlotRef)>>,
}

impl ExpiryQueue {
    pub fn schedule(&mut self, at: Timestamp, slot: SlotRef) {
        self.heap.push(Reverse((at, slot)));
    }

    /// The earliest entry if it is due at `now`, removed from the queue.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, SlotRef)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// The earliest entry whatever its time (for eviction).
    pub fn pop_earliest(&mut self) -> Option<(Timestamp, SlotRef)> {
        self.heap.pop().map(|Reverse(e)| e)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub fn clear(&mut self) {
        self.heap.clear();
    }
}
