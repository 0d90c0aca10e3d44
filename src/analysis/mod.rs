//! The analysis run: inputs → decode → flow workers (tables + dissectors)
//! → classification in a fixed order → records. One implementation serves
//! files, standard input and live capture.

pub mod config;
pub mod input;
pub mod ordered_output;
pub mod run;
pub mod worker;

pub use config::AnalysisConfig;
pub use input::Input;
pub use run::{Analysis, NoProgress, Progress};
