//! The analysis run: inputs → decode → flow workers (tables + dissectors)
//! → classification in a fixed order → records. One implementation serves
//! files, standard input and live capture.

pub mod config;
mod device_tags;
pub mod flow_frames;
pub mod input;
#[cfg(feature = "live")]
pub mod live;
pub mod ordered_output;
pub mod run;
mod waiting;
pub mod worker;

pub use config::AnalysisConfig;
pub use flow_frames::{FlowFrames, FrameRules};
pub use input::Input;
pub use run::{Analysis, NoProgress, Progress};
