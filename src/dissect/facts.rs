//! Facts the dissectors extract and a flow keeps for the classifier.

/// Everything callpath learned from a flow's payloads (filled by
/// `dissect::inspect`).
#[derive(Clone, Debug, Default)]
pub struct FlowFacts {}
