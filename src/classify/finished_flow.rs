//! A flow that has ended, with what the flow alone tells already worked
//! out where it ended: its record's counters and community id, its media
//! summary and the medians of its histograms. That work is done on the
//! worker thread that tracked the flow, so the thread that classifies and
//! writes only adds what needs other flows' knowledge, and the histograms
//! are freed by the thread that allocated them. A run's only worker gives
//! the verdict there too (`EndedFlow`).

use super::classifier::{ClassifiedFlow, FlowJudge};
use crate::capture::Timestamp;
use crate::flow::{Direction, Flow, FlowKey};
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

/// A flow that ended, as the output receives it.
pub enum EndedFlow {
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
    /// Ends `flow` on its worker's thread, classified there if `judge`.
    pub fn new(flow: Box<Flow>, judge: Option<&mut FlowJudge>) -> EndedFlow {
        let finished = FinishedFlow::new(flow);
        match judge {
            Some(judge) => EndedFlow::Classified(Box::new(judge.classify(finished))),
            None => EndedFlow::Unclassified(finished),
        }
    }

    pub fn end_time(&self) -> Timestamp {
        self.order().0
    }

    /// Its place in the output: when it ended, its first packet, its key.
    pub fn order(&self) -> (Timestamp, Timestamp, FlowKey) {
        match self {
            EndedFlow::Unclassified(f) => (f.flow.end_time, f.flow.first_seen, f.flow.key),
            EndedFlow::Classified(c) => (c.end_time, c.first_seen(), c.key),
        }
    }
}
