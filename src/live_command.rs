//! `callpath live` and `callpath interfaces` (part of the binary, not the
//! library). Both need the `live` feature (libpcap); without it they say
//! how to get it and exit 2.

use std::path::PathBuf;
#[cfg(not(feature = "live"))]
use std::process::ExitCode;

use clap::Args;

use callpath::report::OutputFormat;

use super::EXIT_UNUSABLE;

#[derive(Args)]
pub struct LiveArgs {
    /// Interface to capture on (`callpath interfaces` lists them).
    #[arg(short, long, value_name = "IFACE")]
    pub interface: String,

    /// Capture filter in BPF (tcpdump) syntax, applied in the kernel.
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    pub filter: Option<String>,

    /// Stop after this many seconds (Ctrl-C stops at any time).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Stop after this many packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Also write every captured packet to this pcapng file (as `tshark -w`).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Output format. NDJSON streams a line per flow as it ends; `table` on
    /// a terminal redraws a live view every second and prints the full
    /// table at the end.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write the output to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Every SECS seconds write a `flow_update` record (NDJSON) for each
    /// open flow that has lasted at least SECS seconds.
    #[arg(long, value_name = "SECS")]
    pub update_interval: Option<f64>,

    /// Put the interface in promiscuous mode (off by default: only traffic
    /// to and from this host, plus broadcast and multicast).
    #[arg(short, long)]
    pub promiscuous: bool,

    /// Kernel capture buffer, in MiB.
    #[arg(long, default_value_t = 16, value_name = "MIB")]
    pub buffer_mib: u32,

    /// Idle timeout of UDP (and other non-TCP) flows, in seconds.
    #[arg(long, default_value_t = callpath::flow::FlowTableConfig::default().udp_timeout_secs, value_name = "SECS",
        value_parser = crate::cli::at_least_one::<u64>)]
    pub udp_timeout: u64,

    /// Idle timeout of TCP flows, in seconds.
    #[arg(long, default_value_t = callpath::flow::FlowTableConfig::default().tcp_timeout_secs, value_name = "SECS",
        value_parser = crate::cli::at_least_one::<u64>)]
    pub tcp_timeout: u64,

    /// Count copies of a packet as packets of their own (by default a copy
    /// right behind its packet on its flow, as `-i any` shows a packet
    /// that crosses a bridge on each interface it crosses, is counted once).
    #[arg(long)]
    pub keep_duplicates: bool,
}

#[derive(Args)]
pub struct InterfacesArgs {}

#[cfg(not(feature = "live"))]
const NOT_BUILT: &str = "this callpath was built without live capture. Install libpcap \
(Debian/Ubuntu: apt-get install libpcap-dev; Fedora: dnf install libpcap-devel) and build with \
`cargo build --release --features live`. Capture files can be analysed without it: callpath analyze FILE";

#[cfg(not(feature = "live"))]
pub fn live(_args: LiveArgs) -> ExitCode {
    eprintln!("callpath live: {NOT_BUILT}");
    ExitCode::from(EXIT_UNUSABLE)
}

#[cfg(not(feature = "live"))]
pub fn interfaces(_args: InterfacesArgs) -> ExitCode {
    eprintln!("callpath interfaces: {NOT_BUILT}");
    ExitCode::from(EXIT_UNUSABLE)
}

#[cfg(feature = "live")]
pub use with_libpcap::{interfaces, live};

#[cfg(feature = "live")]
mod with_libpcap {
    use std::io::{self, IsTerminal, Write};
    use std::process::ExitCode;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use callpath::analysis::live::{run_live, LiveRunOptions};
    use callpath::analysis::{Analysis, AnalysisConfig};
    use callpath::capture::live::{list_interfaces, LiveCapture, LiveConfig};
    use callpath::flow::FlowTableConfig;
    use callpath::report::live_table::LiveTableSink;
    use callpath::report::sink::sink_for;
    use callpath::report::{OutputFormat, RecordSink};

    use super::{InterfacesArgs, LiveArgs, EXIT_UNUSABLE};

    const EXIT_DAMAGED: u8 = 1;

    fn seconds(name: &str, v: Option<f64>) -> Result<Option<Duration>, String> {
        match v {
            None => Ok(None),
            Some(s) if s.is_finite() && s > 0.0 => Ok(Some(Duration::from_secs_f64(s))),
            Some(s) => Err(format!(
                "--{name} must be a positive number of seconds, not {s}"
            )),
        }
    }

