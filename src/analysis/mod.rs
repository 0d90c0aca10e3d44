//! The analysis run: inputs → decode → flow table → dissectors →
//! classification → records. One implementation serves files, standard
//! input and live capture.

pub mod config;
pub mod input;
#[cfg(feature = "live")]
pub mod live;
pub mod run;

pub use config::AnalysisConfig;
pub use input::Input;
pub use run::{Analysis, Progress};
