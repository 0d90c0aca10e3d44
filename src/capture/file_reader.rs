//! Capture files read through a memory map, record by record, without
//! copying a packet. A damaged record stops the walk; everything before it
//! has already been handed out, and the damage is reported with its offset.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use pcap_parser::pcapng::{parse_block_be, parse_block_le, parse_sectionheaderblock, Block};
use pcap_parser::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
    LegacyPcapBlock, PcapError,
};

use super::block_decoder::BlockDecoder;
use super::compression;
use super::{CaptureFormat, Damage, Delivery, RawPacket, ReadOutcome};
use crate::error::CaptureError;

/// Largest record callpath accepts: libpcap's own ceiling for snap lengths
/// is 256 KiB; anything bigger is a corrupt length field.
pub(crate) const MAX_RECORD_LEN: u32 = 16 * 1024 * 1024;

/// Pages behind the read cursor are released in chunks of this many bytes
/// (a multiple of any page size).
const RELEASE_CHUNK: usize = 8 * 1024 * 1024;

/// Pages ahead of the cursor are mapped in chunks of this many bytes. Each
/// call holds the reading thread for its length (about 0.35 ms a MiB):
/// small enough for the batches queued to a worker thread to cover it.
const POPULATE_CHUNK: usize = 1024 * 1024;

/// Length of the classic pcap file header.
const PCAP_HEADER_LEN: usize = 24;

