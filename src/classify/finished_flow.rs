//! A flow that has ended, with what the flow alone tells already worked
//! out where it ended: its record's counters and community id, its media
//! summary and the medians of its histograms. That work is done on the
//! worker thread that tracked the flow, so the thread that classifies and
//! writes only adds what needs other flows' knowledge, and the histograms
//! are freed by the thread that allocated them. A run's only worker gives
//! the verdict there too while it keeps up, and leaves everything to the
//! output thread while it is behind (`EndWork`).

use super::classifier::{ClassifiedFlow, FlowJudge};
use crate::capture::Timestamp;
use crate::flow::{Direction, Flow, FlowKey};
use crate::prefetch::prefetch_lines;
use crate::report::media_summary::MediaSummary;
use crate::report::FlowRecord;

#[derive(Debug)]
pub struct FinishedFlow {
    /// The flow, without its histograms.
    pub flow: Box<Flow>,
    /// The record's parts that come from the flow alone; the classifier
    /// fills in the verdict.
    pub record: Box<FlowRecord>,
    /// Median gap between packets per direction (orig → resp first), in
    /// milliseconds, for flows that kept histograms.
    pub median_gap_ms: [Option<f64>; 2],
}

impl FinishedFlow {
    pub fn new(mut flow: Box<Flow>) -> FinishedFlow {
        let mut record = Box::new(FlowRecord::from_flow(&flow));
        record.media = MediaSummary::from_flow(&flow).map(Box::new);
        let median_gap_ms = [Direction::FromOrig, Direction::FromResp]
            .map(|d| flow.histograms.as_ref().and_then(|h| h.median_gap_ms(d)));
        flow.histograms = None;
        FinishedFlow {
            flow,
            record,
            median_gap_ms,
        }
    }
}

/// What the thread where a flow ends works out before handing it on.
pub enum EndWork<'j> {
    /// What the flow alone tells (`FinishedFlow`).
    Finish,
    /// That, and the verdict.
    Classify(&'j mut FlowJudge),
    /// Nothing: the output thread does it all (a run's only worker while
    /// it is behind, so that the thread with time to spare does the work).
    Leave,
}

/// A flow that ended, as the output receives it.
pub enum EndedFlow {
    /// As the flow table gave it up: nothing worked out yet.
    AsTracked(Box<Flow>),
    /// To be classified by the output, in output order: with several flow
    /// tables, another one may not yet have read a fact its verdict sees.
    Unclassified(FinishedFlow),
    /// Classified where it ended: with one flow table, every fact its
    /// verdict may see (learned before it ended) was known by then.
    /// Boxed: the output's queue moves these about, and an unclassified
    /// flow is 48 bytes against 112.
    Classified(Box<ClassifiedFlow>),
}

impl EndedFlow {
    /// Ends `flow` on its worker's thread, doing `work` there.
    pub fn new(flow: Box<Flow>, work: EndWork<'_>) -> EndedFlow {
        match work {
            EndWork::Finish => EndedFlow::Unclassified(FinishedFlow::new(flow)),
            EndWork::Classify(judge) => {
                EndedFlow::Classified(Box::new(judge.classify(FinishedFlow::new(flow))))
            }
            EndWork::Leave => EndedFlow::AsTracked(flow),
        }
    }

    /// The flow classified: by `judge` now, unless it was already.
    pub fn classified(self, judge: &mut FlowJudge) -> ClassifiedFlow {
        match self {
            EndedFlow::AsTracked(flow) => judge.classify(FinishedFlow::new(flow)),
            EndedFlow::Unclassified(flow) => judge.classify(flow),
            EndedFlow::Classified(c) => *c,
        }
    }

    /// The flow, unless it was classified already.
    fn unclassified_flow(&self) -> Option<&Flow> {
        match self {
            EndedFlow::AsTracked(f) => Some(f),
            EndedFlow::Unclassified(f) => Some(&f.flow),
            EndedFlow::Classified(_) => None,
        }
    }

    /// Asks for the flow's own memory (its box, and its record's) ahead
    /// of its verdict: it ended a minute of packet time or more before its
    /// release, long enough to leave the caches.
    pub fn prefetch(&self) {
        if let EndedFlow::Unclassified(f) = self {
            prefetch_lines(&*f.record);
        }
        if let Some(flow) = self.unclassified_flow() {
            prefetch_lines(flow);
        }
    }

    /// Asks for the boxed parts of the flow's facts; their addresses are
    /// in the flow, so this comes after `prefetch` has brought it in.
    pub fn prefetch_facts(&self) {
        let Some(flow) = self.unclassified_flow() else {
            return;
        };
        let facts = &flow.facts;
        if let Some(stun) = &facts.stun {
            prefetch_lines(&**stun);
        }
        if let Some(media) = &facts.media {
            prefetch_lines(&**media);
        }
        if let Some(signalling) = &facts.signalling {
            prefetch_lines(&**signalling);
        }
    }

    pub fn end_time(&self) -> Timestamp {
        self.order().0
    }

    /// Its place in the output: when it ended, its first packet, its key.
    pub fn order(&self) -> (Timestamp, Timestamp, FlowKey) {
        match self {
            EndedFlow::AsTracked(f) => (f.end_time, f.first_seen, f.key),
            EndedFlow::Unclassified(f) => (f.flow.end_time, f.flow.first_seen, f.flow.key),
            EndedFlow::Classified(c) => (c.end_time, c.first_seen(), c.key),
        }
    }
}
