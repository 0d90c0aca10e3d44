//! `callpath extract`: the frames of one call, as pcapng.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use callpath::analysis::FlowFrames;
use callpath::capture::PcapngWriter;

use super::collect::run;
use super::output_paths::{is_stdout, refuse_overwriting_inputs};

#[derive(Args)]
pub struct ExtractArgs {
    /// Capture files (pcap or pcapng), read in the order given.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub analysis: super::analysis_options::AnalysisOptions,

    /// The call to extract (its number in `analyze` output).
    #[arg(long, value_name = "N")]
    pub call: u32,

    /// The pcapng file to write (`-`: standard output, e.g. into
    /// `tshark -r -`).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: PathBuf,
}

pub fn extract(args: ExtractArgs) -> ExitCode {
    let sources = args.analysis.files_read(args.files.iter().cloned());
    if let Err(e) = refuse_overwriting_inputs([args.write.as_path()], &sources) {
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
    let flows = &run.collected.flows;
    if !run.collected.calls.iter().any(|c| c.call == args.call) {
        let known: Vec<String> = run
            .collected
            .calls
            .iter()
            .map(|c| c.call.to_string())
            .collect();
        eprintln!(
            "callpath: no call {} in the capture (calls: {})",
            args.call,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
        return ExitCode::from(2);
    }
    let mut frames = FlowFrames::new(flows, |r| r.call == Some(args.call), config.frame_rules());
    let to_stdout = is_stdout(&args.write);
    let file: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        match File::create(&args.write) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("callpath: {}: cannot create: {e}", args.write.display());
                return ExitCode::from(2);
            }
        }
    };
    let mut writer = match PcapngWriter::new(BufWriter::new(file)) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("callpath: {}: {e}", args.write.display());
            return ExitCode::from(2);
        }
    };
    let mut write_error = None;
    for path in &run.read {
        let scanned = frames.scan_file(path, |_, pkt| {
            if write_error.is_none() {
                if let Err(e) = writer.write(pkt) {
                    write_error = Some(e);
                }
            }
        });
        if let Err(e) = scanned {
            eprintln!("callpath: {e}");
            return ExitCode::from(2);
        }
    }
    let written = writer.frames;
    if let Some(e) = write_error.or_else(|| writer.finish().err()) {
        eprintln!("callpath: {}: {e}", args.write.display());
        return ExitCode::from(2);
    }
    let place = if to_stdout {
        "standard output".to_string()
    } else {
        args.write.display().to_string()
    };
    eprintln!(
        "callpath: wrote {written} frames of call {} to {place}",
        args.call
    );
    if run.problems > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