/// The bytes of a capture: a memory map of a file, or bytes handed over
/// by the caller (tests, fuzzing, captures already in memory).
enum Backing {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// A capture file mapped into memory (or held in memory).
pub struct CaptureFile {
    path: PathBuf,
    backing: Backing,
    format: CaptureFormat,
}

type FrameResult<'a> = Result<(&'a [u8], LegacyPcapBlock<'a>), nom::Err<PcapError<&'a [u8]>>>;

impl CaptureFile {
    /// Opens and maps a capture; fails when the file cannot be read, is not
    /// a pcap/pcapng capture, or its header is cut short or corrupt.
    pub fn open(path: &Path) -> Result<CaptureFile, CaptureError> {
        let io = |source| CaptureError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_dir() {
            return Err(CaptureError::NotAFile(path.to_path_buf()));
        }
        if meta.len() == 0 {
            return Err(CaptureError::Empty(path.to_path_buf()));
        }
        // SAFETY: memmap2's map is unsafe because another process could
        // truncate or modify the file while it is mapped. callpath only
        // reads the map, every access is bounds-checked by the parsers, and
        // a capture being rewritten underneath is outside what it promises.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file) }.map_err(io)?;
        #[cfg(unix)]
        {
            // Records are read front to back once: let the kernel read ahead
            // and drop pages behind the cursor.
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        CaptureFile::checked(path.to_path_buf(), Backing::Mapped(map))
    }

    /// A capture already in memory; `name` is how errors refer to it.
    pub fn from_bytes(
        name: impl Into<PathBuf>,
        bytes: Vec<u8>,
    ) -> Result<CaptureFile, CaptureError> {
        let path = name.into();
        if bytes.is_empty() {
            return Err(CaptureError::Empty(path));
        }
        CaptureFile::checked(path, Backing::Owned(bytes))
    }

    fn checked(path: PathBuf, backing: Backing) -> Result<CaptureFile, CaptureError> {
        let bytes: &[u8] = match &backing {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        };
        let Some(format) = CaptureFormat::detect(bytes) else {
            if compression::is_gzip(bytes) {
                // Held decompressed in memory: the analysis and the second
                // reads of `FlowFrames` stream gzip files instead; this
                // serves callers of the library that want a whole file.
                let whole = compression::gunzip_all(bytes);
                return match CaptureFormat::detect(&whole) {
                    Some(_) => CaptureFile::checked(path, Backing::Owned(whole)),
                    None if whole.is_empty() => Err(CaptureError::Empty(path)),
                    None => Err(CaptureError::NotACapture(path)),
                };
            }
            return Err(not_a_capture(path, bytes));
        };
        if let Err(reason) = check_header(bytes, format) {
            return Err(CaptureError::BadHeader {
                path,
                offset: 0,
                reason,
            });
        }
        Ok(CaptureFile {
            path,
            backing,
            format,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> u64 {
        self.bytes().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        }
    }

    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Hands every packet to `visit`, in file order, with the byte offset
    /// reached so far (for progress). Stops at the first damaged record.
    pub fn read<'a, F>(&'a self, visit: F) -> ReadOutcome
    where
        F: FnMut(RawPacket<'a>, u64),
    {
        self.read_keeping(0, visit)
    }

    /// As `read`, keeping the last `keep_behind` bytes before the cursor
    /// mapped: packets handed to other threads are read there a little
    /// later, and a released page would be faulted in again.
    pub fn read_keeping<'a, F>(&'a self, keep_behind: usize, mut visit: F) -> ReadOutcome
    where
        F: FnMut(RawPacket<'a>, u64),
    {
        let mut released = 0usize;
        let mut populated = self.populate_ahead(0, 0);
        let mut visit = |pkt: RawPacket<'a>, pos: u64| {
            visit(pkt, pos);
            released = self.release_behind(released, (pos as usize).saturating_sub(keep_behind));
            populated = self.populate_ahead(populated, pos as usize);
        };
        match self.format {
            CaptureFormat::Pcap {
                big_endian,
                nanosecond,
                modified,
            } => read_classic(self.bytes(), big_endian, nanosecond, modified, &mut visit),
            CaptureFormat::PcapNg => read_pcapng(self.bytes(), &mut visit),
        }
    }
}

impl CaptureFile {
    /// Maps the next chunk of the file into the page tables in one call once
    /// the cursor comes within a chunk of `populated`: touching pages one by
    /// one costs a page fault each. Returns how far pages are now mapped.
    /// Inlined: asked after every record, it nearly always returns at once
    /// (as a call it cost ~19 instructions a packet).
    #[inline(always)]
    fn populate_ahead(&self, populated: usize, cursor: usize) -> usize {
        if cursor + POPULATE_CHUNK <= populated {
            return populated;
        }
        self.populate_chunk(populated)
    }

    #[cold]
    #[inline(never)]
    fn populate_chunk(&self, populated: usize) -> usize {
        let Backing::Mapped(map) = &self.backing else {
            return usize::MAX;
        };
        let end = (populated + POPULATE_CHUNK).min(map.len());
        #[cfg(target_os = "linux")]
        if end > populated {
            // Older kernels refuse MADV_POPULATE_READ: pages then fault in
            // as they are read, as before.
            let _ = map.advise_range(memmap2::Advice::PopulateRead, populated, end - populated);
        }
        if end == map.len() {
            usize::MAX
        } else {
            end
        }
    }

    /// Drops the mapped pages the reader has passed (from `released` up to
    /// `cursor`, in whole chunks) so that resident memory stays flat however
    /// long the capture is. Returns how far pages are now released.
    #[inline(always)]
    fn release_behind(&self, released: usize, cursor: usize) -> usize {
        let upto = cursor / RELEASE_CHUNK * RELEASE_CHUNK;
        if upto <= released {
            return released;
        }
        self.release_range(released, upto)
    }

    #[cold]
    #[inline(never)]
    fn release_range(&self, released: usize, upto: usize) -> usize {
        #[cfg(unix)]
        if let Backing::Mapped(map) = &self.backing {
            // SAFETY: MADV_DONTNEED is "unchecked" in memmap2 because on a
            // private mapping that was written to it would discard the
            // writes. This map is read-only and never written: the kernel
            // only drops its page-cache mappings and refaults the same file
            // bytes if a packet borrowed from the released range is read
            // again (a worker thread still holding it), so every `&[u8]`
            // handed out keeps its contents.
            #[allow(unsafe_code)]
            let _ = unsafe {
                map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    released,
                    upto - released,
                )
            };
        }
        upto
    }
}

/// The error for bytes that start as no capture: named after their
/// compressor when they are compressed data.
pub(crate) fn not_a_capture(path: PathBuf, head: &[u8]) -> CaptureError {
    match compression::other_compressor(head) {
        Some((format, command)) => CaptureError::Compressed {
            path,
            format,
            command,
        },
        None => CaptureError::NotACapture(path),
    }
}

/// Why the header after a recognised magic number cannot be read, if so.
pub(crate) fn check_header(bytes: &[u8], format: CaptureFormat) -> Result<(), String> {
    match format {
        CaptureFormat::Pcap { .. } => match parse_pcap_header(bytes) {
            Ok(_) => Ok(()),
            Err(_) if bytes.len() < PCAP_HEADER_LEN => Err(format!(
                "pcap file header is cut short ({} of {PCAP_HEADER_LEN} bytes)",
                bytes.len()
            )),
            Err(_) => Err("pcap file header is corrupt".into()),
        },
        CaptureFormat::PcapNg => {
            let big_endian = section_byte_order(bytes).unwrap_or(false);
            if let Some(reason) = impossible_block_len(bytes, big_endian) {
                return Err(format!("section header: {reason}"));
            }
            match parse_sectionheaderblock(bytes) {
                Ok(_) => Ok(()),
                Err(nom::Err::Incomplete(_)) => Err(match block_len(bytes, big_endian) {
                    Some(len) => format!(
                        "pcapng section header block claims {len} bytes but the file holds {}",
                        bytes.len()
                    ),
                    None => format!(
                        "pcapng section header block is cut short ({} bytes)",
                        bytes.len()
                    ),
                }),
                Err(_) => Err("pcapng section header block is corrupt".into()),
            }
        }
    }
}

fn offset_of(all: &[u8], rest: &[u8]) -> u64 {
    (all.len() - rest.len()) as u64
}

fn read_classic<'a, F>(
    all: &'a [u8],
    big_endian: bool,
    nanosecond: bool,
    modified: bool,
    visit: &mut F,
) -> ReadOutcome
where
    F: FnMut(RawPacket<'a>, u64),
{
    let mut out = ReadOutcome::default();
    // `open` has checked the header; a failure here is one more damage.
    let (mut rest, header) = match parse_pcap_header(all) {
        Ok(v) => v,
        Err(_) => {
            out.damage = Some(Damage {
                offset: 0,
                reason: "pcap file header is cut short or corrupt".into(),
            });
            return out;
        }
    };
    let decoder = BlockDecoder::classic(header.network.0, nanosecond);
    // Chosen per record rather than through a function pointer, so that
    // the common parser is inlined (the branch always goes the same way).
    let parse = |i: &'a [u8]| -> FrameResult<'a> {
        match (big_endian, modified) {
            (_, true) => parse_pcap_frame_modified(i),
            (true, false) => parse_pcap_frame_be(i),
            (false, false) => parse_pcap_frame(i),
        }
    };
    let layout = RecordLayout {
        big_endian,
        header_len: if modified { 24 } else { 16 },
        snaplen: header.snaplen,
    };
    let mut frame = 0u64;
    let mut ahead = ReadAhead::default();
    let mut delivery = Delivery::new();
    while !rest.is_empty() {
        let offset = offset_of(all, rest);
        ahead.touch(all, offset as usize);
        match layout.check(rest) {
            Ok(RecordFit::Normal) => {}
            Ok(RecordFit::OverSnaplen) => out.anomalies.note_over_snaplen(offset),
            Err(problem) => {
                out.damage = Some(Damage {
                    offset,
                    reason: problem.reason(),
                });
                break;
            }
        }
        match parse(rest) {
            Ok((next, block)) => {
                frame += 1;
                let pkt = decoder.classic_frame(&block, frame);
                delivery.pass(&mut out, pkt, offset, offset_of(all, next), visit);
                rest = next;
            }
            Err(e) => {
                out.damage = Some(damage_at(offset, rest.len(), e));
                break;
            }
        }
    }
    if let Some((pkt, pos)) = delivery.finish(&mut out) {
        visit(pkt, pos);
    }
    out.bytes = offset_of(all, rest);
    out
}

/// How far ahead of the record being read `ReadAhead` asks for the file
/// (2, 8 or 16 KiB: the same time in paired rounds).
const READ_AHEAD: usize = 4096;

/// Asks the processor for every cache line a little ahead of the reader.
/// Finding the next record needs the current record's length, so record
/// headers are read one after another, each a memory stall of its own
/// when nothing else reads the bytes between them (the reading thread with
/// workers, which reads only the headers). Prefetches do not wait, and
/// they bring the headers in before they are needed (without them one
/// thread took 1.10 of the time).
#[derive(Default)]
struct ReadAhead {
    /// Asked for up to here.
    upto: usize,
}

impl ReadAhead {
    /// Keeps what lies up to `READ_AHEAD` past `offset` asked for, each
    /// line once, a record's worth of lines at a time. Half the window at
    /// once (32 lines) stalled on the processor's few outstanding misses:
    /// perf put 57 % of the reading loop's own samples on that burst; paired
    /// rounds ran 0.976 (90 %: 0.953-0.987) of the time on one thread and
    /// 0.967 on two with the steady trickle.
    fn touch(&mut self, all: &[u8], offset: usize) {
        let target = (offset + READ_AHEAD).min(all.len());
        let mut at = self.upto.max(offset);
        while at < target {
            if let Some(byte) = all.get(at) {
                crate::prefetch::prefetch(byte);
            }
            at += 64;
        }
        self.upto = self.upto.max(at);
    }
}

/// libpcap's largest snap length for any link type: a record longer than
/// this and than the file's snap length is not a real packet.
const LIBPCAP_MAX_SNAPLEN: u32 = 262_144;

/// Where the fields of a classic record header sit, and the file's snap length.
#[derive(Clone, Copy)]
pub(crate) struct RecordLayout {
    pub big_endian: bool,
    pub header_len: usize,
    pub snaplen: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RecordFit {
    Normal,
    /// Longer than the snap length, but the next record lines up after it,
    /// so the length is what the writer meant.
    OverSnaplen,
}

impl RecordLayout {
    fn caplen(&self, record: &[u8]) -> Option<u32> {
        let field: [u8; 4] = record.get(8..12)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(field)
        } else {
            u32::from_le_bytes(field)
        })
    }

    /// Judges a record's captured length before it is parsed. `record`
    /// runs from the record to the end of what is available. Inlined
    /// (every record; see `ReadOutcome::record`).
    #[inline]
    pub(crate) fn check(&self, record: &[u8]) -> Result<RecordFit, RecordProblem> {
        let Some(caplen) = self.caplen(record) else {
            return Ok(RecordFit::Normal);
        };
        if caplen > MAX_RECORD_LEN {
            return Err(RecordProblem::Corrupt(format!(
                "record claims {caplen} captured bytes, more than any capture holds (corrupt length)"
            )));
        }
        let end = self.header_len + caplen as usize;
        if end > record.len() {
            return Err(RecordProblem::CutShort {
                caplen,
                available: record.len().saturating_sub(self.header_len),
            });
        }
        if self.snaplen == 0 || caplen <= self.snaplen {
            return Ok(RecordFit::Normal);
        }
        let next_fits = match record.get(end..).and_then(|next| self.caplen(next)) {
            // The last record, or a next header cut short (reported there).
            None => true,
            Some(next) => next <= self.snaplen.max(LIBPCAP_MAX_SNAPLEN),
        };
        if next_fits {
            Ok(RecordFit::OverSnaplen)
        } else {
            Err(RecordProblem::Corrupt(format!(
                "record claims {caplen} captured bytes, more than the snap length {}, and no record lines up after it (corrupt length)",
                self.snaplen
            )))
        }
    }
}

/// Why a classic record cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RecordProblem {
    /// The record runs past the end of the bytes available.
    CutShort {
        caplen: u32,
        available: usize,
    },
    Corrupt(String),
}

