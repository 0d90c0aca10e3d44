//! Subcommands beyond `analyze`: `report`, `check`, `extract`, and the
//! evidence bundle shared with `analyze --evidence`. Each runs the library
//! and prints; the library itself never prints.

pub mod analysis_options;
pub mod check;
pub mod collect;
pub mod extract;
pub mod output_file;
pub mod output_paths;
pub mod report;

/// Parses a count or a duration in seconds where 0 has no meaning (a flow
/// that expires at once, no thread, no flow): refused rather than
/// silently turned into something else.
pub fn at_least_one<T: std::str::FromStr + PartialEq + From<u8>>(s: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let v: T = s.trim().parse().map_err(|e| format!("{e}"))?;
    if v == T::from(0) {
        Err("must be 1 or more".into())
    } else {
        Ok(v)
    }
}
