//! Where records go. NDJSON streams each record as it is produced; the
//! table and JSON outputs gather records and write them at the end.

use std::io::{self, Write};

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
