//! Runs one analysis over capture files and keeps every record, for the
//! subcommands that need the whole picture.

use std::path::PathBuf;

use callpath::analysis::run::NoProgress;
use callpath::analysis::{Analysis, AnalysisConfig, Input};
use callpath::error::CaptureError;
use callpath::geo::DbInfo;
use callpath::report::evidence::{sha256_file, signatures_version};
use callpath::report::html::InputInfo;
use callpath::report::summary::InputReport;
use callpath::report::{Collected, CollectingSink, RecordSink};

/// The records of a run and what produced them.
pub struct Run {
    pub collected: Collected,
    pub geolocation: Vec<DbInfo>,
    /// Some input was damaged or unreadable (messages already printed).
    pub problems: usize,
    /// The inputs that could be opened, in order: the ones to read again
    /// (frames, hashes), matching the summary's `inputs` one to one.
    pub read: Vec<PathBuf>,
}

/// Analyses `files` in order with `config`; prints warnings about damaged
/// inputs.
/// `Err` carries the message of a run that produced nothing usable.
pub fn run(
    files: &[PathBuf],
    config: &AnalysisConfig,
    forward: Option<Box<dyn RecordSink + Send>>,
) -> Result<Run, String> {
    let (sink, handle) = CollectingSink::forwarding(forward);
    let mut analysis = Analysis::new(config, Box::new(sink)).map_err(|e| e.to_string())?;
    let geolocation = analysis.geo_sources();
    let (mut read, mut problems) = (Vec::new(), 0usize);
    for path in files {
        let input = Input::File(path.clone());
        let (was_read, problem) = tell(&input, analysis.run_input(&input, &NoProgress));
        if was_read {
            read.push(path.clone());
        }
        problems += usize::from(problem);
    }
    analysis.finish().map_err(|e| e.to_string())?;
    if read.is_empty() {
        return Err("no input could be read".into());
    }
    Ok(Run {
        collected: handle.take(),
        geolocation,
        problems,
        read,
    })
}

/// Prints what reading `input` showed: its warnings, where it is damaged,
/// or why it could not be read. Returns whether it was read (whole or in
/// part) and whether it was damaged or unreadable.
pub fn tell(input: &Input, result: Result<&InputReport, CaptureError>) -> (bool, bool) {
    match result {
        Ok(report) => {
            for w in &report.warnings {
                eprintln!("callpath: {input}: warning: {w}");
            }
            if let Some(d) = &report.damaged {
                eprintln!(
                    "callpath: {input}: {d}; the {} packets before it were analysed",
                    report.packets
                );
            }
            (true, report.damaged.is_some())
        }
        Err(e) => {
            eprintln!("callpath: {e}");
            (false, true)
        }
    }
}

/// The inputs as the report credits them.
pub fn input_infos(files: &[PathBuf], collected: &Collected) -> Vec<InputInfo> {
    files
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let report = collected.summary.as_ref().and_then(|s| s.inputs.get(i));
            InputInfo {
                name: p.display().to_string(),
                sha256: sha256_file(p).ok(),
                packets: report.map_or(0, |r| r.packets),
                damaged: report.and_then(|r| r.damaged.clone()),
            }
        })
        .collect()
}

pub fn signatures() -> String {
    signatures_version()
}
