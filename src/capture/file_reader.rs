//! Capture files read through a memory map, record by record, without
//! copying a packet. A damaged record stops the walk; everything before it
//! has already been handed out, and the damage is reported with its offset.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use pcap_parser::pcapng::{parse_block_be, parse_block_le, Block};
use pcap_parser::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
    LegacyPcapBlock, PcapError,
};

use super::block_decoder::BlockDecoder;
use super::{CaptureFormat, Damage, RawPacket, ReadOutcome};
use crate::error::CaptureError;

/// Largest record callpath accepts: libpcap's own ceiling for snap lengths
/// is 256 KiB; anything bigger is a corrupt length field.
const MAX_RECORD_LEN: u32 = 16 * 1024 * 1024;

/// Pages behind the read cursor are released in chunks of this many bytes
/// (a multiple of any page size).
const RELEASE_CHUNK: usize = 8 * 1024 * 1024;

/// A capture file mapped into memory.
pub struct CaptureFile {
    path: PathBuf,
    map: Mmap,
    format: CaptureFormat,
}

type FrameResult<'a> = Result<(&'a [u8], LegacyPcapBlock<'a>), nom::Err<PcapError<&'a [u8]>>>;

impl CaptureFile {
    /// Opens and maps a capture; fails when the file cannot be read or is
    /// not a pcap/pcapng capture.
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
        let format = CaptureFormat::detect(&map)
            .ok_or_else(|| CaptureError::NotACapture(path.to_path_buf()))?;
        Ok(CaptureFile {
            path: path.to_path_buf(),
            map,
            format,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    /// Hands every packet to `visit`, in file order, with the byte offset
    /// reached so far (for progress). Stops at the first damaged record.
    pub fn read<'a, F>(&'a self, mut visit: F) -> ReadOutcome
    where
        F: FnMut(RawPacket<'a>, u64),
    {
        let mut released = 0usize;
        let mut visit = |pkt: RawPacket<'a>, pos: u64| {
            visit(pkt, pos);
            released = self.release_behind(released, pos as usize);
        };
        match self.format {
            CaptureFormat::Pcap {
                big_endian,
                nanosecond,
                modified,
            } => read_classic(&self.map, big_endian, nanosecond, modified, &mut visit),
            CaptureFormat::PcapNg => read_pcapng(&self.map, &mut visit),
        }
    }
}

impl CaptureFile {
    /// Drops the pages the reader has passed (from `released` up to
    /// `cursor`, in whole chunks) so that resident memory stays flat however
    /// long the capture is. Returns how far pages are now released.
    fn release_behind(&self, released: usize, cursor: usize) -> usize {
        let upto = cursor / RELEASE_CHUNK * RELEASE_CHUNK;
        if upto <= released {
            return released;
        }
        #[cfg(unix)]
        {
            // SAFETY: MADV_DONTNEED is "unchecked" in memmap2 because on a
            // private mapping that was written to it would discard the
            // writes. This map is read-only and never written: the kernel
            // only drops its page-cache mappings and refaults the same file
            // bytes if a packet borrowed from the released range is read
            // again, so every `&[u8]` handed out keeps its contents.
            #[allow(unsafe_code)]
            let _ = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    released,
                    upto - released,
                )
            };
        }
        upto
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
    let (mut rest, header) = match parse_pcap_header(all) {
        Ok(v) => v,
        Err(_) => {
            out.damage = Some(Damage {
                offset: 0,
                reason: "pcap file header is incomplete (shorter than 24 bytes)".into(),
            });
            return out;
        }
    };
    let decoder = BlockDecoder::classic(header.network.0, nanosecond);
    let parse: fn(&'a [u8]) -> FrameResult<'a> = match (big_endian, modified) {
        (_, true) => |i| parse_pcap_frame_modified(i),
        (true, false) => |i| parse_pcap_frame_be(i),
        (false, false) => |i| parse_pcap_frame(i),
    };
    let mut frame = 0u64;
    while !rest.is_empty() {
        let offset = offset_of(all, rest);
        if let Some(bad) = implausible_caplen(rest, big_endian) {
            out.damage = Some(Damage {
                offset,
                reason: format!("record claims {bad} captured bytes, more than any capture holds"),
            });
            break;
        }
        match parse(rest) {
            Ok((next, block)) => {
                frame += 1;
                let pkt = decoder.classic_frame(&block, frame);
                out.packets += 1;
                out.count_unsupported(pkt.link);
                visit(pkt, offset_of(all, next));
                rest = next;
            }
            Err(e) => {
                out.damage = Some(damage_at(offset, rest.len(), e));
                break;
            }
        }
    }
    out
}

/// Reads the caplen field of a classic record header when it is absurd.
fn implausible_caplen(record: &[u8], big_endian: bool) -> Option<u32> {
    let field: [u8; 4] = record.get(8..12)?.try_into().ok()?;
    let caplen = if big_endian {
        u32::from_be_bytes(field)
    } else {
        u32::from_le_bytes(field)
    };
    (caplen > MAX_RECORD_LEN).then_some(caplen)
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
    while !rest.is_empty() {
        let offset = offset_of(all, rest);
        // A section header announces the byte order of the blocks after it.
        if rest.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            big_endian = rest.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d]);
        }
        if let Some(len) = block_len(rest, big_endian) {
            if !(12..=MAX_RECORD_LEN).contains(&len) || len % 4 != 0 {
                out.damage = Some(Damage {
                    offset,
                    reason: format!("pcapng block has an impossible length ({len} bytes)"),
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
                    out.packets += 1;
                    out.count_unsupported(pkt.link);
                    visit(pkt, offset_of(all, next));
                }
                rest = next;
            }
            Err(e) => {
                out.damage = Some(damage_at(offset, rest.len(), e));
                break;
            }
        }
    }
    out
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

    fn read_all(
        file: &tempfile::NamedTempFile,
    ) -> (Vec<(i64, LinkType, Vec<u8>, u64)>, ReadOutcome) {
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
