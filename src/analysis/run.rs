//! One analysis run over any number of inputs. Inputs given together are
//! read one after another into the same flow tables, so a flow that spans
//! rotated capture files stays one flow.
//!
//! With `threads > 1`, capture files are read by the calling thread, which
//! hands each packet to the worker thread that owns its endpoint pair
//! (decoded, or for a single worker that keeps up, as read); workers
//! track flows and run the dissectors; finished
//! flows come back to the calling thread, which classifies and writes them
//! in a fixed order (see `ordered_output`), itself or, from three threads
//! on, through an output thread (see `ThreadLayout`). Every thread count
//! gives the same records.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{
    channel, sync_channel, Receiver, Sender, SyncSender, TryRecvError, TrySendError,
};
use std::sync::Arc;

use super::device_tags::DeviceTags;
use super::ordered_output::{released_by, OrderedOutput};
use super::waiting::Waiting;
use super::worker::{
    decode_counted, decode_counted_then, worker_of, FlowWorker, Packet, PacketMeta, WorkItem,
};
use super::{AnalysisConfig, Input};
use crate::capture::{stream_reader, CaptureFile, RawPacket, ReadOutcome, Timestamp};
use crate::classify::knowledge::Knowledge;
use crate::classify::signatures::Signatures;
use crate::classify::{Classifier, EndedFlow};
use crate::decode::filter::PacketFilter;
use crate::decode::{PacketView, SkipReason};
use crate::error::{AnalysisError, CaptureError};
use crate::flow::{FlowTableConfig, FlowTableStats};
use crate::geo::{GeoDb, GeoResolver, Jurisdictions, Operators};
use crate::report::flow_record::{FlowRecord, FlowRecordType};
use crate::report::live_status::LiveStatus;
use crate::report::summary::{GeolocationSource, InputReport};
use crate::report::{CaptureStats, RecordSink, Summary};
use crate::streamed_batch::StreamedBatch;

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
/// Packets handed to a worker at once.
const BATCH: usize = 512;
/// Batches queued per worker before the reader waits: enough for the
/// worker to go on while the reading thread writes a burst of output
/// (8,192 packets, milliseconds of work). 64 gave the same wall time,
/// faults and context switches on two and three threads, and held
/// 2.4–3.4 MiB more in queued packets.
const QUEUE_BATCHES: usize = 16;
/// With one worker, which thread decodes: the worker while it keeps up,
/// the reading thread from when the worker has this many batches queued
/// (it would otherwise soon wait on a full queue) until it is down to
/// `DECODE_BELOW`. Two threads at 0.52 s against 0.56 s when the worker
/// always decoded and 0.53 s when the reader always did (bench capture,
/// five runs each).
const DECODE_ABOVE: usize = QUEUE_BATCHES / 2;
const DECODE_BELOW: usize = FED;
/// With one worker on a thread of its own, it classifies the flows that
/// end while it has at most this many batches queued (the one in hand
/// included), and leaves them to the output thread when it is behind.
const JUDGE_UP_TO: usize = 4;
/// Released flows the reading thread writes at a time between batches,
/// when it runs the output itself.
const OUTPUT_SLICE: usize = 8;
/// Batches a worker must have queued for the reading thread to spend its
/// time on the output rather than on reading more.
const FED: usize = 2;
/// Messages (a report's flows, a watermark) queued for the output thread
/// before the reader waits. Kept short: flows still queued there may
/// already count as released, so they add to what `MAX_PENDING_FLOWS` bounds.
const OUTPUT_QUEUE: usize = 16;
/// Finished flows waiting for their turn beyond which the expiry clock
/// ticks early (a flood of evictions within one second of packet time
/// must not pile up in memory).
const MAX_PENDING_FLOWS: usize = 4096;

pub struct Analysis {
    workers: Vec<FlowWorker>,
    output: OrderedOutput,
    intake: Intake,
    layout: ThreadLayout,
    /// Most flows open at once, sampled at each expiry tick, so the figure
    /// is the same whatever the number of threads.
    peak_active: u64,
}

