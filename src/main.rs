//! The callpath command line: parses arguments, runs the library, turns
//! errors into one-line messages and exit codes.
//!
//! Exit codes: 0 clean; 1 an input was damaged or unreadable but results
//! were written; 2 nothing readable, or a usage error.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use callpath::analysis::{Analysis, Input, Progress};
use callpath::report::sink::sink_for;
use callpath::report::OutputFormat;

mod cli;
mod heap_pages;
mod live_command;

/// Many small, short-lived allocations (records, facts, evidence): glibc's
/// malloc and free took about 15 % of a run on the bench capture (perf).
///
/// Its arenas may be backed by 2 MiB transparent huge pages, where the
/// kernel allows them (mimalloc asks with `madvise`). That covers the flow
/// table and the knowledge tables with few TLB entries: bench capture,
/// paired rounds against keeping the heap in 4 KiB pages, one thread 0.910
/// (11 rounds) and 0.940 (90 %: 0.932-0.961, 21), two threads 0.971. The
/// price is memory resident in whole huge pages: peak RssAnon one thread
/// 34-35 -> 40 MiB, two 38 -> 48 MiB; 300,000 open flows 1.00 -> 1.05 KB
/// each. Not on a virtual machine that hands free huge blocks back to its
/// host (see `heap_pages`). `MIMALLOC_ALLOW_THP=0` keeps the heap in small
/// pages, `=1` in huge pages wherever the kernel allows.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its place in mimalloc's option table
/// (`mi_option_purge_delay` in mimalloc.h of the v2 sources that
/// libmimalloc-sys 0.1.49 builds; the sys crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long (ms) freed memory stays with the process before mimalloc gives
/// it back to the OS. At the default, 10 ms, a run over the bench capture
/// took 1,254 page faults, with one second 374 (`perf stat`): flows end in
/// bursts at each expiry tick, and their memory is wanted again at the
/// next one. Wall time, 13 alternating rounds: one thread the same (1.21
/// and 1.22 s), two threads 0.90 → 0.86 s.
const PURGE_DELAY_MS: std::os::raw::c_long = 1000;

fn tune_allocator() {
    // mimalloc's own variable, when set, has the last word.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` stores a number in mimalloc's option table and
    // may be called at any time; the index is checked by a test below.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS)
    };
}

const EXIT_DAMAGED: u8 = 1;
const EXIT_UNUSABLE: u8 = 2;

/// `--version`: the program, its data and their credits.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nEmbedded geolocation: ip-location-db ",
    include_str!("../data/geo/VERSION"),
    "  country: @ip-location-db/geo-whois-asn-country (CC0 / NRO data, CC BY 4.0)\n",
    "  ASN and organisation: @ip-location-db/asn (CC BY 4.0: RouteViews, DB-IP \"IP Geolocation by DB-IP\", NRO)\n",
    "  ASN country: @ip-location-db/asn-country (CC0 / NRO data, CC BY 4.0)\n",
    "  Their authors warn that some of this data is wrong; --geoip FILE takes a MaxMind, DB-IP or IPinfo database instead.\n",
    "App signatures and operator/jurisdiction tables: signatures/ (sources named per entry)."
);

