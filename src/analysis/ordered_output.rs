//! Finished flows are classified and written in one order, whatever thread
//! finished them: by the time they ended (idle deadline, close, eviction),
//! then first packet, then key. A flow is released once every worker has
//! read past its end, so its verdict sees exactly the knowledge learned up
//! to then. One thread or several give the same output.

use std::collections::{BTreeMap, VecDeque};
use std::io;

use crate::capture::Timestamp;
use crate::classify::calls::Emitted;
use crate::classify::classifier::ClassifiedFlow;
use crate::classify::{Classifier, EndedFlow, Role};
use crate::flow::FlowKey;
use crate::report::RecordSink;

type OrderKey = (Timestamp, Timestamp, FlowKey, u64);

/// Released flows classified together before the call tracker takes
/// them. Classification, call tracking and writing each run through
/// kilobytes of code; one flow at a time through all three, each evicted
/// the others from the instruction cache (cachegrind's simulation, bench
/// capture: 40.4 M misses of that cache one at a time, 28.3 M 32 at a
/// time, 27.2 M 128 at a time, 26.9 M 1,024 at a time: an expiry check
/// there releases about 70 flows).
const STAGE: usize = 128;

/// How many flows ahead of the one being classified its memory is asked for.
const PREFETCH_AHEAD: usize = 8;

/// Whether a flow that ended at `end` is released by `watermark`: strictly
/// before it (a flow ending exactly at the watermark may still be on its way
/// from another worker), everything at the end of the run.
pub fn released_by(end: Timestamp, watermark: Timestamp) -> bool {
    end < watermark || watermark == Timestamp(i64::MAX)
}

pub struct OrderedOutput {
    pub classifier: Classifier,
    sink: Box<dyn RecordSink + Send>,
    /// Flows not written yet, in output order. Flows mostly end in that
    /// order already (expiry hands each check's flows over sorted), so
    /// nearly every one joins at the back: a sorted deque, where a tree
    /// map cost a search and node upkeep for each flow in and out.
    pending: VecDeque<(OrderKey, EndedFlow)>,
    /// Tie-breaker for flows with equal keys (a port pair reused at once).
    sequence: u64,
    pub flows: u64,
    /// Flows written per role, in `Role::ALL` order.
    roles: [u64; Role::ALL.len()],
    /// Flows written per VPN tunnel protocol.
    tunnels: BTreeMap<&'static str, u64>,
    /// Released flows classified, waiting for the call tracker (`STAGE`).
    staged: Vec<ClassifiedFlow>,
    ready: Vec<Emitted>,
    pub output_error: Option<io::Error>,
    /// The latest watermark given to `release_later`.
    released_to: Timestamp,
    /// Flows it released that are not written yet: the first `backlog`
    /// of `pending`.
    backlog: usize,
}

impl OrderedOutput {
    pub fn new(classifier: Classifier, sink: Box<dyn RecordSink + Send>) -> Self {
        OrderedOutput {
            classifier,
            sink,
            pending: VecDeque::new(),
            sequence: 0,
            flows: 0,
            roles: [0; Role::ALL.len()],
            tunnels: BTreeMap::new(),
            staged: Vec::with_capacity(STAGE),
            ready: Vec::new(),
            output_error: None,
            released_to: Timestamp(i64::MIN),
            backlog: 0,
        }
    }