/// How the threads asked for are spent on a capture file. Reading and
/// decoding, flow tracking with the dissectors, and the ordered output are
/// the three stages; each thread given is one busy thread, never more:
/// with two, the calling thread reads and writes the output between
/// batches while one worker tracks flows, and classifies them as they end
/// while it keeps up (`JUDGE_UP_TO`; on two cores, four busy threads
/// spent their time waiting for each other); from three on, the output
/// has a thread of its own and the rest are workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ThreadLayout {
    /// Flow tables, each on a worker thread of its own when `threads > 1`.
    workers: usize,
    output_thread: bool,
    threads: usize,
}

impl ThreadLayout {
    fn for_threads(threads: usize) -> ThreadLayout {
        let threads = threads.max(1);
        ThreadLayout {
            workers: if threads >= 3 { threads - 2 } else { 1 },
            output_thread: threads >= 3,
            threads,
        }
    }
}

/// The reading side: what was read and the clock of expiry. Kept apart
/// from the output so that the output can run on its own thread while
/// packets are read.
struct Intake {
    summary: Summary,
    /// Latest packet time seen: the clock of expiry (never goes backwards).
    now: Timestamp,
    next_tick: Timestamp,
    file_index: u32,
    /// Earliest and latest packet time read (the summary's first and last
    /// packet, converted once at the end).
    span: Option<(Timestamp, Timestamp)>,
    /// The capturing phone's app tags, when the input has them.
    device_tags: DeviceTags,
    /// `AnalysisConfig::filter`.
    filter: Option<Arc<PacketFilter>>,
}

/// What the reader sends a worker thread.
enum ToWorker<'a> {
    Packets(Vec<WorkItem<'a>>),
    /// Expire idle flows at this packet time, then report back.
    Tick(Timestamp),
}

/// What the reader sends the output thread, in the order the calling
/// thread would apply it to the output itself.
enum ToOutput {
    Accept(Vec<EndedFlow>),
    Release(Timestamp),
}

/// What a worker thread sends back.
struct FromWorker {
    worker: usize,
    finished: Vec<EndedFlow>,
    /// The tick this report answers: the worker has read everything sent
    /// before it.
    tick: Option<Timestamp>,
    /// Flows open in the worker after the tick.
    active: u64,
}

