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
/// the others from the instruction cache (1.0 % of instruction fetches
/// missed it, a quarter of them in classification alone).
const STAGE: usize = 32;

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
    /// Released flows classified, waiting for the call tracker (`STAGE`).
    staged: Vec<ClassifiedFlow>,
    ready: Vec<Emitted>,
    pub output_error: Option<io::Error>,
    /// The latest watermark given to `release_later`.
    released_to: Timestamp,
    /// Flows it released that are not written yet: the first `backlog`
    /// of `pending`.
    backlog: usize,
    /// Flows in `pending` as their flow table gave them up
    /// (`EndedFlow::AsTracked`), which `judge_ahead` may classify early.
    as_tracked: usize,
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
            staged: Vec::with_capacity(STAGE),
            ready: Vec::new(),
            output_error: None,
            released_to: Timestamp(i64::MIN),
            backlog: 0,
            as_tracked: 0,
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
        if matches!(ended, EndedFlow::AsTracked(_)) {
            self.as_tracked += 1;
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
                let Some((_, flow)) = self.pending.pop_front() else {
                    break;
                };
                self.backlog = self.backlog.saturating_sub(1);
                if matches!(flow, EndedFlow::AsTracked(_)) {
                    self.as_tracked -= 1;
                }
                let classified = flow.classified(&mut self.classifier.judge);
                self.staged.push(classified);
            }
            if self.staged.is_empty() {
                break;
            }
            left -= self.staged.len();
            for classified in self.staged.drain(..) {
                self.flows += 1;
                let role = self.classifier.track(classified, &mut self.ready);
                let at = Role::ALL.iter().position(|r| *r == role);
                if let Some(count) = at.and_then(|n| self.roles.get_mut(n)) {
                    *count += 1;
                }
            }
            self.write_ready();
        }
    }

    /// Flows waiting that `judge_ahead` can classify.
    pub fn can_judge_ahead(&self) -> bool {
        self.as_tracked > 0
    }

    /// Classifies up to `most` waiting flows that came as their flow table
    /// gave them up, released or not, oldest first. Only the run's only
    /// flow table hands flows on so (`EndWork::Leave`), and it has read
    /// every packet before a flow it hands on ended: the verdict is the one
    /// it would have given itself, or the output at release (verdicts see
    /// the facts learned before their flow ended, whenever they are given).
    /// For the reading thread, while it would otherwise wait for the worker.
    pub fn judge_ahead(&mut self, most: usize) {
        let mut done = 0;
        let mut at = 0;
        while done < most && self.as_tracked > 0 && at < self.pending.len() {
            if let Some((_, EndedFlow::AsTracked(_))) = self.pending.get(at) {
                // Taken out and put back in its place: the last flow fills
                // the gap for the while.
                if let Some((order, ended)) = self.pending.swap_remove_back(at) {
                    let classified = ended.classified(&mut self.classifier.judge);
                    self.pending
                        .push_back((order, EndedFlow::Classified(Box::new(classified))));
                    let last = self.pending.len() - 1;
                    self.pending.swap(at, last);
                }
                self.as_tracked -= 1;
                done += 1;
            }
            at += 1;
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::analysis::worker::{FlowWorker, PacketMeta};
    use crate::capture::CaptureFile;
    use crate::classify::knowledge::{Knowledge, DEFAULT_WINDOW_SECS};
    use crate::classify::signatures::Signatures;
    use crate::decode::{decode, Decoded};
    use crate::flow::FlowTableConfig;
    use crate::geo::{GeoDb, GeoResolver, Jurisdictions, Operators};
    use crate::report::collect::CollectingSink;

    /// The flow and call records of `capture` run through one flow table
    /// that leaves every ended flow as tracked (as the only worker does
    /// while behind), its flows classified by the output at release or,
    /// with `ahead`, as soon as they arrive; also how many flows were
    /// written and how many judged ahead.
    fn records(capture: &Path, ahead: bool) -> (Vec<String>, usize, usize) {
        let signatures = Arc::new(Signatures::embedded().unwrap());
        let knowledge = Arc::new(Knowledge::with_window_secs(DEFAULT_WINDOW_SECS));
        let geo = GeoResolver::new(
            GeoDb::embedded().unwrap(),
            Operators::embedded().unwrap(),
            Jurisdictions::embedded().unwrap(),
        );
        let classifier = Classifier::new(signatures.clone(), knowledge.clone(), Arc::new(geo));
        let mut worker = FlowWorker::new(FlowTableConfig::default(), signatures, knowledge);
        worker.classify_here(classifier.judge.another());
        worker.judging = false;
        let (sink, handle) = CollectingSink::new();
        let mut output = OrderedOutput::new(classifier, Box::new(sink));
        let mut judged_ahead = 0;
        let mut hand_over = |output: &mut OrderedOutput, finished: &mut Vec<EndedFlow>| {
            for f in finished.drain(..) {
                output.accept(f);
            }
            if ahead {
                judged_ahead += output.as_tracked;
                output.judge_ahead(usize::MAX);
                assert!(!output.can_judge_ahead());
            }
        };
        let file = CaptureFile::open(capture).unwrap();
        let (mut now, mut next_tick) = (Timestamp(i64::MIN), Timestamp(i64::MIN));
        let mut finished = Vec::new();
        file.read(|pkt, _| {
            now = now.max(pkt.ts);
            let meta = PacketMeta {
                ts: pkt.ts,
                wire_len: pkt.orig_len,
                frame: pkt.frame,
                file_index: 0,
                clock: now,
            };
            if let Decoded::Packet(view) = decode(pkt.link, pkt.data) {
                worker.process_view(&view, &meta, &mut finished);
            }
            if now >= next_tick {
                next_tick = Timestamp(now.0.saturating_add(1_000_000_000));
                worker.tick(now, &mut finished);
                hand_over(&mut output, &mut finished);
                output.release(now);
            }
            hand_over(&mut output, &mut finished);
        });
        worker.drain(&mut finished);
        hand_over(&mut output, &mut finished);
        output.release_all();
        let collected = handle.take();
        let mut lines: Vec<String> = (collected.flows.iter())
            .map(|f| serde_json::to_string(f).unwrap())
            .collect();
        lines.extend((collected.calls.iter()).map(|c| serde_json::to_string(c).unwrap()));
        (lines, collected.flows.len(), judged_ahead)
    }

    /// Flows the worker leaves get the verdicts they would have got at
    /// their release when the reading thread classifies them as they come.
    #[test]
    fn judging_ahead_of_release_gives_the_same_records() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        for name in [
            "relayed-call.pcap",
            "webrtc-relayed-call.pcap",
            "direct-call.pcap",
        ] {
            let capture = samples.join(name);
            let (at_release, flows, none) = records(&capture, false);
            let (ahead, _, judged) = records(&capture, true);
            assert_eq!(none, 0);
            // Every flow was left as tracked and judged ahead.
            assert!(flows > 0 && judged == flows, "{name}: {judged} of {flows}");
            assert_eq!(at_release, ahead, "{name}");
        }
    }
}
