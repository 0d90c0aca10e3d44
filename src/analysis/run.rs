//! One analysis run over any number of inputs. Inputs given together are
//! read one after another into the same flow table, so a flow that spans
//! rotated capture files stays one flow.

use std::io;

use super::{AnalysisConfig, Input};
use crate::capture::{stream_reader, CaptureFile, RawPacket, ReadOutcome, Timestamp};
use crate::classify::calls::Emitted;
use crate::classify::knowledge::Knowledge;
use crate::classify::signatures::Signatures;
use crate::classify::Classifier;
use crate::decode::{self, Decoded};
use crate::dissect::inspect::inspect;
use crate::error::{AnalysisError, CaptureError};
use crate::flow::{Flow, FlowTable};
use crate::geo::{GeoDb, GeoResolver, Jurisdictions, Operators};
use crate::report::summary::InputReport;
use crate::report::{RecordSink, Summary};
use std::sync::Arc;

/// Progress of reading inputs, for a progress bar. The library never draws
/// anything itself.
pub trait Progress {
    fn start_input(&self, _name: &str, _total_bytes: Option<u64>) {}
    fn advance(&self, _position: u64) {}
    fn finish_input(&self) {}
}

/// No progress reporting.
pub struct NoProgress;
impl Progress for NoProgress {}

/// How often (in packet time) idle flows are looked for.
const EXPIRY_CHECK_NANOS: i64 = 1_000_000_000;

/// What happens to a flow once it ends: classification and output.
struct FlowFinisher {
    classifier: Classifier,
    sink: Box<dyn RecordSink + Send>,
    flows: u64,
    roles: std::collections::BTreeMap<&'static str, u64>,
    ready: Vec<Emitted>,
    output_error: Option<io::Error>,
}

impl FlowFinisher {
    fn finish(&mut self, flow: Flow) {
        self.flows += 1;
        let role = self.classifier.finish_flow(flow, &mut self.ready);
        *self.roles.entry(role.name()).or_default() += 1;
        self.write_ready();
    }

    fn write_ready(&mut self) {
        for item in self.ready.drain(..) {
            if self.output_error.is_some() {
                continue;
            }
            let written = match &item {
                Emitted::Flow(r) => self.sink.flow(r),
                Emitted::Call(c) => self.sink.call(c),
            };
            if let Err(e) = written {
                self.output_error = Some(e);
            }
        }
    }
}

pub struct Analysis {
    table: FlowTable,
    finisher: FlowFinisher,
    summary: Summary,
    /// Latest packet time seen: the clock of expiry (never goes backwards).
    now: Timestamp,
    next_expiry_check: Timestamp,
    file_index: u32,
}

impl Analysis {
    pub fn new(
        config: &AnalysisConfig,
        sink: Box<dyn RecordSink + Send>,
    ) -> Result<Analysis, AnalysisError> {
        let signatures = Signatures::load(config.signatures_dir.as_deref())
            .map_err(|e| AnalysisError::Signatures(e.to_string()))?;
        let geo_err = |e: crate::geo::GeoError| AnalysisError::Geo(e.to_string());
        let db = if config.geoip.is_empty() {
            GeoDb::embedded()
        } else {
            GeoDb::with_user_databases(&config.geoip)
        }
        .map_err(geo_err)?;
        let geo = GeoResolver::new(
            db,
            Operators::embedded().map_err(geo_err)?,
            Jurisdictions::embedded().map_err(geo_err)?,
        );
        let classifier = Classifier::new(
            Arc::new(signatures),
            Arc::new(Knowledge::default()),
            Arc::new(geo),
        );
        Ok(Analysis {
            table: FlowTable::new(config.flow_table),
            finisher: FlowFinisher {
                classifier,
                ready: Vec::new(),
                sink,
                flows: 0,
                roles: Default::default(),
                output_error: None,
            },
            summary: Summary {
                record_type: "summary",
                ..Default::default()
            },
            now: Timestamp(i64::MIN),
            next_expiry_check: Timestamp(i64::MIN),
            file_index: 0,
        })
    }