impl Analysis {
    pub fn new(
        config: &AnalysisConfig,
        sink: Box<dyn RecordSink + Send>,
    ) -> Result<Analysis, AnalysisError> {
        let signatures = Arc::new(
            Signatures::load(config.signatures_dir.as_deref())
                .map_err(|e| AnalysisError::Signatures(e.to_string()))?,
        );
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
        let knowledge = Arc::new(Knowledge::with_window_secs(
            config
                .knowledge_window_secs
                .unwrap_or(crate::classify::knowledge::DEFAULT_WINDOW_SECS),
        ));
        let layout = ThreadLayout::for_threads(config.threads);
        // The flow cap is shared out between the workers.
        let per_worker = FlowTableConfig {
            max_flows: (config.flow_table.max_flows / layout.workers).max(1),
            ..config.flow_table
        };
        let mut workers: Vec<FlowWorker> = (0..layout.workers)
            .map(|_| {
                FlowWorker::new(
                    per_worker,
                    signatures.clone(),
                    knowledge.clone(),
                    config.filter.clone(),
                )
            })
            .collect();
        let geolocation = geo
            .db()
            .sources()
            .iter()
            .map(|db| GeolocationSource {
                database: db.label(),
                countries: db.country_basis(),
            })
            .collect();
        let device_tags = DeviceTags::new(Arc::clone(&knowledge));
        let classifier = Classifier::new(signatures, knowledge, Arc::new(geo))
            .map_err(AnalysisError::Signatures)?;
        if let ([only], true) = (workers.as_mut_slice(), layout.threads > 1) {
            only.classify_here(classifier.judge.another());
        }
        Ok(Analysis {
            workers,
            output: OrderedOutput::new(classifier, sink),
            intake: Intake {
                summary: Summary {
                    record_type: "summary",
                    geolocation,
                    ..Default::default()
                },
                now: Timestamp(i64::MIN),
                next_tick: Timestamp(i64::MIN),
                file_index: 0,
                span: None,
                device_tags,
                filter: config.filter.clone(),
            },
            layout,
            peak_active: 0,
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
        // The latest packet time of the inputs before this one.
        let latest_before = self.intake.span.map(|(_, last)| last);
        let outcome = match input {
            Input::File(path) if read_as_stream(path)? => {
                // Through the stream reader, which decompresses gzip as it
                // reads (one reading thread; the output is the same).
                progress.start_input(&input.to_string(), None);
                let file = std::fs::File::open(path).map_err(|source| CaptureError::Io {
                    path: path.clone(),
                    source,
                })?;
                let name = path.display().to_string();
                stream_reader::read_stream(&name, file, |pkt, pos| {
                    self.packet(pkt);
                    progress.advance(pos);
                })?
            }
            Input::File(path) => {
                let capture = CaptureFile::open(path)?;
                progress.start_input(&input.to_string(), Some(capture.len()));
                if self.layout.threads > 1 {
                    self.read_parallel(&capture, progress)
                } else {
                    let mut last_tick = 0u64;
                    capture.read(|pkt, pos| {
                        self.packet(pkt);
                        if pos - last_tick > 1 << 20 {
                            progress.advance(pos);
                            last_tick = pos;
                        }
                    })
                }
            }
            Input::Stdin => {
                // A stream's packets live in a reused buffer: read on one
                // thread (the output is the same either way).
                progress.start_input(&input.to_string(), None);
                let stdin = io::stdin();
                stream_reader::read_stream("standard input", stdin, |pkt, pos| {
                    self.packet(pkt);
                    progress.advance(pos);
                })?
            }
        };
        progress.finish_input();
        self.intake.file_index += 1;
        self.intake.device_tags.new_input();
        let mut report = input_report(input, &outcome);
        if let (Some(before), Some(first)) = (latest_before, outcome.anomalies.first_ts()) {
            if first < before {
                // One flow table over all inputs: a file from the past
                // reopens flows already ended and mistimes their expiry.
                report.warnings.push(format!(
                    "its first packet is {:.3} s earlier than the last packet of the inputs before it; give the inputs in time order (flows are timed by the latest time seen)",
                    before.nanos_since(first) as f64 / 1e9
                ));
            }
        }
        self.intake.summary.truncated |= report.damaged.is_some();
        self.intake.summary.inputs.push(report);
        self.intake
            .summary
            .inputs
            .last()
            .ok_or(CaptureError::Empty(input.to_string().into()))
    }

    /// The geolocation databases in use, for evidence manifests.
    pub fn geo_sources(&self) -> Vec<crate::geo::DbInfo> {
        self.output.classifier.judge.geo.db().sources()
    }

    /// Analyses one packet on the calling thread (files with one thread,
    /// standard input, live capture).
    pub fn packet(&mut self, pkt: RawPacket<'_>) {
        let mut finished = Vec::new();
        let workers = self.workers.len();
        // On one thread nothing is gained by leaving the decoding to the
        // worker, nor by building a work item.
        let meta = self.intake.note_read(&pkt);
        let summary = &mut self.intake.summary;
        let all = &mut self.workers;
        decode_counted_then(
            pkt.link,
            pkt.data,
            self.intake.filter.as_deref(),
            (&mut summary.packets_decoded, &mut summary.packets_skipped),
            |view| {
                if let Some(worker) = all.get_mut(worker_of(view, workers)) {
                    worker.process_view(view, &meta, &mut finished);
                }
            },
        );
        if self.intake.tick_due(self.output.pending()) {
            let mut active = 0;
            for worker in &mut self.workers {
                worker.tick(self.intake.now, &mut finished);
                active += worker.table.active() as u64;
            }
            self.peak_active = self.peak_active.max(active);
            for f in finished.drain(..) {
                self.output.accept(f);
            }
            self.output.release(self.intake.now);
        }
        if !finished.is_empty() {
            for f in finished {
                self.output.accept(f);
            }
        }
    }

    /// Reads a capture file with one worker thread per flow table; the
    /// calling thread reads, decodes and collects the workers' reports, and
    /// runs the output (classification, calls, records) itself or on a
    /// thread of its own (see `ThreadLayout`).
    fn read_parallel(&mut self, capture: &CaptureFile, progress: &dyn Progress) -> ReadOutcome {
        let workers = std::mem::take(&mut self.workers);
        let count = workers.len();
        let output_thread = self.layout.output_thread;
        let (report_tx, report_rx) = sync_channel::<FromWorker>(count * QUEUE_BATCHES * 2);
        let mut outcome = ReadOutcome::default();
        let (intake, output) = (&mut self.intake, &mut self.output);
        let peak_active = self.peak_active;
        // Batches sent to each worker and not yet processed.
        let queued: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
        let waiting = Waiting::for_threads(self.layout.threads);
        let (returned, peak_active) = std::thread::scope(|scope| {
            // Flows left waiting by an earlier input.
            let unreleased = output.pending_ends().map(Reverse).collect();
            let output = if output_thread {
                let (output_tx, output_rx) = sync_channel::<ToOutput>(OUTPUT_QUEUE);
                // A panic there comes out of the scope, as it would on one thread.
                scope.spawn(move || output_loop(output, output_rx, waiting));
                OutputPath::Thread(output_tx)
            } else {
                OutputPath::Inline(output)
            };
            let mut collector = Collector {
                waiting,
                acked: vec![Timestamp(i64::MIN); count],
                tick_active: BTreeMap::new(),
                peak_active,
                unreleased,
                output: Some(output),
            };
            // Emptied batches come back to be filled again: a fresh one
            // each time cost the reader page faults and cleared pages.
            let (spare_tx, spare_rx) = channel::<Vec<WorkItem<'_>>>();
            let mut senders: Vec<SyncSender<ToWorker<'_>>> = Vec::with_capacity(count);
            let mut handles = Vec::with_capacity(count);
            for ((index, worker), queued) in workers.into_iter().enumerate().zip(&queued) {
                let (tx, rx) = sync_channel::<ToWorker<'_>>(QUEUE_BATCHES);
                senders.push(tx);
                let reports = report_tx.clone();
                let spare = spare_tx.clone();
                handles.push(scope.spawn(move || {
                    worker_loop(index, worker, queued, rx, reports, spare, waiting)
                }));
            }
            drop(report_tx);
            // Streamed: see `StreamedBatch`.
            let mut batches: Vec<StreamedBatch<WorkItem<'_>>> = (0..count)
                .map(|_| StreamedBatch::new(Vec::with_capacity(BATCH)))
                .collect();
            let next_batch = || {
                spare_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(BATCH))
            };
            let mut last_progress = 0u64;
            // Several workers: the addresses pick the worker, so this thread
            // decodes; one: see `DECODE_ABOVE`.
            let mut reader_decodes = count > 1;
            // What the workers' queues can hold, at up to 2 KiB a packet.
            let in_flight = count * (QUEUE_BATCHES + 1) * BATCH * 2048;
            outcome = capture.read_keeping(in_flight, |pkt, pos| {
                // Reports are looked for when a batch goes out, not after
                // every packet: a channel poll per packet was ~4 % of the CPU.
                let mut sent = false;
                if let Some(item) = intake.admit(&pkt, reader_decodes) {
                    let w = item.worker(count);
                    if let (Some(batch), Some(tx), Some(queued)) =
                        (batches.get_mut(w), senders.get(w), queued.get(w))
                    {
                        batch.push(item);
                        if batch.len() >= BATCH {
                            let full = batch.take(next_batch());
                            feed(tx, full, queued, &mut collector);
                            sent = true;
                            if count == 1 {
                                let behind = queued.load(Ordering::Relaxed);
                                if behind >= DECODE_ABOVE {
                                    reader_decodes = true;
                                } else if behind <= DECODE_BELOW {
                                    reader_decodes = false;
                                }
                            }
                        }
                    }
                }
                if sent {
                    collector.collect(&report_rx, false);
                }
                if intake.tick_due(collector.pending()) {
                    for ((batch, tx), queued) in batches.iter_mut().zip(&senders).zip(&queued) {
                        if !batch.is_empty() {
                            feed(tx, batch.take(next_batch()), queued, &mut collector);
                        }
                        let _ = collector.waiting.send(tx, ToWorker::Tick(intake.now));
                    }
                    collector.collect(&report_rx, false);
                }
                if pos - last_progress > 1 << 20 {
                    progress.advance(pos);
                    last_progress = pos;
                }
            });
            for (batch, tx) in batches.iter_mut().zip(&senders) {
                if !batch.is_empty() {
                    let _ = tx.send(ToWorker::Packets(batch.take(Vec::new())));
                }
            }
            drop(senders);
            collector.collect(&report_rx, true);
            collector.write_released(usize::MAX);
            // Ends the output thread once it has applied everything sent.
            collector.output = None;
            let returned: Vec<FlowWorker> =
                handles.into_iter().filter_map(|h| h.join().ok()).collect();
            (returned, collector.peak_active)
        });
        self.workers = returned;
        self.peak_active = peak_active;
        outcome
    }

    /// Moves the clock of expiry to `now` (live capture: the wall clock
    /// while the interface is quiet) and ends the flows, and the calls,
    /// idle by then.
    pub fn tick(&mut self, now: Timestamp) {
        if now > self.intake.now {
            self.intake.now = now;
        }
        let mut finished = Vec::new();
        for worker in &mut self.workers {
            worker.tick(self.intake.now, &mut finished);
        }
        for f in finished {
            self.output.accept(f);
        }
        self.output.release(self.intake.now);
        self.output.advance(self.intake.now);
    }

    pub fn active_flows(&self) -> usize {
        self.workers.iter().map(|w| w.table.active()).sum()
    }

    /// Writes a `flow_update` record (counters so far; app and role come
    /// with the flow's final record) for every open flow that has lasted
    /// at least `min_duration_secs`.
    pub fn write_flow_updates(&mut self, min_duration_secs: f64) {
        for worker in &self.workers {
            for flow in worker.table.flows() {
                if flow.duration_secs() < min_duration_secs {
                    continue;
                }
                let mut record = FlowRecord::from_flow(flow);
                record.record_type = FlowRecordType::FlowUpdate;
                if let Err(e) = self.output.sink().flow_update(&record) {
                    self.output.output_error.get_or_insert(e);
                    return;
                }
            }
        }
    }

    /// Lets the sink flush or redraw; `status` carries the capture's
    /// counters, the analysis adds its own.
    pub fn refresh(&mut self, mut status: LiveStatus) {
        status.active_flows = self.active_flows();
        status.flows_written = self.output.flows;
        status.calls = self.output.classifier.calls();
        if let Err(e) = self.output.sink().refresh(&status) {
            self.output.output_error.get_or_insert(e);
        }
    }

    /// Records a live capture's counters for the summary.
    pub fn set_capture(&mut self, capture: CaptureStats) {
        self.intake.summary.inputs.push(InputReport {
            file: format!("interface {}", capture.interface),
            packets: self.intake.summary.packets_read,
            ..Default::default()
        });
        self.intake.summary.capture = Some(capture);
    }

    /// Ends every open flow, writes the calls and the summary, and returns it.
    pub fn finish(mut self) -> Result<Summary, AnalysisError> {
        self.close()
    }

    /// `finish` for a process that exits next: the flow tables, caches and
    /// learned facts are left to the operating system instead of being
    /// freed one allocation at a time (6 ms after the bench capture, on
    /// the one thread that is left). The output has been flushed by then.
    pub fn finish_before_exit(self) -> Result<Summary, AnalysisError> {
        std::mem::ManuallyDrop::new(self).close()
    }

    fn close(&mut self) -> Result<Summary, AnalysisError> {
        let mut finished = Vec::new();
        let mut stats = FlowTableStats::default();
        let open_at_end: u64 = self.workers.iter().map(|w| w.table.active() as u64).sum();
        self.peak_active = self.peak_active.max(open_at_end);
        for worker in &mut self.workers {
            worker.drain(&mut finished);
            let s = worker.table.stats;
            stats.flows_created += s.flows_created;
            stats.flows_evicted += s.flows_evicted;

            stats.fragments_attributed += s.fragments_attributed;
            stats.fragments_unattributed += s.fragments_unattributed;
            stats.duplicates_skipped += s.duplicates_skipped;
            let summary = &mut self.intake.summary;
            summary.packets_decoded += worker.decoded;
            for (reason, n) in &worker.skipped {
                *summary.packets_skipped.entry(reason).or_default() += n;
            }
            // Decoded, but skipped by the flow table: counted once.
            for (reason, n) in [
                (
                    SkipReason::FragmentWithoutFirst,
                    worker.unattributed_fragments,
                ),
                (SkipReason::Duplicate, s.duplicates_skipped),
            ] {
                if n > 0 {
                    let summary = &mut self.intake.summary;
                    summary.packets_decoded = summary.packets_decoded.saturating_sub(n);
                    *summary.packets_skipped.entry(reason.name()).or_default() += n;
                }
            }
        }
        for f in finished {
            self.output.accept(f);
        }
        self.output.release_all();
        if let Some((first, last)) = self.intake.span {
            self.intake.summary.first_packet = Some(first.as_secs_f64());
            self.intake.summary.last_packet = Some(last.as_secs_f64());
        }
        self.intake.summary.calls = self.output.classifier.calls();
        self.intake.summary.flows = self.output.flows;
        self.intake.summary.roles = self.output.roles();
        self.intake.summary.tunnels = self.output.tunnels();
        stats.max_active_flows = self.peak_active;
        self.intake.summary.flow_table = stats;
        if let Some(e) = self.output.output_error.take() {
            return Err(AnalysisError::Output(e));
        }
        self.output
            .sink()
            .finish(&self.intake.summary)
            .map_err(AnalysisError::Output)?;
        Ok(std::mem::take(&mut self.intake.summary))
    }
}

impl Intake {
    /// Counts a packet and returns the work for a flow worker, decoded when
    /// `decode_here` (one thread; several workers, as the addresses pick
    /// the worker; one worker that is behind); otherwise the worker decodes
    /// it, on its own thread.
    fn admit<'a>(&mut self, pkt: &RawPacket<'a>, decode_here: bool) -> Option<WorkItem<'a>> {
        let meta = self.note_read(pkt);
        let packet = if decode_here {
            Packet::Decoded(self.decode(pkt)?)
        } else {
            Packet::Raw {
                link: pkt.link,
                data: pkt.data,
            }
        };
        Some(WorkItem { packet, meta })
    }

    /// Counts a packet read and moves the clock on; returns what a worker
    /// needs to know of it besides its bytes.
    fn note_read(&mut self, pkt: &RawPacket<'_>) -> PacketMeta {
        self.summary.packets_read += 1;
        self.device_tags.note(pkt);
        let ts = pkt.ts;
        if ts > self.now {
            self.now = ts;
        }
        let (first, last) = self.span.get_or_insert((ts, ts));
        *first = (*first).min(ts);
        *last = (*last).max(ts);
        PacketMeta {
            ts,
            // tshark counts the frame's original length.
            wire_len: if pkt.orig_len == 0 {
                pkt.data.len() as u32
            } else {
                pkt.orig_len
            },
            frame: pkt.frame,
            file_index: self.file_index,
            clock: self.now,
        }
    }

    /// Decodes a packet here, counting it as decoded or skipped.
    fn decode<'a>(&mut self, pkt: &RawPacket<'a>) -> Option<PacketView<'a>> {
        let summary = &mut self.summary;
        decode_counted(
            pkt.link,
            pkt.data,
            self.filter.as_deref(),
            (&mut summary.packets_decoded, &mut summary.packets_skipped),
        )
    }

    /// Whether idle flows are due to be looked for, and moves the clock on.
    /// `pending`: finished flows waiting in the output for their turn.
    fn tick_due(&mut self, pending: usize) -> bool {
        if self.now >= self.next_tick || pending > MAX_PENDING_FLOWS {
            self.next_tick = Timestamp(self.now.0.saturating_add(EXPIRY_CHECK_NANOS));
            true
        } else {
            false
        }
    }
}

