//! A flow that has ended, with what the flow alone tells already worked
//! out where it ended: its record's counters and community id, its media
//! summary and the medians of its histograms. That work is done on the
//! worker thread that tracked the flow, so the thread that classifies and
//! writes (the busier one) only adds what needs other flows' knowledge,
//! and the histograms are freed by the thread that allocated them.

use crate::flow::{Direction, Flow};
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
