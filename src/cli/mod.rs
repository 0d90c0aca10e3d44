//! Subcommands beyond `analyze`: `report`, `check`, `extract`, and the
//! evidence bundle shared with `analyze --evidence`. Each runs the library
//! and prints; the library itself never prints.

pub mod check;
pub mod collect;
pub mod extract;
pub mod output_file;
pub mod output_paths;
pub mod report;