/// The reader's side of `read_parallel`: takes the workers' reports, works
/// out the watermark and passes flows and watermarks on to the output, in
/// the order one thread would apply them.
struct Collector<'o> {
    /// How the reading thread waits on a full worker queue.
    waiting: Waiting,
    /// The latest tick each worker has answered.
    acked: Vec<Timestamp>,
    /// Per tick: active flows reported so far and by how many workers.
    tick_active: BTreeMap<Timestamp, (u64, usize)>,
    peak_active: u64,
    /// End times of the flows sent to the output and not yet released by a
    /// watermark sent after them.
    unreleased: BinaryHeap<Reverse<Timestamp>>,
    /// Where flows and watermarks go; dropping it ends an output thread.
    output: Option<OutputPath<'o>>,
}

/// The output on a thread of its own, or run by the reading thread.
enum OutputPath<'o> {
    Thread(SyncSender<ToOutput>),
    Inline(&'o mut OrderedOutput),
}

impl Collector<'_> {
    /// The output's `pending()` as it will be once it has applied what
    /// was sent: the flows of the reports collected so far less those the
    /// watermarks collected so far release, the figure the early tick saw
    /// when this thread ran the output itself. Counted here, not read from
    /// the output thread, so that thread's pace does not move ticks. Which
    /// reports are back by a given packet still depends on the workers'
    /// pace, as before: that counts only past `MAX_PENDING_FLOWS`, under
    /// floods of finished flows, where the early tick bounds memory and
    /// ticks may differ from run to run. Normal captures stay far below it
    /// (the reference capture peaks near 200), so their ticks follow packet
    /// time alone and the output stays the same for any thread count.
    fn pending(&self) -> usize {
        self.unreleased.len()
    }

    /// Released flows the reading thread has yet to write (none when the
    /// output has a thread of its own).
    fn backlog(&self) -> usize {
        match &self.output {
            Some(OutputPath::Inline(output)) => output.backlog(),
            _ => 0,
        }
    }

    /// Writes up to `most` released flows, when the output runs here.
    fn write_released(&mut self, most: usize) {
        if let Some(OutputPath::Inline(output)) = &mut self.output {
            output.write_released(most);
        }
    }

    fn send(&mut self, message: ToOutput) {
        match &mut self.output {
            // Fails only if the output thread panicked, which the scope
            // passes on.
            Some(OutputPath::Thread(tx)) => {
                let _ = tx.send(message);
            }
            // Released here, written between batches (`feed`).
            Some(OutputPath::Inline(output)) => match message {
                ToOutput::Accept(flows) => {
                    for f in flows {
                        output.accept(f);
                    }
                }
                ToOutput::Release(watermark) => output.release_later(watermark),
            },
            None => {}
        }
    }

    /// Takes the workers' finished flows and releases what every worker
    /// has read past. With `until_closed`, waits for all workers to end.
    fn collect(&mut self, rx: &Receiver<FromWorker>, until_closed: bool) {
        loop {
            let report = if until_closed {
                match rx.recv() {
                    Ok(r) => r,
                    Err(_) => break,
                }
            } else {
                match rx.try_recv() {
                    Ok(r) => r,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            };
            if !report.finished.is_empty() {
                self.unreleased
                    .extend(report.finished.iter().map(|f| Reverse(f.end_time())));
                self.send(ToOutput::Accept(report.finished));
            }
            if let (Some(t), Some(slot)) = (report.tick, self.acked.get_mut(report.worker)) {
                *slot = t;
                let entry = self.tick_active.entry(t).or_insert((0, 0));
                entry.0 += report.active;
                entry.1 += 1;
                if entry.1 == self.acked.len() {
                    self.peak_active = self.peak_active.max(entry.0);
                    self.tick_active.remove(&t);
                }
                let watermark = self
                    .acked
                    .iter()
                    .copied()
                    .min()
                    .unwrap_or(Timestamp(i64::MIN));
                // As `OrderedOutput::release` decides; a watermark that
                // releases nothing need not be sent.
                let mut released = false;
                while self
                    .unreleased
                    .peek()
                    .is_some_and(|Reverse(end)| released_by(*end, watermark))
                {
                    self.unreleased.pop();
                    released = true;
                }
                if released {
                    self.send(ToOutput::Release(watermark));
                }
            }
        }
    }
}

