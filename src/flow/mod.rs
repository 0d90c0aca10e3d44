//! Flow tracking: a bidirectional table keyed by the unordered endpoint
//! pair, remembering who spoke first; per-direction counters and
//! (for flows that grow) size and inter-arrival histograms; expiry on
//! packet time; a cap on active flows.

pub mod direction_stats;
pub mod expiry;
// `flow::flow` is the Flow type's own file, one concept per file.
#[allow(clippy::module_inception)]
pub mod flow;
pub mod histograms;
pub mod key;
pub mod table;

pub use direction_stats::DirectionStats;
pub use flow::{EndReason, Flow};
pub use histograms::FlowHistograms;
pub use key::{Direction, Endpoint, FlowKey};
pub use table::{FlowTable, FlowTableConfig, FlowTableStats};