    /// Flows waiting to be released.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The end times of the flows waiting to be released.
    pub fn pending_ends(&self) -> impl Iterator<Item = Timestamp> + '_ {
        self.pending.iter().map(|(k, _)| k.0)
    }

    pub fn accept(&mut self, ended: EndedFlow) {
        self.sequence += 1;
        let (end_time, first_seen, key) = ended.order();
        let order = (end_time, first_seen, key, self.sequence);
        let at = match self.pending.back() {
            Some((last, _)) if *last > order => self.pending.partition_point(|(k, _)| *k < order),
            _ => self.pending.len(),
        };
        if at < self.backlog {
            // Before a released flow, so released too (it ended earlier).
            self.backlog += 1;
        }
        self.pending.insert(at, (order, ended));
    }

    /// Classifies and writes every flow `watermark` releases (`released_by`).
    pub fn release(&mut self, watermark: Timestamp) {
        self.release_later(watermark);
        self.write_released(usize::MAX);
    }

    /// Releases the flows `watermark` releases, to be written by
    /// `write_released`. Flows accepted meanwhile ended after the
    /// watermark (each worker reports its flows before it answers the tick
    /// the watermark comes from), so they sort after these: the order
    /// written is the order `release` would write.
    pub fn release_later(&mut self, watermark: Timestamp) {
        // Every packet still to be counted into a flow comes at the
        // watermark or later (each worker has answered its tick).
        self.classifier.judge.knowledge.forget(watermark);
        self.released_to = self.released_to.max(watermark);
        let to = self.released_to;
        self.backlog += self
            .pending
            .range(self.backlog..)
            .take_while(|(k, _)| released_by(k.0, to))
            .count();
    }

    /// Released flows not written yet.
    pub fn backlog(&self) -> usize {
        self.backlog
    }

    /// Classifies and writes up to `most` released flows, oldest first:
    /// classified `STAGE` at a time, then tracked and written in the same
    /// order (a verdict does not depend on the call tracker).
    pub fn write_released(&mut self, most: usize) {
        let mut left = most;
        while left > 0 {
            while self.staged.len() < STAGE.min(left) {
                match self.pending.front() {
                    Some((k, _)) if released_by(k.0, self.released_to) => {}
                    _ => break,
                }
                // The flows next in line, whose memory went cold while
                // they waited: their boxes first, a few later the parts
                // those point to.
                if let Some((_, ahead)) = self.pending.get(PREFETCH_AHEAD) {
                    ahead.prefetch();
                }
                if let Some((_, ahead)) = self.pending.get(PREFETCH_AHEAD / 2) {
                    ahead.prefetch_facts();
                }
                let Some((_, flow)) = self.pending.pop_front() else {
                    break;
                };
                self.backlog = self.backlog.saturating_sub(1);
                let classified = flow.classified(&mut self.classifier.judge);
                self.staged.push(classified);
            }
            if self.staged.is_empty() {
                break;
            }
            left -= self.staged.len();
            for classified in self.staged.drain(..) {
                self.flows += 1;
                if let Some(tunnel) = classified.tunnel() {
                    *self.tunnels.entry(tunnel).or_default() += 1;
                }
                let role = self.classifier.track(classified, &mut self.ready);
                let at = Role::ALL.iter().position(|r| *r == role);
                if let Some(count) = at.and_then(|n| self.roles.get_mut(n)) {
                    *count += 1;
                }
            }
            self.write_ready();
        }
    }

    /// Flows written per role, by role name.
    pub fn roles(&self) -> BTreeMap<&'static str, u64> {
        Role::ALL
            .iter()
            .zip(self.roles)
            .filter(|(_, n)| *n > 0)
            .map(|(role, n)| (role.name(), n))
            .collect()
    }

    /// Flows written per VPN tunnel protocol, by its name.
    pub fn tunnels(&self) -> BTreeMap<&'static str, u64> {
        self.tunnels.clone()
    }

    /// Releases everything (end of the run) and closes the open calls.
    pub fn release_all(&mut self) {
        self.release(Timestamp(i64::MAX));
        self.classifier.finish(&mut self.ready);
        self.write_ready();
    }

    fn write_ready(&mut self) {
        for item in self.ready.drain(..) {
            if self.output_error.is_some() {
                continue;
            }
            let written = match &item {
                Emitted::Flow(r) => self.sink.flow(r),
                Emitted::Call(c) => self.sink.call(c),
            };
            if let Err(e) = written {
                self.output_error = Some(e);
            }
        }
    }

    /// Moves the call tracker's clock without a flow (a quiet live link),
    /// writing the calls idle by then.
    pub fn advance(&mut self, now: Timestamp) {
        self.classifier.advance(now, &mut self.ready);
        self.write_ready();
    }

    pub fn sink(&mut self) -> &mut (dyn RecordSink + Send) {
        self.sink.as_mut()
    }
}