/// The output thread: applies the reader's messages in the order sent.
fn output_loop(output: &mut OrderedOutput, rx: Receiver<ToOutput>, waiting: Waiting) {
    while let Ok(message) = waiting.recv(&rx) {
        match message {
            ToOutput::Accept(flows) => {
                for f in flows {
                    output.accept(f);
                }
            }
            ToOutput::Release(watermark) => output.release(watermark),
        }
    }
}

/// Hands a batch to a worker. A reading thread that also runs the output
/// writes released flows while the worker has batches to go on with, and
/// while the worker's queue is full; it waits only when it has nothing to
/// write. The output stays in the same order: only its timing moves.
fn feed<'a>(
    tx: &SyncSender<ToWorker<'a>>,
    batch: Vec<WorkItem<'a>>,
    queued: &AtomicUsize,
    collector: &mut Collector<'_>,
) {
    queued.fetch_add(1, Ordering::Relaxed);
    let mut message = ToWorker::Packets(batch);
    loop {
        match tx.try_send(message) {
            Ok(()) => break,
            Err(TrySendError::Full(m)) if collector.backlog() > 0 => {
                collector.write_released(OUTPUT_SLICE);
                message = m;
            }
            Err(TrySendError::Full(m)) => {
                let _ = collector.waiting.send(tx, m);
                break;
            }
            Err(TrySendError::Disconnected(_)) => return,
        }
    }
    while collector.backlog() > MAX_PENDING_FLOWS
        || (collector.backlog() > 0 && queued.load(Ordering::Relaxed) >= FED)
    {
        collector.write_released(OUTPUT_SLICE);
    }
}

