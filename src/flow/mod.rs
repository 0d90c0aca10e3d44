//! Flow tracking: a bidirectional table keyed by the unordered endpoint
//! pair, remembering who spoke first; per-direction counters and
//! (for flows that grow) size and inter-arrival histograms; expiry on
//! packet time; a cap on active flows.

pub mod address_text;
pub mod chunked_vec;
pub mod direction_stats;
pub mod duplicates;
pub mod expiry;
pub mod fragments;
pub mod histograms;
pub mod index;
pub mod key;
pub mod outstanding;
pub mod reassembly;
pub mod table;
pub mod tracked_flow;

pub use direction_stats::DirectionStats;
pub use histograms::FlowHistograms;
pub use key::{write_ip_text, Direction, Endpoint, FlowKey};
pub use outstanding::Outstanding;
pub use table::{FlowTable, FlowTableConfig, FlowTableStats};
pub use tracked_flow::{EndReason, Flow};
