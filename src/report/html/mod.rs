//! The HTML report of `callpath report`: one self-contained file a
//! journalist can publish (inline CSS and SVG, system fonts, no script, no
//! request to any server when opened).

pub mod call_view;
pub mod escape;
pub mod packet_rates;
pub mod page;
pub mod world_map;

pub use packet_rates::{packet_rates, PacketRates, RateSeries};
pub use page::{render, InputInfo, ReportInputs};
