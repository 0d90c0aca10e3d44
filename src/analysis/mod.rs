//! The analysis run: inputs → decode → flow table → dissectors →
//! classification → records. One implementation serves files, standard
//! input and live capture.

pub mod config;
pub mod flow_frames;
pub mod input;
pub mod run;

pub use config::AnalysisConfig;
pub use flow_frames::FlowFrames;
pub use input::Input;
pub use run::{Analysis, Progress};
