//! JSON outputs: NDJSON (one record per line, streamed, flushed per line so
//! `tail -f` and pipes see flows as they end) and one JSON document.

use std::io::{self, Write};

use super::live_status::LiveStatus;
use super::{CallRecord, FlowRecord, RecordSink, Summary};

pub struct NdjsonSink {
    out: io::BufWriter<Box<dyn Write + Send>>,
    /// One flow or call line, built whole before it is written.
    line: Vec<u8>,
}

impl NdjsonSink {
    pub fn new(out: Box<dyn Write + Send>) -> NdjsonSink {
        NdjsonSink {
            out: io::BufWriter::with_capacity(1 << 16, out),
            line: Vec::new(),
        }
    }

    fn flow_line(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.line.clear();
        super::ndjson_line::write_flow(&mut self.line, record)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn line<T: serde::Serialize>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }
}

impl RecordSink for NdjsonSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.flow_line(record)
    }

    fn call(&mut self, record: &CallRecord) -> io::Result<()> {
        self.line.clear();
        super::ndjson_line::write_call(&mut self.line, record)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn flow_update(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.flow_line(record)
    }

    fn refresh(&mut self, _status: &LiveStatus) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.line(summary)?;
        self.out.flush()
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
