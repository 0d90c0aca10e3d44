//! Classification: which app (from `signatures/`), which role in a call
//! (p2p, relay, lookup, other) and which flows form one call.

pub mod announced_media;
pub mod app;
pub mod call_legs;
pub mod call_times;
pub mod call_window;
pub mod calls;
pub mod classifier;
pub mod device_apps;
pub mod device_macs;
pub mod finished_flow;
pub mod knowledge;
pub mod learned_address;
pub mod media;
pub mod media_spans;
pub mod network;
pub mod probe_sweep;
pub mod role;
pub mod service_operators;
pub mod session_marks;
pub mod sides;
pub mod signatures;
pub mod tunnel;
pub mod verdict;

pub use classifier::Classifier;
pub use finished_flow::{EndedFlow, FinishedFlow};
pub use verdict::{FlowVerdict, Role};