impl RecordProblem {
    pub(crate) fn reason(&self) -> String {
        match self {
            RecordProblem::CutShort { caplen, available } => format!(
                "record claims {caplen} captured bytes but only {available} follow its header: the capture is cut short"
            ),
            RecordProblem::Corrupt(reason) => reason.clone(),
        }
    }
}

fn damage_at<E>(offset: u64, remaining: usize, err: nom::Err<E>) -> Damage {
    let reason = match err {
        nom::Err::Incomplete(_) => format!(
            "capture ends in the middle of a record ({remaining} bytes left, the record needs more)"
        ),
        _ => "corrupt record".to_string(),
    };
    Damage { offset, reason }
}

fn read_pcapng<'a, F>(all: &'a [u8], visit: &mut F) -> ReadOutcome
where
    F: FnMut(RawPacket<'a>, u64),
{
    let mut out = ReadOutcome::default();
    let mut decoder = BlockDecoder::pcapng();
    let mut big_endian = false;
    let mut rest = all;
    let mut frame = 0u64;
    let mut ahead = ReadAhead::default();
    let mut delivery = Delivery::new();
    while !rest.is_empty() {
        let offset = offset_of(all, rest);
        ahead.touch(all, offset as usize);
        if let Some(order) = section_byte_order(rest) {
            big_endian = order;
        }
        if let Some(reason) = impossible_block_len(rest, big_endian) {
            out.damage = Some(Damage { offset, reason });
            break;
        }
        if let Some(len) = block_len(rest, big_endian) {
            if len as usize > rest.len() {
                out.damage = Some(Damage {
                    offset,
                    reason: format!(
                        "pcapng block claims {len} bytes but only {} remain: the capture is cut short",
                        rest.len()
                    ),
                });
                break;
            }
        }
        let parsed = if big_endian {
            parse_block_be(rest)
        } else {
            parse_block_le(rest)
        };
        match parsed {
            Ok((next, block)) => {
                if block.is_data_block() {
                    frame += 1;
                }
                if let Block::SectionHeader(shb) = &block {
                    big_endian = shb.big_endian();
                }
                if let Some(pkt) = decoder.pcapng_block(&block, frame) {
                    delivery.pass(&mut out, pkt, offset, offset_of(all, next), visit);
                }
                rest = next;
            }
            Err(e) => {
                out.damage = Some(damage_at(offset, rest.len(), e));
                break;
            }
        }
    }
    if let Some((pkt, pos)) = delivery.finish(&mut out) {
        visit(pkt, pos);
    }
    out.bytes = offset_of(all, rest);
    out
}

/// A section header announces the byte order of the blocks after it:
/// `Some(big_endian)` when `block` starts one.
pub(crate) fn section_byte_order(block: &[u8]) -> Option<bool> {
    (block.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]))
        .then(|| block.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d]))
}