/// How many packets ahead of the one it processes a worker asks for the
/// next packets' bytes. The reading thread touched little of them, on
/// another core: loaded when their turn came, even 16 at once, they
/// stalled the worker (perf: those loads took 9 % of its samples), while
/// prefetches ahead arrive as it works. Paired `--threads 2` rounds
/// against loading 16 at a time (31 each): 4 ahead 0.959 and 0.972 of
/// the time, 8 ahead 0.961; 16 ahead against 8: 0.999.
const PREFETCH_AHEAD: usize = 8;

/// Asks for the first cache lines of a packet: its payload, or the frame
/// when the worker decodes it.
fn prefetch_packet(item: &WorkItem<'_>) {
    let bytes = match item.packet {
        Packet::Decoded(view) => view.payload,
        Packet::Raw { data, .. } => data,
    };
    for offset in [0, 64, 128] {
        if let Some(byte) = bytes.get(offset) {
            crate::prefetch::prefetch(byte);
        }
    }
}

/// A worker thread: processes batches, expires on ticks, reports back.
fn worker_loop<'a>(
    index: usize,
    mut worker: FlowWorker,
    queued: &AtomicUsize,
    rx: Receiver<ToWorker<'a>>,
    reports: SyncSender<FromWorker>,
    spare: Sender<Vec<WorkItem<'a>>>,
    waiting: Waiting,
) -> FlowWorker {
    let mut finished = Vec::new();
    while let Ok(message) = waiting.recv(&rx) {
        let tick = match message {
            ToWorker::Packets(mut items) => {
                worker.judging = queued.load(Ordering::Relaxed) <= JUDGE_UP_TO;
                items.iter().take(PREFETCH_AHEAD).for_each(prefetch_packet);
                for (at, item) in items.iter().enumerate() {
                    if let Some(ahead) = items.get(at + PREFETCH_AHEAD) {
                        prefetch_packet(ahead);
                    }
                    worker.process(item, &mut finished);
                }
                queued.fetch_sub(1, Ordering::Relaxed);
                items.clear();
                let _ = spare.send(items);
                None
            }
            ToWorker::Tick(now) => {
                worker.tick(now, &mut finished);
                Some(now)
            }
        };
        if tick.is_some() || !finished.is_empty() {
            let report = FromWorker {
                worker: index,
                finished: std::mem::take(&mut finished),
                tick,
                active: worker.table.active() as u64,
            };
            if reports.send(report).is_err() {
                break;
            }
        }
    }
    worker
}

fn input_report(input: &Input, outcome: &ReadOutcome) -> InputReport {
    InputReport {
        file: input.to_string(),
        packets: outcome.packets,
        bytes: outcome.bytes,
        damaged: outcome
            .damage
            .as_ref()
            .map(|d| format!("at byte offset {}: {}", d.offset, d.reason)),
        damage_offset: outcome.damage.as_ref().map(|d| d.offset),
        unsupported_link_types: outcome.unsupported_link_types.iter().copied().collect(),
        warnings: outcome.anomalies.warnings(&outcome.unsupported_link_types),
    }
}

/// Whether the capture at `path` is read as a stream rather than mapped:
/// a pipe (`<(tcpdump -w -)`, a FIFO), which cannot be mapped, or a
/// gzip-compressed file. A directory or an unreadable file is left to the
/// capture reader to report.
fn read_as_stream(path: &std::path::Path) -> Result<bool, CaptureError> {
    let io = |source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    };
    let kind = std::fs::metadata(path).map_err(io)?.file_type();
    if kind.is_dir() {
        return Ok(false);
    }
    if !kind.is_file() {
        return Ok(true);
    }
    crate::capture::compression::file_is_gzip(path).map_err(io)
}
