//! One flow worker: a flow table and the dissectors. With several threads
//! each worker owns the flows whose endpoint pair hashes to it, so the hot
//! path takes no lock; shared knowledge goes to a concurrent map.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::capture::LinkType;
use crate::capture::Timestamp;
use crate::classify::classifier::FlowJudge;
use crate::classify::finished_flow::EndWork;
use crate::classify::knowledge::Knowledge;
use crate::classify::signatures::Signatures;
use crate::classify::EndedFlow;
use crate::decode::filter::PacketFilter;
use crate::decode::{decode, Decoded, Fragment, L4Proto, PacketView, SkipReason};
use crate::dissect::inspect::{inspect, InspectContext};
use crate::flow::reassembly::Reassembly;
use crate::flow::{Direction, Flow, FlowTable, FlowTableConfig};

pub struct FlowWorker {
    pub table: FlowTable,
    /// Fragmented UDP datagrams joined for the dissectors.
    reassembly: Reassembly,
    signatures: Arc<Signatures>,
    knowledge: Arc<Knowledge>,
    /// Later fragments whose first fragment this worker never saw.
    pub unattributed_fragments: u64,
    /// Packets this worker decoded itself (`Packet::Raw`), and those it
    /// skipped by reason; the summary adds them up at the end.
    pub decoded: u64,
    pub skipped: BTreeMap<&'static str, u64>,
    filter: Option<Arc<PacketFilter>>,
    /// Classifies the flows as they end, when this is the only worker
    /// (`classify_here`) and while `judging`.
    judge: Option<FlowJudge>,
    pub judging: bool,
}

/// A packet as a worker gets it.
#[derive(Clone, Copy, Debug)]
pub enum Packet<'a> {
    /// Decoded by the reading thread, which needed the addresses to pick
    /// the worker among several.
    Decoded(PacketView<'a>),
    /// As read: with a single worker that keeps up, the worker decodes it,
    /// which takes that work off the reading thread.
    Raw { link: LinkType, data: &'a [u8] },
}

/// A packet handed to a worker.
#[derive(Clone, Copy, Debug)]
pub struct WorkItem<'a> {
    pub packet: Packet<'a>,
    pub meta: PacketMeta,
}

/// What is known of a packet besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct PacketMeta {
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
        filter: Option<Arc<PacketFilter>>,
    ) -> Self {
        FlowWorker {
            table: FlowTable::new(config).count_outstanding_in(Arc::clone(knowledge.outstanding())),
            reassembly: Reassembly::default(),
            signatures,
            knowledge,
            unattributed_fragments: 0,
            decoded: 0,
            skipped: BTreeMap::new(),
            filter,
            judge: None,
            judging: false,
        }
    }

    /// Classifies flows as they end, on this worker's thread. Only for the
    /// run's only worker: a verdict sees facts learned before its flow
    /// ended, and only then has one worker read every packet before that
    /// moment (it reads them in clock order). It takes that work off the
    /// output thread, which has the calls to track and the records to
    /// write, while the worker keeps up (`judging`).
    pub fn classify_here(&mut self, judge: FlowJudge) {
        self.judge = Some(judge);
        self.judging = true;
    }

    /// What is worked out here for a flow that ends: with several flow
    /// tables (or one thread) what the flow alone tells; the only worker
    /// classifies it too while it keeps up, and when behind leaves all of
    /// it to the output, whose thread then has time to spare.
    fn end_work(judge: &mut Option<FlowJudge>, judging: bool) -> EndWork<'_> {
        match judge {
            None => EndWork::Finish,
            Some(judge) if judging => EndWork::Classify(judge),
            Some(_) => EndWork::Leave,
        }
    }

    /// Counts the packet into its flow and runs the dissectors on it;
    /// flows that end because of it go to `finished`.
    pub fn process(&mut self, item: &WorkItem<'_>, finished: &mut Vec<EndedFlow>) {
        match item.packet {
            Packet::Decoded(ref view) => self.process_view(view, &item.meta, finished),
            Packet::Raw { link, data } => {
                // The counters and the filter are taken out for the while
                // (moved, not cloned): the packet goes on to `self` where
                // it lies, not copied out first.
                let (mut decoded, mut skipped) = (0, std::mem::take(&mut self.skipped));
                let filter = self.filter.take();
                let counts = (&mut decoded, &mut skipped);
                decode_counted_then(link, data, filter.as_deref(), counts, |view| {
                    self.process_view(view, &item.meta, finished);
                });
                self.decoded += decoded;
                self.skipped = skipped;
                self.filter = filter;
            }
        }
    }

    /// `process` for a decoded packet (one thread decodes and calls this
    /// at once: no work item is built).
    pub fn process_view(
        &mut self,
        view: &PacketView<'_>,
        meta: &PacketMeta,
        finished: &mut Vec<EndedFlow>,
    ) {
        if view.fragment != Fragment::Whole {
            return self.process_fragment(view, meta, finished);
        }
        let tracked = track(
            &mut self.table,
            &mut self.judge,
            self.judging,
            view,
            meta,
            finished,
        );
        if let Some((flow, dir)) = tracked {
            let ctx = InspectContext {
                signatures: &self.signatures,
                knowledge: &self.knowledge,
                clock: meta.clock,
            };
            inspect(flow, dir, view, meta.ts, meta.frame, &ctx);
        }
    }

    /// `process_view` for an IP fragment, out of the packet path: the
    /// dissectors see a first fragment as it comes (its later fragments may
    /// never be captured) and a UDP datagram again once a later fragment
    /// completes it (as its first fragment's frame, in evidence); a later
    /// fragment alone is only counted.
    #[cold]
    #[inline(never)]
    fn process_fragment(
        &mut self,
        view: &PacketView<'_>,
        meta: &PacketMeta,
        finished: &mut Vec<EndedFlow>,
    ) {
        let tracked = track(
            &mut self.table,
            &mut self.judge,
            self.judging,
            view,
            meta,
            finished,
        );
        let Some((flow, dir)) = tracked else {
            self.unattributed_fragments += 1;
            return;
        };
        let ctx = InspectContext {
            signatures: &self.signatures,
            knowledge: &self.knowledge,
            clock: meta.clock,
        };
        let datagram = |id| (view.src, view.dst, view.l4.number(), id);
        match (view.l4, view.fragment) {
            (L4Proto::Udp, Fragment::First { id }) => {
                self.reassembly
                    .first(datagram(id), meta.frame, view.payload);
                inspect(flow, dir, view, meta.ts, meta.frame, &ctx);
            }
            (L4Proto::Udp, Fragment::Later { id, offset, more }) => {
                let done = self
                    .reassembly
                    .later(&datagram(id), offset, more, view.payload);
                if let Some(whole) = done {
                    let view = PacketView {
                        payload: &whole.payload,
                        fragment: Fragment::Whole,
                        ..*view
                    };
                    inspect(flow, dir, &view, meta.ts, whole.frame, &ctx);
                }
            }
            (_, Fragment::Later { .. }) => {}
            _ => inspect(flow, dir, view, meta.ts, meta.frame, &ctx),
        }
    }

    /// Ends the flows idle at `now` (packet time).
    pub fn tick(&mut self, now: Timestamp, finished: &mut Vec<EndedFlow>) {
        let (judge, judging) = (&mut self.judge, self.judging);
        self.table.expire(now, &mut |f| {
            finished.push(EndedFlow::new(f, Self::end_work(judge, judging)))
        });
    }

    /// Ends every flow still open (end of the capture).
    pub fn drain(&mut self, finished: &mut Vec<EndedFlow>) {
        let (judge, judging) = (&mut self.judge, self.judging);
        self.table
            .drain(&mut |f| finished.push(EndedFlow::new(f, Self::end_work(judge, judging))));
    }
}