#[derive(Parser)]
#[command(
    name = "callpath",
    version,
    long_version = LONG_VERSION,
    about = "Shows where your calls really go: direct peer-to-peer, lookup, or data-centre relay — and whose law applies",
    after_help = "Exit codes: 0 clean; 1 an input was damaged or unreadable but results were written; 2 nothing readable or usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse capture files (pcap or pcapng) and write one record per flow,
    /// then the calls and a summary.
    Analyze(AnalyzeArgs),
    /// Write a self-contained HTML report (one file, no request to any
    /// server when opened) of the calls in capture files.
    Report(cli::report::ReportArgs),
    /// Check vendor claims (e.g. `--claim media-p2p`) against capture
    /// files: PASS, FAIL or UNTESTED per claim with the calls and flows that
    /// decide it. Exit 0 when all pass, 1 otherwise, 2 on bad input.
    Check(cli::check::CheckArgs),
    /// Write the frames of one call as pcapng.
    Extract(cli::extract::ExtractArgs),
    /// Capture from a network interface and analyse as packets arrive
    /// (needs the `live` feature and libpcap).
    Live(live_command::LiveArgs),
    /// List the interfaces live capture can use, with their addresses
    /// (needs the `live` feature).
    Interfaces(live_command::InterfacesArgs),
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Capture files (pcap or pcapng); `-` reads a capture stream from
    /// standard input. Several files are read one after another, in the
    /// order given, into one flow table: a flow that continues from one file
    /// into the next (rotated captures) stays one flow. Give them in time
    /// order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,

    /// Write the output to this file instead of standard output (`-`:
    /// standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    #[command(flatten)]
    analysis: cli::analysis_options::AnalysisOptions,

    /// Write an evidence bundle (manifest.json with input SHA-256s and
    /// versions, flows.ndjson, calls.json with the frames behind every
    /// verdict) into this directory. Not with standard input.
    #[arg(long, value_name = "DIR")]
    evidence: Option<PathBuf>,

    /// Never draw a progress bar (it is drawn on standard error only when
    /// that is a terminal).
    #[arg(long)]
    no_progress: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn start_input(&self, name: &str, total: Option<u64>) {
        self.0.reset();
        match total {
            Some(t) => {
                self.0.set_length(t);
                self.0.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
            }
            None => self.0.set_style(
                ProgressStyle::with_template("{msg} {bytes} ({bytes_per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        }
        self.0.set_message(name.to_string());
    }
    fn advance(&self, position: u64) {
        self.0.set_position(position);
    }
    fn finish_input(&self) {
        self.0.finish_and_clear();
    }
}

struct Silent;
impl Progress for Silent {}

fn analyze(args: AnalyzeArgs) -> ExitCode {
    // Every file read (captures and databases) is safe from -o and --evidence.
    let sources =
        (args.analysis).files_read(args.files.iter().filter(|f| *f != "-").map(PathBuf::from));
    let bundle: Vec<PathBuf> = args
        .evidence
        .iter()
        .flat_map(|d| cli::output_paths::bundle_files(d))
        .collect();
    let written = args.output.iter().chain(&bundle).map(PathBuf::as_path);
    if let Err(e) = cli::output_paths::refuse_overwriting_inputs(written, &sources) {
        eprintln!("callpath: {e}");
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if args.evidence.is_some() && args.files.iter().any(|f| f == "-") {
        eprintln!("callpath: --evidence needs capture files (their SHA-256 goes in the manifest), not standard input");
        return ExitCode::from(EXIT_UNUSABLE);
    }
    let analysis_options = args.analysis.changing_results();
    let config = args.analysis.config();
    let (out, created): (Box<dyn Write + Send>, _) = match &args.output {
        Some(path) if !cli::output_paths::is_stdout(path) => match cli::output_file::open(path) {
            Ok((f, created)) => (Box::new(f), Some(created)),
            Err(e) => {
                eprintln!("callpath: {}: cannot create output: {e}", path.display());
                return ExitCode::from(EXIT_UNUSABLE);
            }
        },
        _ => (Box::new(io::stdout()), None),
    };
    let (sink, collected) = match &args.evidence {
        Some(_) => {
            let (sink, handle) =
                callpath::report::CollectingSink::forwarding(Some(sink_for(args.format, out)));
            (
                Box::new(sink) as Box<dyn callpath::report::RecordSink + Send>,
                Some(handle),
            )
        }
        None => (sink_for(args.format, out), None),
    };
    let mut analysis = match Analysis::new(&config, sink) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("callpath: {e}");
            if let Some(c) = created {
                c.remove();
            }
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    let progress: Box<dyn Progress> = if !args.no_progress && io::stderr().is_terminal() {
        Box::new(Bar(ProgressBar::new(0)))
    } else {
        Box::new(Silent)
    };

    // The inputs read, in order: they match the summary's `inputs`, and the
    // evidence bundle reads them again.
    let mut read: Vec<PathBuf> = Vec::new();
    let mut problems = 0usize;
    for arg in &args.files {
        let input = Input::from_arg(arg);
        let (was_read, problem) =
            cli::collect::tell(&input, analysis.run_input(&input, progress.as_ref()));
        if was_read {
            read.push(PathBuf::from(arg));
        }
        problems += usize::from(problem);
    }
    if read.is_empty() {
        // Nothing was read: an empty report would look like an empty
        // capture. The errors above are all there is to say.
        if let Some(c) = created {
            c.remove();
        }
        return ExitCode::from(EXIT_UNUSABLE);
    }
    let geolocation = analysis.geo_sources();
    if let Err(e) = analysis.finish_before_exit() {
        eprintln!("callpath: {e}");
        return ExitCode::from(EXIT_UNUSABLE);
    }
    if let (Some(dir), Some(handle)) = (&args.evidence, collected) {
        if let Err(e) = callpath::report::evidence::write_bundle(
            dir,
            &read,
            &analysis_options,
            geolocation,
            &handle.take(),
            config.frame_rules(),
        ) {
            eprintln!("callpath: {}: cannot write evidence: {e}", dir.display());
            return ExitCode::from(EXIT_UNUSABLE);
        }
    }
    if problems > 0 {
        ExitCode::from(EXIT_DAMAGED)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    tune_allocator();
    heap_pages::keep_heap_in_small_pages_under_reporting();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let usage_error = e.use_stderr();
            let _ = e.print();
            return if usage_error {
                ExitCode::from(EXIT_UNUSABLE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Report(args) => cli::report::report(args),
        Command::Check(args) => cli::check::check(args),
        Command::Extract(args) => cli::extract::extract(args),
        Command::Live(args) => live_command::live(args),
        Command::Interfaces(args) => live_command::interfaces(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option at `MI_OPTION_PURGE_DELAY` is the purge delay: its
    /// default is 10 (ms), between the eager-commit delay (default 1) and
    /// the NUMA node count (default 0), as in mimalloc.h.
    #[test]
    fn purge_delay_option_is_where_mimalloc_keeps_it() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            eprintln!("skipped: MIMALLOC_PURGE_DELAY is set");
            return;
        }
        // SAFETY: reading options only.
        #[allow(unsafe_code)]
        let (before, at, after) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY - 1),
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY + 1),
            )
        };
        assert_eq!((before, at, after), (1, 10, 0));
    }
}
