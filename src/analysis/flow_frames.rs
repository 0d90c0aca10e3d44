//! Finds the frames of chosen flows again by reading their captures a
//! second time: a frame belongs to a flow record when it has the record's
//! 5-tuple (either direction) and falls within the record's first and last
//! packet. Keeps the analysis hot path free of per-frame bookkeeping; the
//! report (packet rates), `extract` (one call's frames) and evidence checks
//! use it.

use std::collections::HashMap;
use std::path::Path;

use crate::capture::{compression, stream_reader, CaptureFile, RawPacket, ReadOutcome};
use crate::decode::filter::PacketFilter;
use crate::decode::{self, Decoded};
use crate::error::CaptureError;
use crate::flow::Endpoint;
use crate::report::FlowRecord;

/// Record times are rounded to microseconds; allow for that at both ends.
const TIME_SLACK_NANOS: i64 = 2_000;

type TupleKey = (&'static str, Endpoint, Endpoint);

struct Window {
    record: usize,
    first: i64,
    last: i64,
}

/// The 5-tuples and time windows of the chosen flow records.
pub struct FlowFrames<'f> {
    windows: HashMap<TupleKey, Vec<Window>>,
    /// The analysis's `--filter`: a frame it left out is in no record.
    filter: Option<&'f PacketFilter>,
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
        filter: Option<&'f PacketFilter>,
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
                });
        }
        FlowFrames { windows, filter }
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// The record a frame belongs to, if any.
    pub fn record_of(&self, pkt: &RawPacket<'_>) -> Option<usize> {
        let Decoded::Packet(view) = decode::decode(pkt.link, pkt.data) else {
            return None;
        };
        if self.filter.is_some_and(|f| !f.matches(&view)) {
            return None;
        }
        let (src, dst) = Endpoint::ends_of(&view);
        let ts = pkt.ts.0;
        self.windows
            .get(&key(view.l4.name(), src, dst))?
            .iter()
            .find(|w| (w.first..=w.last).contains(&ts))
            .map(|w| w.record)
    }

    /// Reads one capture and calls `visit` with every frame of a chosen
    /// flow and the record it belongs to.
    pub fn scan<'a>(
        &self,
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
        &self,
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