/// Counts a packet into its flow (flows that end because of it go to
/// `finished`, with what is left to work out for them); the flow and the
/// packet's direction, or `None` for a later fragment no flow claims.
#[inline(always)]
fn track<'t>(
    table: &'t mut FlowTable,
    judge: &mut Option<FlowJudge>,
    judging: bool,
    view: &PacketView<'_>,
    meta: &PacketMeta,
    finished: &mut Vec<EndedFlow>,
) -> Option<(&'t mut Flow, Direction)> {
    table.set_clock(meta.clock);
    table.track(
        view,
        meta.ts,
        meta.wire_len,
        meta.frame,
        meta.file_index,
        &mut |f| finished.push(EndedFlow::new(f, FlowWorker::end_work(judge, judging))),
    )
}

/// Where decoding counts packets: those decoded (and kept by the
/// filter), and those skipped by reason.
pub type DecodeCounts<'c> = (&'c mut u64, &'c mut BTreeMap<&'static str, u64>);

/// Decodes a frame and counts it as decoded, or as skipped by reason
/// (`filtered_out` when `filter` does not match it).
pub fn decode_counted<'a>(
    link: LinkType,
    data: &'a [u8],
    filter: Option<&PacketFilter>,
    counts: DecodeCounts<'_>,
) -> Option<PacketView<'a>> {
    let mut view = None;
    decode_counted_then(link, data, filter, counts, |v| view = Some(*v));
    view
}

/// `decode_counted` that hands a decoded packet to `then` where it lies:
/// copying the view out was about 1 % of a run.
pub fn decode_counted_then<'a>(
    link: LinkType,
    data: &'a [u8],
    filter: Option<&PacketFilter>,
    (decoded, skipped): DecodeCounts<'_>,
    then: impl FnOnce(&PacketView<'a>),
) {
    match decode(link, data) {
        Decoded::Packet(ref view) if filter.is_none_or(|f| f.matches(view)) => {
            *decoded += 1;
            then(view);
        }
        Decoded::Packet(_) => *skipped.entry(SkipReason::FilteredOut.name()).or_default() += 1,
        Decoded::Skipped(reason) => {
            *skipped.entry(reason.name()).or_default() += 1;
        }
    }
}

impl WorkItem<'_> {
    /// The worker, of `workers`, whose flows this packet belongs to.
    pub fn worker(&self, workers: usize) -> usize {
        match &self.packet {
            Packet::Decoded(view) => worker_of(view, workers),
            Packet::Raw { .. } => 0,
        }
    }
}

/// The worker a packet belongs to: a hash of the unordered address pair,
/// so both directions of a flow, and the later fragments of a datagram
/// (which carry no ports), land on the same worker. Inlined: with one
/// worker it is a comparison, and it is asked for every packet (a plain
/// `#[inline]` left it a call).
#[inline(always)]
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
