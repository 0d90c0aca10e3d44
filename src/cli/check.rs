//! `callpath check`: vendor claims against a capture.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use callpath::geo::Jurisdictions;
use callpath::report::claims::{check as check_claim, Claim, Outcome};

use super::collect::run;

#[derive(Args)]
pub struct CheckArgs {
    /// Capture files (pcap or pcapng), read in the order given.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub analysis: super::analysis_options::AnalysisOptions,

    /// A claim to check (repeatable): `media-p2p`, `two-party-p2p`,
    /// `no-relay-outside:<CC|EU|EEA>`, `no-operator:<CC>`,
    /// `no-lookup-to:<CC|EU|EEA>`; CC is an ISO 3166-1 alpha-2 code.
    #[arg(long = "claim", required = true, value_name = "CLAIM")]
    pub claims: Vec<String>,
}

pub fn check(args: CheckArgs) -> ExitCode {
    let jurisdictions = match Jurisdictions::embedded() {
        Ok(j) => j,
        Err(e) => {
            eprintln!("callpath: {e}");
            return ExitCode::from(2);
        }
    };
    let mut claims = Vec::new();
    for text in &args.claims {
        let parsed = text.parse::<Claim>().map_err(|e| e.to_string());
        match parsed.and_then(|c| {
            c.check_place(&jurisdictions)
                .map(|()| c)
                .map_err(|e| e.to_string())
        }) {
            Ok(c) => claims.push(c),
            Err(e) => {
                eprintln!("callpath: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let run = match run(&args.files, &args.analysis.config(), None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("callpath: {e}");
            return ExitCode::from(2);
        }
    };
    let mut worst = Outcome::Pass;
    // A reader that stops early (`| head`) closes the pipe: the verdicts
    // still decide the exit code, the rest of the text goes nowhere.
    let mut out = std::io::stdout().lock();
    let mut open = true;
    for claim in &claims {
        let result = check_claim(claim, &run.collected, &jurisdictions);
        worst = worst.max(result.outcome);
        open = open
            && writeln!(
                out,
                "{:<8} {} ({})",
                result.outcome.name(),
                result.claim,
                result.meaning
            )
            .is_ok();
        for line in &result.because {
            open = open && writeln!(out, "         {line}").is_ok();
        }
    }
    if open {
        let _ = out.flush();
    }
    if run.problems > 0 {
        // A PASS over part of the traffic is no PASS for the whole.
        eprintln!(
            "callpath: {} of {} inputs damaged or unreadable: the verdicts cover only what was read",
            run.problems,
            args.files.len()
        );
        return ExitCode::from(1);
    }
    if worst == Outcome::Pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
