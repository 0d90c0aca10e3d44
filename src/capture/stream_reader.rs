//! Captures streamed through a pipe (`tcpdump -w - | callpath analyze -`):
//! pcap-parser's buffered reader, so memory stays constant however long the
//! stream runs. Packets borrow the reader's buffer until the next record.

use std::io::{Cursor, ErrorKind, Read};
use std::sync::{Arc, Mutex};

use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

use super::block_decoder::BlockDecoder;
use super::compression;
use super::file_reader::{
    check_header, impossible_block_len, not_a_capture, section_byte_order, RecordFit, RecordLayout,
    RecordProblem, MAX_RECORD_LEN,
};
use super::{CaptureFormat, Damage, RawPacket, ReadOutcome, Timestamp};
use crate::error::CaptureError;

/// Large enough for any record callpath accepts (see the file reader).
const BUFFER_BYTES: usize = 1 << 20;

/// How much of the stream is read before the format is judged: enough for
/// any file header or section header block seen in practice.
const PREFIX_BYTES: usize = 64 * 1024;

/// Reads a whole capture stream, handing each packet to `visit`. `name` is
/// how errors refer to the stream (e.g. "standard input"). A gzip stream
/// is decompressed as it is read.
pub fn read_stream<R, F>(name: &str, input: R, visit: F) -> Result<ReadOutcome, CaptureError>
where
    R: Read + Send,
    F: FnMut(RawPacket<'_>, u64),
{
    read_boxed(name, Box::new(input), visit, true)
}

/// `read_stream` over a boxed reader (a decompressor wraps the stream it
/// was given: one more generic layer per call would never end).
fn read_boxed<F>(
    name: &str,
    mut input: Box<dyn Read + Send + '_>,
    mut visit: F,
    gzip_allowed: bool,
) -> Result<ReadOutcome, CaptureError>
where
    F: FnMut(RawPacket<'_>, u64),
{
    // A pipe hands over data in pieces of any size: gather the head of the
    // stream before judging it, so a header split across reads is not
    // mistaken for a damaged one.
    let (prefix, prefix_error) = read_prefix(&mut input).map_err(|source| CaptureError::Io {
        path: name.into(),
        source,
    })?;
    if prefix.is_empty() {
        return Err(CaptureError::Empty(name.into()));
    }
    if gzip_allowed && compression::is_gzip(&prefix) {
        let decompressed = compression::gunzip(Cursor::new(prefix).chain(input));
        return read_boxed(name, Box::new(decompressed), visit, false);
    }
    // Read errors (a corrupt or cut gzip stream, a failing disk) are kept
    // to name them in the damage they cause. A stream that failed within
    // its head is read no further: the head is all there is.
    let last_error = Arc::new(Mutex::new(None));
    let rest: Box<dyn Read + Send + '_> = match prefix_error {
        Some(_) => Box::new(std::io::empty()),
        None => Box::new(NotingErrors {
            inner: input,
            last: Arc::clone(&last_error),
        }),
    };
    let read_error = || {
        let noted = last_error.lock().ok().and_then(|e| e.clone());
        match noted {
            Some(e) => format!("read error: {e}"),
            None => "read error".to_string(),
        }
    };
    let Some(format) = CaptureFormat::detect(&prefix) else {
        return Err(not_a_capture(name.into(), &prefix));
    };
    check_header(&prefix, format).map_err(|reason| CaptureError::BadHeader {
        path: name.into(),
        offset: 0,
        reason,
    })?;
    let mut reader =
        create_reader(BUFFER_BYTES, Cursor::new(prefix).chain(rest)).map_err(|_| {
            CaptureError::BadHeader {
                path: name.into(),
                offset: 0,
                reason: "capture header cannot be read".into(),
            }
        })?;
    let mut out = ReadOutcome::default();
    let mut decoder = BlockDecoder::pcapng();
    let mut layout: Option<RecordLayout> = None;
    let mut frame = 0u64;
    let mut position = 0u64;
    let mut held = HeldPacket::default();
    let damage = |position, reason: String| Damage {
        offset: position,
        reason,
    };
    let pcapng = format == CaptureFormat::PcapNg;
    let mut big_endian = false;
    loop {
        // pcapng block lengths are judged as the file reader judges them.
        if pcapng {
            let data = reader.data();
            if let Some(order) = section_byte_order(data) {
                big_endian = order;
            }
            if let Some(reason) = impossible_block_len(data, big_endian) {
                out.damage = Some(damage(position, reason));
                break;
            }
        }
        // Classic records are judged by their length field first, as the
        // file reader does, so both report the same damage.
        if let Some(layout) = layout.filter(|_| !reader.data().is_empty()) {
            match layout.check(reader.data()) {
                Ok(RecordFit::Normal) => {}
                Ok(RecordFit::OverSnaplen) => out.anomalies.note_over_snaplen(position),
                Err(RecordProblem::CutShort { .. }) if !reader.reader_exhausted() => {
                    if reader.refill().is_err() {
                        out.damage = Some(damage(position, read_error()));
                        break;
                    }
                    continue;
                }
                Err(problem) => {
                    out.damage = Some(damage(position, problem.reason()));
                    break;
                }
            }
        }
        match reader.next() {
            Ok((used, block)) => {
                let pkt = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        decoder = BlockDecoder::classic(h.network.0, h.is_nanosecond_precision());
                        layout = Some(RecordLayout {
                            big_endian: h.is_bigendian(),
                            header_len: if h.is_modified_format() { 24 } else { 16 },
                            snaplen: h.snaplen,
                        });
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        frame += 1;
                        Some(decoder.classic_frame(&b, frame))
                    }
                    PcapBlockOwned::NG(b) => {
                        if b.is_data_block() {
                            frame += 1;
                        }
                        decoder.pcapng_block(&b, frame)
                    }
                };
                let record_offset = position;
                position += used as u64;
                if let Some(pkt) = pkt {
                    held.pass(&mut out, pkt, record_offset, position, &mut visit);
                }
                reader.consume(used);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    out.damage = Some(damage(position, cut_short(reader.data().len())));
                    break;
                }
                if reader.refill().is_err() {
                    out.damage = Some(damage(position, read_error()));
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                out.damage = Some(damage(position, cut_short(reader.data().len())));
                break;
            }
            Err(PcapError::BufferTooSmall) => {
                out.damage = Some(damage(
                    position,
                    format!("record longer than {MAX_RECORD_LEN} bytes (corrupt length)"),
                ));
                break;
            }
            Err(_) => {
                out.damage = Some(damage(position, "corrupt record".into()));
                break;
            }
        }
    }
    held.finish(&mut out, &mut visit);
    if let Some(e) = prefix_error {
        // The stream failed where the reader stopped, whether or not a
        // record was left half read there.
        let at = out.damage.as_ref().map_or(position, |d| d.offset);
        out.damage = Some(damage(at, format!("read error: {e}")));
    }
    out.bytes = position;
    Ok(out)
}