    pub fn live(args: LiveArgs) -> ExitCode {
        let (duration, update_interval) = match (
            seconds("duration", args.duration),
            seconds("update-interval", args.update_interval),
        ) {
            (Ok(d), Ok(u)) => (d, u),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("callpath live: {e}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        };
        // Open the interface first: it is the step that needs privileges,
        // and its refusal should be the first thing the user reads.
        let mut capture = match LiveCapture::open(&LiveConfig {
            interface: args.interface.clone(),
            filter: args.filter.clone(),
            promiscuous: args.promiscuous,
            buffer_bytes: args.buffer_mib.saturating_mul(1 << 20),
        }) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("callpath: {e}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        };

        let out: Box<dyn Write + Send> = match &args.output {
            Some(path) => match std::fs::File::create(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("callpath: {}: cannot create output: {e}", path.display());
                    return ExitCode::from(EXIT_UNUSABLE);
                }
            },
            None => Box::new(io::stdout()),
        };
        let live_view = args.format == OutputFormat::Table
            && args.output.is_none()
            && io::stdout().is_terminal();
        let sink: Box<dyn RecordSink + Send> = if live_view {
            Box::new(LiveTableSink::new(Box::new(io::stdout()), out))
        } else {
            sink_for(args.format, out)
        };
        let config = AnalysisConfig {
            flow_table: FlowTableConfig {
                udp_timeout_secs: args.udp_timeout,
                tcp_timeout_secs: args.tcp_timeout,
                skip_duplicates: !args.keep_duplicates,
                ..Default::default()
            },
            threads: 1,
            ..Default::default()
        };
        let mut analysis = match Analysis::new(&config, sink) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("callpath: {e}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        };

        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed)) {
            eprintln!("callpath: warning: cannot catch Ctrl-C ({e}); use --duration or --count");
        }
        if !live_view {
            eprintln!(
                "callpath: capturing on {}{}; Ctrl-C ends the capture and writes the summary",
                capture.interface(),
                args.filter
                    .as_deref()
                    .map(|f| format!(" (filter: {f})"))
                    .unwrap_or_default()
            );
        }
        let options = LiveRunOptions {
            duration,
            count: args.count,
            write_to: args.write.clone(),
            update_interval,
            filter: args.filter.clone(),
        };
        let run = run_live(&mut analysis, &mut capture, &options, &stop);
        if let Err(e) = &run {
            eprintln!("callpath: {e}; the packets read before were analysed");
        }
        match analysis.finish() {
            Err(e) => {
                eprintln!("callpath: {e}");
                ExitCode::from(EXIT_UNUSABLE)
            }
            Ok(summary) => {
                if let Some(c) = &summary.capture {
                    if c.dropped > 0 || c.if_dropped > 0 {
                        eprintln!(
                            "callpath: warning: {} packets dropped by the kernel and {} by the interface; results may miss flows (try a larger --buffer-mib or a narrower -f filter)",
                            c.dropped, c.if_dropped
                        );
                    }
                }
                if run.is_err() {
                    ExitCode::from(EXIT_DAMAGED)
                } else {
                    ExitCode::SUCCESS
                }
            }
        }
    }

    pub fn interfaces(_args: InterfacesArgs) -> ExitCode {
        let list = match list_interfaces() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("callpath: {e}");
                return ExitCode::from(EXIT_UNUSABLE);
            }
        };
        let mut out = io::stdout().lock();
        for i in &list {
            let mut flags = Vec::new();
            for (on, name) in [
                (i.up, "up"),
                (i.running, "running"),
                (i.loopback, "loopback"),
                (i.wireless, "wireless"),
            ] {
                if on {
                    flags.push(name);
                }
            }
            let desc = i
                .description
                .as_deref()
                .map(|d| format!("  {d}"))
                .unwrap_or_default();
            let _ = writeln!(out, "{}  [{}]{desc}", i.name, flags.join(","));
            for (addr, prefix) in &i.addresses {
                let _ = match prefix {
                    Some(p) => writeln!(out, "    {addr}/{p}"),
                    None => writeln!(out, "    {addr}"),
                };
            }
        }
        ExitCode::SUCCESS
    }
}
