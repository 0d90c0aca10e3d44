//! Captures streamed through a pipe (`tcpdump -w - | callpath analyze -`):
//! pcap-parser's buffered reader, so memory stays constant however long the
//! stream runs. Packets borrow the reader's buffer until the next record.

use std::io::{Cursor, ErrorKind, Read};

use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

use super::block_decoder::BlockDecoder;
use super::file_reader::{
    check_header, impossible_block_len, section_byte_order, RecordFit, RecordLayout, RecordProblem,
    MAX_RECORD_LEN,
};
use super::{CaptureFormat, Damage, RawPacket, ReadOutcome};
use crate::error::CaptureError;

/// Large enough for any record callpath accepts (see the file reader).
const BUFFER_BYTES: usize = 1 << 20;

/// How much of the stream is read before the format is judged: enough for
/// any file header or section header block seen in practice.
const PREFIX_BYTES: usize = 64 * 1024;

/// Reads a whole capture stream, handing each packet to `visit`. `name` is
/// how errors refer to the stream (e.g. "standard input").
pub fn read_stream<R, F>(
    name: &str,
    mut input: R,
    mut visit: F,
) -> Result<ReadOutcome, CaptureError>
where
    R: Read + Send,
    F: FnMut(RawPacket<'_>, u64),
{
    // A pipe hands over data in pieces of any size: gather the head of the
    // stream before judging it, so a header split across reads is not
    // mistaken for a damaged one.
    let prefix = read_prefix(&mut input).map_err(|source| CaptureError::Io {
        path: name.into(),
        source,
    })?;
    if prefix.is_empty() {
        return Err(CaptureError::Empty(name.into()));
    }
    let format =
        CaptureFormat::detect(&prefix).ok_or_else(|| CaptureError::NotACapture(name.into()))?;
    check_header(&prefix, format).map_err(|reason| CaptureError::BadHeader {
        path: name.into(),
        offset: 0,
        reason,
    })?;
    let mut reader =
        create_reader(BUFFER_BYTES, Cursor::new(prefix).chain(input)).map_err(|_| {
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
                        out.damage = Some(damage(position, "read error".into()));
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
                    out.record(&pkt, record_offset);
                    visit(pkt, position);
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
                    out.damage = Some(damage(position, "read error".into()));
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
    out.bytes = position;
    Ok(out)
}

fn cut_short(remaining: usize) -> String {
    format!("stream ends in the middle of a record ({remaining} bytes left, the record needs more)")
}

/// Reads up to [`PREFIX_BYTES`], stopping early only at the end of the stream.
fn read_prefix<R: Read>(input: &mut R) -> std::io::Result<Vec<u8>> {
    let mut prefix = vec![0u8; PREFIX_BYTES];
    let mut filled = 0;
    while let Some(space) = prefix.get_mut(filled..).filter(|s| !s.is_empty()) {
        match input.read(space) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    prefix.truncate(filled);
    Ok(prefix)
}