/// The stream's `Delivery`: the reader's buffer moves on, so a packet
/// held back while its time is in doubt (see `Timing`) is held as a copy.
#[derive(Default)]
struct HeldPacket {
    bytes: Vec<u8>,
    /// The held packet with no bytes of its own, and the offset after it.
    held: Option<(RawPacket<'static>, u64)>,
}

impl HeldPacket {
    #[inline]
    fn pass<F>(
        &mut self,
        out: &mut ReadOutcome,
        mut pkt: RawPacket<'_>,
        offset: u64,
        pos: u64,
        visit: &mut F,
    ) where
        F: FnMut(RawPacket<'_>, u64),
    {
        if out.record(&pkt, offset) {
            visit(pkt, pos);
            return;
        }
        let timing = out.anomalies.timing();
        if let Some(ts) = timing.held {
            self.release(ts, visit);
        }
        match timing.this {
            Some(ts) => {
                pkt.ts = ts;
                visit(pkt, pos);
            }
            None => {
                self.bytes.clear();
                self.bytes.extend_from_slice(pkt.data);
                self.held = Some((RawPacket { data: &[], ..pkt }, pos));
            }
        }
    }

    #[cold]
    fn release<F>(&mut self, ts: Timestamp, visit: &mut F)
    where
        F: FnMut(RawPacket<'_>, u64),
    {
        if let Some((pkt, pos)) = self.held.take() {
            visit(
                RawPacket {
                    ts,
                    data: &self.bytes,
                    ..pkt
                },
                pos,
            );
        }
    }

    fn finish<F>(&mut self, out: &mut ReadOutcome, visit: &mut F)
    where
        F: FnMut(RawPacket<'_>, u64),
    {
        if let Some(ts) = out.anomalies.release_held() {
            self.release(ts, visit);
        }
    }
}

/// A reader that remembers the text of the last error it returned.
struct NotingErrors<R> {
    inner: R,
    last: Arc<Mutex<Option<String>>>,
}

impl<R: Read> Read for NotingErrors<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if let Ok(mut last) = self.last.lock() {
                *last = Some(e.to_string());
            }
        })
    }
}

fn cut_short(remaining: usize) -> String {
    format!("stream ends in the middle of a record ({remaining} bytes left, the record needs more)")
}

/// The head of a stream, and the error that ended it early, if one did.
type Prefix = (Vec<u8>, Option<std::io::Error>);

/// Reads up to [`PREFIX_BYTES`], stopping early at the end of the stream,
/// or at an error once something was read (a short, cut gzip capture),
/// which is returned beside what was read to be reported as damage after
/// the packets before it.
fn read_prefix<R: Read>(input: &mut R) -> std::io::Result<Prefix> {
    let mut prefix = vec![0u8; PREFIX_BYTES];
    let mut filled = 0;
    let mut failed = None;
    while let Some(space) = prefix.get_mut(filled..).filter(|s| !s.is_empty()) {
        match input.read(space) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if filled > 0 => {
                failed = Some(e);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    prefix.truncate(filled);
    Ok((prefix, failed))
}
