//! The live-capture run: reads an interface into the same [`Analysis`] that
//! reads files, keeps the clock of expiry moving while the link is quiet,
//! writes periodic output, and stops on a duration, a packet count or a
//! request (Ctrl-C).

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Analysis;
use crate::capture::live::{LiveCapture, LiveError, LiveRead};
use crate::capture::pcapng_writer::PcapngWriter;
use crate::capture::Timestamp;
use crate::report::live_status::LiveStatus;
use crate::report::CaptureStats;

/// How often sinks are refreshed (NDJSON flushed, the live table redrawn)
/// and idle flows looked for while no packet arrives.
const REFRESH_EVERY: Duration = Duration::from_secs(1);

/// When a live run stops and what it writes besides records.
#[derive(Clone, Debug, Default)]
pub struct LiveRunOptions {
    pub duration: Option<Duration>,
    pub count: Option<u64>,
    /// Write every captured packet to this pcapng file.
    pub write_to: Option<PathBuf>,
    /// Emit `flow_update` records for open flows this often (wall clock),
    /// for flows that have lasted at least as long.
    pub update_interval: Option<Duration>,
    pub filter: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveRunError {
    #[error(transparent)]
    Capture(#[from] LiveError),
    #[error("{}: cannot write packets: {source}", path.display())]
    WriteFile { path: PathBuf, source: io::Error },
}

fn wall_clock() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(i64::try_from(since.as_nanos()).unwrap_or(i64::MAX))
}

/// Runs the capture until a stop condition; the caller then calls
/// [`Analysis::finish`], which ends every open flow and writes the summary
/// (with the capture counters set here).
pub fn run_live(
    analysis: &mut Analysis,
    capture: &mut LiveCapture,
    options: &LiveRunOptions,
    stop: &AtomicBool,
) -> Result<(), LiveRunError> {
    let write_err = |path: &PathBuf| {
        let path = path.clone();
        move |source| LiveRunError::WriteFile { path, source }
    };
    let mut writer = match &options.write_to {
        Some(path) => {
            let file = File::create(path).map_err(write_err(path))?;
            Some((
                PcapngWriter::new(BufWriter::new(file)).map_err(write_err(path))?,
                path,
            ))
        }
        None => None,
    };

    let started = Instant::now();
    let mut next_refresh = started + REFRESH_EVERY;
    let mut next_update = options.update_interval.map(|d| started + d);
    let mut packets = 0u64;
    let mut read_error = None;
    loop {
        if stop.load(Ordering::Relaxed)
            || options.count.is_some_and(|c| packets >= c)
            || options.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        match capture.next_packet() {
            Ok(LiveRead::Packet(pkt)) => {
                packets += 1;
                if let Some((w, path)) = writer.as_mut() {
                    w.write(&pkt).map_err(write_err(path))?;
                }
                analysis.packet(pkt);
            }
            Ok(LiveRead::Idle) => {}
            Err(e) => {
                // The interface went away: keep what was read.
                read_error = Some(e);
                break;
            }
        }
        let now = Instant::now();
        if now >= next_refresh {
            next_refresh = now + REFRESH_EVERY;
            analysis.tick(wall_clock());
            let kernel = capture.stats().unwrap_or_default();
            analysis.refresh(LiveStatus {
                interface: capture.interface().to_string(),
                elapsed: started.elapsed().as_secs_f64(),
                packets,
                kernel_dropped: kernel.dropped,
                ..Default::default()
            });
        }
        if let (Some(due), Some(every)) = (next_update, options.update_interval) {
            if now >= due {
                next_update = Some(now + every);
                analysis.write_flow_updates(every.as_secs_f64());
            }
        }
    }

    let kernel = capture.stats()?;
    let packets_written = match writer.as_mut() {
        Some((w, path)) => {
            w.flush().map_err(write_err(path))?;
            Some(packets)
        }
        None => None,
    };
    analysis.set_capture(CaptureStats {
        interface: capture.interface().to_string(),
        filter: options.filter.clone(),
        duration: (started.elapsed().as_secs_f64() * 1e3).round() / 1e3,
        received: kernel.received,
        dropped: kernel.dropped,
        if_dropped: kernel.if_dropped,
        queue: "none",
        packets_written,
    });
    match read_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