    /// Reads one input to its end. Errors opening it are returned; damage
    /// found while reading is recorded in the summary and what was read
    /// before it is kept.
    pub fn run_input(
        &mut self,
        input: &Input,
        progress: &dyn Progress,
    ) -> Result<&InputReport, CaptureError> {
        let outcome = match input {
            Input::File(path) => {
                let capture = CaptureFile::open(path)?;
                progress.start_input(&input.to_string(), Some(capture.len()));
                let mut last_tick = 0u64;
                capture.read(|pkt, pos| {
                    self.packet(pkt);
                    if pos - last_tick > 1 << 20 {
                        progress.advance(pos);
                        last_tick = pos;
                    }
                })
            }
            Input::Stdin => {
                progress.start_input(&input.to_string(), None);
                let stdin = io::stdin();
                stream_reader::read_stream("standard input", stdin, |pkt, pos| {
                    self.packet(pkt);
                    progress.advance(pos);
                })?
            }
        };
        progress.finish_input();
        self.file_index += 1;
        let report = input_report(input, &outcome);
        self.summary.truncated |= report.damaged.is_some();
        self.summary.inputs.push(report);
        self.summary
            .inputs
            .last()
            .ok_or(CaptureError::Empty(input.to_string().into()))
    }

    /// Analyses one packet (from any source).
    pub fn packet(&mut self, pkt: RawPacket<'_>) {
        self.summary.packets_read += 1;
        let ts = pkt.ts;
        if ts > self.now {
            self.now = ts;
        }
        let first = self.summary.first_packet.get_or_insert(ts.as_secs_f64());
        *first = first.min(ts.as_secs_f64());
        let last = self.summary.last_packet.get_or_insert(ts.as_secs_f64());
        *last = last.max(ts.as_secs_f64());

        match decode::decode(pkt.link, pkt.data) {
            Decoded::Skipped(reason) => {
                *self
                    .summary
                    .packets_skipped
                    .entry(reason.name())
                    .or_default() += 1;
            }
            Decoded::Packet(view) => {
                self.summary.packets_decoded += 1;
                let finisher = &mut self.finisher;
                let tracked = self.table.track(
                    &view,
                    ts,
                    if pkt.orig_len == 0 {
                        pkt.data.len() as u32
                    } else {
                        pkt.orig_len
                    },
                    pkt.frame,
                    self.file_index,
                    &mut |f| finisher.finish(f),
                );
                match tracked {
                    Some((flow, dir)) => {
                        let ctx = self.finisher.classifier.inspect_context();
                        inspect(flow, dir, &view, ts, pkt.frame, &ctx);
                    }
                    None => {
                        *self
                            .summary
                            .packets_skipped
                            .entry("fragment_without_first")
                            .or_default() += 1;
                    }
                }
            }
        }

        if self.now >= self.next_expiry_check {
            let finisher = &mut self.finisher;
            self.table.expire(self.now, &mut |f| finisher.finish(f));
            self.next_expiry_check = Timestamp(self.now.0.saturating_add(EXPIRY_CHECK_NANOS));
        }
    }

    /// Ends every open flow, writes the summary, and returns it.
    pub fn finish(mut self) -> Result<Summary, AnalysisError> {
        let finisher = &mut self.finisher;
        self.table.drain(&mut |f| finisher.finish(f));
        self.finisher.classifier.finish(&mut self.finisher.ready);
        self.finisher.write_ready();
        self.summary.calls = self.finisher.classifier.calls();
        self.summary.flows = self.finisher.flows;
        self.summary.roles = std::mem::take(&mut self.finisher.roles);
        self.summary.flow_table = self.table.stats;
        if let Some(e) = self.finisher.output_error.take() {
            return Err(AnalysisError::Output(e));
        }
        self.finisher
            .sink
            .finish(&self.summary)
            .map_err(AnalysisError::Output)?;
        Ok(self.summary)
    }
}

fn input_report(input: &Input, outcome: &ReadOutcome) -> InputReport {
    InputReport {
        file: input.to_string(),
        packets: outcome.packets,
        bytes: 0,
        damaged: outcome
            .damage
            .as_ref()
            .map(|d| format!("at byte offset {}: {}", d.offset, d.reason)),
        damage_offset: outcome.damage.as_ref().map(|d| d.offset),
        unsupported_link_types: outcome.unsupported_link_types.iter().copied().collect(),
        warnings: outcome.anomalies.warnings(&outcome.unsupported_link_types),
    }
}
