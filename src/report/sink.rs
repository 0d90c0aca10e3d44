//! Where records go. NDJSON streams each record as it is produced; the
//! table and JSON outputs gather records and write them at the end.

use std::io::{self, Write};

use super::live_status::LiveStatus;
use super::{CallRecord, FlowRecord, Summary};

/// The output formats of `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people (default).
    Table,
    /// One JSON document with flows, calls and the summary.
    Json,
    /// One JSON object per line, streamed as flows end.
    Ndjson,
    /// Comma-separated flows with a header line.
    Csv,
}

/// Receives records in the order the analysis produces them.
pub trait RecordSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()>;
    fn call(&mut self, record: &CallRecord) -> io::Result<()>;
    /// A snapshot of a flow still open (live capture, `--update-interval`).
    /// Only streaming formats write these.
    fn flow_update(&mut self, _record: &FlowRecord) -> io::Result<()> {
        Ok(())
    }
    /// Called about once a second during a live capture: streaming sinks
    /// flush what they hold, a live view redraws.
    fn refresh(&mut self, _status: &LiveStatus) -> io::Result<()> {
        Ok(())
    }
    /// Writes the summary and flushes; nothing follows it.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Builds the sink for a format around a writer.
pub fn sink_for(format: OutputFormat, out: Box<dyn Write + Send>) -> Box<dyn RecordSink + Send> {
    match format {
        OutputFormat::Table => Box::new(super::table::TableSink::new(out)),
        OutputFormat::Json => Box::new(super::json::JsonSink::new(out)),
        OutputFormat::Ndjson => Box::new(super::json::NdjsonSink::new(out)),
        OutputFormat::Csv => Box::new(super::csv::CsvSink::new(out)),
    }
}
