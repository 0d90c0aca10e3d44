//! JSON outputs: NDJSON (one record per line, streamed: written a few
//! kilobytes at a time, and at once at each refresh of a live capture) and
//! one JSON document.

use std::io::{self, Write};

use super::live_status::LiveStatus;
use super::{CallRecord, FlowRecord, RecordSink, Summary};

pub struct NdjsonSink {
    out: Box<dyn Write + Send>,
    /// Whole lines not written yet. Records are built right here and
    /// written from here, a few kilobytes at a time: built apart and
    /// copied into a 64 KiB `BufWriter`, every line was copied once more,
    /// into a buffer larger than the first-level data cache (cachegrind,
    /// bench capture: that copy had 55 % of the run's cache misses on
    /// writes).
    pending: Vec<u8>,
}

/// Bytes of whole lines gathered before they are written.
const WRITE_AT: usize = 16 * 1024;

impl NdjsonSink {
    pub fn new(out: Box<dyn Write + Send>) -> NdjsonSink {
        NdjsonSink {
            out,
            pending: Vec::with_capacity(WRITE_AT + 4096),
        }
    }

    /// Appends one line made by `build`; a record that fails to build
    /// leaves nothing of itself behind.
    fn push_line(
        &mut self,
        build: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
    ) -> io::Result<()> {
        let start = self.pending.len();
        if let Err(e) = build(&mut self.pending) {
            self.pending.truncate(start);
            return Err(e.into());
        }
        self.pending.push(b'\n');
        if self.pending.len() >= WRITE_AT {
            self.write_pending()?;
        }
        Ok(())
    }

    fn write_pending(&mut self) -> io::Result<()> {
        let written = self.out.write_all(&self.pending);
        self.pending.clear();
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }
}

impl Drop for NdjsonSink {
    /// What was gathered is written even when the run stops early, as a
    /// `BufWriter` would.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

impl RecordSink for NdjsonSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.push_line(|out| super::ndjson_line::write_flow(out, record))
    }

    fn call(&mut self, record: &CallRecord) -> io::Result<()> {
        self.push_line(|out| super::ndjson_line::write_call(out, record))
    }

    fn flow_update(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.push_line(|out| super::ndjson_line::write_flow(out, record))
    }

    fn refresh(&mut self, _status: &LiveStatus) -> io::Result<()> {
        self.flush()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.push_line(|out| serde_json::to_writer(out, summary))?;
        self.flush()
    }
}

/// `{"flows": [...], "calls": [...], "summary": {...}}`, written at the end.
pub struct JsonSink {
    out: Box<dyn Write + Send>,
    flows: Vec<FlowRecord>,
    calls: Vec<CallRecord>,
}

impl JsonSink {
    pub fn new(out: Box<dyn Write + Send>) -> JsonSink {
        JsonSink {
            out,
            flows: Vec::new(),
            calls: Vec::new(),
        }
    }
}

#[derive(serde::Serialize)]
struct Document<'a> {
    flows: &'a [FlowRecord],
    calls: &'a [CallRecord],
    summary: &'a Summary,
}

impl RecordSink for JsonSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.flows.push(record.clone());
        Ok(())
    }

    fn call(&mut self, record: &CallRecord) -> io::Result<()> {
        self.calls.push(record.clone());
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let doc = Document {
            flows: &self.flows,
            calls: &self.calls,
            summary,
        };
        let mut w = io::BufWriter::new(&mut self.out);
        serde_json::to_writer_pretty(&mut w, &doc)?;
        w.write_all(b"\n")?;
        w.flush()
    }
}
