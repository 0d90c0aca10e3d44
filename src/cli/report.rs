//! `callpath report`: the self-contained HTML report.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use callpath::report::evidence::write_bundle;
use callpath::report::html::{packet_rates, render, ReportInputs};

use super::collect::{input_infos, run, signatures};
use super::output_paths::{bundle_files, is_stdout, refuse_overwriting_inputs};

#[derive(Args)]
pub struct ReportArgs {
    /// Capture files (pcap or pcapng), read in the order given.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub analysis: super::analysis_options::AnalysisOptions,

    /// The HTML file to write (`-`: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Also write the evidence bundle (manifest.json, flows.ndjson,
    /// calls.json) into this directory.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
}

pub fn report(args: ReportArgs) -> ExitCode {
    let bundle: Vec<PathBuf> = args.evidence.iter().flat_map(|d| bundle_files(d)).collect();
    let written = std::iter::once(args.output.as_path()).chain(bundle.iter().map(PathBuf::as_path));
    let sources = args.analysis.files_read(args.files.iter().cloned());
    if let Err(e) = refuse_overwriting_inputs(written, &sources) {
        eprintln!("callpath: {e}");
        return ExitCode::from(2);
    }
    let config = args.analysis.config();
    let run = match run(&args.files, &config, None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("callpath: {e}");
            return ExitCode::from(2);
        }
    };
    let c = &run.collected;
    // Packet rates only for call flows: the charts are per call.
    let rules = config.frame_rules();
    let rates = match packet_rates(&run.read, &c.flows, |r| r.call.is_some(), rules) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("callpath: {e}");
            return ExitCode::from(2);
        }
    };
    let inputs = input_infos(&run.read, c);
    let sig = signatures();
    let html = render(&ReportInputs {
        collected: c,
        inputs: &inputs,
        geolocation: &run.geolocation,
        signatures_version: &sig,
        rates: &rates,
    });
    let written = if is_stdout(&args.output) {
        std::io::Write::write_all(&mut std::io::stdout().lock(), html.as_bytes())
    } else {
        std::fs::write(&args.output, html)
    };
    if let Err(e) = written {
        eprintln!(
            "callpath: {}: cannot write report: {e}",
            args.output.display()
        );
        return ExitCode::from(2);
    }
    if let Some(dir) = &args.evidence {
        if let Err(e) = write_bundle(
            dir,
            &run.read,
            &args.analysis.changing_results(),
            run.geolocation.clone(),
            c,
            rules,
        ) {
            eprintln!("callpath: {}: cannot write evidence: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    if run.problems > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