/// Why a pcapng block's length field cannot be right (shorter than a
/// block, not a multiple of 4, or larger than any record), if it cannot.
pub(crate) fn impossible_block_len(block: &[u8], big_endian: bool) -> Option<String> {
    let len = block_len(block, big_endian)?;
    (!(12..=MAX_RECORD_LEN).contains(&len) || len % 4 != 0)
        .then(|| format!("pcapng block has an impossible length ({len} bytes)"))
}

fn block_len(block: &[u8], big_endian: bool) -> Option<u32> {
    let field: [u8; 4] = block.get(4..8)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(field)
    } else {
        u32::from_le_bytes(field)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: a section header whose length (38) is not a
    /// multiple of 4 was accepted by the stream reader and refused by the
    /// file reader; both now refuse it as a header error.
    #[test]
    fn section_header_with_an_odd_length_is_refused() {
        let mut shb = vec![
            0x0a, 0x0d, 0x0d, 0x0a, 38, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
        ];
        shb.extend_from_slice(&[0xff; 8]);
        shb.extend_from_slice(&[0; 10]);
        shb.extend_from_slice(&[38, 0, 0, 0]);
        let err = CaptureFile::from_bytes("odd", shb.clone())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("odd: at byte offset 0: section header: pcapng block has an impossible length (38 bytes)")
        );
        let streamed = super::super::stream_reader::read_stream("odd", &shb[..], |_, _| {});
        assert_eq!(streamed.err().map(|e| e.to_string()), err);
    }
    use crate::capture::LinkType;
    use std::io::Write;

    fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// A classic pcap with one 4-byte packet, in either byte order and
    /// timestamp precision.
    fn classic(big_endian: bool, nanos: bool, link: u32) -> Vec<u8> {
        let w32 = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w16 = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut f = Vec::new();
        f.extend_from_slice(&w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
        f.extend_from_slice(&w16(2));
        f.extend_from_slice(&w16(4));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(65535));
        f.extend_from_slice(&w32(link));
        f.extend_from_slice(&w32(1_700_000_000));
        f.extend_from_slice(&w32(if nanos { 123_456_789 } else { 123_456 }));
        f.extend_from_slice(&w32(4));
        f.extend_from_slice(&w32(60));
        f.extend_from_slice(&[1, 2, 3, 4]);
        f
    }

    /// (timestamp, link type, bytes, frame number) of each packet read.
    type Packets = Vec<(i64, LinkType, Vec<u8>, u64)>;

    fn read_all(file: &tempfile::NamedTempFile) -> (Packets, ReadOutcome) {
        let cap = CaptureFile::open(file.path()).unwrap();
        let mut pkts = Vec::new();
        let out = cap.read(|p, _| pkts.push((p.ts.0, p.link, p.data.to_vec(), p.frame)));
        (pkts, out)
    }

    #[test]
    fn classic_pcap_in_both_byte_orders_and_precisions() {
        for (be, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
            let f = write_temp(&classic(be, nanos, 1));
            let (pkts, out) = read_all(&f);
            assert!(out.damage.is_none(), "{be} {nanos}: {:?}", out.damage);
            assert_eq!(pkts.len(), 1);
            let (ts, link, data, frame) = &pkts[0];
            let frac = if nanos { 123_456_789 } else { 123_456_000 };
            assert_eq!(*ts, 1_700_000_000 * 1_000_000_000 + frac, "{be} {nanos}");
            assert_eq!(*link, LinkType::Ethernet);
            assert_eq!(data, &[1, 2, 3, 4]);
            assert_eq!(*frame, 1);
        }
    }

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let mut padded = body.to_vec();
        while padded.len() % 4 != 0 {
            padded.push(0);
        }
        let len = (padded.len() + 12) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&padded);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }

    fn pcapng_two_interfaces() -> Vec<u8> {
        let mut f = Vec::new();
        let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        f.extend(block(0x0a0d_0d0a, &shb));
        // Interface 0: Ethernet, default microseconds.
        let mut idb0 = 1u16.to_le_bytes().to_vec();
        idb0.extend_from_slice(&[0, 0]);
        idb0.extend_from_slice(&0u32.to_le_bytes());
        f.extend(block(1, &idb0));
        // Interface 1: raw IP, if_tsresol = 9 (nanoseconds).
        let mut idb1 = 101u16.to_le_bytes().to_vec();
        idb1.extend_from_slice(&[0, 0]);
        idb1.extend_from_slice(&0u32.to_le_bytes());
        idb1.extend_from_slice(&9u16.to_le_bytes());
        idb1.extend_from_slice(&1u16.to_le_bytes());
        idb1.extend_from_slice(&[9, 0, 0, 0]);
        idb1.extend_from_slice(&[0, 0, 0, 0]);
        f.extend(block(1, &idb1));
        let epb = |iface: u32, ts: u64, data: &[u8]| {
            let mut b = iface.to_le_bytes().to_vec();
            b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            b.extend_from_slice(&(ts as u32).to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(data);
            block(6, &b)
        };
        f.extend(epb(0, 1_700_000_000_000_001, &[0xaa; 3]));
        f.extend(epb(1, 1_700_000_000_000_000_002, &[0xbb; 5]));
        // A simple packet block (interface 0, no timestamp).
        let mut spb = 2u32.to_le_bytes().to_vec();
        spb.extend_from_slice(&[0xcc, 0xdd]);
        f.extend(block(3, &spb));
        f
    }

    #[test]
    fn pcapng_with_interfaces_of_different_link_types() {
        let f = write_temp(&pcapng_two_interfaces());
        let (pkts, out) = read_all(&f);
        assert!(out.damage.is_none(), "{:?}", out.damage);
        assert_eq!(pkts.len(), 3);
        assert_eq!(pkts[0].1, LinkType::Ethernet);
        assert_eq!(pkts[0].0, 1_700_000_000_000_001_000);
        assert_eq!(pkts[1].1, LinkType::RawIp);
        assert_eq!(pkts[1].0, 1_700_000_000_000_000_002);
        assert_eq!(pkts[1].2, vec![0xbb; 5]);
        assert_eq!(pkts[2].2, vec![0xcc, 0xdd]);
        assert_eq!(pkts.iter().map(|p| p.3).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn a_truncated_record_keeps_what_came_before() {
        let mut bytes = classic(false, false, 1);
        let one = bytes.clone();
        bytes.extend_from_slice(&one[24..]);
        bytes.truncate(bytes.len() - 3);
        let f = write_temp(&bytes);
        let (pkts, out) = read_all(&f);
        assert_eq!(pkts.len(), 1);
        let damage = out.damage.expect("damage reported");
        assert_eq!(damage.offset, 44);
    }

    #[test]
    fn unknown_link_types_are_counted() {
        let f = write_temp(&classic(false, false, 147));
        let (pkts, out) = read_all(&f);
        assert_eq!(pkts.len(), 1);
        assert_eq!(out.unsupported_link_types, vec![(147, 1)]);
    }

    #[test]
    fn non_captures_empty_files_and_directories_are_refused() {
        let junk = write_temp(b"GET / HTTP/1.1\r\n\r\n");
        assert!(matches!(
            CaptureFile::open(junk.path()),
            Err(CaptureError::NotACapture(_))
        ));
        let empty = write_temp(b"");
        assert!(matches!(
            CaptureFile::open(empty.path()),
            Err(CaptureError::Empty(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            CaptureFile::open(dir.path()),
            Err(CaptureError::NotAFile(_))
        ));
    }
}
