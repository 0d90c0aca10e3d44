//! One flow worker: a flow table and the dissectors. With several threads
//! each worker owns the flows whose endpoint pair hashes to it, so the hot
//! path takes no lock; shared knowledge goes to a concurrent map.

use std::sync::Arc;

use crate::capture::Timestamp;
use crate::classify::knowledge::Knowledge;
use crate::classify::signatures::Signatures;
use crate::decode::PacketView;
use crate::dissect::inspect::{inspect, InspectContext};
use crate::flow::{Flow, FlowTable, FlowTableConfig};

pub struct FlowWorker {
    pub table: FlowTable,
    signatures: Arc<Signatures>,
    knowledge: Arc<Knowledge>,
    /// Later fragments whose first fragment this worker never saw.
    pub unattributed_fragments: u64,
}

/// A decoded packet handed to a worker.
#[derive(Clone, Copy, Debug)]
pub struct WorkItem<'a> {
    pub view: PacketView<'a>,
    pub ts: Timestamp,
    pub wire_len: u32,
    pub frame: u64,
    pub file_index: u32,
    /// The analysis clock when the packet was read (see `InspectContext`).
    pub clock: Timestamp,
}

impl FlowWorker {
    pub fn new(
        config: FlowTableConfig,
        signatures: Arc<Signatures>,
        knowledge: Arc<Knowledge>,
    ) -> Self {
        FlowWorker {
            table: FlowTable::new(config),
            signatures,
            knowledge,
            unattributed_fragments: 0,
        }
    }

    /// Counts the packet into its flow and runs the dissectors on it;
    /// flows that end because of it go to `finished`.
    pub fn process(&mut self, item: &WorkItem<'_>, finished: &mut Vec<Box<Flow>>) {
        self.table.set_clock(item.clock);
        let tracked = self.table.track(
            &item.view,
            item.ts,
            item.wire_len,
            item.frame,
            item.file_index,
            &mut |f| finished.push(f),
        );
        match tracked {
            Some((flow, dir)) => {
                let ctx = InspectContext {
                    signatures: &self.signatures,
                    knowledge: &self.knowledge,
                    clock: item.clock,
                };
                inspect(flow, dir, &item.view, item.ts, item.frame, &ctx);
            }
            None => self.unattributed_fragments += 1,
        }
    }

    /// Ends the flows idle at `now` (packet time).
    pub fn tick(&mut self, now: Timestamp, finished: &mut Vec<Box<Flow>>) {
        self.table.expire(now, &mut |f| finished.push(f));
    }

    /// Ends every flow still open (end of the capture).
    pub fn drain(&mut self, finished: &mut Vec<Box<Flow>>) {
        self.table.drain(&mut |f| finished.push(f));
    }
}

/// The worker a packet belongs to: a hash of the unordered address pair,
/// so both directions of a flow, and the later fragments of a datagram
/// (which carry no ports), land on the same worker.
pub fn worker_of(view: &PacketView<'_>, workers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    if workers <= 1 {
        return 0;
    }
    let (a, b) = if view.src <= view.dst {
        (view.src, view.dst)
    } else {
        (view.dst, view.src)
    };
    let mut h = rustc_hash::FxHasher::default();
    a.hash(&mut h);
    b.hash(&mut h);
    (h.finish() % workers.max(1) as u64) as usize
}
