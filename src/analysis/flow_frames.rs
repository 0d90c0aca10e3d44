//! Finds the frames of chosen flows again by reading their captures a
//! second time: a frame belongs to a flow record when it has the record's
//! 5-tuple (either direction) and falls within the record's first and last
//! packet (a later IP fragment, which has no ports, belongs where its
//! first fragment does), and the analysis counted it (its `--filter`,
//! copies of a packet skipped as it skipped them). Keeps the analysis hot path free of
//! per-frame bookkeeping; the report (packet rates), `extract` (one call's
//! frames) and evidence checks use it.

use std::collections::HashMap;
use std::path::Path;

use crate::capture::{compression, stream_reader, CaptureFile, RawPacket, ReadOutcome, Timestamp};
use crate::decode::filter::PacketFilter;
use crate::decode::{self, Decoded, Fragment};
use crate::error::CaptureError;
use crate::flow::fragments::FragmentMemory;
use crate::flow::{duplicates, Endpoint};
use crate::report::FlowRecord;

use super::AnalysisConfig;

/// Which frames the analysis counted: those its filter matched, and not
/// the copies it skipped.
#[derive(Clone, Copy, Debug, Default)]
pub struct FrameRules<'f> {
    pub filter: Option<&'f PacketFilter>,
    pub skip_duplicates: bool,
}

impl AnalysisConfig {
    /// The frames an analysis with this configuration counts.
    pub fn frame_rules(&self) -> FrameRules<'_> {
        FrameRules {
            filter: self.filter.as_deref(),
            skip_duplicates: self.flow_table.skip_duplicates,
        }
    }
}

/// Record times are rounded to microseconds; allow for that at both ends.
const TIME_SLACK_NANOS: i64 = 2_000;

type TupleKey = (&'static str, Endpoint, Endpoint);

struct Window {
    record: usize,
    first: i64,
    last: i64,
    /// The duplicate mark and time of the flow's latest frame so far.
    last_mark: u32,
    last_seen: Timestamp,
}

/// The 5-tuples and time windows of the chosen flow records.
pub struct FlowFrames<'f> {
    windows: HashMap<TupleKey, Vec<Window>>,
    /// The window (5-tuple, index) of each recent datagram whose first
    /// fragment was found, for its later fragments.
    fragments: FragmentMemory<(TupleKey, usize)>,
    /// The analysis's: a frame it did not count is in no record.
    rules: FrameRules<'f>,
}

fn key(l4: &'static str, a: Endpoint, b: Endpoint) -> TupleKey {
    if a <= b {
        (l4, a, b)
    } else {
        (l4, b, a)
    }
}

fn nanos(secs: f64) -> i64 {
    (secs * 1e9).round() as i64
}

impl<'f> FlowFrames<'f> {
    /// Indexes the records for which `chosen` is true; frames are matched
    /// to their position in `records`. `filter`: the analysis's.
    pub fn new(
        records: &[FlowRecord],
        chosen: impl Fn(&FlowRecord) -> bool,
        rules: FrameRules<'f>,
    ) -> FlowFrames<'f> {
        let mut windows: HashMap<TupleKey, Vec<Window>> = HashMap::new();
        for (i, r) in records.iter().enumerate().filter(|(_, r)| chosen(r)) {
            windows
                .entry(key(r.l4.name(), r.src, r.dst))
                .or_default()
                .push(Window {
                    record: i,
                    first: nanos(r.first_seen) - TIME_SLACK_NANOS,
                    last: nanos(r.last_seen) + TIME_SLACK_NANOS,
                    last_mark: 0,
                    last_seen: Timestamp(i64::MIN),
                });
        }
        FlowFrames {
            windows,
            fragments: FragmentMemory::default(),
            rules,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The record a frame belongs to, if any (frames are to be given in
    /// the order read, for copies to be told).
    pub fn record_of(&mut self, pkt: &RawPacket<'_>) -> Option<usize> {
        let Decoded::Packet(view) = decode::decode(pkt.link, pkt.data) else {
            return None;
        };
        if self.rules.filter.is_some_and(|f| !f.matches(&view)) {
            return None;
        }
        let (src, dst) = Endpoint::ends_of(&view);
        let ts = pkt.ts;
        let datagram = |id| (view.src, view.dst, view.l4.number(), id);
        let (tuple, at) = match view.fragment {
            Fragment::Later { id, .. } => self.fragments.flow_of(&datagram(id))?,
            _ => {
                let tuple = key(view.l4.name(), src, dst);
                let at = self
                    .windows
                    .get(&tuple)?
                    .iter()
                    .position(|w| (w.first..=w.last).contains(&ts.0))?;
                if let Fragment::First { id } = view.fragment {
                    self.fragments.remember(datagram(id), (tuple, at));
                }
                (tuple, at)
            }
        };
        let window = self.windows.get_mut(&tuple)?.get_mut(at)?;
        // As the flow table tells them (`FlowTable::track`).
        let mark = if self.rules.skip_duplicates && view.fragment == Fragment::Whole {
            duplicates::mark(&view, src <= dst)
        } else {
            0
        };
        if duplicates::is_copy(mark, ts, window.last_mark, window.last_seen) {
            return None;
        }
        window.last_mark = mark;
        window.last_seen = window.last_seen.max(ts);
        Some(window.record)
    }

    /// Reads one capture and calls `visit` with every frame of a chosen
    /// flow and the record it belongs to.
    pub fn scan<'a>(
        &mut self,
        capture: &'a CaptureFile,
        mut visit: impl FnMut(usize, &RawPacket<'a>),
    ) -> ReadOutcome {
        capture.read(|pkt, _| {
            if let Some(record) = self.record_of(&pkt) {
                visit(record, &pkt);
            }
        })
    }

    /// Opens `path` and scans it (see [`FlowFrames::scan`]). A gzip file is
    /// decompressed as it is read, as the analysis read it, rather than
    /// held decompressed in memory.
    pub fn scan_file(
        &mut self,
        path: &Path,
        mut visit: impl FnMut(usize, &RawPacket<'_>),
    ) -> Result<ReadOutcome, CaptureError> {
        let io = |source| CaptureError::Io {
            path: path.to_path_buf(),
            source,
        };
        if compression::file_is_gzip(path).map_err(io)? {
            let file = std::fs::File::open(path).map_err(io)?;
            return stream_reader::read_stream(&path.display().to_string(), file, |pkt, _| {
                if let Some(record) = self.record_of(&pkt) {
                    visit(record, &pkt);
                }
            });
        }
        let capture = CaptureFile::open(path)?;
        Ok(self.scan(&capture, visit))
    }
}
